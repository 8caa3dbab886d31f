package postgresreceiver

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

func TestLoadConfig(t *testing.T) {
	allTLS := configtls.NewDefaultClientConfig()
	allTLS.InsecureSkipVerify = true
	allTLS.CAFile = "/etc/ssl/pg-ca.pem"
	insecureTLS := configtls.NewDefaultClientConfig()
	insecureTLS.Insecure = true

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{
			id:      component.NewID(typeStr),
			wantErr: "username: must not be empty",
		},
		{
			id: component.NewIDWithName(typeStr, "all"),
			want: &Config{
				EndpointConfig: dbsource.EndpointConfig{
					Endpoint: "db.internal:6432",
					Config: dbsource.Config{
						Username:           "coordimap",
						Password:           configopaque.String("${env:PG_PASSWORD}"),
						CollectionInterval: 5 * time.Minute,
						ScopeID:            "7710000000000000001",
						DataSourceID:       "pg-main",
					},
					MappingInternalID: "gcp:europe-west1-b:pg-main:123456",
				},
				Databases: []string{"app", "crm"},
				TLS:       allTLS,
			},
		},
		{
			id: component.NewIDWithName(typeStr, "insecure"),
			want: &Config{
				EndpointConfig: dbsource.EndpointConfig{
					Endpoint: defaultEndpoint,
					Config:   dbsource.Config{Username: "coordimap", CollectionInterval: dbsource.DefaultCollectionInterval},
				},
				TLS: insecureTLS,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			crawltest.CheckConfig(t, NewFactory(), tt.id, tt.want, tt.wantErr)
		})
	}
}

func TestValidate(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.Username = "coordimap"
		return cfg
	}
	tests := []struct {
		name    string
		modify  func(*Config)
		wantErr string
	}{
		{name: "default with a user", modify: func(*Config) {}},
		{name: "empty database", modify: func(c *Config) { c.Databases = []string{"app", ""} }, wantErr: "databases: names must not be empty"},
		{name: "database twice", modify: func(c *Config) { c.Databases = []string{"app", "app"} }, wantErr: `databases: "app" is listed twice`},
		// The shared keys are checked by dbsource.EndpointConfig (see its
		// tests); their problems come first.
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.Endpoint = "nope"
				c.Username = ""
				c.CollectionInterval = 0
				c.MappingInternalID = "kube:ns"
				c.Databases = []string{""}
			},
			wantErr: "endpoint: must be host:port\n" +
				"username: must not be empty\n" +
				"collection_interval: must be positive\n" +
				`mapping_internal_id: "kube:ns": want kube:<namespace>:[<type>:]<name>:<cluster uid>` + "\n" +
				"databases: names must not be empty",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.modify(cfg)
			crawltest.CheckError(t, cfg.Validate(), tt.wantErr)
		})
	}
}
