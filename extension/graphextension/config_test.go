package graphextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
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
	return cfg, cfg.Validate()
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:8890", cfg.ServerConfig.NetAddr.Endpoint)
	assert.Equal(t, BackendSQLite, cfg.Backend)
	assert.Equal(t, "./coordimap-graph.db", cfg.SQLite.Path)
	assert.Equal(t, 7*24*time.Hour, cfg.HistoryRetention)
	assert.Equal(t, time.Hour, cfg.FlowTTL)
	assert.True(t, cfg.Ingest.Enabled)
	assert.True(t, cfg.MCP.Enabled)
}

func TestConfigPostgres(t *testing.T) {
	cfg, err := loadConfig(t, "postgres")
	require.NoError(t, err)
	assert.Equal(t, BackendPostgres, cfg.Backend)
	assert.Equal(t, "postgres://graph:secret@db.internal:5432/graph", string(cfg.PostgreSQL.DSN))
	assert.Equal(t, 4, cfg.PostgreSQL.MaxConnections)
	assert.Equal(t, 30*time.Minute, cfg.FlowTTL)
	assert.Equal(t, int64(1000), cfg.MaxChanges)
	assert.Len(t, cfg.Ingest.APIKeys, 1)
	assert.False(t, cfg.MCP.Enabled)
}

func TestConfigErrors(t *testing.T) {
	for name, want := range map[string][]string{
		"open": {`endpoint: "0.0.0.0:8890" is not a loopback address`, "allow_unauthenticated: true"},
		"bad_values": {`backend: "oracle" is not one of sqlite, postgresql`, "flow_ttl: must be positive",
			"history_retention: must be positive", "maintenance_interval: must be positive", "max_changes: must not be negative"},
		"no_dsn": {"postgresql.dsn: required with backend postgresql"},
		"typo":   {"histroy_retention"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := loadConfig(t, name)
			require.Error(t, err)
			for _, w := range want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	_, err := loadConfig(t, "open_allowed")
	assert.NoError(t, err)
}
