package postgresreceiver

import (
	"errors"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

const defaultEndpoint = "127.0.0.1:5432"

// Config is what users set for a coordimap_postgres receiver.
type Config struct {
	// EndpointConfig holds endpoint (host:port), username, password,
	// collection_interval, scope_id (overrides the discovered
	// system_identifier), data_source_id and mapping_internal_id.
	dbsource.EndpointConfig `mapstructure:",squash"`
	// Databases to crawl; empty means every database the user may connect
	// to, templates excluded.
	Databases []string `mapstructure:"databases"`
	// TLS of the connection; insecure: true disables TLS (sslmode=disable).
	TLS configtls.ClientConfig `mapstructure:"tls"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		EndpointConfig: dbsource.NewDefaultEndpointConfig(defaultEndpoint),
		TLS:            configtls.NewDefaultClientConfig(),
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	errs := cfg.EndpointConfig.Validate()
	errs = append(errs, dbsource.CheckDatabases(cfg.Databases, nil)...)
	return errors.Join(errs...)
}
