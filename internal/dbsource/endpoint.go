package dbsource

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/config/configtls"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

var (
	errEndpoint        = errors.New("endpoint: must be host:port")
	errPort            = errors.New("endpoint: port must be a number between 1 and 65535")
	errMissingUsername = errors.New("username: must not be empty")
)

// EndpointConfig is Config for a server reached at one host:port, with a
// user that must be named, whose databases may be linked to the element
// that hosts the server.
type EndpointConfig struct {
	// Endpoint is host:port of the server.
	Endpoint string `mapstructure:"endpoint"`
	Config   `mapstructure:",squash"`
	// MappingInternalID links every database to the element that hosts the
	// server (a Cloud SQL instance, a Kubernetes workload, an AWS RDS …),
	// in the original agent's format (see internalid.FromMappingConfig).
	MappingInternalID string `mapstructure:"mapping_internal_id"`
}

// NewDefaultEndpointConfig is EndpointConfig with its defaults.
func NewDefaultEndpointConfig(endpoint string) EndpointConfig {
	return EndpointConfig{Endpoint: endpoint, Config: NewDefaultConfig()}
}

// Validate lists the problems of the shared fields, in the order of the
// keys: endpoint, username, Config's, mapping_internal_id.
func (c *EndpointConfig) Validate() []error {
	var errs []error
	if _, _, err := c.HostPort(); err != nil {
		errs = append(errs, err)
	}
	if c.Username == "" {
		errs = append(errs, errMissingUsername)
	}
	errs = append(errs, c.Config.Validate()...)
	if c.MappingInternalID != "" {
		if _, err := internalid.FromMappingConfig(c.MappingInternalID); err != nil {
			errs = append(errs, fmt.Errorf("mapping_internal_id: %w", err))
		}
	}
	return errs
}

// HostPort is the host and the port of the endpoint; it fails only for a
// configuration that does not validate.
func (c *EndpointConfig) HostPort() (string, uint16, error) {
	host, portStr, err := net.SplitHostPort(c.Endpoint)
	if err != nil || host == "" {
		return "", 0, errEndpoint
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return "", 0, errPort
	}
	return host, uint16(port), nil
}

// Mapping is the element mapping_internal_id names; zero when it is not
// set (or does not validate).
func (c *EndpointConfig) Mapping() internalid.Mapped {
	if c.MappingInternalID == "" {
		return internalid.Mapped{}
	}
	m, _ := internalid.FromMappingConfig(c.MappingInternalID)
	return m
}

// ValuePairs are the original agent's value_pairs of a crawl of the server
// (entity.Source.Config): where the server is, who crawls it over which
// TLS, how often, under which scope, which databases (none: every one) and
// the mapping. Never the password.
func (c *EndpointConfig) ValuePairs(scopeID string, tls configtls.ClientConfig, databases []string) map[string]string {
	host, port, _ := c.HostPort()
	pairs := map[string]string{
		"db_host":        host,
		"db_port":        strconv.Itoa(int(port)),
		"db_user":        c.Username,
		"ssl_mode":       SSLMode(tls),
		"crawl_interval": c.CrawlInterval(),
		"scope_id":       scopeID,
	}
	if len(databases) > 0 {
		pairs["db_name"] = strings.Join(databases, ",")
	}
	if c.MappingInternalID != "" {
		pairs["mapping_internal_id"] = c.MappingInternalID
	}
	return pairs
}

// SSLMode names what a tls section does in libpq's sslmode terms, the
// original agent's ssl_mode value pair: disable (no TLS), require
// (encrypted, not verified) or verify-full.
func SSLMode(tls configtls.ClientConfig) string {
	switch {
	case tls.Insecure:
		return "disable"
	case tls.InsecureSkipVerify:
		return "require"
	}
	return "verify-full"
}
