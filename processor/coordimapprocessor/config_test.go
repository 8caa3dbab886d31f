package coordimapprocessor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/coordimap/otelcol-coordimap/internal/mapping"
	"github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor/internal/metricrules"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		want *Config
	}{
		{name: "", want: defaults(func(*Config) {})},
		{
			name: "list",
			want: defaults(func(c *Config) {
				c.ExternalMappings = mapping.Entries{
					"us-central1-gke-prod@1b7c0a4e-5f4e-4a57-9d5e-2f1c0e6b9a11",
					"*my-project-id.iam.gserviceaccount.com@123456789012",
					"10.0.0.5:5432@7710000000000000000/app-@",
				}
				c.AddressTTL = 5 * time.Minute
			}),
		},
		{
			// The coordimap-agent's single space-separated string.
			name: "legacy",
			want: defaults(func(c *Config) {
				c.ExternalMappings = mapping.Entries{
					"node-1@aws_ds",
					"us-central1-a-node-2@gcp_ds",
					"*my-project-id.iam.gserviceaccount.com@123456789012",
				}
			}),
		},
		{name: "empty_list", want: defaults(func(c *Config) { c.ExternalMappings = mapping.Entries{} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(t, tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestLoadConfigInvalid(t *testing.T) {
	tests := []struct {
		name string
		want string
	}{
		{"missing_at", `external_mappings[2] "foo": missing '@'`},
		{"duplicate_key", `external_mappings[1] "k@v2": duplicate key "k", first at external_mappings[0]`},
		{"ambiguous_glob", `external_mappings[1] "*-pro@y": ambiguous glob: "*-pro" and "gke-*" (external_mappings[0]) both match "gke-pro" with literal length 4`},
		{"zero_ttl", `address_ttl must be positive`},
		{"negative_ttl", `address_ttl must be positive`},
		{"everything_wrong", "external_mappings[0] \"@x\": empty key\nexternal_mappings[1] \"y@\": empty value\naddress_ttl must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadConfig(t, tt.name)
			require.EqualError(t, err, tt.want)
		})
	}
}

func defaults(change func(*Config)) *Config {
	c := createDefaultConfig().(*Config)
	change(c)
	return c
}

func TestLoadConfigUnknownKey(t *testing.T) {
	_, err := loadConfig(t, "unknown_key")
	require.ErrorContains(t, err, "has invalid keys: metric_rulez")
	// The squashed confighttp section refuses a typo too.
	_, err = loadConfig(t, "unknown_prometheus_key")
	require.ErrorContains(t, err, "bearer_tokn")
}

func TestLoadConfigMetricRules(t *testing.T) {
	cfg, err := loadConfig(t, "metric_rules")
	require.NoError(t, err)
	assert.Equal(t, time.Minute, cfg.EvaluationInterval)
	assert.Equal(t, "http://prometheus.monitoring.svc:9090", cfg.Prometheus.ClientConfig.Endpoint)
	assert.Equal(t, 5*time.Second, cfg.Prometheus.ClientConfig.Timeout)
	assert.Equal(t, configopaque.String("s3cret"), cfg.Prometheus.BearerToken)
	assert.Equal(t, GCPMonitoringConfig{ProjectID: "my-project", CredentialsFile: "/etc/gcp/key.json"}, cfg.GCPMonitoring)
	require.Len(t, cfg.MetricRules, 3)
	r := cfg.MetricRules[1]
	assert.Equal(t, "kubernetes_pvc_low_free_space", r.Predefined.Name)
	assert.Equal(t, map[string]any{"threshold": 0.2, "namespace": "shop"}, r.Predefined.Params)
	assert.Equal(t, 2*time.Minute, r.For)
	assert.True(t, r.Resolved)
	require.NotNil(t, cfg.MetricRules[2].Enabled)
	assert.False(t, *cfg.MetricRules[2].Enabled)

	resolved, err := metricrules.ResolveAll(cfg.MetricRules)
	require.NoError(t, err)
	// A threshold that sets only value keeps the template's "<".
	assert.Equal(t, metricrules.Threshold{Operator: "<", Value: 0.15}, resolved[1].Threshold)
	assert.Equal(t, `(kubelet_volume_stats_available_bytes{namespace="shop"} / clamp_min(kubelet_volume_stats_capacity_bytes{namespace="shop"}, 1))`, resolved[1].Query)
	assert.Equal(t, "pvc-low", resolved[1].Name, "name defaults to the ID")
}

func TestLoadConfigMetricRulesInvalid(t *testing.T) {
	_, err := loadConfig(t, "metric_rules_wrong")
	require.Error(t, err)
	want := []string{
		`metric_rules[0] (id "a"): predefined.name: unknown prometheus template "kubernetes_pod_high_cpu_usag" (known: kubernetes_deployment_availability_gap,`,
		`metric_rules[1] (id "b"): predefined.params.colour: unknown param of kubernetes_pod_high_cpu_usage (known: window, threshold)`,
		`metric_rules[1] (id "b"): predefined.params.threshold: want a number, got string high`,
		`metric_rules[1] (id "b"): predefined.params.window: "5 minutes" is not a duration such as 5m`,
		`metric_rules[2] (id "c"): threshold.operator: unknown operator "=>" (want one of > >= < <= == !=)`,
		`metric_rules[2] (id "c"): target.resolver: unknown resolver "kubernetes_pods" (known: external_mapping,`,
		`metric_rules[2] (id "c"): custom.query: invalid PromQL: 1:17: parse error: unexpected <by> in aggregation`,
		`metric_rules[3] (id "d"): target.namespace_label: required by resolver kubernetes_pod`,
		`metric_rules[3] (id "d"): target.name_label: required by resolver kubernetes_pod`,
		`metric_rules[4] (id "e"): custom.per_series_aligner: unknown aligner "ALIGN_AVERAGE"`,
		`metric_rules[5] (id "a"): id: duplicate, first at metric_rules[0]`,
		`metric_rules[5] (id "a"): provider: unknown provider "graphite" (want prometheus or gcp_monitoring)`,
		`evaluation_interval must be positive`,
		`prometheus.endpoint: required by metric rules of provider prometheus`,
		`gcp_monitoring.project_id: required by metric rules of provider gcp_monitoring`,
	}
	for _, w := range want {
		assert.Contains(t, err.Error(), w)
	}
	t.Log(err)
}
