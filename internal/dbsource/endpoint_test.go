package dbsource

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configtls"
)

func TestEndpointConfigValidate(t *testing.T) {
	valid := func() *EndpointConfig {
		cfg := NewDefaultEndpointConfig("127.0.0.1:5432")
		cfg.Username = "coordimap"
		return &cfg
	}
	tests := []struct {
		name    string
		modify  func(*EndpointConfig)
		wantErr string
	}{
		{name: "default with a user", modify: func(*EndpointConfig) {}},
		{name: "any port", modify: func(c *EndpointConfig) { c.Endpoint = "db.internal:33060" }},
		{name: "no port", modify: func(c *EndpointConfig) { c.Endpoint = "db.internal" }, wantErr: "endpoint: must be host:port"},
		{name: "no host", modify: func(c *EndpointConfig) { c.Endpoint = ":5432" }, wantErr: "endpoint: must be host:port"},
		{name: "port zero", modify: func(c *EndpointConfig) { c.Endpoint = "db:0" }, wantErr: "endpoint: port must be a number between 1 and 65535"},
		{name: "port too big", modify: func(c *EndpointConfig) { c.Endpoint = "db:70000" }, wantErr: "endpoint: port must be a number between 1 and 65535"},
		{name: "port not a number", modify: func(c *EndpointConfig) { c.Endpoint = "db:pg" }, wantErr: "endpoint: port must be a number between 1 and 65535"},
		{name: "ipv6", modify: func(c *EndpointConfig) { c.Endpoint = "[::1]:5432" }},
		{name: "no user", modify: func(c *EndpointConfig) { c.Username = "" }, wantErr: "username: must not be empty"},
		{name: "zero interval", modify: func(c *EndpointConfig) { c.CollectionInterval = 0 }, wantErr: "collection_interval: must be positive"},
		{name: "negative interval", modify: func(c *EndpointConfig) { c.CollectionInterval = -time.Second }, wantErr: "collection_interval: must be positive"},
		{
			name:    "bad mapping",
			modify:  func(c *EndpointConfig) { c.MappingInternalID = "gcp:zone-only" },
			wantErr: `mapping_internal_id: "gcp:zone-only": want gcp:<zone>:<instance>:<project number>`,
		},
		{name: "mapping as an internal ID", modify: func(c *EndpointConfig) { c.MappingInternalID = "123456-europe-west1-b-gcp.cloud_sql-db" }},
		{
			name: "every problem at once",
			modify: func(c *EndpointConfig) {
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
			err := errors.Join(cfg.Validate()...)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestSSLMode(t *testing.T) {
	tls := configtls.NewDefaultClientConfig()
	assert.Equal(t, "verify-full", SSLMode(tls))
	tls.InsecureSkipVerify = true
	assert.Equal(t, "require", SSLMode(tls))
	tls.Insecure = true
	assert.Equal(t, "disable", SSLMode(tls))
}
