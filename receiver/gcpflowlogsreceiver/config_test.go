package gcpflowlogsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

func TestConfig(t *testing.T) {
	f := NewFactory()
	storageID := component.MustNewID("file_storage")
	def := func(mod func(*Config)) *Config {
		c := createDefaultConfig().(*Config)
		mod(c)
		return c
	}
	tests := []struct {
		name    string
		want    *Config
		wantErr string
	}{
		{"", def(func(c *Config) { c.ProjectID = "shop-prod-1" }), ""},
		{"full", def(func(c *Config) {
			c.ProjectID, c.ScopeID, c.DataSourceID = "shop-prod-1", "123456789012", "gcp-flows"
			c.Auth = gcpapi.Auth{CredentialsFile: "/etc/gcp/key.json"}
			c.CollectionInterval, c.Delay, c.InitialLookback, c.PageSize, c.RequestsPerSecond = 30*time.Second, 5*time.Minute, time.Hour, 500, 2
			c.ExternalMappings = mapping.Entries{"europe-west3-shop-gke@9d2f0c4e-1111-2222-3333-444455556666"}
			c.Storage = &storageID
			c.Endpoints.Logging = "https://logging.p.googleapis.com/"
		}), ""},
		{"invalid", nil, `project_id: "Shop" is not a project ID (6 to 30 lowercase letters, digits and hyphens; the number goes in scope_id)` + "\n" +
			"credentials_file: cannot be set with without_authentication\n" +
			`external_mappings[0] "x": missing '@'` + "\n" +
			"endpoints: logging: must be an http or https URL\n" +
			"collection_interval: must be positive\n" +
			"delay: must not be negative\n" +
			"initial_lookback: must be positive\n" +
			"page_size: must be between 1 and 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want component.Config
			if tt.want != nil {
				want = tt.want
			}
			crawltest.CheckConfig(t, f, component.NewIDWithName(typeStr, tt.name), want, tt.wantErr)
		})
	}
}

func TestFactory(t *testing.T) {
	cfg := crawltest.CheckFactory(t, NewFactory(), "coordimap_gcp_flow_logs").(*Config)
	assert.Equal(t, defaultDelay, cfg.Delay)
	cfg.ProjectID = testProject
	crawltest.CheckShutdownWithoutStart(t, NewFactory(), cfg)
}
