package legacyconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Files the agent would not have loaded are refused with every problem
// and its line.
func TestParseBadFiles(t *testing.T) {
	tests := map[string][]string{
		"datasources_example":   {"line 3: no coordimap section: not a coordimap-agent configuration (data sources go under coordimap.data_sources)"},
		"value_is_list":         {`line 8: data_sources[0].config[0].value: must be a single value, not a list`},
		"config_not_list":       {`line 7: data_sources[0].config: must be a list of {name, value}, not a mapping`},
		"unknown_type":          {`line 4: data_sources[0]: type "redis": unknown data source type (one of aws, aws_flow_logs, flows, gcp, gcp_flow_logs, kubernetes, mariadb, mongodb, mysql, postgres)`, `line 6: data_sources[1]: type: missing`},
		"duplicate_id":          {`line 7: data source ID "same" is used twice (lines 5 and 7); IDs must be unique`},
		"duplicate_key":         {`line 3: coordimap: key "api_key" is set twice (lines 2 and 3)`},
		"id_mismatch":           {`line 6: data_sources[0]: id "a" and data_source_id "b" differ; keep one`},
		"setting_without_name":  {`line 7: data_sources[0].config[0]: name: missing`},
		"no_data_sources":       {`line 2: coordimap.data_sources: missing; nothing to convert`},
		"data_sources_not_list": {`line 3: coordimap.data_sources: must be a list of data sources, not the value "postgres"`},
		"not_yaml":              {"not YAML: "},
		"empty":                 {"the file is empty"},
		"wrong_types":           {`line 2: coordimap.api_key: must be a single value, not a mapping`, `line 4: data_sources[0]: must be a mapping, not the value "postgres"`},
	}
	files, err := filepath.Glob("testdata/bad/*.yaml")
	require.NoError(t, err)
	require.Len(t, files, len(tests), "every bad file has expectations")
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			require.True(t, ok, "no expectation for %s", path)
			data, err := os.ReadFile(path)
			require.NoError(t, err)
			f, err := Parse(data)
			require.Error(t, err)
			assert.Nil(t, f)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Len(t, pe.Problems, len(want), "%v", err)
			for _, w := range want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseReadsLinesAndScalars(t *testing.T) {
	f, err := Parse([]byte(`coordimap:
  api_key: key
  data_sources:
    - type: postgres
      data_source_id: pg
      config:
        - name: crawl_interval
          value: 30
        - name: in_cluster
          value: true
        - name: db_pass
          value:
        - {name: db_host, value: h, send: true, comment: x}
      extra: 1
`))
	require.NoError(t, err)
	require.Len(t, f.DataSources, 1)
	ds := f.DataSources[0]
	assert.Equal(t, "pg", ds.ID)
	assert.Equal(t, "data_source_id", ds.IDKey)
	assert.Equal(t, 4, ds.Line)
	assert.Equal(t, []Setting{{"crawl_interval", "30", 8}, {"in_cluster", "true", 10}, {"db_pass", "", 12}, {"db_host", "h", 13}}, ds.Settings)
	assert.Equal(t, []Ignored{{Key: "config[3].comment", Line: 13, DataSource: ds}, {Key: "extra", Line: 14, DataSource: ds}}, f.Ignored)
}

func TestAgentInterval(t *testing.T) {
	tests := []struct {
		in       string
		fallback time.Duration
		want     time.Duration
		failed   bool
	}{
		{"30s", 0, 30 * time.Second, false},
		{"5m", 0, 5 * time.Minute, false},
		{"1h", 30 * time.Second, 30 * time.Second, false},
		{"1h", 0, 0, true},
		{"60", 30 * time.Second, 30 * time.Second, false},
		{"5", 30 * time.Second, 0, true},
		{"1m30s", 30 * time.Second, 0, true},
		{"0s", 30 * time.Second, 0, true},
		{"-5s", 30 * time.Second, 0, true},
		{"", 30 * time.Second, 0, true},
	}
	for _, tt := range tests {
		got, failed := agentInterval(tt.in, tt.fallback)
		assert.Equal(t, tt.want, got, tt.in)
		assert.Equal(t, tt.failed, failed, tt.in)
	}
}

func TestIntendedIntervalAndFormat(t *testing.T) {
	for in, want := range map[string]string{"30s": "30s", "60": "1m", "90": "90s", "1h30m": "90m", "2h": "2h", "1.5s": "1.5s"} {
		d, ok := intendedInterval(in)
		require.True(t, ok, in)
		assert.Equal(t, want, formatDuration(d), in)
	}
	for _, in := range []string{"abc", "0", "-1m", ""} {
		_, ok := intendedInterval(in)
		assert.False(t, ok, in)
	}
}

func TestNames(t *testing.T) {
	assert.Equal(t, "COORDIMAP_PG_ONE_TWO_PASSWORD", envVarName("COORDIMAP", "pg/one two", "PASSWORD"))
	assert.Equal(t, "COORDIMAP_A_B_AWS_SECRET_ACCESS_KEY", envVarName("COORDIMAP", "-a--b-", "AWS_secret_access_key"))
	assert.Equal(t, "pg/one_two", componentName("pg/one two"))
	assert.Equal(t, "_ID_", componentName("<ID>"))
	assert.Equal(t, "a__b", componentName("a::b"))
	assert.Equal(t, "$${HOME} $$x", literal("${HOME} $x"))
}

// No secret written in clear in a legacy file reaches a result, unless
// asked for; comments included.
func TestNoSecretInClear(t *testing.T) {
	inputs, err := filepath.Glob("testdata/legacy/*.yaml")
	require.NoError(t, err)
	checked := 0
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		require.NoError(t, err)
		f, err := Parse(data)
		require.NoError(t, err)
		var secrets []string
		if _, ref := refName(f.APIKey); f.APIKey != "" && !ref {
			secrets = append(secrets, f.APIKey)
		}
		for _, ds := range f.DataSources {
			for _, st := range ds.Settings {
				if _, ref := refName(st.Value); st.Value != "" && !ref && contains(secretSettings, st.Name) {
					secrets = append(secrets, st.Value)
				}
			}
		}
		for _, keep := range []bool{false, true} {
			res, err := Convert(f, Options{KeepSecrets: keep})
			require.NoError(t, err)
			for _, secret := range secrets {
				checked++
				if keep {
					assert.Contains(t, string(res.Config), literal(secret), "%s: --keep-secrets writes it", in)
					continue
				}
				assert.NotContains(t, string(res.Config), secret, "%s: a secret in clear", in)
				for _, finding := range res.Findings {
					assert.NotContains(t, finding.Msg, secret, "%s: a secret in the report", in)
				}
			}
		}
	}
	assert.Greater(t, checked, 10, "the inputs hold secrets in clear")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// The result's comments keep what was not converted, and the result
// parses as YAML whatever the legacy text held.
func TestKeptSourcesAndRules(t *testing.T) {
	res := convertFile(t, "testdata/legacy/seed_metric_rules.yaml", Options{})
	cfg := string(res.Config)
	assert.Equal(t, 2, res.Converted)
	assert.Equal(t, 0, res.Skipped)
	assert.False(t, res.Complete())
	// The rules move into the processor, with their data source.
	assert.Contains(t, cfg, "    metric_rules:\n      - id: k8s-high-5xx\n")
	assert.Contains(t, cfg, "        data_source: kube-prod\n")
	assert.Contains(t, cfg, "        data_source: gcp-prod\n")
	assert.Contains(t, cfg, "      endpoint: ${env:COORDIMAP_PROMETHEUS_ENDPOINT}\n", "no metrics_prometheus_host in the seed")
	assert.Contains(t, cfg, "    gcp_monitoring:\n      project_id: your-project-id\n")
	assert.Equal(t, 1, strings.Count(cfg, "id: cloudsql-high-cpu"), "each rule once")
	for _, f := range res.Findings {
		assert.False(t, f.Severity == NotMapped && strings.HasPrefix(f.Setting, "metric rule"), f.Format("x.yaml"))
	}
}

// The README's gcp sample becomes coordimap_gcp and, for gcp_flows,
// coordimap_gcp_flow_logs with its cursor in file_storage.
func TestGCPBecomesTwoReceivers(t *testing.T) {
	res := convertFile(t, "testdata/legacy/seed_gcp.yaml", Options{})
	assert.Equal(t, 1, res.Converted)
	cfg := string(res.Config)
	assert.Contains(t, cfg, "receivers: [coordimap_gcp/gcp_id_123, coordimap_gcp_flow_logs/gcp_id_123]")
	assert.Contains(t, cfg, "    storage: file_storage")
	var gcp []string
	for _, f := range res.Findings {
		gcp = append(gcp, f.Severity.String()+" "+f.Setting)
	}
	assert.Contains(t, gcp, "invalid scope_id", "the README's quoted placeholder")
	assert.Contains(t, gcp, "invalid include_regions", "the README's placeholder is no region")
}

// A data source that cannot be converted (gcp without project_id) leaves
// no receiver: OTLP on loopback keeps the pipeline valid.
func TestNothingConvertedKeepsAPipeline(t *testing.T) {
	f, err := Parse([]byte("coordimap:\n  data_sources:\n    - type: gcp\n      id: g\n      config:\n        - name: scope_id\n          value: \"1\"\n"))
	require.NoError(t, err)
	res, err := Convert(f, Options{})
	require.NoError(t, err)
	assert.Equal(t, 0, res.Converted)
	assert.Contains(t, string(res.Config), "receivers: [otlp]")
	assert.Contains(t, string(res.Config), "endpoint: 127.0.0.1:4317")
	assert.Contains(t, string(res.Config), "project_id is missing")
}

func TestConvertWithoutSources(t *testing.T) {
	_, err := Convert(&File{}, Options{})
	assert.ErrorIs(t, err, errNoSources)
}

// A rule's own ${label.x} placeholders survive the collector's ${…}
// expansion: they are written $${label.x}.
func TestMetricRuleDollarsEscaped(t *testing.T) {
	f, err := Parse([]byte(`
coordimap:
  api_key: ${API_KEY}
  data_sources:
    - type: kubernetes
      id: k
      config:
        - name: scope_id
          value: uid
        - name: in_cluster
          value: "true"
        - name: metrics_prometheus_host
          value: http://prom:9090
      metric_rules:
        - id: by-mapping
          provider: prometheus
          mode: custom
          data_source_id: k
          custom:
            query: up
          threshold: {value: 0}
          target:
            resolver: external_mapping
            mapping_key_template: "svc-${label.instance}"
`))
	require.NoError(t, err)
	res, err := Convert(f, Options{})
	require.NoError(t, err)
	cfg := string(res.Config)
	assert.Contains(t, cfg, `mapping_key_template: "svc-$${label.instance}"`)
	assert.Contains(t, cfg, "      endpoint: http://prom:9090\n")
	assert.Contains(t, cfg, "        data_source: k\n")
	assert.NotContains(t, cfg, "data_source_id: k\n        ", "the agent's own keys are dropped from the rule")
}
