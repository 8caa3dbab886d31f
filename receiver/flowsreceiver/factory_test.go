package flowsreceiver

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap_flows", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelAlpha, f.MetricsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.TracesStability())

	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "server", cfg.DeployedAt)
	assert.Equal(t, "all", cfg.InterfaceName)
	assert.Equal(t, 30*time.Second, cfg.CollectionInterval)

	_, err := f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
}

// The logs and the metrics receiver of one configuration are one instance;
// another configuration gets its own; Shutdown forgets it.
func TestSharedBetweenSignals(t *testing.T) {
	defer goleak.VerifyNone(t)
	f := NewFactory()
	set := receivertest.NewNopSettings(typeStr)
	cfg := createDefaultConfig().(*Config)
	other := createDefaultConfig().(*Config)
	logs, metrics := &consumertest.LogsSink{}, &consumertest.MetricsSink{}

	lr, err := f.CreateLogs(context.Background(), set, cfg, logs)
	require.NoError(t, err)
	mr, err := f.CreateMetrics(context.Background(), set, cfg, metrics)
	require.NoError(t, err)
	or, err := f.CreateMetrics(context.Background(), set, other, consumertest.NewNop())
	require.NoError(t, err)
	require.Same(t, lr, mr)
	require.NotSame(t, lr, or)
	inner := lr.(*sharedReceiver).inner
	assert.Same(t, logs, inner.logs)
	assert.Same(t, metrics, inner.metrics)

	require.NoError(t, lr.Shutdown(context.Background()))
	require.NoError(t, mr.Shutdown(context.Background()))
	require.NoError(t, or.Shutdown(context.Background()))
	receivers.mu.Lock()
	defer receivers.mu.Unlock()
	assert.NotContains(t, receivers.m, cfg)
	assert.NotContains(t, receivers.m, other)
}

// The constructor does nothing; Shutdown without Start is fine, twice too.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// startOnce creates a receiver, lets prepare change it, starts it and
// shuts it down; it returns Start's error and the status host.
func startOnce(t *testing.T, cfg *Config, prepare func(*flowsReceiver)) (*statusHost, error) {
	t.Helper()
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	prepare(rcv.(*sharedReceiver).inner)
	host := newStatusHost()
	err = rcv.Start(context.Background(), host)
	require.NoError(t, rcv.Shutdown(context.Background()))
	return host, err
}

// startDegraded starts a receiver that cannot trace and returns the status
// event it reported.
func startDegraded(t *testing.T, cfg *Config, prepare func(*flowsReceiver)) *componentstatus.Event {
	t.Helper()
	defer goleak.VerifyNone(t)
	host, err := startOnce(t, cfg, prepare)
	require.NoError(t, err, "the rest of the collector must run")
	evs := host.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, componentstatus.StatusPermanentError, evs[0].Status())
	return evs[0]
}

func TestBTFMissing(t *testing.T) {
	ev := startDegraded(t, createDefaultConfig().(*Config), func(r *flowsReceiver) { r.btfPath = "/nonexistent/vmlinux" })
	assert.Contains(t, ev.Err().Error(), "BTF not found at /nonexistent/vmlinux")
	assert.Contains(t, ev.Err().Error(), ": eBPF flows disabled: ")
}

// startFails starts a receiver whose configuration cannot work: Start
// fails with the error, and Shutdown is still safe.
func startFails(t *testing.T, cfg *Config, prepare func(*flowsReceiver)) error {
	t.Helper()
	defer goleak.VerifyNone(t)
	_, err := startOnce(t, cfg, prepare)
	require.Error(t, err, "a configuration error fails Start")
	return err
}

// Configuration errors fail Start; missing privileges and kernel support
// (above) do not.
func TestNoMachineID(t *testing.T) {
	err := startFails(t, createDefaultConfig().(*Config), func(r *flowsReceiver) { r.machineIDPath = "/nonexistent/machine-id" })
	assert.ErrorContains(t, err, "scope_id is not configured and the machine ID cannot be read (set scope_id)")
}

func TestUnknownInterface(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ScopeID = "s"
	cfg.InterfaceName = "nosuchdev0"
	err := startFails(t, cfg, func(*flowsReceiver) {})
	assert.ErrorContains(t, err, `interface_name: no device "nosuchdev0"`)
}

func TestKubernetesWithoutAPI(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.DeployedAt = DeployedAtKubernetes
	cfg.ExternalMappings = []string{"*@" + clusterUID}
	err := startFails(t, cfg, func(r *flowsReceiver) {
		r.newKube = func() (kubeClient, error) { return nil, errors.New("no in-cluster configuration") }
	})
	assert.ErrorContains(t, err, "kubernetes: no in-cluster configuration")
}

// Collections are reported through crawl.Health: a failure once per
// change, the recovery once; waiting for the Kubernetes caches is logged
// once and is not a failure.
func TestReportHealth(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	set := receivertest.NewNopSettings(typeStr)
	set.Logger = zap.New(core)
	r := newReceiver(createDefaultConfig().(*Config), set)
	host := newStatusHost()
	r.health.Start(host)
	r.report(errNotSynced)
	r.report(errNotSynced)
	assert.Empty(t, host.Events())
	assert.Equal(t, 1, logs.FilterMessageSnippet("Waiting for the Kubernetes caches").Len())

	boom := errors.New("reading the flows map: boom")
	r.report(boom)
	r.report(boom)
	evs := host.Events()
	require.Len(t, evs, 1)
	assert.Equal(t, componentstatus.StatusRecoverableError, evs[0].Status())
	assert.ErrorContains(t, evs[0].Err(), set.ID.String()+": reading the flows map: boom")
	assert.Equal(t, 1, logs.FilterMessageSnippet("eBPF flows crawl failed").Len())

	r.report(nil)
	r.report(nil)
	evs = host.Events()
	require.Len(t, evs, 2)
	assert.Equal(t, componentstatus.StatusOK, evs[1].Status())
	assert.Equal(t, 1, logs.FilterMessageSnippet("eBPF flows crawl recovered").Len())
}
