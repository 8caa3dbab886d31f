package awsflowlogsreceiver

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
	defaultResolveMaxAge      = time.Hour
	defaultMaxAge             = 24 * time.Hour
)

var (
	errMissingBucket      = errors.New("bucket: must not be empty")
	errMissingRegion      = errors.New("region: must not be empty")
	errCollectionInterval = errors.New("collection_interval: must be positive")
	errResolveMaxAge      = errors.New("resolve_max_age: must be positive")
	errMaxAge             = errors.New("max_age: must not be negative")
	errEndpoint           = errors.New("endpoint: must be an http or https URL")
	errEC2Endpoint        = errors.New("ec2_endpoint: must be an http or https URL")
	errRDSEndpoint        = errors.New("rds_endpoint: must be an http or https URL")
	errEndpointConflict   = errors.New("endpoint (deprecated) and endpoints.s3 differ: keep endpoints.s3 only")
	errEC2Conflict        = errors.New("ec2_endpoint (deprecated) and endpoints.ec2 differ: keep endpoints.ec2 only")
	errRDSConflict        = errors.New("rds_endpoint (deprecated) and endpoints.rds differ: keep endpoints.rds only")
)

// Config is what users set for a coordimap_aws_flow_logs receiver.
type Config struct {
	// Bucket the VPC flow logs are delivered to.
	Bucket string `mapstructure:"bucket"`
	// Prefix of the objects to read (e.g. "AWSLogs/123456789012/vpcflowlogs/");
	// empty reads the whole bucket.
	Prefix string `mapstructure:"prefix"`
	// Region of the bucket.
	Region string `mapstructure:"region"`
	// LogFormat is the flow log's format: "default" (AWS's version 2
	// format), "all" (every v2–v5 field, as the original agent defined it)
	// or the ${field} list the flow log was created with. The header line
	// of each object, when present, takes precedence.
	LogFormat string `mapstructure:"log_format"`
	// Credentials: the default chain, or a key pair; a role assumed on
	// top.
	awssdk.Credentials `mapstructure:",squash"`
	// Endpoints override the service endpoints (s3: S3-compatible stores,
	// with path-style addressing; ec2, rds: VPC interface endpoints; tests),
	// the same map as coordimap_aws's.
	Endpoints awssdk.Endpoints `mapstructure:"endpoints"`
	// Endpoint is endpoints.s3.
	//
	// Deprecated: use endpoints.s3 (a warning says so at start).
	Endpoint string `mapstructure:"endpoint"`
	// ResolveEndpoints resolves the ends of each flow to the AWS
	// inventory's internal IDs (instance, NAT gateway, network interface)
	// with one DescribeNetworkInterfaces per region per crawl.
	ResolveEndpoints bool `mapstructure:"resolve_endpoints"`
	// ResolveMaxAge bounds the age of a flow whose ends are resolved by
	// address: the interfaces are listed as they are now, and an address
	// of an older flow may have belonged to another interface since (a
	// restart without storage reads old objects again). The end logged by
	// an interface (interface-id, instance-id) resolves at any age.
	ResolveMaxAge time.Duration `mapstructure:"resolve_max_age"`
	// ResolveSecondaryAddresses resolves the secondary private addresses
	// of an instance's interfaces to the instance. With the Amazon VPC CNI
	// those are pods' addresses: false leaves them to the coordimap
	// processor, which resolves them to the pods coordimap_kubernetes
	// announces (or to the instance, which coordimap_aws announces).
	ResolveSecondaryAddresses bool `mapstructure:"resolve_secondary_addresses"`
	// EC2Endpoint is endpoints.ec2.
	//
	// Deprecated: use endpoints.ec2 (a warning says so at start).
	EC2Endpoint string `mapstructure:"ec2_endpoint"`
	// RDSEndpoint is endpoints.rds. RDS is asked (DescribeDBInstances)
	// only for a region whose interfaces include an RDS DB instance's.
	//
	// Deprecated: use endpoints.rds (a warning says so at start).
	RDSEndpoint string `mapstructure:"rds_endpoint"`
	// CollectionInterval is the time between two listings of the bucket;
	// the first runs at start.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// ScopeID is the AWS account ID the flows belong to.
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
	// MaxAge bounds what is read: an object last modified more than MaxAge
	// before a crawl is never read, so a first start (or a restart without
	// storage, or after a long outage) does not read every flow log ever
	// written. 0 reads objects of any age. Replaced by StartFrom when set.
	MaxAge time.Duration `mapstructure:"max_age"`
	// StartFrom (RFC 3339) replaces MaxAge: objects last modified before
	// it are never read.
	StartFrom string `mapstructure:"start_from"`
	// Storage is the ID of a storage extension (file_storage) that keeps
	// the checkpoint. Without it the checkpoint lives in memory and a
	// restart reads every object within MaxAge (or since StartFrom) again.
	Storage *component.ID `mapstructure:"storage"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		LogFormat:        "default",
		ResolveEndpoints: true,
		ResolveMaxAge:    defaultResolveMaxAge,
		// Secondary addresses resolve to their instance unless a pod
		// claims them downstream.
		ResolveSecondaryAddresses: true,
		CollectionInterval:        defaultCollectionInterval,
		MaxAge:                    defaultMaxAge,
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.Bucket == "" {
		errs = append(errs, errMissingBucket)
	}
	switch {
	case cfg.Region == "":
		errs = append(errs, errMissingRegion)
	case cfg.endpoints().S3 == "" && !awssdk.IsRegion(cfg.Region):
		// An S3-compatible store (endpoint) may name its regions otherwise.
		errs = append(errs, fmt.Errorf("region: %q is not an AWS region name (e.g. eu-west-1)", cfg.Region))
	}
	if _, err := parseFormat(cfg.LogFormat); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Credentials.Validate()...)
	errs = append(errs, cfg.Endpoints.Validate()...)
	for _, d := range cfg.deprecatedEndpoints() {
		switch {
		case !awssdk.IsHTTPURL(d.value):
			errs = append(errs, d.invalid)
		case *d.current != "" && *d.current != d.value:
			errs = append(errs, d.conflict)
		}
	}
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, errCollectionInterval)
	}
	if cfg.ResolveMaxAge <= 0 {
		errs = append(errs, errResolveMaxAge)
	}
	if cfg.MaxAge < 0 {
		errs = append(errs, errMaxAge)
	}
	if cfg.StartFrom != "" {
		if _, err := time.Parse(time.RFC3339, cfg.StartFrom); err != nil {
			errs = append(errs, fmt.Errorf("start_from: not an RFC 3339 time (2026-11-22T00:00:00Z): %w", err))
		}
	}
	return errors.Join(errs...)
}

// deprecatedEndpoint is an endpoint key of before endpoints:, set.
type deprecatedEndpoint struct {
	// key is the old key, instead its endpoints: entry.
	key, instead, value string
	// current is its endpoints: entry.
	current           *string
	invalid, conflict error
}

// deprecatedEndpoints are the old endpoint keys that are set.
func (cfg *Config) deprecatedEndpoints() []deprecatedEndpoint {
	var out []deprecatedEndpoint
	for _, d := range []deprecatedEndpoint{
		{"endpoint", "endpoints.s3", cfg.Endpoint, &cfg.Endpoints.S3, errEndpoint, errEndpointConflict},
		{"ec2_endpoint", "endpoints.ec2", cfg.EC2Endpoint, &cfg.Endpoints.EC2, errEC2Endpoint, errEC2Conflict},
		{"rds_endpoint", "endpoints.rds", cfg.RDSEndpoint, &cfg.Endpoints.RDS, errRDSEndpoint, errRDSConflict},
	} {
		if d.value != "" {
			out = append(out, d)
		}
	}
	return out
}

// endpoints is endpoints:, completed by the deprecated keys.
func (cfg *Config) endpoints() awssdk.Endpoints {
	e := cfg.Endpoints
	for _, d := range cfg.deprecatedEndpoints() {
		switch d.instead {
		case "endpoints.s3":
			e.S3 = d.value
		case "endpoints.ec2":
			e.EC2 = d.value
		case "endpoints.rds":
			e.RDS = d.value
		}
	}
	return e
}

// oldest is the LastModified before which no object is read, as of now;
// zero when any age is read.
func (cfg *Config) oldest(now time.Time) time.Time {
	if cfg.StartFrom != "" {
		t, _ := time.Parse(time.RFC3339, cfg.StartFrom) // validated
		return t
	}
	if cfg.MaxAge == 0 {
		return time.Time{}
	}
	return now.Add(-cfg.MaxAge)
}
