package mariadbreceiver

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
	assert.Equal(t, "coordimap_mariadb", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.MetricsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.TracesStability())

	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, "127.0.0.1:3306", cfg.Endpoint)
	assert.Equal(t, 60*time.Second, cfg.CollectionInterval)
	assert.False(t, cfg.TLS.Insecure, "TLS is on by default")
	assert.Empty(t, cfg.Databases)

	_, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
	_, err = f.CreateTraces(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
}

// The constructor does nothing over the network; Shutdown without Start is
// fine, and so is Shutdown twice.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the package test server runs throughout
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A receiver whose server is unreachable starts (the collector must not
// fail because a database is down), reports the error, and stops without
// leaking a goroutine; Shutdown twice is fine.
func TestLifecycleServerUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the package test server runs throughout
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	cfg.Password = "Never-Shown-Pa55"
	cfg.Endpoint = "127.0.0.1:1" // nothing listens on port 1
	cfg.TLS.Insecure = true
	set := receivertest.NewNopSettings(typeStr)
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	host := newStatusHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	require.Eventually(t, func() bool { return len(host.Events()) > 0 }, 10*time.Second, 10*time.Millisecond)
	ev := host.Events()[0]
	require.Error(t, ev.Err())
	assert.Contains(t, ev.Err().Error(), set.ID.String())
	assert.Contains(t, ev.Err().Error(), "127.0.0.1:1")
	assert.Contains(t, ev.Err().Error(), `user "coordimap"`)
	assert.NotContains(t, ev.Err().Error(), "Never-Shown-Pa55")
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A TLS file that cannot be read fails Start: a configuration problem,
// caught before the collector runs.
func TestStartBadTLSFile(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	cfg.TLS.CAFile = "/nonexistent/ca.pem"
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "tls")
	require.NoError(t, rcv.Shutdown(context.Background()))
}
