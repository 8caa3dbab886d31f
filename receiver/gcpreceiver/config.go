package gcpreceiver

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const (
	defaultCollectionInterval = 5 * time.Minute
	defaultMaxConcurrency     = 4
	defaultRequestsPerSecond  = 20
)

var (
	errCollectionInterval = errors.New("collection_interval: must be positive")
	errEmptyRegion        = errors.New("regions: names must not be empty")
	errMaxConcurrency     = errors.New("max_concurrency: must be at least 1")
	errRequestsPerSecond  = errors.New("requests_per_second: must not be negative")
)

// Endpoints override the APIs' base paths (tests, emulators, Private
// Service Connect). Each is the whole base path, version included, as the
// client library expects it (https://host/compute/v1/).
type Endpoints struct {
	Compute string `mapstructure:"compute"`
	// Container is GKE (container/v1).
	Container string `mapstructure:"container"`
	// SQLAdmin is Cloud SQL (sqladmin/v1beta4).
	SQLAdmin string `mapstructure:"sqladmin"`
	// Storage is Cloud Storage's JSON API (storage/v1).
	Storage string `mapstructure:"storage"`
	// Run is Cloud Run Admin (run/v2).
	Run string `mapstructure:"run"`
	IAM string `mapstructure:"iam"`
	// ResourceManager is Cloud Resource Manager (v1).
	ResourceManager string `mapstructure:"cloudresourcemanager"`
	PubSub          string `mapstructure:"pubsub"`
	// Redis is Memorystore for Redis (redis/v1).
	Redis string `mapstructure:"redis"`
}

func (e Endpoints) list() []struct{ name, url string } {
	return []struct{ name, url string }{
		{"compute", e.Compute}, {"container", e.Container}, {"sqladmin", e.SQLAdmin}, {"storage", e.Storage},
		{"run", e.Run}, {"iam", e.IAM}, {"cloudresourcemanager", e.ResourceManager}, {"pubsub", e.PubSub}, {"redis", e.Redis},
	}
}

// Config is what users set for a coordimap_gcp receiver.
type Config struct {
	// ProjectID is the project crawled (its ID, not its number).
	ProjectID string `mapstructure:"project_id"`
	// ScopeID overrides the project number discovered with Resource
	// Manager; a value that differs from it is warned about once.
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
	// Auth: a credentials file, else Application Default Credentials
	// (which covers GKE workload identity and the GCE metadata server).
	gcpapi.Auth `mapstructure:",squash"`
	// Regions restricts the regional and zonal resources to these regions;
	// empty means every region of the project.
	Regions []string `mapstructure:"regions"`
	// CollectionInterval is the time between two crawls; the first runs at
	// start.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// RequestsPerSecond bounds the receiver's API requests (retries
	// included); 0 means no bound.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// MaxConcurrency bounds the reads in flight at the same time.
	MaxConcurrency int `mapstructure:"max_concurrency"`
	// ExternalMappings are "<key>@<value>" entries: the key
	// <cluster location>-<cluster name> of a GKE cluster maps to the UID of
	// the Kubernetes cluster (the coordimap_kubernetes receiver's scope).
	ExternalMappings mapping.Entries `mapstructure:"external_mappings"`
	// Endpoints override the APIs' endpoints.
	Endpoints Endpoints `mapstructure:"endpoints"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		CollectionInterval: defaultCollectionInterval,
		MaxConcurrency:     defaultMaxConcurrency,
		RequestsPerSecond:  defaultRequestsPerSecond,
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if err := gcpapi.ValidateProjectID(cfg.ProjectID); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Auth.Validate()...)
	seen := map[string]bool{}
	for _, r := range cfg.Regions {
		switch {
		case r == "":
			errs = append(errs, errEmptyRegion)
		case seen[r]:
			errs = append(errs, fmt.Errorf("regions: %q is listed twice", r))
		case !gcpapi.IsRegion(r):
			errs = append(errs, fmt.Errorf("regions: %q is not a GCP region name (e.g. europe-west3)", r))
		}
		seen[r] = true
	}
	if _, err := mapping.Parse(cfg.ExternalMappings); err != nil {
		errs = append(errs, err)
	}
	for _, ep := range cfg.Endpoints.list() {
		if err := gcpapi.ValidateEndpoint("endpoints: "+ep.name, ep.url); err != nil {
			errs = append(errs, err)
		}
	}
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, errCollectionInterval)
	}
	if cfg.MaxConcurrency < 1 {
		errs = append(errs, errMaxConcurrency)
	}
	if cfg.RequestsPerSecond < 0 {
		errs = append(errs, errRequestsPerSecond)
	}
	return errors.Join(errs...)
}
