package metricrules

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func podRule(t *testing.T, forDur time.Duration, resolved bool) *Resolved {
	r := resolveOne(t, Rule{ID: "oom", Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k",
		Predefined: PredefinedConfig{Name: "kubernetes_pod_oom_events"}, For: forDur, Resolved: resolved})
	return r
}

func pods(values map[string]float64) []Sample {
	var out []Sample
	for p, v := range values {
		out = append(out, Sample{Value: v, Labels: map[string]string{"namespace": "ns", "pod": p}})
	}
	return out
}

func payloadField(o Output, key string) any {
	for _, f := range o.Entity.OrderedBody {
		if f.Key == key {
			return f.Value
		}
	}
	return nil
}

func TestEngineFor(t *testing.T) {
	e := NewEngine(nil)
	r := podRule(t, 2*time.Minute, false)
	ctx := &Context{ScopeID: "u"}
	ds := DataSource{ID: "k", Type: "kubernetes"}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	assert.Empty(t, e.Apply(r, t0, ctx, ds, pods(map[string]float64{"a": 1})), "not for 2m yet")
	assert.Empty(t, e.Apply(r, t0.Add(time.Minute), ctx, ds, pods(map[string]float64{"a": 1, "b": 1})))
	out := e.Apply(r, t0.Add(2*time.Minute), ctx, ds, pods(map[string]float64{"a": 1, "b": 1}))
	require.Len(t, out, 1)
	assert.Equal(t, "metric-trigger:k:oom:202612071002:u-ns-kubernetes.pod-a", out[0].Entity.InternalID, "b has matched for 1m only")
	// a stops matching: its clock restarts.
	assert.Len(t, e.Apply(r, t0.Add(3*time.Minute), ctx, ds, pods(map[string]float64{"b": 1})), 1)
	assert.Empty(t, e.Apply(r, t0.Add(4*time.Minute), ctx, ds, pods(map[string]float64{"a": 1})))
}

func TestEngineResolved(t *testing.T) {
	e := NewEngine(nil)
	r := podRule(t, 0, true)
	ctx := &Context{ScopeID: "u"}
	ds := DataSource{ID: "k", Type: "kubernetes"}
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	require.Len(t, e.Apply(r, t0, ctx, ds, pods(map[string]float64{"a": 3, "b": 1})), 1)
	out := e.Apply(r, t0.Add(time.Minute), ctx, ds, pods(map[string]float64{"b": 2}))
	require.Len(t, out, 2)
	assert.Equal(t, TriggerTypeMetricRule, payloadField(out[0], "trigger_type"))
	assert.Equal(t, TriggerTypeResolved, payloadField(out[1], "trigger_type"))
	assert.Equal(t, "oom", payloadField(out[1], "rule_id"))
	assert.Equal(t, "metric-trigger:k:oom:resolved:202612071001:u-ns-kubernetes.pod-a", out[1].Entity.InternalID)
	// Nothing left firing, nothing newly resolved.
	out = e.Apply(r, t0.Add(2*time.Minute), ctx, ds, nil)
	require.Len(t, out, 1)
	assert.Equal(t, TriggerTypeResolved, payloadField(out[0], "trigger_type"))
	assert.Empty(t, e.Apply(r, t0.Add(3*time.Minute), ctx, ds, nil))
}

func TestMatchSkipsNaNAndKeepsOthers(t *testing.T) {
	r := podRule(t, 0, false)
	hits := Match(r, &Context{ScopeID: "u"}, pods(map[string]float64{"nan": math.NaN(), "inf": math.Inf(1), "ok": 2}))
	assert.Equal(t, []string{"u-ns-kubernetes.pod-ok"}, ids(hits))
}

type fakeEvaluator struct {
	fail map[string]error
}

func (f fakeEvaluator) Evaluate(_ context.Context, r *Resolved, _ time.Time) ([]Sample, error) {
	if err := f.fail[r.ID]; err != nil {
		return nil, err
	}
	return pods(map[string]float64{"p": 1}), nil
}

func TestCycleOneFailingRuleDoesNotStopOthers(t *testing.T) {
	var rules []*Resolved
	for _, id := range []string{"r1", "r2", "r3"} {
		rules = append(rules, resolveOne(t, Rule{ID: id, Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k",
			Predefined: PredefinedConfig{Name: "kubernetes_pod_oom_events"}}))
	}
	rules = append(rules, resolveOne(t, Rule{ID: "other-ds", Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "unseen",
		Predefined: PredefinedConfig{Name: "kubernetes_pod_oom_events"}}))
	e := NewEngine(map[string]Evaluator{ProviderPrometheus: fakeEvaluator{fail: map[string]error{"r2": &ProviderError{ProviderPrometheus, errors.New("down")}}}})
	out, failed, waiting := e.Cycle(context.Background(), rules, time.Now(), func(ds string) (*Context, DataSource, bool) {
		return &Context{ScopeID: "u"}, DataSource{ID: ds}, ds == "k"
	})
	require.Len(t, out, 2)
	assert.Equal(t, "r1", out[0].Rule.ID)
	assert.Equal(t, "r3", out[1].Rule.ID)
	require.Len(t, failed, 1)
	assert.Equal(t, "r2", failed[0].Rule.ID)
	require.Len(t, waiting, 1)
	assert.Equal(t, "other-ds", waiting[0].ID)
}

func TestDisabledRuleResolvedButFlagged(t *testing.T) {
	off := false
	r := resolveOne(t, Rule{ID: "x", Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k", Enabled: &off,
		Predefined: PredefinedConfig{Name: "kubernetes_pod_oom_events"}})
	assert.False(t, r.IsEnabled())
	assert.Contains(t, WireRules([]*Resolved{r}), `"enabled":false`)
}

func TestTemplateParamsEscaped(t *testing.T) {
	r := resolveOne(t, Rule{ID: "x", Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k",
		Predefined: PredefinedConfig{Name: "kubernetes_pvc_low_free_space", Params: map[string]any{"namespace": `a"b\c`, "pvc_regex": `data-\d+`}}})
	assert.Equal(t, `(kubelet_volume_stats_available_bytes{namespace="a\"b\\c",persistentvolumeclaim=~"data-\\d+"} / clamp_min(kubelet_volume_stats_capacity_bytes{namespace="a\"b\\c",persistentvolumeclaim=~"data-\\d+"}, 1))`, r.Query)
	r = resolveOne(t, Rule{ID: "y", Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k",
		Predefined: PredefinedConfig{Name: "kubernetes_statefulset_pvc_low_free_space", Params: map[string]any{"statefulset": "db.v1"}}})
	assert.Contains(t, r.Query, `persistentvolumeclaim=~".*-db\\.v1-[0-9]+"`)
}

func TestDefaultQueriesAreTheAgents(t *testing.T) {
	// Defaults give the original's query strings (except not_ready, fixed).
	for name, want := range map[string]string{
		"kubernetes_service_high_latency":             `histogram_quantile(0.95, sum(rate(istio_request_duration_milliseconds_bucket[5m])) by (le, destination_workload_namespace, destination_canonical_service))`,
		"kubernetes_pod_crashloop_or_imagepull_error": `max by (namespace, pod) (max_over_time(kube_pod_container_status_waiting_reason{reason=~"CrashLoopBackOff|ImagePullBackOff|ErrImagePull"}[5m]))`,
		"kubernetes_pvc_free_space_burn_rate":         `(predict_linear(kubelet_volume_stats_available_bytes[6h], 86400) / clamp_min(kubelet_volume_stats_capacity_bytes, 1))`,
		"kubernetes_pod_not_ready":                    `max by (namespace, pod) (max_over_time((1 - kube_pod_status_ready{condition="true"})[5m:]))`,
	} {
		r := resolveOne(t, Rule{ID: name, Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k", Predefined: PredefinedConfig{Name: name}})
		assert.Equal(t, want, r.Query, name)
	}
	assert.Error(t, checkPromQL(`max by (namespace, pod) (max_over_time((1 - kube_pod_status_ready{condition="true"})[5m]))`), "the original's not_ready query")
}
