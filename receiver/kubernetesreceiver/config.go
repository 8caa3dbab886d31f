package kubernetesreceiver

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/configstrict"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// Authentication types.
const (
	// AuthServiceAccount uses the pod's service account (in cluster).
	AuthServiceAccount = "serviceAccount"
	// AuthKubeConfig reads a kubeconfig file.
	AuthKubeConfig = "kubeConfig"
)

// ResourcesAll in resources adds every other listable resource of the
// cluster, custom resources included.
const ResourcesAll = "all"

const defaultReportInterval = 10 * time.Minute

var (
	errAuthType       = fmt.Errorf("auth_type: must be %q or %q", AuthServiceAccount, AuthKubeConfig)
	errKubeconfigPath = fmt.Errorf("kubeconfig_path: only with auth_type %q", AuthKubeConfig)
	errContext        = fmt.Errorf("context: only with auth_type %q", AuthKubeConfig)
	errReportInterval = errors.New("report_interval: must be at least 1s")
	errEmptyNamespace = errors.New("namespaces: names must not be empty")
	errEmptyResource  = errors.New("resources: names must not be empty")
)

// A resource is named as kubectl names it: its plural, lower case, and for
// other groups than the core and built-in ones optionally .<group>
// (certificates.cert-manager.io).
var resourceName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)

// Config is what users set for a coordimap_kubernetes receiver.
type Config struct {
	// AuthType is serviceAccount (in cluster, the default) or kubeConfig.
	AuthType string `mapstructure:"auth_type"`
	// KubeconfigPath is the kubeconfig file for kubeConfig; empty means
	// $KUBECONFIG, then ~/.kube/config.
	KubeconfigPath string `mapstructure:"kubeconfig_path"`
	// Context of the kubeconfig to use; empty means its current context.
	Context string `mapstructure:"context"`
	// ScopeID overrides the cluster UID (the UID of namespace kube-system).
	ScopeID string `mapstructure:"scope_id"`
	// ClusterName is reported as k8s.cluster.name.
	ClusterName string `mapstructure:"cluster_name"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
	// Namespaces to watch; empty means all. Cluster-wide resources are
	// watched either way.
	Namespaces []string `mapstructure:"namespaces"`
	// Resources to watch (plural names: pods, deployments, …); empty means
	// the default set; "all" adds every other listable resource.
	Resources []string `mapstructure:"resources"`
	// ReportInterval is the time between two full state reports.
	ReportInterval time.Duration `mapstructure:"report_interval"`
	// SendSecretData sends the values of Secrets; off, only their keys.
	SendSecretData bool `mapstructure:"send_secret_data"`
	// SendConfigMapData sends the values of ConfigMaps; off, only their keys.
	SendConfigMapData bool `mapstructure:"send_configmap_data"`
	// RedactEnvValues blanks the literal env values (env[].value) and the
	// args of every container of pods and pod templates (deployments,
	// stateful sets, jobs, cron jobs, …): they often hold passwords. Env
	// names and valueFrom references are kept. On by default.
	RedactEnvValues bool `mapstructure:"redact_env_values"`
	// ExternalMappings resolve the links out of the cluster (node → VM,
	// service account → GCP service account) here; links they do not
	// resolve are left to the coordimap processor.
	ExternalMappings mapping.Entries `mapstructure:"external_mappings"`
	// Prometheus is where Istio and Retina flows are read (flows.go).
	Prometheus PrometheusConfig `mapstructure:"prometheus"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	prom := confighttp.NewDefaultClientConfig()
	prom.Timeout = 10 * time.Second
	return &Config{
		AuthType:        AuthServiceAccount,
		ReportInterval:  defaultReportInterval,
		RedactEnvValues: true,
		Prometheus:      PrometheusConfig{ClientConfig: prom, Interval: defaultFlowsInterval},
	}
}

// Validate reports every problem of the configuration at once.
func (cfg *Config) Validate() error {
	var errs []error
	switch cfg.AuthType {
	case AuthServiceAccount:
		if cfg.KubeconfigPath != "" {
			errs = append(errs, errKubeconfigPath)
		}
		if cfg.Context != "" {
			errs = append(errs, errContext)
		}
	case AuthKubeConfig:
	default:
		errs = append(errs, errAuthType)
	}
	if cfg.ReportInterval < time.Second {
		errs = append(errs, errReportInterval)
	}
	errs = append(errs, checkNames("namespaces", cfg.Namespaces, errEmptyNamespace, nil)...)
	errs = append(errs, checkNames("resources", cfg.Resources, errEmptyResource, resourceName)...)
	if _, err := mapping.Parse(cfg.ExternalMappings); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, cfg.Prometheus.validate()...)
	return errors.Join(errs...)
}

// Unmarshal rejects unknown keys (see internal/configstrict; prometheus
// squashes confighttp's client config), then decodes.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if err := configstrict.Check(conf, cfg); err != nil {
		return err
	}
	return conf.Unmarshal(cfg)
}

func checkNames(key string, names []string, errEmpty error, valid *regexp.Regexp) []error {
	var errs []error
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		switch {
		case n == "":
			errs = append(errs, errEmpty)
		case seen[n]:
			errs = append(errs, fmt.Errorf("%s: %q is listed twice", key, n))
		case valid != nil && !valid.MatchString(n):
			errs = append(errs, fmt.Errorf("%s: %q is not a resource name (plural, lower case, e.g. pods or certificates.cert-manager.io)", key, n))
		}
		seen[n] = true
	}
	return errs
}
