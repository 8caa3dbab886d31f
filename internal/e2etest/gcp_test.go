package e2etest

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/gcpfake"
)

// The built collector with coordimap_gcp and coordimap_gcp_flow_logs on
// the recorded project (the real REST clients against gcpfake): the
// inventory reaches the Coordimap endpoint, and the flows as
// gcp_network_flow edges (101) client → server, the Cloud SQL end resolved
// by its address.
func TestCollectorDeliversGCP(t *testing.T) {
	bin := collectorBinary(t)
	gcp := gcpfake.New(t, filepath.Join("..", "..", "receiver", "gcpreceiver", "testdata", "api"),
		filepath.Join("..", "..", "receiver", "gcpflowlogsreceiver", "testdata", "entries.json"))
	fake := &api{elements: map[string]element{}, keys: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	ep := func(api string) string { return gcp.Endpoint(api) }
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  coordimap_gcp:
    project_id: shop-prod-1
    without_authentication: true
    collection_interval: 1h
    data_source_id: gcp
    endpoints: {compute: %s, container: %s, sqladmin: %s, storage: %s, run: %s, iam: %s, cloudresourcemanager: %s, pubsub: %s, redis: %s}
  coordimap_gcp_flow_logs:
    project_id: shop-prod-1
    without_authentication: true
    collection_interval: 1h
    initial_lookback: 876000h
    external_mappings: ["europe-west3-shop-gke@uid-k8s"]
    data_source_id: gcp-flows
    endpoints: {logging: %s, cloudresourcemanager: %s, sqladmin: %s}
processors:
  coordimap: {}
exporters:
  coordimap:
    endpoint: %s
    api_key: ${env:E2E_API_KEY}
service:
  pipelines:
    logs:
      receivers: [coordimap_gcp, coordimap_gcp_flow_logs]
      processors: [coordimap]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, ep("compute"), ep("container"), ep("sqladmin"), ep("storage"), ep("run"), ep("iam"), ep("cloudresourcemanager"), ep("pubsub"), ep("redis"),
		ep("logging"), ep("cloudresourcemanager"), ep("sqladmin"), srv.URL), 0o600))

	_, out, exited := runCollector(t, bin, cfgPath, "E2E_API_KEY=e2e-api-key")

	const (
		web1  = "123456789012-europe-west3-a-gcp.vm_instance-web-1"
		proxy = "123456789012-us-central1-a-gcp.vm_instance-db-proxy"
		sql   = "123456789012-europe-west3-a-gcp.cloud_sql-orders-db"
	)
	wantEdges := []string{web1 + "." + sql, web1 + "." + proxy}
	awaitElements(t, fake, append([]string{web1, proxy, sql, "123456789012--gcp.project-shop-prod-1"}, wantEdges...), out, exited)

	fake.mu.Lock()
	defer fake.mu.Unlock()
	var flows []string
	for id, e := range fake.elements {
		if e.Type != "coordimap.relationship_skipinsert" {
			continue
		}
		var d struct {
			RelationType int `json:"relation_type"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &d))
		if d.RelationType == 101 {
			flows = append(flows, id)
		}
	}
	for _, e := range wantEdges {
		assert.Contains(t, flows, e)
	}
	for _, f := range flows {
		assert.False(t, strings.HasPrefix(f, sql+"."), "no edge runs from the database: %s", f)
	}
	assert.Equal(t, "gcp.cloud_sql", fake.elements[sql].Type)
}
