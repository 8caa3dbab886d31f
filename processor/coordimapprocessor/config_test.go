package coordimapprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		want *Config
	}{
		{name: "", want: &Config{AddressTTL: 10 * time.Minute}},
		{
			name: "list",
			want: &Config{
				ExternalMappings: mapping.Entries{
					"us-central1-gke-prod@1b7c0a4e-5f4e-4a57-9d5e-2f1c0e6b9a11",
					"*my-project-id.iam.gserviceaccount.com@123456789012",
					"10.0.0.5:5432@7710000000000000000/app-@",
				},
				AddressTTL: 5 * time.Minute,
			},
		},
		{
			// The coordimap-agent's single space-separated string.
			name: "legacy",
			want: &Config{
				ExternalMappings: mapping.Entries{
					"node-1@aws_ds",
					"us-central1-a-node-2@gcp_ds",
					"*my-project-id.iam.gserviceaccount.com@123456789012",
				},
				AddressTTL: 10 * time.Minute,
			},
		},
		{name: "empty_list", want: &Config{ExternalMappings: mapping.Entries{}, AddressTTL: 10 * time.Minute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(t, tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestLoadConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"missing_at", `external_mappings[2] "foo": missing '@'`},
		{"duplicate_key", `external_mappings[1] "k@v2": duplicate key "k", first at external_mappings[0]`},
		{"ambiguous_glob", `external_mappings[1] "*-pro@y": ambiguous glob: "*-pro" and "gke-*" (external_mappings[0]) both match "gke-pro" with literal length 4`},
		{"zero_ttl", `address_ttl must be positive`},
		{"negative_ttl", `address_ttl must be positive`},
		{"everything_wrong", "external_mappings[0] \"@x\": empty key\nexternal_mappings[1] \"y@\": empty value\naddress_ttl must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestLoadConfigUnknownKey(t *testing.T) {
	// metric_rules is not a setting yet.
	_, err := loadConfig(t, "unknown_key")
	require.ErrorContains(t, err, "has invalid keys: metric_rules")
}
