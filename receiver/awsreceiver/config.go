package awsreceiver

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
)

const (
	defaultCollectionInterval = 5 * time.Minute
	defaultRegion             = "us-east-1"
	defaultMaxConcurrency     = 4
	defaultRequestsPerSecond  = 20
)

var (
	errCollectionInterval = errors.New("collection_interval: must be positive")
	errEmptyRegion        = errors.New("regions: names must not be empty")
	errHomeRegion         = errors.New("region: must not be empty")
	errMaxConcurrency     = errors.New("max_concurrency: must be at least 1")
	errRequestsPerSecond  = errors.New("requests_per_second: must not be negative")
)

// Endpoints override the service endpoints; the flow-log receiver takes
// the same map.
type Endpoints = awssdk.Endpoints

// Config is what users set for a coordimap_aws receiver.
type Config struct {
	// Regions to crawl; empty means every region enabled for the account
	// (EC2 DescribeRegions).
	Regions []string `mapstructure:"regions"`
	// Region is where STS and the region discovery are called.
	Region string `mapstructure:"region"`
	// Credentials: the default chain, or a key pair; a role assumed on
	// top.
	awssdk.Credentials `mapstructure:",squash"`
	// Endpoints override service endpoints.
	Endpoints Endpoints `mapstructure:"endpoints"`
	// PolicyConfig adds IAM (global): roles, the managed policies and the
	// instance profiles, and the links to them (the coordimap-agent's
	// setting, which the agent never read).
	PolicyConfig bool `mapstructure:"policy_config"`
	// CollectionInterval is the time between two crawls; the first runs at
	// start.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// MaxConcurrency bounds the regions crawled at the same time.
	MaxConcurrency int `mapstructure:"max_concurrency"`
	// RequestsPerSecond bounds the API requests of the receiver (all
	// regions and services together, retries included); 0 means no bound.
	RequestsPerSecond float64 `mapstructure:"requests_per_second"`
	// ScopeID overrides the account ID discovered with STS.
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{Region: defaultRegion, CollectionInterval: defaultCollectionInterval, MaxConcurrency: defaultMaxConcurrency, RequestsPerSecond: defaultRequestsPerSecond}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	// An AWS-compatible cloud (endpoints.ec2) may name its regions
	// otherwise; AWS's are checked, so a typo fails at start rather than
	// as a DNS error every crawl.
	awsRegions := cfg.Endpoints.EC2 == ""
	switch {
	case cfg.Region == "":
		errs = append(errs, errHomeRegion)
	case awsRegions && !awssdk.IsRegion(cfg.Region):
		errs = append(errs, fmt.Errorf("region: %q is not an AWS region name (e.g. us-east-1)", cfg.Region))
	}
	seen := map[string]bool{}
	for _, r := range cfg.Regions {
		switch {
		case r == "":
			errs = append(errs, errEmptyRegion)
		case seen[r]:
			errs = append(errs, fmt.Errorf("regions: %q is listed twice", r))
		case awsRegions && !awssdk.IsRegion(r):
			errs = append(errs, fmt.Errorf("regions: %q is not an AWS region name (e.g. eu-west-1)", r))
		}
		seen[r] = true
	}
	errs = append(errs, cfg.Credentials.Validate()...)
	errs = append(errs, cfg.Endpoints.Validate()...)

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
