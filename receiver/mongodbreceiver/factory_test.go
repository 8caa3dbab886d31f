package mongodbreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap_mongodb", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.MetricsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.TracesStability())

	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, []string{"*"}, cfg.Databases)
	assert.Equal(t, 60*time.Second, cfg.CollectionInterval)
	assert.Equal(t, 20, cfg.SampleSize)
	assert.False(t, cfg.TLS.Insecure, "TLS is on by default")
	assert.Empty(t, cfg.URI)
	assert.Empty(t, cfg.Hosts)

	_, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
	_, err = f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
}

// The constructor does nothing over the network; Shutdown without Start is
// fine, and so is Shutdown twice.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{"127.0.0.1:1"}
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A receiver whose server is unreachable starts (the collector must not
// fail because a database is down), reports the error, and stops without
// leaking the driver's goroutines.
func TestLifecycleServerUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{"127.0.0.1:1"} // nothing listens on port 1
	cfg.TLS.Insecure = true
	cfg.ScopeID = "s1"
	set := receivertest.NewNopSettings(typeStr)
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	rcv.(*mongoReceiver).selectTimeout = 200 * time.Millisecond
	host := newStatusHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	require.Eventually(t, func() bool { return len(host.Events()) > 0 }, 10*time.Second, 10*time.Millisecond)
	ev := host.Events()[0]
	require.Error(t, ev.Err())
	assert.Contains(t, ev.Err().Error(), set.ID.String())
	assert.Contains(t, ev.Err().Error(), "127.0.0.1:1")
	assert.Equal(t, "unavailable", errorClass(ev.Err()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A mongodb+srv:// name that does not resolve does not stop the collector
// either: the DNS lookup happens in the crawl loop and is retried.
func TestLifecycleSRVUnresolvable(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.URI = "mongodb+srv://coordimap-test.invalid/"
	cfg.ScopeID = "s1"
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	host := newStatusHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	require.Eventually(t, func() bool { return len(host.Events()) > 0 }, 30*time.Second, 10*time.Millisecond)
	assert.ErrorContains(t, host.Events()[0].Err(), "connecting")
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A TLS file that cannot be read fails Start: a configuration problem,
// caught before the collector runs.
func TestStartBadTLSFile(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{"127.0.0.1:1"}
	cfg.TLS.CAFile = "/nonexistent/ca.pem"
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "tls")
	require.NoError(t, rcv.Shutdown(context.Background()))
}
