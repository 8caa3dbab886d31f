package coordimapexporter

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/exporter/exporterhelper"

	"github.com/coordimap/otelcol-coordimap/internal/configstrict"
)

// DefaultEndpoint is the Coordimap API the original agent sent to.
const DefaultEndpoint = "https://api.coordimap.com/collector/crawlers/infra"

const (
	defaultMaxRequestBytes    = 5 << 20
	minMaxRequestBytes        = 4 << 10
	defaultFullResyncPeriod   = time.Hour
	defaultGraphFlushInterval = 5 * time.Second
	defaultFlowTTL            = time.Hour
)

// Config is the coordimap exporter's configuration. Either output may be
// used alone: the Coordimap API (api_key) and the local graph (graph_file).
type Config struct {
	// ClientConfig holds endpoint, tls, timeout, headers, compression…
	ClientConfig confighttp.ClientConfig                                  `mapstructure:",squash"`
	QueueConfig  configoptional.Optional[exporterhelper.QueueBatchConfig] `mapstructure:"sending_queue"`
	RetryConfig  configretry.BackOffConfig                                `mapstructure:"retry_on_failure"`

	// APIKey is sent in the Api-Key header; setting it turns the API
	// output on.
	APIKey configopaque.String `mapstructure:"api_key"`
	// MaxRequestBytes splits a crawl partition into several requests.
	MaxRequestBytes int `mapstructure:"max_request_bytes"`
	// Incremental sends only elements whose hash changed since they were
	// last sent, with a full snapshot every FullResyncPeriod.
	Incremental      bool          `mapstructure:"incremental"`
	FullResyncPeriod time.Duration `mapstructure:"full_resync_period"`

	// Graph names the coordimap_graph extension that keeps the local
	// graph (store, map, query API); records go there before the API's
	// queue, so it stays current while the API is down.
	Graph *component.ID `mapstructure:"graph"`

	// GraphFile, when set, keeps the merged current graph as JSON there
	// (an export of the graph extension's store when graph is set).
	GraphFile          string        `mapstructure:"graph_file"`
	GraphFlushInterval time.Duration `mapstructure:"graph_flush_interval"`
	// FlowTTL is how long an observed relationship (flow) stays in the
	// local graph after it was last seen.
	FlowTTL time.Duration `mapstructure:"flow_ttl"`

	_ struct{}
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)

	errNoOutput      = errors.New("no output: set api_key (Coordimap API), graph (the coordimap_graph extension) or graph_file (local graph file)")
	errAPIKeyMissing = errors.New("api_key: required when endpoint is set")
)

func createDefaultConfig() component.Config {
	client := confighttp.NewDefaultClientConfig()
	client.Endpoint = DefaultEndpoint
	client.Timeout = 30 * time.Second
	return &Config{
		ClientConfig:       client,
		QueueConfig:        configoptional.Some(exporterhelper.NewDefaultQueueConfig()),
		RetryConfig:        configretry.NewDefaultBackOffConfig(),
		MaxRequestBytes:    defaultMaxRequestBytes,
		FullResyncPeriod:   defaultFullResyncPeriod,
		GraphFlushInterval: defaultGraphFlushInterval,
		FlowTTL:            defaultFlowTTL,
	}
}

// Unmarshal rejects unknown keys (see internal/configstrict), then decodes.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if err := configstrict.Check(conf, c); err != nil {
		return err
	}
	return conf.Unmarshal(c)
}

// apiEnabled reports whether elements go to the Coordimap API.
func (c *Config) apiEnabled() bool { return c.APIKey != "" }

// Validate reports every problem, each with its field's name.
func (c *Config) Validate() error {
	var errs []error
	if !c.apiEnabled() && c.GraphFile == "" && c.Graph == nil {
		if c.ClientConfig.Endpoint != "" && c.ClientConfig.Endpoint != DefaultEndpoint {
			errs = append(errs, errAPIKeyMissing)
		} else {
			errs = append(errs, errNoOutput)
		}
	} else if !c.apiEnabled() && c.ClientConfig.Endpoint != DefaultEndpoint && c.ClientConfig.Endpoint != "" {
		errs = append(errs, errAPIKeyMissing)
	}
	if c.apiEnabled() {
		u, err := url.Parse(c.ClientConfig.Endpoint)
		switch {
		case c.ClientConfig.Endpoint == "":
			errs = append(errs, errors.New("endpoint: required when api_key is set"))
		case err != nil:
			errs = append(errs, fmt.Errorf("endpoint: %w", err))
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			errs = append(errs, fmt.Errorf("endpoint: %q must be an http(s) URL", c.ClientConfig.Endpoint))
		}
	}
	if c.MaxRequestBytes < minMaxRequestBytes {
		errs = append(errs, fmt.Errorf("max_request_bytes: must be at least %d, got %d", minMaxRequestBytes, c.MaxRequestBytes))
	}
	if c.Incremental && c.FullResyncPeriod <= 0 {
		errs = append(errs, errors.New("full_resync_period: must be positive when incremental is on"))
	}
	if c.GraphFile != "" {
		if c.GraphFlushInterval <= 0 {
			errs = append(errs, errors.New("graph_flush_interval: must be positive"))
		}
		if dir := filepath.Dir(c.GraphFile); dir == "" {
			errs = append(errs, errors.New("graph_file: has no directory"))
		}
	}
	if c.FlowTTL <= 0 {
		errs = append(errs, errors.New("flow_ttl: must be positive"))
	}
	return errors.Join(errs...)
}
