package mariadbreceiver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

const (
	defaultEndpoint           = "127.0.0.1:3306"
	defaultCollectionInterval = 60 * time.Second
	// maxSchemaName is the longest database name MariaDB and MySQL accept.
	maxSchemaName = 64
)

var (
	errEndpoint           = errors.New("endpoint: must be host:port")
	errPort               = errors.New("endpoint: port must be a number between 1 and 65535")
	errMissingUsername    = errors.New("username: must not be empty")
	errCollectionInterval = errors.New("collection_interval: must be positive")
	errEmptyDatabase      = errors.New("databases: names must not be empty")
)

// Config is what users set for a coordimap_mariadb receiver.
type Config struct {
	// Endpoint is host:port of the server.
	Endpoint string `mapstructure:"endpoint"`
	// Username and Password authenticate the crawler. The password never
	// leaves the receiver: not in logs, records, errors nor value_pairs.
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// Databases (schemas) to crawl; empty means every schema the user can
	// see but mysql, information_schema, performance_schema and sys.
	Databases []string `mapstructure:"databases"`
	// TLS of the connection; insecure: true disables TLS.
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// CollectionInterval is the time between two crawls; the first crawl
	// runs at start.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// ScopeID overrides the discovered @@server_uid (MariaDB) or
	// @@server_uuid (MySQL).
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
	// MappingInternalID links every schema to the element that hosts the
	// server (a Cloud SQL instance, a Kubernetes workload, an AWS RDS …),
	// in the original agent's format (see internalid.FromMappingConfig).
	MappingInternalID string `mapstructure:"mapping_internal_id"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		Endpoint:           defaultEndpoint,
		TLS:                configtls.NewDefaultClientConfig(),
		CollectionInterval: defaultCollectionInterval,
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if _, _, err := splitEndpoint(cfg.Endpoint); err != nil {
		errs = append(errs, err)
	}
	if cfg.Username == "" {
		errs = append(errs, errMissingUsername)
	}
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, errCollectionInterval)
	}
	seen := make(map[string]bool, len(cfg.Databases))
	for _, db := range cfg.Databases {
		switch {
		case db == "":
			errs = append(errs, errEmptyDatabase)
		case len(db) > maxSchemaName:
			errs = append(errs, fmt.Errorf("databases: %q is longer than %d characters", db, maxSchemaName))
		case seen[db]:
			errs = append(errs, fmt.Errorf("databases: %q is listed twice", db))
		}
		seen[db] = true
	}
	if cfg.MappingInternalID != "" {
		if _, err := internalid.FromMappingConfig(cfg.MappingInternalID); err != nil {
			errs = append(errs, fmt.Errorf("mapping_internal_id: %w", err))
		}
	}
	return errors.Join(errs...)
}

// splitEndpoint returns the host and port of a host:port endpoint.
func splitEndpoint(endpoint string) (string, uint16, error) {
	host, portStr, err := net.SplitHostPort(endpoint)
	if err != nil || host == "" {
		return "", 0, errEndpoint
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", 0, errPort
	}
	return host, uint16(port), nil
}
