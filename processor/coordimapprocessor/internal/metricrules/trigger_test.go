package metricrules

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

var update = flag.Bool("update", false, "rewrite testdata/trigger_*.golden")

// agentTrigger is the coordimap-agent's metric trigger payload as its Go
// encoder wrote it (struct field order, omitempty where it had it): the
// reference the element hash must match.
type agentTrigger struct {
	TriggerType    string            `json:"trigger_type"`
	Provider       string            `json:"provider"`
	DataSourceID   string            `json:"data_source_id"`
	DataSourceType string            `json:"data_source_type"`
	RuleID         string            `json:"rule_id"`
	RuleName       string            `json:"rule_name"`
	Query          string            `json:"query,omitempty"`
	Filter         string            `json:"filter,omitempty"`
	Window         string            `json:"window,omitempty"`
	Threshold      agentThreshold    `json:"threshold"`
	Targets        []agentTarget     `json:"targets"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	TriggeredAt    time.Time         `json:"triggered_at"`
}

type agentThreshold struct {
	Operator string  `json:"operator"`
	Value    float64 `json:"value"`
}

type agentTarget struct {
	InternalID     string            `json:"internal_id"`
	Value          float64           `json:"value"`
	Labels         map[string]string `json:"labels,omitempty"`
	ResourceLabels map[string]string `json:"resource_labels,omitempty"`
}

func resolveOne(t *testing.T, r Rule) *Resolved {
	t.Helper()
	rs, err := ResolveAll([]Rule{r})
	require.NoError(t, err)
	return &rs[0]
}

// elementData is the element data our exporter writes for e.
func elementData(t *testing.T, e entity.Entity, at time.Time) []byte {
	t.Helper()
	b := entity.NewBatch(entity.Source{ScopeID: "s", DataSourceID: "d", DataSourceType: "kubernetes"})
	require.NoError(t, b.AddState(at, e))
	lr := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)
	return entity.View(lr).AppendBodyJSON(nil)
}

func hash(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestTriggerHashEqualsAgent(t *testing.T) {
	at := time.Date(2026, 12, 7, 10, 31, 12, 345000000, time.UTC)
	ctx := &Context{ScopeID: "cluster-uid"}
	ds := DataSource{ID: "kube-prod", Type: "kubernetes"}

	prom := resolveOne(t, Rule{ID: "pods-restarting", Name: "Pods restarting", Provider: ProviderPrometheus, Mode: ModePredefined,
		DataSource: "kube-prod", Predefined: PredefinedConfig{Name: "kubernetes_pod_high_restart_rate", Params: map[string]any{"threshold": 2}}})
	promSamples := []Sample{
		{Value: 7, Labels: map[string]string{"namespace": "shop", "pod": "api-1"}},
		{Value: 1, Labels: map[string]string{"namespace": "shop", "pod": "api-2"}}, // below
		{Value: 3.5, Labels: map[string]string{"namespace": "a&b", "pod": "<x>"}},
		{Value: 9, Labels: map[string]string{"namespace": "shop"}}, // no pod label
	}
	gcp := resolveOne(t, Rule{ID: "vm-cpu", Provider: ProviderGCPMonitoring, Mode: ModePredefined, DataSource: "gcp-prod",
		Predefined: PredefinedConfig{Name: "vm_high_cpu"}})
	gcpSamples := []Sample{{Value: 0.93, Labels: map[string]string{"instance_name": "vm-1"},
		ResourceLabels: map[string]string{"zone": "europe-west3-a", "project_id": "p"}}}

	for _, tc := range []struct {
		name    string
		rule    *Resolved
		samples []Sample
		ds      DataSource
	}{
		{"prometheus", prom, promSamples, ds},
		{"gcp", gcp, gcpSamples, DataSource{ID: "gcp-prod", Type: "gcp"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits := Match(tc.rule, ctx, tc.samples)
			e := Entity(TriggerTypeMetricRule, tc.ds, tc.rule, at, hits)
			got := elementData(t, e, at)

			// The original's code path: its payload struct through
			// encoding/json.
			ref := agentTrigger{TriggerType: "metric_rule", Provider: tc.rule.Provider, DataSourceID: tc.ds.ID,
				DataSourceType: tc.ds.Type, RuleID: tc.rule.ID, RuleName: tc.rule.Name, Window: tc.rule.Lookback,
				Threshold: agentThreshold{tc.rule.Threshold.Operator, tc.rule.Threshold.Value}, TriggeredAt: at}
			if tc.rule.Provider == ProviderPrometheus {
				ref.Query = tc.rule.Query
			} else {
				ref.Filter = tc.rule.Filter
				ref.Metadata = map[string]string{"metric_type": tc.rule.MetricType}
			}
			for _, h := range hits {
				ref.Targets = append(ref.Targets, agentTarget(h))
			}
			want, err := json.Marshal(ref)
			require.NoError(t, err)
			assert.Equal(t, string(want), string(got))
			assert.Equal(t, hash(want), hash(got))

			golden := filepath.Join("testdata", "trigger_"+tc.name+".golden")
			line := e.InternalID + "\n" + hash(got) + "\n" + string(got) + "\n"
			if *update {
				require.NoError(t, os.WriteFile(golden, []byte(line), 0o644))
			}
			g, err := os.ReadFile(golden)
			require.NoError(t, err)
			assert.Equal(t, string(g), line)
		})
	}
	hits := Match(prom, ctx, promSamples)
	require.Len(t, hits, 2)
	assert.Equal(t, "metric-trigger:kube-prod:pods-restarting:202612071031:cluster-uid-a&b-kubernetes.pod-<x>,cluster-uid-shop-kubernetes.pod-api-1",
		ElementID(ds, prom, at, hits))
}
