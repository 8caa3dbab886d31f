package e2etest

import (
	"bytes"
	"context"
	"encoding/base64"
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
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/pgtest"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// collectorBinary is the distribution built by `make build`.
func collectorBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("COORDIMAP_COLLECTOR_BIN")
	if bin == "" {
		testneed.Unavailable(t, "The collector binary (COORDIMAP_COLLECTOR_BIN)", "`make test` builds the collector and sets it", nil)
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("collector binary: %v", err)
	}
	return bin
}

// runCollector starts bin on cfgPath with env added; the process is
// killed at the end of the test unless it exited. exited receives Wait's
// result.
func runCollector(t *testing.T, bin, cfgPath string, env ...string) (*exec.Cmd, *bytes.Buffer, chan error) {
	t.Helper()
	out := new(bytes.Buffer)
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	return cmd, out, exited
}

// stopCollector sends SIGTERM and expects a clean exit within 30 s.
func stopCollector(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, exited chan error) {
	t.Helper()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		assert.NoError(t, err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("collector did not stop on SIGTERM:\n%s", out.String())
	}
}

// awaitElements waits up to a minute for every element of want to reach
// fake, and fails at once if the collector exits.
func awaitElements(t *testing.T, fake *api, want []string, out *bytes.Buffer, exited chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range want {
		for !fake.has(id) {
			if time.Now().After(deadline) {
				t.Fatalf("element %s never arrived; collector output:\n%s", id, out.String())
			}
			select {
			case err := <-exited:
				t.Fatalf("collector exited early: %v\n%s", err, out.String())
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// api is an httptest Coordimap API that accepts everything.
type api struct {
	mu       sync.Mutex
	elements map[string]element // by id
	keys     map[string]bool
	bodies   []string
}

type element struct {
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Hash string `json:"hash"`
	Data []byte `json:"data"`
}

// requestBody is the part of a request body the tests read.
type requestBody struct {
	CloudCrawlData struct {
		CrawledData struct {
			Data []element `json:"data"`
		} `json:"crawled_data"`
	} `json:"cloud_crawl_data"`
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req requestBody
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	a.bodies = append(a.bodies, string(body))
	a.keys[r.Header.Get("Api-Key")] = true
	for _, e := range req.CloudCrawlData.CrawledData.Data {
		a.elements[e.ID] = e
	}
	a.mu.Unlock()
	_, _ = io.WriteString(w, `{"status":{"http_code":200,"message":"ok"}}`)
}

// writeConfig writes a collector configuration in a temporary directory:
// the receiver (its settings, indented under its name) → the coordimap
// processor → the coordimap exporter, to the API at url and a graph file.
func writeConfig(t *testing.T, receiver, settings, url, apiKey string) (cfgPath, graph string) {
	t.Helper()
	dir := t.TempDir()
	graph = filepath.Join(dir, "graph.json")
	cfgPath = filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  %s:%s
processors:
  coordimap: {}
exporters:
  coordimap:
    endpoint: %s
    api_key: %s
    graph_file: %s
    graph_flush_interval: 200ms
service:
  pipelines:
    logs:
      receivers: [%s]
      processors: [coordimap]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, receiver, settings, url, apiKey, graph, receiver), 0o600))
	return cfgPath, graph
}

// newAPI starts an httptest Coordimap API, closed at the test's cleanup.
func newAPI(t *testing.T) (*api, *httptest.Server) {
	t.Helper()
	fake := &api{elements: map[string]element{}, keys: map[string]bool{}}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv
}

func (a *api) has(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.elements[id]
	return ok
}

const fixture = `
CREATE SCHEMA shop;
CREATE TABLE shop.customers (id serial PRIMARY KEY, email text UNIQUE NOT NULL);
CREATE TABLE shop.orders (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES shop.customers(id), total numeric);
CREATE INDEX orders_customer ON shop.orders (customer_id);
CREATE VIEW shop.big_orders AS SELECT * FROM shop.orders WHERE total > 100;
CREATE ROLE crawler LOGIN PASSWORD 'e2e-secret-pw';
GRANT USAGE ON SCHEMA shop TO crawler;
GRANT SELECT ON ALL TABLES IN SCHEMA shop TO crawler;
`

// startShopDB starts a throwaway PostgreSQL with an empty database shopdb
// and returns it with its system_identifier (the scope of its elements).
func startShopDB(ctx context.Context, t *testing.T) (*pgtest.Server, string) {
	t.Helper()
	pg, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE shopdb")
	require.NoError(t, err)
	var sysid string
	require.NoError(t, conn.QueryRow(ctx, "SELECT system_identifier::text FROM pg_control_system()").Scan(&sysid))
	return pg, sysid
}

func TestCollectorDeliversPostgresGraph(t *testing.T) {
	bin := collectorBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pg, sysid := startShopDB(ctx, t)
	conn, err := pgx.Connect(ctx, pg.DSN("shopdb"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, fixture)
	require.NoError(t, err)
	conn.Close(ctx)

	fake, srv := newAPI(t)
	cfgPath, graph := writeConfig(t, "coordimap_postgres", fmt.Sprintf(`
    endpoint: %s
    username: crawler
    password: ${env:E2E_PG_PASSWORD}
    databases: [shopdb]
    tls:
      insecure: true
    collection_interval: 1h`, pg.Endpoint()), srv.URL, "${env:E2E_API_KEY}")

	cmd, out, exited := runCollector(t, bin, cfgPath, "E2E_PG_PASSWORD=e2e-secret-pw", "E2E_API_KEY=e2e-api-key")

	// IDs as the original agent builds them: <system_identifier>/<db>-<schema>@<name>.
	want := []string{
		sysid + "/shopdb-@",
		sysid + "/shopdb-shop@",
		sysid + "/shopdb-shop@customers",
		sysid + "/shopdb-shop@orders",
		sysid + "/shopdb-shop@orders_customer",
		sysid + "/shopdb-shop@big_orders",
		sysid + "/shopdb-shop@." + sysid + "/shopdb-shop@orders",
		sysid + "/shopdb-shop@orders." + sysid + "/shopdb-shop@customers",
	}
	awaitElements(t, fake, want, out, exited)
	fake.mu.Lock()
	for _, e := range fake.elements {
		if e.Type == "coordimap.relationship_skipinsert" {
			continue
		}
		assert.True(t, json.Valid(e.Data), e.ID)
	}
	assert.Equal(t, map[string]bool{"e2e-api-key": true}, fake.keys)
	for _, b := range fake.bodies {
		assert.NotContains(t, b, "e2e-secret-pw")
		assert.NotContains(t, b, base64.StdEncoding.EncodeToString([]byte("e2e-secret-pw")))
	}
	fake.mu.Unlock()

	require.Eventually(t, func() bool {
		raw, err := os.ReadFile(graph)
		return err == nil && bytes.Contains(raw, []byte(sysid+"/shopdb-shop@orders"))
	}, 30*time.Second, 100*time.Millisecond, "graph file")

	stopCollector(t, cmd, out, exited)
	assert.NotContains(t, out.String(), "e2e-secret-pw")
	assert.NotContains(t, out.String(), "e2e-api-key")
}

// TestBadConfigNamesTheField: a typo fails at start, naming the key.
func TestBadConfigNamesTheField(t *testing.T) {
	bin := collectorBinary(t)
	cases := map[string]struct{ config, want string }{
		"receiver typo": {`
receivers:
  coordimap_postgres:
    endpoint: 127.0.0.1:5432
    colection_interval: 10s
exporters:
  coordimap:
    graph_file: /tmp/g.json
service:
  pipelines:
    logs: {receivers: [coordimap_postgres], exporters: [coordimap]}
`, "colection_interval"},
		"exporter typo": {`
receivers:
  coordimap_postgres:
    endpoint: 127.0.0.1:5432
exporters:
  coordimap:
    grap_file: /tmp/g.json
service:
  pipelines:
    logs: {receivers: [coordimap_postgres], exporters: [coordimap]}
`, "grap_file"},
		"exporter without output": {`
receivers:
  coordimap_postgres:
    endpoint: 127.0.0.1:5432
exporters:
  coordimap: {}
service:
  pipelines:
    logs: {receivers: [coordimap_postgres], exporters: [coordimap]}
`, "api_key"},
		"bad mapping": {`
receivers:
  coordimap_postgres:
    endpoint: 127.0.0.1:5432
processors:
  coordimap:
    external_mappings: ["no-at-sign"]
exporters:
  coordimap:
    graph_file: /tmp/g.json
service:
  pipelines:
    logs: {receivers: [coordimap_postgres], processors: [coordimap], exporters: [coordimap]}
`, "no-at-sign"},
		"misspelled resolver": {`
receivers:
  coordimap_postgres:
    endpoint: 127.0.0.1:5432
processors:
  coordimap:
    prometheus: {endpoint: "http://127.0.0.1:9090"}
    metric_rules:
      - id: pods-hot
        provider: prometheus
        mode: custom
        data_source: coordimap_postgres
        custom: {query: "up"}
        threshold: {value: 1}
        target: {resolver: kubernetes_pods, namespace_label: namespace, name_label: pod}
exporters:
  coordimap:
    graph_file: /tmp/g.json
service:
  pipelines:
    logs: {receivers: [coordimap_postgres], processors: [coordimap], exporters: [coordimap]}
`, `metric_rules[0] (id "pods-hot"): target.resolver: unknown resolver "kubernetes_pods"`},
		"misspelled template": {`
receivers:
  coordimap_postgres:
    endpoint: 127.0.0.1:5432
processors:
  coordimap:
    prometheus: {endpoint: "http://127.0.0.1:9090"}
    metric_rules:
      - id: oom
        provider: prometheus
        mode: predefined
        data_source: coordimap_postgres
        predefined: {name: kubernetes_pod_oom_event}
exporters:
  coordimap:
    graph_file: /tmp/g.json
service:
  pipelines:
    logs: {receivers: [coordimap_postgres], processors: [coordimap], exporters: [coordimap]}
`, `metric_rules[0] (id "oom"): predefined.name: unknown prometheus template "kubernetes_pod_oom_event"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.yaml")
			require.NoError(t, os.WriteFile(path, []byte(c.config), 0o600))
			out, err := exec.Command(bin, "validate", "--config", path).CombinedOutput()
			require.Error(t, err, "validate must fail:\n%s", out)
			assert.Contains(t, string(out), c.want)
		})
	}
}

// TestDefaultConfigValidates: the embedded default config of `make run`.
func TestDefaultConfigValidates(t *testing.T) {
	bin := collectorBinary(t)
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	out, err := exec.Command(bin, "validate", "--config", filepath.Join(root, "otelcol-config.yaml")).CombinedOutput()
	require.NoError(t, err, string(out))
}

func TestComponentsListed(t *testing.T) {
	bin := collectorBinary(t)
	out, err := exec.Command(bin, "components").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, name := range []string{"coordimap_postgres", "coordimap_mariadb", "coordimap_mongodb", "coordimap_flows", "coordimap_kubernetes", "coordimap_aws", "coordimap_aws_flow_logs", "coordimap_gcp", "coordimap_gcp_flow_logs", "coordimap", "otlp", "batch", "memory_limiter", "k8s_attributes", "debug", "otlp_grpc", "otlp_http", "file_storage", "coordimap_events", "kafka"} {
		assert.True(t, strings.Contains(string(out), "name: "+name), name)
	}
	assert.Contains(t, string(out), "connectors:\n    - name: coordimap\n", "the coordimap connector")
}
