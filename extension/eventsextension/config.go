package eventsextension

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"
)

// Encodings of the messages.
const (
	EncodingJSON      = "json"
	EncodingOTLPJSON  = "otlp_json"
	EncodingOTLPProto = "otlp_proto"
)

// Required acknowledgements.
const (
	AcksAll    = "all"
	AcksLeader = "leader"
	AcksNone   = "none"
)

// SASL mechanisms.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

const (
	defaultTopic           = "coordimap.events"
	defaultClientID        = "otelcol-coordimap"
	defaultMaxMessageBytes = 1_000_000
	defaultBatchSize       = 5000
	defaultLinger          = 5 * time.Millisecond
	defaultDeliveryTimeout = 30 * time.Second
	defaultPollInterval    = 5 * time.Second
	defaultCompression     = "lz4"
	// minMessageBytes leaves room for an event without its states.
	minMessageBytes = 4096
)

var compressions = []string{"none", "gzip", "snappy", "lz4", "zstd"}

// Config is the coordimap_events extension's configuration.
type Config struct {
	// Graph names the coordimap_graph extension whose change feed is
	// published.
	Graph component.ID `mapstructure:"graph"`
	// Brokers are the seed brokers (host:port).
	Brokers  []string `mapstructure:"brokers"`
	ClientID string   `mapstructure:"client_id"`
	// Topic is the topic, or a template of it: {scope}, {kind} (entity,
	// relationship, resync), {type} (the event type), {entity_type} and
	// {data_source} are replaced by the change's values.
	Topic string `mapstructure:"topic"`
	// AllowAutoTopicCreation asks the brokers to create missing topics.
	AllowAutoTopicCreation bool `mapstructure:"allow_auto_topic_creation"`
	// Encoding is json (default), otlp_json or otlp_proto.
	Encoding string `mapstructure:"encoding"`
	// RequiredAcks is all (default), leader or none.
	RequiredAcks string `mapstructure:"required_acks"`
	// Idempotent enables the idempotent producer (requires acks all).
	Idempotent bool `mapstructure:"idempotent"`
	// Compression is none, gzip, snappy, lz4 (default) or zstd.
	Compression string `mapstructure:"compression"`
	// MaxMessageBytes bounds a record batch; an event larger than it is
	// sent without its full before/after states.
	MaxMessageBytes int `mapstructure:"max_message_bytes"`
	// Linger is how long the producer waits to fill a batch.
	Linger time.Duration `mapstructure:"linger"`
	// DeliveryTimeout bounds how long a message is retried before the
	// batch is read again from the feed.
	DeliveryTimeout time.Duration `mapstructure:"delivery_timeout"`
	// BatchSize is how many changes are read from the feed at a time.
	BatchSize int `mapstructure:"batch_size"`
	// PollInterval is how often the feed is read when no write signalled
	// (writes by another collector to a shared PostgreSQL store).
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// InitialSnapshot publishes the current graph first when this
	// publisher has no position yet (or lost it to the feed's retention).
	InitialSnapshot bool `mapstructure:"initial_snapshot"`
	// IncludeState adds the entity's full data before and after the
	// change.
	IncludeState bool `mapstructure:"include_state"`

	TLS  configoptional.Optional[configtls.ClientConfig] `mapstructure:"tls"`
	SASL configoptional.Optional[SASLConfig]             `mapstructure:"sasl"`

	_ struct{}
}

// SASLConfig authenticates to the brokers.
type SASLConfig struct {
	Mechanism string              `mapstructure:"mechanism"`
	Username  string              `mapstructure:"username"`
	Password  configopaque.String `mapstructure:"password"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		Graph:           component.MustNewID("coordimap_graph"),
		Brokers:         []string{"localhost:9092"},
		ClientID:        defaultClientID,
		Topic:           defaultTopic,
		Encoding:        EncodingJSON,
		RequiredAcks:    AcksAll,
		Idempotent:      true,
		Compression:     defaultCompression,
		MaxMessageBytes: defaultMaxMessageBytes,
		Linger:          defaultLinger,
		DeliveryTimeout: defaultDeliveryTimeout,
		BatchSize:       defaultBatchSize,
		PollInterval:    defaultPollInterval,
		InitialSnapshot: true,
	}
}

// Validate reports every problem, each with its field's name.
func (c *Config) Validate() error {
	var errs []error
	if len(c.Brokers) == 0 {
		errs = append(errs, errors.New("brokers: at least one broker is required"))
	}
	for i, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			errs = append(errs, fmt.Errorf("brokers[%d]: empty", i))
		}
	}
	if _, err := parseTopic(c.Topic); err != nil {
		errs = append(errs, fmt.Errorf("topic: %w", err))
	}
	switch c.Encoding {
	case EncodingJSON, EncodingOTLPJSON, EncodingOTLPProto:
	default:
		errs = append(errs, fmt.Errorf("encoding: %q is not one of %s, %s, %s", c.Encoding, EncodingJSON, EncodingOTLPJSON, EncodingOTLPProto))
	}
	switch c.RequiredAcks {
	case AcksAll:
	case AcksLeader, AcksNone:
		if c.Idempotent {
			errs = append(errs, fmt.Errorf("required_acks: %q needs idempotent: false (the idempotent producer needs acks from all in-sync replicas)", c.RequiredAcks))
		}
	default:
		errs = append(errs, fmt.Errorf("required_acks: %q is not one of %s, %s, %s", c.RequiredAcks, AcksAll, AcksLeader, AcksNone))
	}
	if !slices.Contains(compressions, c.Compression) {
		errs = append(errs, fmt.Errorf("compression: %q is not one of %s", c.Compression, strings.Join(compressions, ", ")))
	}
	if c.MaxMessageBytes < minMessageBytes {
		errs = append(errs, fmt.Errorf("max_message_bytes: must be at least %d, got %d", minMessageBytes, c.MaxMessageBytes))
	}
	if c.BatchSize < 1 {
		errs = append(errs, fmt.Errorf("batch_size: must be at least 1, got %d", c.BatchSize))
	}
	if c.Linger < 0 {
		errs = append(errs, fmt.Errorf("linger: must not be negative, got %s", c.Linger))
	}
	for name, d := range map[string]time.Duration{"delivery_timeout": c.DeliveryTimeout, "poll_interval": c.PollInterval} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %s", name, d))
		}
	}
	if c.SASL.HasValue() {
		s := c.SASL.Get()
		switch s.Mechanism {
		case SASLPlain, SASLScramSHA256, SASLScramSHA512:
		default:
			errs = append(errs, fmt.Errorf("sasl.mechanism: %q is not one of %s, %s, %s", s.Mechanism, SASLPlain, SASLScramSHA256, SASLScramSHA512))
		}
		if s.Username == "" {
			errs = append(errs, errors.New("sasl.username: required"))
		}
		if s.Password == "" {
			errs = append(errs, errors.New("sasl.password: required"))
		}
	}
	if c.TLS.HasValue() {
		if err := c.TLS.Get().Validate(); err != nil {
			errs = append(errs, fmt.Errorf("tls: %w", err))
		}
	}
	return errors.Join(errs...)
}
