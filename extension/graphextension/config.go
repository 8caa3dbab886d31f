package graphextension

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/configstrict"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// Store backends.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgresql"
)

const (
	defaultEndpoint            = "127.0.0.1:8890"
	defaultSQLitePath          = "./coordimap-graph.db"
	defaultMaintenanceInterval = time.Minute
)

// Config is the coordimap_graph extension's configuration.
type Config struct {
	// ServerConfig is the HTTP endpoint of the map, the query API, the
	// ingest endpoint and MCP (endpoint, tls, auth, cors …).
	ServerConfig confighttp.ServerConfig `mapstructure:",squash"`
	// AllowUnauthenticated lets a non-loopback endpoint run without an
	// auth extension.
	AllowUnauthenticated bool `mapstructure:"allow_unauthenticated"`

	// Backend is sqlite (default) or postgresql.
	Backend    string         `mapstructure:"backend"`
	SQLite     SQLiteConfig   `mapstructure:"sqlite"`
	PostgreSQL PostgresConfig `mapstructure:"postgresql"`

	// FlowTTL is how long an observed relationship stays after it was
	// last seen.
	FlowTTL time.Duration `mapstructure:"flow_ttl"`
	// HistoryRetention is how long changes and deleted elements are kept.
	HistoryRetention time.Duration `mapstructure:"history_retention"`
	// MaxChanges bounds the change feed's rows.
	MaxChanges int64 `mapstructure:"max_changes"`
	// MaintenanceInterval is how often expiry and retention run.
	MaintenanceInterval time.Duration `mapstructure:"maintenance_interval"`

	Ingest IngestConfig `mapstructure:"ingest"`
	MCP    MCPConfig    `mapstructure:"mcp"`

	_ struct{}
}

// SQLiteConfig is the embedded store.
type SQLiteConfig struct {
	Path string `mapstructure:"path"`
}

// PostgresConfig is the shared store.
type PostgresConfig struct {
	// DSN is a libpq URL or key=value string; it may hold the password.
	DSN            configopaque.String `mapstructure:"dsn"`
	MaxConnections int                 `mapstructure:"max_connections"`
}

// IngestConfig is the Coordimap-API-compatible ingest endpoint
// (POST /collector/crawlers/infra).
type IngestConfig struct {
	Enabled bool `mapstructure:"enabled"`
	// APIKeys, when set, are the Api-Key values accepted; empty accepts
	// any key (fine on loopback; set keys on any other endpoint).
	APIKeys []configopaque.String `mapstructure:"api_keys"`
}

// MCPConfig is the MCP server at /mcp (streamable HTTP).
type MCPConfig struct {
	Enabled bool `mapstructure:"enabled"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	srv := confighttp.NewDefaultServerConfig()
	srv.NetAddr.Endpoint = defaultEndpoint
	return &Config{
		ServerConfig:        srv,
		Backend:             BackendSQLite,
		SQLite:              SQLiteConfig{Path: defaultSQLitePath},
		PostgreSQL:          PostgresConfig{MaxConnections: 8},
		FlowTTL:             graphstore.DefaultFlowTTL,
		HistoryRetention:    graphstore.DefaultHistoryRetention,
		MaxChanges:          graphstore.DefaultMaxChanges,
		MaintenanceInterval: defaultMaintenanceInterval,
		Ingest:              IngestConfig{Enabled: true},
		MCP:                 MCPConfig{Enabled: true},
	}
}

// Unmarshal rejects unknown keys, then decodes.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if err := configstrict.Check(conf, c); err != nil {
		return err
	}
	return conf.Unmarshal(c)
}

// Validate reports every problem, each with its field's name.
func (c *Config) Validate() error {
	var errs []error
	switch c.Backend {
	case BackendSQLite:
		if strings.TrimSpace(c.SQLite.Path) == "" {
			errs = append(errs, errors.New("sqlite.path: required with backend sqlite"))
		}
	case BackendPostgres:
		if c.PostgreSQL.DSN == "" {
			errs = append(errs, errors.New("postgresql.dsn: required with backend postgresql"))
		}
		if c.PostgreSQL.MaxConnections < 1 {
			errs = append(errs, fmt.Errorf("postgresql.max_connections: must be at least 1, got %d", c.PostgreSQL.MaxConnections))
		}
	default:
		errs = append(errs, fmt.Errorf("backend: %q is not one of %s, %s", c.Backend, BackendSQLite, BackendPostgres))
	}
	ep := c.ServerConfig.NetAddr.Endpoint
	if ep != "" {
		host, _, err := net.SplitHostPort(ep)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("endpoint: %q: %w", ep, err))
		case !isLoopback(host) && !c.ServerConfig.Auth.HasValue() && !c.AllowUnauthenticated:
			errs = append(errs, fmt.Errorf("endpoint: %q is not a loopback address: the map and the query API show the whole "+
				"topology; configure auth (an authenticator extension) or set allow_unauthenticated: true", ep))
		}
	}
	for name, d := range map[string]time.Duration{"flow_ttl": c.FlowTTL, "history_retention": c.HistoryRetention,
		"maintenance_interval": c.MaintenanceInterval} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %s", name, d))
		}
	}
	if c.MaxChanges < 0 {
		errs = append(errs, fmt.Errorf("max_changes: must not be negative, got %d", c.MaxChanges))
	}
	for i, k := range c.Ingest.APIKeys {
		if k == "" {
			errs = append(errs, fmt.Errorf("ingest.api_keys[%d]: empty", i))
		}
	}
	return errors.Join(errs...)
}

// isLoopback reports whether a listen host is a loopback address (or
// localhost). An empty host listens on every interface.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
