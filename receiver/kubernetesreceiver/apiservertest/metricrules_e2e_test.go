package apiservertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/coordimap/otelcol-coordimap/internal/promtest"
)

// coordimapAPI is an httptest Coordimap API keeping every element sent.
type coordimapAPI struct {
	mu       sync.Mutex
	elements map[string]wireElement
	bodies   []string
}

type wireElement struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Hash string `json:"hash"`
	Data []byte `json:"data"`
}

func (a *coordimapAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req struct {
		CloudCrawlData struct {
			CrawledData struct {
				Data []wireElement `json:"data"`
			} `json:"crawled_data"`
		} `json:"cloud_crawl_data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.bodies = append(a.bodies, string(body))
	for _, e := range req.CloudCrawlData.CrawledData.Data {
		a.elements[e.ID] = e
	}
	a.mu.Unlock()
	_, _ = io.WriteString(w, `{"status":{"http_code":200,"message":"ok"}}`)
}

func (a *coordimapAPI) find(pred func(wireElement) bool) (wireElement, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range a.elements {
		if pred(e) {
			return e, true
		}
	}
	return wireElement{}, false
}

// TestCollectorMetricTriggersAndIstioFlows runs the built collector with
// coordimap_kubernetes on a real kube-apiserver, Istio flows and the
// processor's metric rules on a real Prometheus, and checks what reaches
// the Coordimap endpoint: the trigger element with the agent's ID, payload
// and hash naming the deployment, and the Istio edges (code 103).
func TestCollectorMetricTriggersAndIstioFlows(t *testing.T) {
	bin := os.Getenv("COORDIMAP_COLLECTOR_BIN")
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("COORDIMAP_COLLECTOR_BIN is not set: run the tests with `make test`")
		}
		t.Skip("COORDIMAP_COLLECTOR_BIN is not set: `make test` builds the collector and sets it")
	}
	srv := Start(t)
	ctx := context.Background()
	c := srv.Client
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, metav1.CreateOptions{})
	require.NoError(t, err)
	labels := map[string]string{"app": "api"}
	_, err = c.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "broken", Namespace: "shop"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox"}}}},
		},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	ks, err := c.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	require.NoError(t, err)
	uid := string(ks.UID)

	start := time.Now()
	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s := time.Since(start).Seconds()
		fmt.Fprintln(w, `kube_deployment_status_replicas_unavailable{namespace="shop",deployment="broken"} 2`)
		fmt.Fprintln(w, `kube_deployment_status_replicas_unavailable{namespace="shop",deployment="fine"} 0`)
		fmt.Fprintf(w, "istio_requests_total{reporter=\"destination\",response_code=\"200\",source_workload_namespace=\"shop\",source_workload=\"web\",source_canonical_service=\"web\",destination_workload_namespace=\"shop\",destination_workload=\"broken\",destination_canonical_service=\"api\"} %g\n", 20*s)
	}))
	defer metrics.Close()
	prom := promtest.Start(t, strings.TrimPrefix(metrics.URL, "http://"))
	prom.WaitForSeries(t, `count_over_time(istio_requests_total[1m]) >= 3`, 1)

	api := &coordimapAPI{elements: map[string]wireElement{}}
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  coordimap_kubernetes:
    auth_type: kubeConfig
    kubeconfig_path: %s
    namespaces: [shop]
    resources: [namespaces, deployments]
    prometheus:
      endpoint: %s
      istio_flows: true
      interval: 2s
processors:
  coordimap:
    evaluation_interval: 1h
    prometheus:
      endpoint: %s
    metric_rules:
      - id: unavailable
        name: Deployment unavailable
        provider: prometheus
        mode: predefined
        data_source: coordimap_kubernetes
        predefined:
          name: kubernetes_deployment_unavailable_replicas
exporters:
  coordimap:
    endpoint: %s
    api_key: e2e-key
service:
  pipelines:
    logs:
      receivers: [coordimap_kubernetes]
      processors: [coordimap]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, srv.Kubeconfig, prom.URL, prom.URL, apiSrv.URL), 0o600))
	out := new(bytes.Buffer)
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	deployment := uid + "-shop-kubernetes.deployment-broken"
	edge := uid + "-shop-kubernetes.service-web." + uid + "-shop-kubernetes.service-api"
	var trig, istio wireElement
	deadline := time.Now().Add(2 * time.Minute)
	for trig.ID == "" || istio.ID == "" {
		if time.Now().After(deadline) {
			t.Fatalf("trigger %q, istio edge %q; collector output:\n%s", trig.ID, istio.ID, out.String())
		}
		trig, _ = api.find(func(e wireElement) bool { return e.Type == "coordimap.metric_trigger" })
		istio, _ = api.find(func(e wireElement) bool { return e.ID == edge })
		time.Sleep(100 * time.Millisecond)
	}
	assert.Regexp(t, `^metric-trigger:coordimap_kubernetes:unavailable:\d{12}:`+deployment+`$`, trig.ID)
	var payload struct {
		TriggerType    string `json:"trigger_type"`
		Provider       string `json:"provider"`
		DataSourceID   string `json:"data_source_id"`
		DataSourceType string `json:"data_source_type"`
		RuleID         string `json:"rule_id"`
		RuleName       string `json:"rule_name"`
		Query          string `json:"query,omitempty"`
		Window         string `json:"window,omitempty"`
		Threshold      struct {
			Operator string  `json:"operator"`
			Value    float64 `json:"value"`
		} `json:"threshold"`
		Targets []struct {
			InternalID string            `json:"internal_id"`
			Value      float64           `json:"value"`
			Labels     map[string]string `json:"labels,omitempty"`
		} `json:"targets"`
		TriggeredAt time.Time `json:"triggered_at"`
	}
	require.NoError(t, json.Unmarshal(trig.Data, &payload))
	require.Len(t, payload.Targets, 1)
	assert.Equal(t, deployment, payload.Targets[0].InternalID)
	assert.Equal(t, "kubernetes", payload.DataSourceType)
	ref, err := json.Marshal(payload)
	require.NoError(t, err)
	assert.Equal(t, string(ref), string(trig.Data), "the agent's encoding of the same payload")
	sum := sha256.Sum256(ref)
	assert.Equal(t, hex.EncodeToString(sum[:]), trig.Hash)

	var rel struct {
		RelationType int `json:"relation_type"`
	}
	require.NoError(t, json.Unmarshal(istio.Data, &rel))
	assert.Equal(t, 103, rel.RelationType)
	_, ok := api.find(func(e wireElement) bool {
		return e.ID == uid+"-shop-kubernetes.deployment-web."+uid+"-shop-kubernetes.deployment-broken"
	})
	assert.True(t, ok, "deployment → deployment edge")
}
