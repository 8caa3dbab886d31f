package flowsreceiver

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left running:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// unavailable ends a test that lacks a privilege or tool: a skip locally, a
// failure under CI=true (the CI machine is root and has iproute2).
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("required under CI=true: %v", err)
	}
	tb.Skipf("unavailable: %v", err)
}

// requireRoot ends a test that loads BPF programs when not root.
func requireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() != 0 {
		unavailable(tb, fmt.Errorf("loading BPF programs needs root (euid %d)", os.Geteuid()))
	}
}

// statusHost records the status events components report.
type statusHost = statustest.Host

func newStatusHost() *statusHost { return statustest.NewHost() }

// running is a started receiver (logs and metrics) with what it reports.
type running struct {
	r       *flowsReceiver
	shared  *sharedReceiver
	logs    *consumertest.LogsSink
	metrics *consumertest.MetricsSink
	host    *statusHost
	log     *observer.ObservedLogs
}

// start creates the receiver through the factory for both signals, as the
// collector does, lets prepare change its test settings, and starts it.
func start(t testing.TB, name string, cfg *Config, prepare func(*flowsReceiver)) *running {
	t.Helper()
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zap.DebugLevel)
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, name)
	set.Logger = zap.New(core)
	f := NewFactory()
	run := &running{logs: &consumertest.LogsSink{}, metrics: &consumertest.MetricsSink{}, host: newStatusHost(), log: logs}
	lr, err := f.CreateLogs(context.Background(), set, cfg, run.logs)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(context.Background(), set, cfg, run.metrics)
	require.NoError(t, err)
	require.Same(t, lr, mr, "one receiver for both signals")
	run.shared = lr.(*sharedReceiver)
	run.r = run.shared.inner
	if prepare != nil {
		prepare(run.r)
	}
	require.NoError(t, lr.Start(context.Background(), run.host))
	require.NoError(t, mr.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() {
		require.NoError(t, mr.Shutdown(context.Background()))
		require.NoError(t, lr.Shutdown(context.Background()))
	})
	return run
}

// records lists the entity records of a batch.
func records(ld plog.Logs) []entity.Record {
	var out []entity.Record
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				out = append(out, entity.View(lr))
			}
		}
	}
	return out
}
