package coordimapprocessor

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.uber.org/zap/zaptest"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/promtest"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
	"github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor/internal/metricrules"
)

func ruleConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Prometheus.ClientConfig.Endpoint = endpoint
	cfg.Prometheus.BearerToken = "tok"
	cfg.EvaluationInterval = time.Hour // only the cycle a new data source wakes
	cfg.MetricRules = []metricrules.Rule{{
		ID: "unavailable", Name: "Deployment unavailable", Provider: "prometheus", Mode: "predefined",
		DataSource: "coordimap_kubernetes", Predefined: metricrules.PredefinedConfig{Name: "kubernetes_deployment_unavailable_replicas"},
	}}
	return cfg
}

func kubeBatch(t *testing.T) plog.Logs {
	b := entity.NewBatch(entity.Source{ScopeID: "uid", DataSourceID: "coordimap_kubernetes", DataSourceType: "kubernetes"})
	require.NoError(t, b.AddState(time.Now(), entity.Entity{
		Ref: entity.Ref{Type: "kubernetes.deployment", InternalID: "uid-shop-kubernetes.deployment-broken"}, Name: "broken",
	}))
	return b.Logs()
}

// waitLogs polls the sink until it holds n batches (the trigger batch is
// sent by the processor's own goroutine).
func waitLogs(t *testing.T, sink *consumertest.LogsSink, n int) []plog.Logs {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for sink.LogRecordCount() < n && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	require.GreaterOrEqual(t, len(sink.AllLogs()), n)
	return sink.AllLogs()
}

func TestMetricRulesAgainstPrometheus(t *testing.T) {
	var authSeen atomic.Value
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `kube_deployment_status_replicas_unavailable{namespace="shop",deployment="broken"} 2`)
		fmt.Fprintln(w, `kube_deployment_status_replicas_unavailable{namespace="shop",deployment="healthy"} 0`)
	}))
	defer metrics.Close()
	prom := promtest.Start(t, strings.TrimPrefix(metrics.URL, "http://"))
	prom.WaitForSeries(t, "kube_deployment_status_replicas_unavailable", 2)
	// A proxy in front of Prometheus checks the bearer token arrives.
	target, err := url.Parse(prom.URL)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authSeen.Store(r.Header.Get("Authorization"))
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	sink := new(consumertest.LogsSink)
	host := statustest.NewHost()
	set := processortest.NewNopSettings(Type)
	set.Logger = zaptest.NewLogger(t)
	p, err := NewFactory().CreateLogs(context.Background(), set, ruleConfig(proxy.URL), sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	defer func() { require.NoError(t, p.Shutdown(context.Background())) }()

	require.NoError(t, p.ConsumeLogs(context.Background(), kubeBatch(t)))
	all := waitLogs(t, sink, 2)

	// The trigger is sent by the evaluation goroutine the new data source
	// wakes, so it may arrive before or after the batch that woke it.
	passing, triggers := all[0], all[1]
	if entity.View(passing.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)).Type() == "coordimap.metric_trigger" {
		passing, triggers = triggers, passing
	}
	// The passing batch carries the data source's rules.
	rules, ok := passing.ResourceLogs().At(0).Resource().Attributes().Get(entity.AttrDataSourceMetricRules)
	require.True(t, ok)
	assert.Contains(t, rules.Str(), `"query":"max by (namespace, deployment) (kube_deployment_status_replicas_unavailable)"`)

	trig := triggers.ResourceLogs().At(0)
	src := entity.ReadSource(trig.Resource())
	assert.Equal(t, "uid", src.ScopeID)
	assert.Equal(t, "coordimap_kubernetes", src.DataSourceID)
	assert.Equal(t, rules.Str(), src.MetricRules)
	rec := entity.View(trig.ScopeLogs().At(0).LogRecords().At(0))
	assert.Equal(t, "coordimap.metric_trigger", rec.Type())
	assert.Equal(t, "Deployment unavailable", rec.Name())
	assert.Equal(t, time.Hour, rec.ReportInterval(), "a local graph expires a trigger after three evaluation intervals")
	assert.True(t, strings.HasPrefix(rec.InternalID(), "metric-trigger:coordimap_kubernetes:unavailable:"), rec.InternalID())
	assert.True(t, strings.HasSuffix(rec.InternalID(), ":uid-shop-kubernetes.deployment-broken"), rec.InternalID())
	assert.Contains(t, string(rec.AppendBodyJSON(nil)), `"targets":[{"internal_id":"uid-shop-kubernetes.deployment-broken","value":2,"labels":{"deployment":"broken","namespace":"shop"}}]`)
	assert.Equal(t, "Bearer tok", authSeen.Load())
	assert.Equal(t, componentstatus.StatusOK, host.Last().Status())
}

func TestMetricRulesPrometheusDown(t *testing.T) {
	sink := new(consumertest.LogsSink)
	host := statustest.NewHost()
	cfg := ruleConfig("http://127.0.0.1:1")
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), host))
	require.NoError(t, p.ConsumeLogs(context.Background(), kubeBatch(t)))
	deadline := time.Now().Add(30 * time.Second)
	for host.Last().Status() != componentstatus.StatusRecoverableError && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, p.Shutdown(context.Background()))
	assert.Equal(t, componentstatus.StatusRecoverableError, host.Last().Status())
	assert.ErrorContains(t, host.Last().Err(), "prometheus")
	assert.Equal(t, 1, sink.LogRecordCount(), "the batch passed, no trigger")
}

func TestMetricRulesShutdownWithoutStart(t *testing.T) {
	p, err := NewFactory().CreateLogs(context.Background(), processortest.NewNopSettings(Type), ruleConfig("http://x"), new(consumertest.LogsSink))
	require.NoError(t, err)
	require.NoError(t, p.Shutdown(context.Background()))
}
