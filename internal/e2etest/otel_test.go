package e2etest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.yaml.in/yaml/v3"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// otelService is one service of the test's application: a tracer provider
// of the real OpenTelemetry Go SDK exporting over OTLP/gRPC.
func otelService(t *testing.T, endpoint, name, pod string) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(), otlptracegrpc.WithEndpoint(endpoint), otlptracegrpc.WithInsecure())
	require.NoError(t, err)
	res := resource.NewWithAttributes("",
		attribute.String("service.name", name),
		attribute.String("service.namespace", "shop"),
		attribute.String("service.version", "1.0.0"),
		attribute.String("service.instance.id", pod),
		attribute.String("telemetry.sdk.language", "go"),
		attribute.String("k8s.cluster.uid", clusterUID),
		attribute.String("k8s.namespace.name", "shop"),
		attribute.String("k8s.pod.name", pod),
		attribute.String("k8s.deployment.name", name),
		attribute.String("k8s.node.name", "node-1"),
	)
	return sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
}

const clusterUID = "6f1c0e2a-5d43-4b7e-9a8f-3c2b1d0e9f87"

// TestTracesBecomeServiceGraph: a three-service trace (frontend → api →
// PostgreSQL) from the real OpenTelemetry Go SDK, sent over OTLP to the
// built collector that also crawls that PostgreSQL, comes out as the two
// services, the paired frontend → api edge, the api → database edge to the
// very element coordimap_postgres emits (the processor resolves the
// client span's server.address:server.port to it), and the links of each
// service to its Kubernetes pod.
func TestTracesBecomeServiceGraph(t *testing.T) {
	bin := collectorBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pg, sysid := startShopDB(ctx, t)
	// A second database on the same server, crawled after shopdb: it
	// announces the same address and is its newest holder, so only the
	// call's db.namespace picks shopdb.
	conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE DATABASE zbilling")
	require.NoError(t, err)
	conn.Close(ctx)

	fake := &api{elements: map[string]element{}, keys: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	otlpEndpoint := freeAddr(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  otlp: {protocols: {grpc: {endpoint: "%s"}}}
  coordimap_postgres:
    endpoint: %s
    username: postgres
    databases: [shopdb, zbilling]
    tls:
      insecure: true
    collection_interval: 1h
connectors:
  coordimap/otel:
    flush_interval: 1s
    store:
      ttl: 2s
processors:
  coordimap: {}
exporters:
  coordimap:
    endpoint: %s
    api_key: e2e-api-key
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [coordimap/otel]
    logs:
      receivers: [coordimap_postgres, coordimap/otel]
      processors: [coordimap]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, otlpEndpoint, pg.Endpoint(), srv.URL), 0o600))
	_, out, exited := runCollector(t, bin, cfgPath)
	waitListening(t, otlpEndpoint, out, exited)

	frontend := otelService(t, otlpEndpoint, "frontend", "frontend-5b7d9-x2k4q")
	apiTP := otelService(t, otlpEndpoint, "api", "api-6c8f4-p9m3z")
	db, err := pgx.Connect(ctx, pg.DSN("shopdb"))
	require.NoError(t, err)
	defer db.Close(ctx)

	// The api: an HTTP server whose handler queries PostgreSQL, with the
	// server span continuing the caller's trace and a database client span.
	prop := propagation.TraceContext{}
	apiSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		rctx, span := apiTP.Tracer("api").Start(rctx, "GET /orders", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/orders")))
		defer span.End()
		_, dbSpan := apiTP.Tracer("api").Start(rctx, "SELECT shopdb", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(
				attribute.String("db.system.name", "postgresql"),
				attribute.String("db.namespace", "shopdb"),
				attribute.String("db.query.text", "SELECT count(*) FROM pg_class"),
				attribute.String("server.address", "127.0.0.1"),
				attribute.Int("server.port", pg.Port),
			))
		var n int
		if err := db.QueryRow(r.Context(), "SELECT count(*) FROM pg_class").Scan(&n); err != nil {
			dbSpan.SetStatus(codes.Error, err.Error())
			w.WriteHeader(http.StatusInternalServerError)
		}
		dbSpan.End()
		_, _ = fmt.Fprintln(w, n)
	}))
	defer apiSrv.Close()

	// The frontend calls the api three times, each call a trace.
	for range 3 {
		fctx, root := frontend.Tracer("frontend").Start(ctx, "GET /", trace.WithSpanKind(trace.SpanKindServer))
		cctx, client := frontend.Tracer("frontend").Start(fctx, "GET /orders", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("server.address", "api.shop.svc"), attribute.String("http.request.method", "GET")))
		req, err := http.NewRequestWithContext(cctx, http.MethodGet, apiSrv.URL+"/orders", nil)
		require.NoError(t, err)
		prop.Inject(cctx, propagation.HeaderCarrier(req.Header))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		_ = resp.Body.Close()
		client.End()
		root.End()
	}
	require.NoError(t, frontend.Shutdown(ctx))
	require.NoError(t, apiTP.Shutdown(ctx))

	frontendID := internalid.OTelService(clusterUID, "shop", "frontend")
	apiID := internalid.OTelService(clusterUID, "shop", "api")
	dbID := internalid.PostgresDatabase(sysid, "shopdb")
	frontendPod := internalid.Kubernetes(clusterUID, "shop", internalid.TypeKubernetesPod, "frontend-5b7d9-x2k4q")
	apiPod := internalid.Kubernetes(clusterUID, "shop", internalid.TypeKubernetesPod, "api-6c8f4-p9m3z")
	want := []string{
		frontendID, apiID, dbID,
		frontendID + "." + apiID, // paired: client and server spans
		apiID + "." + dbID,       // the database call, resolved by address and name
		internalid.PostgresDatabase(sysid, "zbilling"),
		frontendID + "." + frontendPod,
		apiID + "." + apiPod,
		apiID + "." + internalid.Kubernetes(clusterUID, "shop", internalid.TypeKubernetesDeployment, "api"),
		apiID + "." + internalid.Kubernetes(clusterUID, "", internalid.TypeKubernetesNode, "node-1"),
	}
	awaitElements(t, fake, want, out, exited)

	fake.mu.Lock()
	defer fake.mu.Unlock()
	assert.Equal(t, internalid.TypeOTelService, fake.elements[frontendID].Type)
	assert.Equal(t, "api", fake.elements[apiID].Name)
	assert.Equal(t, "postgres.database", fake.elements[dbID].Type)
	var services, otelEdges int
	for id, e := range fake.elements {
		if e.Type == internalid.TypeOTelService {
			services++
		}
		if e.Type == "coordimap.relationship_skipinsert" && (strings.HasPrefix(id, frontendID+".") || strings.HasPrefix(id, apiID+".")) {
			if strings.Contains(string(e.Data), `"relation_type":100`) {
				otelEdges++
			}
		}
	}
	assert.Equal(t, 2, services, "frontend and api; the database is the crawled element")
	assert.Equal(t, 2, otelEdges, "frontend → api and api → database")
	assert.NotContains(t, fake.elements, apiID+"."+internalid.PostgresDatabase(sysid, "zbilling"))
	assert.Contains(t, string(fake.elements[apiID+"."+dbID].Data), `"relationship_type":"coordimap.relationship.external.destination_side"`)
}

// freeAddr is a 127.0.0.1 address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// waitListening waits for the collector to accept connections on addr.
func waitListening(t *testing.T, addr string, out fmt.Stringer, exited chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("collector never listened on %s:\n%s", addr, out)
		}
		select {
		case err := <-exited:
			t.Fatalf("collector exited early: %v\n%s", err, out)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestSidecarConfigValidates: the sidecar example's collector config is
// accepted by the built collector (k8sattributes and the connector are in
// the distribution).
func TestSidecarConfigValidates(t *testing.T) {
	bin := collectorBinary(t)
	raw, err := os.ReadFile(filepath.Join("..", "..", "deploy", "kubernetes", "otel-sidecar", "configmap.yaml"))
	require.NoError(t, err)
	var cm struct {
		Data map[string]string `yaml:"data"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &cm))
	require.NotEmpty(t, cm.Data["config.yaml"])
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cm.Data["config.yaml"]), 0o600))
	cmd := exec.Command(bin, "validate", "--config", path)
	cmd.Env = append(os.Environ(), "COORDIMAP_API_KEY=k")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
}

// TestServiceEdgesSurviveRestart: with file_storage, the services and
// edges the connector learned come back after the collector restarts,
// before any new span arrives.
func TestServiceEdgesSurviveRestart(t *testing.T) {
	bin := collectorBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	otlpEndpoint := freeAddr(t)
	run := func(fake *api) (*exec.Cmd, *bytes.Buffer, chan error) {
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		cfgPath := filepath.Join(dir, "config.yaml")
		require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  otlp: {protocols: {grpc: {endpoint: "%s"}}}
extensions:
  file_storage:
    directory: %s
connectors:
  coordimap/otel:
    flush_interval: 1s
    storage: file_storage
exporters:
  coordimap:
    endpoint: %s
    api_key: e2e-api-key
service:
  extensions: [file_storage]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [coordimap/otel]
    logs:
      receivers: [coordimap/otel]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, otlpEndpoint, dir, srv.URL), 0o600))
		cmd, out, exited := runCollector(t, bin, cfgPath)
		waitListening(t, otlpEndpoint, out, exited)
		return cmd, out, exited
	}
	stop := func(cmd *exec.Cmd, out *bytes.Buffer, exited chan error) {
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		select {
		case err := <-exited:
			require.NoError(t, err, out.String())
		case <-time.After(30 * time.Second):
			t.Fatalf("collector did not stop on SIGTERM:\n%s", out)
		}
	}

	frontendID := internalid.OTelService(clusterUID, "shop", "frontend")
	apiID := internalid.OTelService(clusterUID, "shop", "api")
	want := []string{frontendID, apiID, frontendID + "." + apiID}

	first := &api{elements: map[string]element{}, keys: map[string]bool{}}
	cmd, out, exited := run(first)
	frontend := otelService(t, otlpEndpoint, "frontend", "frontend-1")
	apiTP := otelService(t, otlpEndpoint, "api", "api-1")
	cctx, client := frontend.Tracer("frontend").Start(ctx, "GET /orders", trace.WithSpanKind(trace.SpanKindClient))
	_, server := apiTP.Tracer("api").Start(cctx, "GET /orders", trace.WithSpanKind(trace.SpanKindServer))
	server.End()
	client.End()
	require.NoError(t, frontend.Shutdown(ctx))
	require.NoError(t, apiTP.Shutdown(ctx))
	awaitElements(t, first, want, out, exited)
	stop(cmd, out, exited)

	second := &api{elements: map[string]element{}, keys: map[string]bool{}}
	cmd, out, exited = run(second)
	awaitElements(t, second, want, out, exited)
	assert.Contains(t, out.String(), `"edges": 1`, "restored from storage")
	stop(cmd, out, exited)
}
