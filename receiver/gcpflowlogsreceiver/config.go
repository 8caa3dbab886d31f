package gcpflowlogsreceiver

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const (
	defaultCollectionInterval = time.Minute
	defaultDelay              = 2 * time.Minute
	defaultInitialLookback    = 10 * time.Minute
	defaultPageSize           = 1000
)

var (
	errCollectionInterval = errors.New("collection_interval: must be positive")
	errDelay              = errors.New("delay: must not be negative")
	errInitialLookback    = errors.New("initial_lookback: must be positive")
	errPageSize           = errors.New("page_size: must be between 1 and 1000")
)

// Endpoints override the APIs' base paths (tests, private endpoints).
type Endpoints struct {
	// Logging is Cloud Logging (logging/v2).
	Logging string `mapstructure:"logging"`
	// ResourceManager finds the project number when scope_id is not set.
	ResourceManager string `mapstructure:"cloudresourcemanager"`
	// SQLAdmin lists the Cloud SQL instances (resolve_cloud_sql).
	SQLAdmin string `mapstructure:"sqladmin"`
}

// Config is what users set for a coordimap_gcp_flow_logs receiver.
type Config struct {
	// ProjectID is the project whose flow logs are read (its ID).
	ProjectID string `mapstructure:"project_id"`
	// ScopeID overrides the project number (Resource Manager); it must
	// equal the coordimap_gcp receiver's for the VM IDs to match.
	ScopeID      string `mapstructure:"scope_id"`
	DataSourceID string `mapstructure:"data_source_id"`
	gcpapi.Auth  `mapstructure:",squash"`
	// CollectionInterval is the time between two reads.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// Delay is how far behind now a window ends: Cloud Logging receives
	// flow logs a few minutes late, and an entry timestamped before a
	// window's end that arrives after it was read would be missed.
	Delay time.Duration `mapstructure:"delay"`
	// InitialLookback is how far back the first window starts without a
	// stored cursor.
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	// PageSize is entries.list's pageSize (at most 1000).
	PageSize int64 `mapstructure:"page_size"`
	// RequestsPerSecond bounds the API requests; 0 means no bound.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// ExternalMappings map a GKE cluster (`<cluster_location>-<cluster_name>`)
	// to its Kubernetes cluster UID, so that pods are flow ends.
	ExternalMappings mapping.Entries `mapstructure:"external_mappings"`
	// ResolveCloudSQL lists the project's Cloud SQL instances every window
	// (sqladmin instances.list) so that their addresses are flow ends;
	// otherwise the processor resolves them once the coordimap_gcp
	// receiver announced them.
	ResolveCloudSQL bool `mapstructure:"resolve_cloud_sql"`
	// Storage is a storage extension (file_storage) that keeps the cursor
	// across restarts; without it a restart reads initial_lookback again.
	Storage   *component.ID `mapstructure:"storage"`
	Endpoints Endpoints     `mapstructure:"endpoints"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		CollectionInterval: defaultCollectionInterval,
		Delay:              defaultDelay,
		InitialLookback:    defaultInitialLookback,
		PageSize:           defaultPageSize,
		ResolveCloudSQL:    true,
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if err := gcpapi.ValidateProjectID(cfg.ProjectID); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Auth.Validate()...)
	if _, err := mapping.Parse(cfg.ExternalMappings); err != nil {
		errs = append(errs, err)
	}
	for _, ep := range []struct{ name, url string }{{"logging", cfg.Endpoints.Logging}, {"cloudresourcemanager", cfg.Endpoints.ResourceManager}, {"sqladmin", cfg.Endpoints.SQLAdmin}} {
		if err := gcpapi.ValidateEndpoint("endpoints: "+ep.name, ep.url); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, errCollectionInterval)
	}
	if cfg.Delay < 0 {
		errs = append(errs, errDelay)
	}
	if cfg.InitialLookback <= 0 {
		errs = append(errs, errInitialLookback)
	}
	if cfg.PageSize < 1 || cfg.PageSize > 1000 {
		errs = append(errs, errPageSize)
	}
	return errors.Join(errs...)
}
