package coordimapprocessor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/processor/processortest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())

	cfg := f.CreateDefaultConfig()
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, defaultAddressTTL, cfg.(*Config).AddressTTL)
	assert.Equal(t, defaultEvaluationInterval, cfg.(*Config).EvaluationInterval)
	assert.Equal(t, defaultPrometheusTimeout, cfg.(*Config).Prometheus.ClientConfig.Timeout)
	require.NoError(t, cfg.(*Config).Validate())
}

func TestCreateLogs(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.ExternalMappings = []string{"node-1@aws_ds"}
	p, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.True(t, p.Capabilities().MutatesData)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestCreateLogsInvalidConfig(t *testing.T) {
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.ExternalMappings = []string{"foo"}
	_, err := f.CreateLogs(context.Background(), processortest.NewNopSettings(Type), cfg, consumertest.NewNop())
	require.EqualError(t, err, `external_mappings[0] "foo": missing '@'`)
}

func TestOnlyLogs(t *testing.T) {
	f := NewFactory()
	_, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.ErrorIs(t, err, pipeline.ErrSignalNotSupported)
	_, err = f.CreateMetrics(context.Background(), processortest.NewNopSettings(Type), f.CreateDefaultConfig(), consumertest.NewNop())
	require.ErrorIs(t, err, pipeline.ErrSignalNotSupported)
}

func TestShutdownWithoutStart(t *testing.T) {
	processortest.VerifyShutdown(t, NewFactory(), NewFactory().CreateDefaultConfig())
}
