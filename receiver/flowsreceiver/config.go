package flowsreceiver

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const (
	// DeployedAtServer: the receiver runs on a host and describes it, its
	// listening processes and their flows.
	DeployedAtServer = "server"
	// DeployedAtKubernetes: the receiver runs on a Kubernetes node (a
	// DaemonSet) and reports flows between pods and services.
	DeployedAtKubernetes = "kubernetes"

	// InterfaceAll does not restrict flows to a device.
	InterfaceAll = "all"

	defaultCollectionInterval = 30 * time.Second

	// clusterKey is the key external_mappings must resolve in kubernetes
	// mode: `*@<cluster uid>` is the documented form.
	clusterKey = "*"
)

var (
	errDeployedAt         = errors.New(`deployed_at: must be "server" or "kubernetes"`)
	errInterfaceName      = errors.New(`interface_name: must be "all" or a network device name`)
	errCollectionInterval = errors.New("collection_interval: must be positive")
	errMappingsRequired   = errors.New(`external_mappings: required when deployed_at is "kubernetes" (add "*@<cluster uid>")`)
	errClusterUnresolved  = errors.New(`external_mappings: must resolve the cluster UID for any pod (add "*@<cluster uid>")`)
	errKubernetesOnly     = errors.New(`node_name, local_pods_only: only used when deployed_at is "kubernetes"`)
)

// Config is what users set for a coordimap_flows receiver. The original
// agent's keys map as: deployedAt → deployed_at, crawl_interval →
// collection_interval; interface_name and external_mappings keep their
// names.
type Config struct {
	// DeployedAt is "server" (default) or "kubernetes".
	DeployedAt string `mapstructure:"deployed_at"`
	// InterfaceName restricts flows to sockets routed through this device
	// of the collector's network namespace; "all" (default) does not
	// restrict.
	InterfaceName string `mapstructure:"interface_name"`
	// ExternalMappings are "<key>@<value>" entries. In kubernetes mode they
	// are required and "*" must resolve to the cluster UID (the scope of
	// every pod and service ID).
	ExternalMappings mapping.Entries `mapstructure:"external_mappings"`
	// CollectionInterval is the time between two reads of the kernel maps.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// ScopeID is the scope of host and process IDs in server mode (default:
	// /etc/machine-id). In kubernetes mode the scope is the cluster UID from
	// external_mappings; a scope_id set there must equal it.
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
	// NodeName is the Kubernetes node the receiver runs on (kubernetes
	// mode): only its pods are watched. Default: the hostname. Set it from
	// the downward API (spec.nodeName) where they differ.
	NodeName string `mapstructure:"node_name"`
	// LocalPodsOnly watches only this node's pods (kubernetes mode) instead
	// of every pod of the cluster: each node's watch then carries its own
	// pods only, and a remote pod's end stays an address that a coordimap
	// processor resolves from coordimap_kubernetes' announcements (pods
	// and services announce their IPs), which needs the node collectors to
	// send to a gateway running that receiver. Off by default, so a
	// DaemonSet alone resolves pods across nodes.
	LocalPodsOnly bool `mapstructure:"local_pods_only"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		DeployedAt:         DeployedAtServer,
		InterfaceName:      InterfaceAll,
		CollectionInterval: defaultCollectionInterval,
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	if cfg.DeployedAt != DeployedAtServer && cfg.DeployedAt != DeployedAtKubernetes {
		errs = append(errs, errDeployedAt)
	}
	if !validInterfaceName(cfg.InterfaceName) {
		errs = append(errs, errInterfaceName)
	}
	if cfg.CollectionInterval <= 0 {
		errs = append(errs, errCollectionInterval)
	}
	table, err := mapping.Parse(cfg.ExternalMappings)
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.DeployedAt != DeployedAtKubernetes && (cfg.NodeName != "" || cfg.LocalPodsOnly) {
		errs = append(errs, errKubernetesOnly)
	}
	if cfg.DeployedAt == DeployedAtKubernetes && err == nil {
		uid, ok := table.Lookup(clusterKey)
		switch {
		case table.Len() == 0:
			errs = append(errs, errMappingsRequired)
		case !ok:
			errs = append(errs, errClusterUnresolved)
		case cfg.ScopeID != "" && cfg.ScopeID != uid:
			errs = append(errs, fmt.Errorf("scope_id: %q differs from the cluster UID %q that external_mappings gives", cfg.ScopeID, uid))
		}
	}
	return errors.Join(errs...)
}

// clusterUID is the scope of kubernetes mode; Validate guarantees it.
func (cfg *Config) clusterUID() string {
	table, err := mapping.Parse(cfg.ExternalMappings)
	if err != nil {
		return ""
	}
	uid, _ := table.Lookup(clusterKey)
	return uid
}

// validInterfaceName accepts "all" and what Linux accepts as a device name:
// 1 to 15 bytes, no '/', ':' or whitespace, not "." or "..".
func validInterfaceName(name string) bool {
	if name == InterfaceAll {
		return true
	}
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsAny(name, "/: \t\n")
}
