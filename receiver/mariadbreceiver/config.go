package mariadbreceiver

import (
	"errors"
	"fmt"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

const (
	defaultEndpoint = "127.0.0.1:3306"
	// maxSchemaName is the longest database name MariaDB and MySQL accept.
	maxSchemaName = 64
)

// Config is what users set for a coordimap_mariadb receiver.
type Config struct {
	// EndpointConfig holds endpoint (host:port), username, password,
	// collection_interval, scope_id (overrides the discovered @@server_uid
	// of MariaDB or @@server_uuid of MySQL), data_source_id and
	// mapping_internal_id.
	dbsource.EndpointConfig `mapstructure:",squash"`
	// Databases (schemas) to crawl; empty means every schema the user can
	// see but mysql, information_schema, performance_schema and sys.
	Databases []string `mapstructure:"databases"`
	// TLS of the connection; insecure: true disables TLS.
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
	errs = append(errs, dbsource.CheckDatabases(cfg.Databases, checkSchemaName)...)
	return errors.Join(errs...)
}

func checkSchemaName(name string) error {
	if len(name) > maxSchemaName {
		return fmt.Errorf("databases: %q is longer than %d characters", name, maxSchemaName)
	}
	return nil
}
