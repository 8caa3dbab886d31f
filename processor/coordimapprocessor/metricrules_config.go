package coordimapprocessor

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor/internal/metricrules"
)

const (
	defaultEvaluationInterval = 30 * time.Second
	defaultPrometheusTimeout  = 10 * time.Second
	defaultGCPTimeout         = 20 * time.Second
)

// PrometheusConfig is the Prometheus (or compatible) server metric rules of
// provider prometheus query.
type PrometheusConfig struct {
	// ClientConfig holds endpoint (the server's base URL), tls, headers,
	// timeout (of each query) and auth (an authenticator extension).
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// BearerToken is sent as "Authorization: Bearer …".
	BearerToken configopaque.String `mapstructure:"bearer_token"`
	// BasicAuth is sent as "Authorization: Basic …".
	BasicAuth BasicAuthConfig `mapstructure:"basic_auth"`

	_ struct{}
}

// BasicAuthConfig is a user name and password.
type BasicAuthConfig struct {
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
}

// GCPMonitoringConfig is the Cloud Monitoring project metric rules of
// provider gcp_monitoring read.
type GCPMonitoringConfig struct {
	// ProjectID is the project whose time series are listed.
	ProjectID string `mapstructure:"project_id"`
	// CredentialsFile is a service account key; Application Default
	// Credentials when empty.
	CredentialsFile string `mapstructure:"credentials_file"`
	// Endpoint overrides https://monitoring.googleapis.com/.
	Endpoint string `mapstructure:"endpoint"`
	// Timeout bounds one rule's listing (every page).
	Timeout time.Duration `mapstructure:"timeout"`

	_ struct{}
}

func defaultPrometheusConfig() PrometheusConfig {
	cc := confighttp.NewDefaultClientConfig()
	cc.Timeout = defaultPrometheusTimeout
	return PrometheusConfig{ClientConfig: cc}
}

var (
	errPrometheusEndpoint = errors.New("prometheus.endpoint: required by metric rules of provider prometheus")
	errGCPProject         = errors.New("gcp_monitoring.project_id: required by metric rules of provider gcp_monitoring")
	errTwoAuth            = errors.New("prometheus: set bearer_token or basic_auth, not both")
	errEvaluationInterval = errors.New("evaluation_interval must be positive")
)

// validateMetricRules reports every mistake in metric_rules and the
// provider settings; each rule error names the rule and its field.
func (cfg *Config) validateMetricRules() []error {
	var errs []error
	if _, err := metricrules.ResolveAll(cfg.MetricRules); err != nil {
		errs = append(errs, err)
	}
	if cfg.EvaluationInterval <= 0 {
		errs = append(errs, errEvaluationInterval)
	}
	var prom, gcp bool
	for _, r := range cfg.MetricRules {
		prom = prom || r.Provider == metricrules.ProviderPrometheus
		gcp = gcp || r.Provider == metricrules.ProviderGCPMonitoring
	}
	if prom && cfg.Prometheus.ClientConfig.Endpoint == "" {
		errs = append(errs, errPrometheusEndpoint)
	}
	if gcp && cfg.GCPMonitoring.ProjectID == "" {
		errs = append(errs, errGCPProject)
	}
	if cfg.Prometheus.BearerToken != "" && cfg.Prometheus.BasicAuth.Username != "" {
		errs = append(errs, errTwoAuth)
	}
	if cfg.Prometheus.BasicAuth.Password != "" && cfg.Prometheus.BasicAuth.Username == "" {
		errs = append(errs, errors.New("prometheus.basic_auth.username: required with a password"))
	}
	if cfg.GCPMonitoring.Timeout < 0 {
		errs = append(errs, fmt.Errorf("gcp_monitoring.timeout: must not be negative"))
	}
	return errs
}
