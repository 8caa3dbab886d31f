package coordimapprocessor

import (
	"errors"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/configstrict"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
	"github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor/internal/metricrules"
)

const defaultAddressTTL = 10 * time.Minute

var errAddressTTL = errors.New("address_ttl must be positive")

// Config is the coordimap processor's configuration.
type Config struct {
	// ExternalMappings are "<key>@<value>" entries (see internal/mapping):
	// a YAML list, or the coordimap-agent's single string of entries
	// separated by spaces.
	ExternalMappings mapping.Entries `mapstructure:"external_mappings"`
	// AddressTTL is how long an address an entity announced
	// (coordimap.addresses) keeps resolving to it after its last state
	// event.
	AddressTTL time.Duration `mapstructure:"address_ttl"`
	// ExternalPeers makes elements of the public addresses left as flow
	// ends (see external.go).
	ExternalPeers ExternalPeersConfig `mapstructure:"external_peers"`

	// MetricRules are evaluated every EvaluationInterval against
	// Prometheus and Cloud Monitoring; their triggers are
	// coordimap.metric_trigger elements (see metricrules.go).
	MetricRules        []metricrules.Rule  `mapstructure:"metric_rules"`
	Prometheus         PrometheusConfig    `mapstructure:"prometheus"`
	GCPMonitoring      GCPMonitoringConfig `mapstructure:"gcp_monitoring"`
	EvaluationInterval time.Duration       `mapstructure:"evaluation_interval"`

	_ struct{}
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		AddressTTL:         defaultAddressTTL,
		Prometheus:         defaultPrometheusConfig(),
		EvaluationInterval: defaultEvaluationInterval,
	}
}

// Validate reports every invalid setting; each bad external_mappings entry
// is named by its index and text.
func (cfg *Config) Validate() error {
	var errs []error
	if _, err := mapping.Parse(cfg.ExternalMappings); err != nil {
		errs = append(errs, err)
	}
	if cfg.AddressTTL <= 0 {
		errs = append(errs, errAddressTTL)
	}
	errs = append(errs, cfg.ExternalPeers.validate()...)
	errs = append(errs, cfg.validateMetricRules()...)
	return errors.Join(errs...)
}

// Unmarshal rejects unknown keys (see internal/configstrict; the
// prometheus section squashes confighttp's client config), then decodes.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	if err := configstrict.Check(conf, cfg); err != nil {
		return err
	}
	return conf.Unmarshal(cfg)
}
