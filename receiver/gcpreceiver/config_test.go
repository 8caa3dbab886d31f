package gcpreceiver

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

func TestConfig(t *testing.T) {
	f := NewFactory()
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
			c.ProjectID, c.ScopeID, c.DataSourceID = "shop-prod-1", "123456789012", "gcp-prod"
			c.Auth = gcpapi.Auth{CredentialsFile: "/etc/gcp/key.json"}
			c.Regions = []string{"europe-west3", "us-central1"}
			c.CollectionInterval, c.RequestsPerSecond, c.MaxConcurrency = 10*time.Minute, 5, 2
			c.ExternalMappings = mapping.Entries{"europe-west3-shop-gke@9d2f0c4e-1111-2222-3333-444455556666"}
			c.Endpoints = Endpoints{Compute: "https://compute.p.googleapis.com/compute/v1/", Storage: "https://storage.p.googleapis.com/storage/v1/"}
		}), ""},
		{"legacy_mappings", def(func(c *Config) {
			c.ProjectID = "shop-prod-1"
			c.ExternalMappings = mapping.Entries{"europe-west3-a-shop-gke@uid-1", "europe-west3-shop-gke2@uid-2"}
		}), ""},
		{"no_project", nil, "project_id: must not be empty"},
		{"invalid", nil, `project_id: "123456789012" is not a project ID (6 to 30 lowercase letters, digits and hyphens; the number goes in scope_id)` + "\n" +
			"credentials_file: cannot be set with without_authentication\n" +
			"regions: names must not be empty\n" +
			`regions: "europe-west3" is listed twice` + "\n" +
			`regions: "eu-west-1a" is not a GCP region name (e.g. europe-west3)` + "\n" +
			`external_mappings[0] "nokey": missing '@'` + "\n" +
			"endpoints: compute: must be an http or https URL\n" +
			"endpoints: redis: must be an http or https URL\n" +
			"collection_interval: must be positive\n" +
			"max_concurrency: must be at least 1\n" +
			"requests_per_second: must not be negative"},
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

func TestProjectIDs(t *testing.T) {
	for id, ok := range map[string]bool{"shop-prod-1": true, "example.com:shop-1": true, "abcde": false, "Shop-prod": false, "123456789012": false, "shop-": false} {
		if gcpapi.IsProjectID(id) != ok {
			t.Errorf("IsProjectID(%q) = %v", id, !ok)
		}
	}
}
