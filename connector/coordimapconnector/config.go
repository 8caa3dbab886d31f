package coordimapconnector

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
)

const (
	defaultEdgeTTL       = time.Hour
	defaultFlushInterval = 15 * time.Second
	defaultStoreMaxItems = 100_000
	defaultStoreTTL      = 30 * time.Second
)

var (
	errEdgeTTL       = errors.New("edge_ttl: must be positive")
	errFlushInterval = errors.New("flush_interval: must be positive")
	errFlushOverTTL  = errors.New("flush_interval: must not exceed edge_ttl")
	errStoreMaxItems = errors.New("store.max_items: must be positive")
	errStoreTTL      = errors.New("store.ttl: must be positive")
)

// Config is what users set for the coordimap connector.
type Config struct {
	// ScopeID is the scope of services whose resource names none
	// (coordimap.scope_id, k8s.cluster.uid, cloud.account.id,
	// cloud.project.number, db.postgresql.system_identifier). Empty: the
	// data source ID.
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
	// EdgeTTL is how long a service, a link or an edge lives after it was
	// last seen.
	EdgeTTL time.Duration `mapstructure:"edge_ttl"`
	// FlushInterval is the time between two emissions of the live
	// services and edges (and saves to storage).
	FlushInterval time.Duration `mapstructure:"flush_interval"`
	// Store bounds the spans waiting for their other end.
	Store StoreConfig `mapstructure:"store"`
	// Storage is the ID of a storage extension (file_storage) that keeps
	// services and edges across restarts. Without it they live in memory.
	Storage *component.ID `mapstructure:"storage"`
}

// StoreConfig bounds the store of unpaired spans.
type StoreConfig struct {
	// MaxItems is the most spans held; a span that finds the store full is
	// counted as dropped and becomes a one-sided edge at once.
	MaxItems int `mapstructure:"max_items"`
	// TTL is how long a span waits for its other end before it becomes a
	// one-sided edge (counted as expired).
	TTL time.Duration `mapstructure:"ttl"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		EdgeTTL:       defaultEdgeTTL,
		FlushInterval: defaultFlushInterval,
		Store:         StoreConfig{MaxItems: defaultStoreMaxItems, TTL: defaultStoreTTL},
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.EdgeTTL <= 0 {
		errs = append(errs, errEdgeTTL)
	}
	switch {
	case cfg.FlushInterval <= 0:
		errs = append(errs, errFlushInterval)
	case cfg.EdgeTTL > 0 && cfg.FlushInterval > cfg.EdgeTTL:
		errs = append(errs, errFlushOverTTL)
	}
	if cfg.Store.MaxItems <= 0 {
		errs = append(errs, errStoreMaxItems)
	}
	if cfg.Store.TTL <= 0 {
		errs = append(errs, errStoreTTL)
	}
	return errors.Join(errs...)
}
