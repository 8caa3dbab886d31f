package kubernetesreceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/promtest"
)

func TestFlowsConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	load := func(name string) (*Config, error) {
		sub, err := cm.Sub(component.NewIDWithName(typeStr, name).String())
		require.NoError(t, err)
		cfg := createDefaultConfig().(*Config)
		if err := sub.Unmarshal(cfg); err != nil {
			return nil, err
		}
		return cfg, cfg.Validate()
	}
	cfg, err := load("flows")
	require.NoError(t, err)
	assert.Equal(t, "http://prometheus.istio-system:9090", cfg.Prometheus.ClientConfig.Endpoint)
	assert.True(t, cfg.Prometheus.IstioFlows)
	assert.True(t, cfg.Prometheus.RetinaFlows)
	assert.Equal(t, 30*time.Second, cfg.Prometheus.Interval)
	_, err = load("flows_wrong")
	require.ErrorContains(t, err, "endpoin", "a typo under prometheus is refused")
	cfg = createDefaultConfig().(*Config)
	cfg.Prometheus.IstioFlows = true
	cfg.Prometheus.Interval = 0
	require.EqualError(t, cfg.Validate(), "prometheus.endpoint: required by istio_flows and retina_flows\nprometheus.interval: must be at least 1s")
}

// meshMetrics serves Istio series from both reporters and Retina series;
// counters grow with time.
func meshMetrics(start time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		t := time.Since(start).Seconds()
		istio := func(reporter, code, src, dst string, perSec float64) {
			srcWorkload := src + "-v1"
			if src == "unknown" {
				srcWorkload = src
			}
			fmt.Fprintf(w, "istio_requests_total{reporter=%q,response_code=%q,source_workload_namespace=\"shop\",source_workload=%q,source_canonical_service=%q,destination_workload_namespace=\"shop\",destination_workload=\"%s-v1\",destination_canonical_service=%q} %g\n",
				reporter, code, srcWorkload, src, dst, dst, perSec*t)
		}
		// web → api seen by both sidecars: counted once.
		istio("source", "200", "web", "api", 10)
		istio("destination", "200", "web", "api", 10)
		istio("source", "503", "web", "api", 2)
		istio("destination", "503", "web", "api", 2)
		// From outside the mesh: only the server's sidecar reports.
		istio("destination", "200", "unknown", "api", 5)
		retina := func(srcNS, src, dstNS, dst string, perSec float64) {
			fmt.Fprintf(w, "networkobservability_adv_forward_bytes{source_namespace=%q,source_podname=%q,destination_namespace=%q,destination_podname=%q} %g\n", srcNS, src, dstNS, dst, perSec*t)
		}
		retina("shop", "web-1", "shop", "api-1", 1000)
		retina("unknown", "x", "shop", "api-1", 1000)
	})
}

func TestFlowsFromPrometheus(t *testing.T) {
	metrics := httptest.NewServer(meshMetrics(time.Now()))
	defer metrics.Close()
	prom := promtest.Start(t, strings.TrimPrefix(metrics.URL, "http://"))
	prom.WaitForSeries(t, `count_over_time(istio_requests_total[1m]) >= 4`, 5)

	cfg := createDefaultConfig().(*Config).Prometheus
	cfg.ClientConfig.Endpoint = prom.URL
	cfg.IstioFlows, cfg.RetinaFlows = true, true
	f, err := newFlowReader(context.Background(), &cfg, componenttest.NewNopHost(), componenttest.NewNopTelemetrySettings(), "uid")
	require.NoError(t, err)
	to := time.Now()
	obs, err := f.read(context.Background(), to.Add(-time.Minute), to)
	require.NoError(t, err)

	byPair := map[string]entity.Observation{}
	for _, o := range obs {
		byPair[o.Type+" "+o.SourceID+" → "+o.DestinationID] = o
	}
	svc := byPair["kubernetes_istio_flow uid-shop-kubernetes.service-web → uid-shop-kubernetes.service-api"]
	dep := byPair["kubernetes_istio_flow uid-shop-kubernetes.deployment-web-v1 → uid-shop-kubernetes.deployment-api-v1"]
	pod := byPair["kubernetes_retina_flow uid-shop-kubernetes.pod-web-1 → uid-shop-kubernetes.pod-api-1"]
	require.Len(t, byPair, 3, "%v", byPair)
	// What the client's sidecar alone counted: both reporters counted the
	// same requests, which must be taken once.
	once, err := f.query(context.Background(), `sum(increase(istio_requests_total{reporter="source",source_canonical_service="web"}[60s]))`, to)
	require.NoError(t, err)
	require.Len(t, once, 1)
	for _, o := range []entity.Observation{svc, dep} {
		// 12 requests/s (200 + 503), 2/s of them failed.
		assert.InDelta(t, float64(once[0].Value), float64(o.Connections), 1)
		assert.InDelta(t, float64(once[0].Value)/60, o.Attributes["request_rate"].(float64), 0.05)
		assert.Greater(t, o.Connections, int64(0))
		assert.Greater(t, o.FailedConnections, int64(0))
		assert.Less(t, o.FailedConnections, o.Connections)
		assert.InDelta(t, 2.0/12.0, float64(o.FailedConnections)/float64(o.Connections), 0.05)
		assert.Equal(t, "shop.kubernetes.namespace", o.Partition)
	}
	assert.Greater(t, pod.BytesSent, int64(0))
	assert.Equal(t, to.Add(-time.Minute), pod.FirstSeen)
	assert.Equal(t, to, pod.LastSeen)

	// The window is the time since the last read: two abutting windows
	// count what one window over both counts.
	mid := to.Add(-30 * time.Second)
	a, err := f.read(context.Background(), to.Add(-time.Minute), mid)
	require.NoError(t, err)
	b, err := f.read(context.Background(), mid, to)
	require.NoError(t, err)
	sum := func(obs []entity.Observation) (n int64) {
		for _, o := range obs {
			if o.Type == relRetinaFlow {
				n += o.BytesSent
			}
		}
		return n
	}
	assert.InDelta(t, float64(pod.BytesSent), float64(sum(a)+sum(b)), float64(pod.BytesSent)*0.2+2000)
}
