package crawltest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

// CheckConfig reads section id of testdata/config.yaml over f's default
// configuration, as the collector does, and checks that it validates and
// equals want or, when wantErr is set, fails validation with exactly
// wantErr.
func CheckConfig(t *testing.T, f receiver.Factory, id component.ID, want component.Config, wantErr string) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(id.String())
	require.NoError(t, err)
	cfg := f.CreateDefaultConfig()
	require.NoError(t, sub.Unmarshal(cfg))
	CheckError(t, confmap.Validate(cfg), wantErr)
	if wantErr == "" {
		assert.Equal(t, want, cfg)
	}
}

// CheckError requires err to be nil when want is empty, else to read
// exactly want.
func CheckError(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		require.NoError(t, err)
		return
	}
	require.EqualError(t, err, want)
}

// CheckFactory checks what every crawling receiver's factory promises: its
// type, logs only (alpha), and a default configuration whose struct is
// well formed; it returns that configuration.
func CheckFactory(t *testing.T, f receiver.Factory, typ string) component.Config {
	t.Helper()
	assert.Equal(t, typ, f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.MetricsStability())
	assert.Equal(t, component.StabilityLevelUndefined, f.TracesStability())
	cfg := f.CreateDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	set := receivertest.NewNopSettings(f.Type())
	_, err := f.CreateMetrics(context.Background(), set, cfg, consumertest.NewNop())
	assert.Error(t, err)
	_, err = f.CreateTraces(context.Background(), set, cfg, consumertest.NewNop())
	assert.Error(t, err)
	return cfg
}

// CheckShutdownWithoutStart creates a receiver (which must do nothing over
// the network) and shuts it down twice without starting it.
func CheckShutdownWithoutStart(t *testing.T, f receiver.Factory, cfg component.Config) {
	t.Helper()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// StartError creates a receiver, starts it and shuts it down; it returns
// what Start said. A configuration problem found at start (a TLS file
// that cannot be read) must fail Start, before the collector runs.
func StartError(t *testing.T, f receiver.Factory, cfg component.Config) error {
	t.Helper()
	rcv, err := f.CreateLogs(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.NoError(t, rcv.Shutdown(context.Background()))
	return err
}
