package coordimapexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "api")
	require.NoError(t, err)
	assert.Equal(t, "secret-key", string(cfg.APIKey))
	assert.Equal(t, "https://coordimap.example.com/collector/crawlers/infra", cfg.ClientConfig.Endpoint)
	assert.Equal(t, 1<<20, cfg.MaxRequestBytes)
	assert.True(t, cfg.Incremental)
	assert.Equal(t, 30*time.Minute, cfg.FullResyncPeriod)
	require.True(t, cfg.QueueConfig.HasValue())
	require.NotNil(t, cfg.QueueConfig.Get().StorageID)
	assert.Equal(t, "file_storage", cfg.QueueConfig.Get().StorageID.String())
	assert.Equal(t, 10*time.Minute, cfg.RetryConfig.MaxElapsedTime)

	cfg, err = loadConfig(t, "graph_only")
	require.NoError(t, err)
	assert.False(t, cfg.apiEnabled())
	assert.Equal(t, "/var/lib/otelcol/coordimap-graph.json", cfg.GraphFile)
	assert.Equal(t, 2*time.Second, cfg.GraphFlushInterval)
	assert.Equal(t, 15*time.Minute, cfg.FlowTTL)
}

func TestDefaultConfig(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, DefaultEndpoint, cfg.ClientConfig.Endpoint)
	assert.Equal(t, defaultMaxRequestBytes, cfg.MaxRequestBytes)
	assert.False(t, cfg.Incremental)
	assert.True(t, cfg.QueueConfig.HasValue())
	assert.True(t, cfg.RetryConfig.Enabled)
	assert.ErrorIs(t, cfg.Validate(), errNoOutput)
}

func TestInvalidConfigs(t *testing.T) {
	tests := map[string][]string{
		"no_output":            {"no output: set api_key (Coordimap API), graph (the coordimap_graph extension) or graph_file (local graph file)"},
		"endpoint_without_key": {"api_key: required when endpoint is set"},
		"bad_values": {
			`endpoint: "ftp://nowhere" must be an http(s) URL`,
			"max_request_bytes: must be at least 4096, got 10",
			"full_resync_period: must be positive when incremental is on",
			"graph_flush_interval: must be positive",
			"flow_ttl: must be positive",
		},
		"unknown_field": {"graphfile"},
	}
	for name, wants := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(t, name)
			require.Error(t, err)
			for _, w := range wants {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestConfigNeverPrintsAPIKey(t *testing.T) {
	cfg, err := loadConfig(t, "api")
	require.NoError(t, err)
	b, err := cfg.APIKey.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "[REDACTED]", string(b))
}
