package metricrules

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/promtest"
)

// exposition serves kube-state-metrics-, cAdvisor-, kubelet- and
// Istio-shaped series; counters grow with the time since start, so rate()
// and increase() see what each series is crafted for.
type exposition struct{ start time.Time }

func (e *exposition) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	t := time.Since(e.start).Seconds()
	var b strings.Builder
	line := func(name, labels string, v float64) { fmt.Fprintf(&b, "%s{%s} %g\n", name, labels, v) }
	istio := func(svc, code string, perSec float64) {
		line("istio_requests_total", fmt.Sprintf(`destination_workload_namespace="shop",destination_canonical_service=%q,destination_workload="%s-v1",source_workload="web-v1",source_workload_namespace="shop",response_code=%q`, svc, svc, code), perSec*t)
	}
	istio("api", "503", 1000) // 1000 errors/s: over 1/s on a 5m rate after a few scrapes
	istio("cart", "500", 0.1)
	istio("cart", "200", 50) // many requests, few errors: quiet
	// Latency: every api request in the 1000 ms bucket, every cart one in 100 ms.
	for _, le := range []string{"100", "500", "1000", "+Inf"} {
		api, cart := 0.0, 5*t
		if le == "1000" || le == "+Inf" {
			api = 5 * t
		}
		line("istio_request_duration_milliseconds_bucket", fmt.Sprintf(`destination_workload_namespace="shop",destination_canonical_service="api",le=%q`, le), api)
		line("istio_request_duration_milliseconds_bucket", fmt.Sprintf(`destination_workload_namespace="shop",destination_canonical_service="cart",le=%q`, le), cart)
	}
	pod := func(name, p string, v float64) {
		line(name, fmt.Sprintf(`namespace="shop",pod=%q,container="app"`, p), v)
	}
	pod("kube_pod_container_status_restarts_total", "crashy", 50*t)
	pod("kube_pod_container_status_restarts_total", "steady", 2)
	line("kube_pod_container_status_waiting_reason", `namespace="shop",pod="crashy",container="app",reason="CrashLoopBackOff"`, 1)
	line("kube_pod_container_status_waiting_reason", `namespace="shop",pod="steady",container="app",reason="ContainerCreating"`, 1)
	line("kube_pod_status_ready", `namespace="shop",pod="crashy",condition="true"`, 0)
	line("kube_pod_status_ready", `namespace="shop",pod="steady",condition="true"`, 1)
	line("kube_pod_status_unschedulable", `namespace="shop",pod="pending"`, 1)
	line("kube_pod_status_unschedulable", `namespace="shop",pod="steady"`, 0)
	dep := func(name, d string, v float64) { line(name, fmt.Sprintf(`namespace="shop",deployment=%q`, d), v) }
	dep("kube_deployment_status_replicas_unavailable", "broken", 2)
	dep("kube_deployment_status_replicas_unavailable", "healthy", 0)
	dep("kube_deployment_spec_replicas", "broken", 3)
	dep("kube_deployment_status_replicas_available", "broken", 1)
	dep("kube_deployment_spec_replicas", "healthy", 2)
	dep("kube_deployment_status_replicas_available", "healthy", 2)
	pod("container_cpu_usage_seconds_total", "hot", 500*t)
	pod("container_cpu_usage_seconds_total", "steady", 0.1*t)
	pod("container_memory_working_set_bytes", "hot", 2e9)
	pod("container_memory_working_set_bytes", "steady", 1e8)
	pod("container_cpu_cfs_periods_total", "hot", 10*t)
	pod("container_cpu_cfs_throttled_periods_total", "hot", 5*t)
	pod("container_cpu_cfs_periods_total", "steady", 10*t)
	pod("container_cpu_cfs_throttled_periods_total", "steady", 0)
	pod("container_oom_events_total", "oomy", 1*t)
	pod("container_oom_events_total", "steady", 1)
	pvc := func(name, c string, v float64) {
		line(name, fmt.Sprintf(`namespace="shop",persistentvolumeclaim=%q`, c), v)
	}
	for _, c := range []struct {
		name                  string
		avail, inodesFree, cp float64
	}{
		{"full", 5, 1, 100},
		{"roomy", 80, 90, 100},
		{"data-db-0", 5, 50, 100},
		{"data-web-0", 5, 50, 100},
		{"draining", 95 - 3*t, 50, 1000},
	} {
		pvc("kubelet_volume_stats_available_bytes", c.name, c.avail)
		pvc("kubelet_volume_stats_capacity_bytes", c.name, c.cp)
		pvc("kubelet_volume_stats_inodes_free", c.name, c.inodesFree)
		pvc("kubelet_volume_stats_inodes", c.name, 100)
	}
	_, _ = w.Write([]byte(b.String()))
}

// templateCase is a template, its params, the target a crafted series must
// make it fire on and one it must stay quiet on.
type templateCase struct {
	name        string
	params      map[string]any
	fire, quiet string
}

var promCases = []templateCase{
	{"kubernetes_service_high_5xx", nil, "shop-kubernetes.service-api", "shop-kubernetes.service-cart"},
	{"kubernetes_deployment_high_5xx", nil, "shop-kubernetes.deployment-api-v1", "shop-kubernetes.deployment-cart-v1"},
	{"kubernetes_service_high_latency", nil, "shop-kubernetes.service-api", "shop-kubernetes.service-cart"},
	{"kubernetes_pod_high_restart_rate", nil, "shop-kubernetes.pod-crashy", "shop-kubernetes.pod-steady"},
	{"kubernetes_pod_crashloop_or_imagepull_error", nil, "shop-kubernetes.pod-crashy", "shop-kubernetes.pod-steady"},
	{"kubernetes_pod_not_ready", nil, "shop-kubernetes.pod-crashy", "shop-kubernetes.pod-steady"},
	{"kubernetes_deployment_unavailable_replicas", nil, "shop-kubernetes.deployment-broken", "shop-kubernetes.deployment-healthy"},
	{"kubernetes_deployment_availability_gap", nil, "shop-kubernetes.deployment-broken", "shop-kubernetes.deployment-healthy"},
	{"kubernetes_pod_high_cpu_usage", nil, "shop-kubernetes.pod-hot", "shop-kubernetes.pod-steady"},
	{"kubernetes_pod_high_memory_workingset", nil, "shop-kubernetes.pod-hot", "shop-kubernetes.pod-steady"},
	{"kubernetes_pod_cpu_throttling_high", nil, "shop-kubernetes.pod-hot", "shop-kubernetes.pod-steady"},
	{"kubernetes_pod_oom_events", nil, "shop-kubernetes.pod-oomy", "shop-kubernetes.pod-steady"},
	{"kubernetes_pod_unschedulable", nil, "shop-kubernetes.pod-pending", "shop-kubernetes.pod-steady"},
	{"kubernetes_pvc_low_free_space", map[string]any{"namespace": "shop"}, "shop-kubernetes.pvc-full", "shop-kubernetes.pvc-roomy"},
	{"kubernetes_pvc_free_space_burn_rate", map[string]any{"window": "1m", "pvc_regex": "dr.*|roomy"}, "shop-kubernetes.pvc-draining", "shop-kubernetes.pvc-roomy"},
	{"kubernetes_inode_low_free", nil, "shop-kubernetes.pvc-full", "shop-kubernetes.pvc-roomy"},
	{"kubernetes_statefulset_pvc_low_free_space", map[string]any{"namespace": "shop", "statefulset": "db", "volume_claim_prefix": "data"}, "shop-kubernetes.pvc-data-db-0", "shop-kubernetes.pvc-data-web-0"},
}

func TestPrometheusTemplates(t *testing.T) {
	require.Len(t, promCases, len(TemplateNames(ProviderPrometheus)), "every template has a case")
	srv := httptest.NewServer(&exposition{start: time.Now()})
	defer srv.Close()
	prom := promtest.Start(t, strings.TrimPrefix(srv.URL, "http://"))
	// rate() needs two scrapes of every series.
	prom.WaitForSeries(t, `count_over_time(istio_requests_total[1m]) >= 3`, 3)

	ev, err := NewPrometheus(prom.URL, http.DefaultClient, 10*time.Second)
	require.NoError(t, err)
	ctx := &Context{ScopeID: "uid"}
	for _, tc := range promCases {
		t.Run(tc.name, func(t *testing.T) {
			r := resolveOne(t, Rule{ID: tc.name, Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k",
				Predefined: PredefinedConfig{Name: tc.name, Params: tc.params}})
			samples, err := ev.Evaluate(context.Background(), r, time.Now())
			require.NoError(t, err, r.Query)
			var ids []string
			for _, h := range Match(r, ctx, samples) {
				ids = append(ids, h.InternalID)
			}
			assert.Contains(t, ids, "uid-"+tc.fire, r.Query)
			assert.NotContains(t, ids, "uid-"+tc.quiet, r.Query)
			assert.True(t, slices.IsSorted(ids))
		})
	}

	t.Run("custom", func(t *testing.T) {
		r := resolveOne(t, Rule{ID: "c", Provider: ProviderPrometheus, Mode: ModeCustom, DataSource: "k",
			Custom:    CustomConfig{Query: `max by (namespace, deployment) (kube_deployment_spec_replicas)`},
			Threshold: &ThresholdConfig{Operator: ">=", Value: ptr(3.0)},
			Target:    &TargetConfig{Resolver: ResolverKubernetesDeployment, NamespaceLabel: "namespace", NameLabel: "deployment"}})
		samples, err := ev.Evaluate(context.Background(), r, time.Now())
		require.NoError(t, err)
		hits := Match(r, ctx, samples)
		require.Len(t, hits, 1)
		assert.Equal(t, "uid-shop-kubernetes.deployment-broken", hits[0].InternalID)
		assert.Equal(t, 3.0, hits[0].Value)
	})

	t.Run("server down", func(t *testing.T) {
		down, err := NewPrometheus("http://127.0.0.1:1", http.DefaultClient, time.Second)
		require.NoError(t, err)
		_, err = down.Evaluate(context.Background(), resolveOne(t, Rule{ID: "x", Provider: ProviderPrometheus, Mode: ModePredefined,
			DataSource: "k", Predefined: PredefinedConfig{Name: "kubernetes_pod_oom_events"}}), time.Now())
		var pe *ProviderError
		require.ErrorAs(t, err, &pe)
	})
}

func ptr[T any](v T) *T { return &v }
