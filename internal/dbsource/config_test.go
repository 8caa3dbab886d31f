package dbsource

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"
)

// receiverConfig is shaped like a database receiver's Config.
type receiverConfig struct {
	EndpointConfig `mapstructure:",squash"`
	Databases      []string               `mapstructure:"databases"`
	TLS            configtls.ClientConfig `mapstructure:"tls"`
}

func (c *receiverConfig) Validate() error {
	errs := c.EndpointConfig.Validate()
	errs = append(errs, CheckDatabases(c.Databases, nil)...)
	return errors.Join(errs...)
}

// The keys stay flat, unknown keys (the agent's db_pass, a typo) are still
// refused through two levels of squash, and each problem is reported once,
// without a path.
func TestUnmarshalFlat(t *testing.T) {
	cfg := &receiverConfig{EndpointConfig: NewDefaultEndpointConfig("127.0.0.1:5432")}
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":            "db:6432",
		"username":            "u",
		"password":            "p",
		"collection_interval": "5m",
		"scope_id":            "s",
		"data_source_id":      "d",
		"mapping_internal_id": "aws:123456789012:db-1",
		"databases":           []any{"app"},
	}).Unmarshal(cfg))
	assert.Equal(t, EndpointConfig{
		Endpoint: "db:6432",
		Config: Config{
			Username: "u", Password: "p", CollectionInterval: 5 * time.Minute, ScopeID: "s", DataSourceID: "d",
		},
		MappingInternalID: "aws:123456789012:db-1",
	}, cfg.EndpointConfig)
	require.NoError(t, confmap.Validate(cfg))

	for _, key := range []string{"db_pass", "usernme", "collection-interval"} {
		cfg := &receiverConfig{}
		err := confmap.NewFromStringMap(map[string]any{"username": "u", key: "x"}).Unmarshal(cfg)
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), key)
	}

	cfg = &receiverConfig{EndpointConfig: NewDefaultEndpointConfig("nope")}
	cfg.CollectionInterval = 0
	assert.EqualError(t, confmap.Validate(cfg),
		"endpoint: must be host:port\nusername: must not be empty\ncollection_interval: must be positive")
}

func TestConfigValidate(t *testing.T) {
	cfg := NewDefaultConfig()
	assert.Empty(t, cfg.Validate(), "no user is fine where the user is optional")
	cfg.CollectionInterval = 0
	assert.EqualError(t, errors.Join(cfg.Validate()...), "collection_interval: must be positive")
}

func TestDerived(t *testing.T) {
	cfg := NewDefaultEndpointConfig("db.internal:6432")
	cfg.Username = "coordimap"
	cfg.Password = "Never-Shown"
	id := component.MustNewIDWithName("coordimap_postgres", "main")

	assert.Equal(t, "coordimap_postgres/main", cfg.DataSource(id))
	cfg.DataSourceID = "pg-main"
	assert.Equal(t, "pg-main", cfg.DataSource(id))

	assert.Equal(t, "60s", cfg.CrawlInterval())
	cfg.CollectionInterval = 90 * time.Minute
	assert.Equal(t, "5400s", cfg.CrawlInterval())

	host, port, err := cfg.HostPort()
	require.NoError(t, err)
	assert.Equal(t, "db.internal", host)
	assert.Equal(t, uint16(6432), port)

	assert.Zero(t, cfg.Mapping())
	cfg.MappingInternalID = "aws:123456789012:db-1"
	assert.NotZero(t, cfg.Mapping().ID)

	tls := configtls.NewDefaultClientConfig()
	assert.Equal(t, map[string]string{
		"db_host":             "db.internal",
		"db_port":             "6432",
		"db_user":             "coordimap",
		"ssl_mode":            "verify-full",
		"crawl_interval":      "5400s",
		"scope_id":            "s1",
		"db_name":             "app,crm",
		"mapping_internal_id": "aws:123456789012:db-1",
	}, cfg.ValuePairs("s1", tls, []string{"app", "crm"}))
	cfg.MappingInternalID = ""
	pairs := cfg.ValuePairs("s1", tls, nil)
	assert.NotContains(t, pairs, "db_name", "no databases: every one")
	assert.NotContains(t, pairs, "mapping_internal_id")
}
