package coordimapconnector

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

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	storageID := component.MustNewIDWithName("file_storage", "coordimap")

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{
			id:   component.NewID(typeStr),
			want: createDefaultConfig().(*Config),
		},
		{
			id: component.NewIDWithName(typeStr, "all"),
			want: &Config{
				ScopeID:       "0f8e5a8c-3b1d-4c57-9b43-2a8f3c9d1e77",
				DataSourceID:  "otel-traces",
				EdgeTTL:       2 * time.Hour,
				FlushInterval: 30 * time.Second,
				Store:         StoreConfig{MaxItems: 5000, TTL: time.Minute},
				Storage:       &storageID,
			},
		},
		{
			id:      component.NewIDWithName(typeStr, "invalid"),
			wantErr: "edge_ttl: must be positive\nflush_interval: must be positive\nstore.max_items: must be positive\nstore.ttl: must be positive",
		},
		{
			id:      component.NewIDWithName(typeStr, "flush_over_ttl"),
			wantErr: "flush_interval: must not exceed edge_ttl",
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestDefaults(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, time.Hour, cfg.EdgeTTL)
	assert.Equal(t, 100_000, cfg.Store.MaxItems)
	assert.NoError(t, cfg.Validate())
}

func TestUnknownKeyRefused(t *testing.T) {
	cfg := createDefaultConfig()
	err := confmap.NewFromStringMap(map[string]any{"edge_tll": "1h"}).Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "edge_tll")
}
