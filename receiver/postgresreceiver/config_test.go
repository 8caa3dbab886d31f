package postgresreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)

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
		{name: "no port", modify: func(c *Config) { c.Endpoint = "db.internal" }, wantErr: "endpoint: must be host:port"},
		{name: "no host", modify: func(c *Config) { c.Endpoint = ":5432" }, wantErr: "endpoint: must be host:port"},
		{name: "port zero", modify: func(c *Config) { c.Endpoint = "db:0" }, wantErr: "endpoint: port must be a number between 1 and 65535"},
		{name: "port too big", modify: func(c *Config) { c.Endpoint = "db:70000" }, wantErr: "endpoint: port must be a number between 1 and 65535"},
		{name: "port not a number", modify: func(c *Config) { c.Endpoint = "db:pg" }, wantErr: "endpoint: port must be a number between 1 and 65535"},
		{name: "ipv6", modify: func(c *Config) { c.Endpoint = "[::1]:5432" }},
		{name: "no user", modify: func(c *Config) { c.Username = "" }, wantErr: "username: must not be empty"},
		{name: "zero interval", modify: func(c *Config) { c.CollectionInterval = 0 }, wantErr: "collection_interval: must be positive"},
		{name: "negative interval", modify: func(c *Config) { c.CollectionInterval = -time.Second }, wantErr: "collection_interval: must be positive"},
		{name: "empty database", modify: func(c *Config) { c.Databases = []string{"app", ""} }, wantErr: "databases: names must not be empty"},
		{name: "database twice", modify: func(c *Config) { c.Databases = []string{"app", "app"} }, wantErr: `databases: "app" is listed twice`},
		{
			name:    "bad mapping",
			modify:  func(c *Config) { c.MappingInternalID = "gcp:zone-only" },
			wantErr: `mapping_internal_id: "gcp:zone-only": want gcp:<zone>:<instance>:<project number>`,
		},
		{name: "mapping as an internal ID", modify: func(c *Config) { c.MappingInternalID = "123456-europe-west1-b-gcp.cloud_sql-db" }},
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.Endpoint = "nope"
				c.Username = ""
				c.CollectionInterval = 0
				c.MappingInternalID = "kube:ns"
			},
			wantErr: "endpoint: must be host:port\n" +
				"username: must not be empty\n" +
				"collection_interval: must be positive\n" +
				`mapping_internal_id: "kube:ns": want kube:<namespace>:[<type>:]<name>:<cluster uid>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.modify(cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
		})
	}
}
