package mariadbreceiver

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

func TestLoadConfig(t *testing.T) {
	allTLS := configtls.NewDefaultClientConfig()
	allTLS.InsecureSkipVerify = true
	allTLS.CAFile = "/etc/ssl/mariadb-ca.pem"
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
					Endpoint: "db.internal:3307",
					Config: dbsource.Config{
						Username:           "coordimap",
						Password:           configopaque.String("${env:MARIADB_PASSWORD}"),
						CollectionInterval: 5 * time.Minute,
						ScopeID:            "xW+kvjUQoPQbdYPS9TeItv+FuDI=",
						DataSourceID:       "maria-main",
					},
					MappingInternalID: "gcp:europe-west1-b:maria-main:123456",
				},
				Databases: []string{"shop", "catalog"},
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

// Unknown keys, such as the agent's db_pass, are rejected.
func TestLoadConfigUnknownKey(t *testing.T) {
	cm := confmap.NewFromStringMap(map[string]any{"username": "u", "db_pass": "x"})
	cfg := NewFactory().CreateDefaultConfig()
	err := cm.Unmarshal(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "db_pass")
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
		{name: "system schema by name", modify: func(c *Config) { c.Databases = []string{"mysql"} }},
		{name: "empty database", modify: func(c *Config) { c.Databases = []string{"shop", ""} }, wantErr: "databases: names must not be empty"},
		{name: "database twice", modify: func(c *Config) { c.Databases = []string{"shop", "shop"} }, wantErr: `databases: "shop" is listed twice`},
		{
			name:    "database name too long",
			modify:  func(c *Config) { c.Databases = []string{strings.Repeat("x", 65)} },
			wantErr: `databases: "` + strings.Repeat("x", 65) + `" is longer than 64 characters`,
		},
		// The shared keys are checked by dbsource.EndpointConfig (see its
		// tests); their problems come first.
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.Endpoint = "nope"
				c.Username = ""
				c.CollectionInterval = 0
				c.MappingInternalID = "kube:ns"
				c.Databases = []string{"shop", "shop"}
			},
			wantErr: "endpoint: must be host:port\n" +
				"username: must not be empty\n" +
				"collection_interval: must be positive\n" +
				`mapping_internal_id: "kube:ns": want kube:<namespace>:[<type>:]<name>:<cluster uid>` + "\n" +
				`databases: "shop" is listed twice`,
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
