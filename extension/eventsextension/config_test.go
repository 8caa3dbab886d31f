package eventsextension

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap/confmaptest"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
	require.NoError(t, err)
	cfg := createDefaultConfig().(*Config)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg, cfg.Validate()
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, component.MustNewID("coordimap_graph"), cfg.Graph)
	assert.Equal(t, []string{"localhost:9092"}, cfg.Brokers)
	assert.Equal(t, "coordimap.events", cfg.Topic)
	assert.Equal(t, EncodingJSON, cfg.Encoding)
	assert.Equal(t, AcksAll, cfg.RequiredAcks)
	assert.True(t, cfg.Idempotent)
	assert.True(t, cfg.InitialSnapshot)
	assert.False(t, cfg.IncludeState)
	assert.False(t, cfg.TLS.HasValue())
	assert.False(t, cfg.SASL.HasValue())
}

func TestConfigFull(t *testing.T) {
	cfg, err := loadConfig(t, "full")
	require.NoError(t, err)
	assert.Equal(t, component.MustNewIDWithName("coordimap_graph", "shared"), cfg.Graph)
	assert.Equal(t, []string{"kafka-1:9092", "kafka-2:9092"}, cfg.Brokers)
	assert.Equal(t, "coordimap.{scope}.{kind}", cfg.Topic)
	assert.Equal(t, EncodingOTLPProto, cfg.Encoding)
	assert.Equal(t, "zstd", cfg.Compression)
	assert.Equal(t, 2_000_000, cfg.MaxMessageBytes)
	assert.Equal(t, 20*time.Millisecond, cfg.Linger)
	assert.Equal(t, time.Minute, cfg.DeliveryTimeout)
	assert.Equal(t, 1000, cfg.BatchSize)
	assert.False(t, cfg.InitialSnapshot)
	assert.True(t, cfg.IncludeState)
	require.True(t, cfg.TLS.HasValue())
	require.True(t, cfg.SASL.HasValue())
	assert.Equal(t, SASLScramSHA512, cfg.SASL.Get().Mechanism)
	assert.Equal(t, "s3cret", string(cfg.SASL.Get().Password))
	opts, err := cfg.clientOptions(t.Context())
	require.NoError(t, err)
	assert.NotEmpty(t, opts)
}

func TestConfigInvalidNamesEveryField(t *testing.T) {
	_, err := loadConfig(t, "invalid")
	require.Error(t, err)
	for _, want := range []string{
		`brokers[0]: empty`,
		`topic: "coordimap.{colour}": unknown placeholder {colour}`,
		`encoding: "avro" is not one of json, otlp_json, otlp_proto`,
		`required_acks: "leader" needs idempotent: false`,
		`compression: "brotli" is not one of none, gzip, snappy, lz4, zstd`,
		`max_message_bytes: must be at least 4096, got 100`,
		`batch_size: must be at least 1, got 0`,
		`linger: must not be negative, got -1s`,
		`delivery_timeout: must be positive, got 0s`,
		`poll_interval: must be positive, got 0s`,
		`sasl.mechanism: "GSSAPI" is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512`,
		`sasl.username: required`,
		`sasl.password: required`,
	} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestTopicTemplate(t *testing.T) {
	tt, err := parseTopic("coordimap.{scope}.{kind}.{entity_type}")
	require.NoError(t, err)
	ev := event{Type: EntityUpdated, ScopeID: "prod/eu", EntityType: "kubernetes.pod"}
	assert.Equal(t, "coordimap.prod_eu.entity.kubernetes.pod", tt.render(&ev))
	ev = event{Type: ResyncCompleted, DataSourceID: "k8s"}
	assert.Equal(t, "coordimap.none.resync.none", tt.render(&ev))
	for _, bad := range []string{"", "a b", "x.{scope", "{nope}"} {
		_, err := parseTopic(bad)
		assert.Error(t, err, bad)
	}
}
