package graphextension

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/goleak"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"))
}

// startExtension runs the extension on a free loopback port with a fresh
// SQLite store.
func startExtension(t *testing.T, edit func(*Config)) *GraphExtension {
	t.Helper()
	cfg := createDefaultConfig().(*Config)
	cfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.SQLite.Path = filepath.Join(t.TempDir(), "graph.db")
	if edit != nil {
		edit(cfg)
	}
	require.NoError(t, cfg.Validate())
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	g := ext.(*GraphExtension)
	g.machineIDPath = machineIDFile
	if g.machineIDPath == "" {
		g.machineIDPath = filepath.Join(t.TempDir(), "no-machine-id") // no host link: counts hold on any machine
	}
	require.NoError(t, g.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, g.Shutdown(context.Background())) })
	return g
}

// machineIDFile, when set, is the machine ID file the extension
// startExtension starts reads.
var machineIDFile string

// The collector's node hangs under this machine's host element (the one
// the flows receiver reports from the machine ID) once that element is in
// the store, and only then: no edge to a node that does not exist.
func TestSelfUnderHost(t *testing.T) {
	machineIDFile = filepath.Join(t.TempDir(), "machine-id")
	t.Cleanup(func() { machineIDFile = "" })
	require.NoError(t, os.WriteFile(machineIDFile, []byte("0123abcd\n"), 0o600))
	g := startExtension(t, func(c *Config) { c.MaintenanceInterval = 20 * time.Millisecond })
	ctx := context.Background()
	self := selfID(hostname())
	edges := func() []*graphstore.Edge {
		es, err := g.store.EdgesOf(ctx, []string{self}, graphstore.Both, nil, time.Time{})
		require.NoError(t, err)
		return es
	}
	time.Sleep(100 * time.Millisecond) // a few maintenance ticks
	assert.Empty(t, edges(), "no host element yet")

	hostID := internalid.Host("0123abcd", hostname())
	require.NoError(t, g.Write(ctx, graphstore.Batch{Nodes: []graphstore.NodeState{{
		ScopeID: "0123abcd", ID: hostID, Type: "coordimap.host", Name: hostname(),
		DataSourceID: "coordimap_flows", DataSourceType: "flows", At: time.Now(), LinksKnown: true,
	}}}))
	require.Eventually(t, func() bool { return len(edges()) == 1 }, 10*time.Second, 20*time.Millisecond)
	e := edges()[0]
	assert.Equal(t, hostID, e.Source)
	assert.Equal(t, self, e.Destination)
	assert.Equal(t, "parent_child", e.Type)
}

func get(t *testing.T, g *GraphExtension, path string, code int, out any) {
	t.Helper()
	resp, err := http.Get(strings.TrimSuffix(g.URL(), "/") + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, code, resp.StatusCode, "%s: %s", path, body)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	if out != nil {
		require.NoError(t, json.Unmarshal(body, out), string(body))
	}
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

const (
	scope  = "2f0c3f6e-uid"
	nsID   = scope + "-shop-kubernetes.namespace-"
	podID  = scope + "-shop-kubernetes.pod-api-7c9f"
	dbID   = "7710/app-@"
	hostID = "host-1"
)

// entityLogs is a small graph as the receivers emit it: a namespace, a pod
// in it, and a flow from the pod to a database.
func entityLogs(t *testing.T) *entity.Batch {
	t.Helper()
	b := entity.NewBatch(entity.Source{ScopeID: scope, DataSourceType: "kubernetes", DataSourceID: "k8s"})
	require.NoError(t, b.AddState(t0, entity.Entity{Ref: entity.Ref{Type: "kubernetes.namespace", InternalID: nsID}, Name: "shop"}))
	require.NoError(t, b.AddState(t0, entity.Entity{
		Ref: entity.Ref{Type: "kubernetes.pod", InternalID: podID}, Name: "api-7c9f", Status: "Green",
		Description: map[string]any{"k8s.namespace.name": "shop", "k8s.pod.ip": "10.1.2.3"},
		Body:        map[string]any{"spec": map[string]any{"nodeName": "n1"}},
		Links:       []entity.Link{{Type: entity.RelParentChild, Direction: entity.Incoming, Target: entity.Ref{Type: "kubernetes.namespace", InternalID: nsID}}},
	}))
	require.NoError(t, b.AddObservation(t0, entity.Observation{Type: entity.RelEBPFFlow, SourceID: podID, DestinationID: dbID,
		Connections: 4, BytesSent: 1000, LastSeen: t0}))
	return b
}

func TestQueryAPI(t *testing.T) {
	g := startExtension(t, nil)
	ctx := context.Background()
	require.NoError(t, g.WriteEntities(ctx, entityLogs(t).Logs()))
	db := entity.NewBatch(entity.Source{ScopeID: "7710", DataSourceType: "postgres", DataSourceID: "pg"})
	require.NoError(t, db.AddState(t0, entity.Entity{Ref: entity.Ref{Type: "postgres.database", InternalID: dbID}, Name: "app"}))
	require.NoError(t, g.WriteEntities(ctx, db.Logs()))

	var sum graphstore.Summary
	get(t, g, "/api/v1/summary", 200, &sum)
	assert.Equal(t, 4, sum.Nodes, "namespace, pod, database and the collector itself")
	assert.Equal(t, 1, sum.ByType["coordimap.collector"])
	assert.Equal(t, 2, sum.Edges)

	var page graphstore.NodePage
	get(t, g, "/api/v1/nodes?q=10.1.2.3", 200, &page)
	require.Len(t, page.Nodes, 1)
	assert.Equal(t, podID, page.Nodes[0].ID)
	get(t, g, "/api/v1/nodes?type=kubernetes.pod,postgres.database&limit=1", 200, &page)
	assert.Equal(t, 2, page.Total)
	assert.Len(t, page.Nodes, 1)
	assert.NotEmpty(t, page.Next)

	var detail struct {
		Node    graphstore.Node     `json:"node"`
		Edges   []graphstore.Edge   `json:"edges"`
		History []graphstore.Change `json:"history"`
	}
	get(t, g, "/api/v1/node?id="+url.QueryEscape(podID), 200, &detail)
	assert.Equal(t, "api-7c9f", detail.Node.Name)
	assert.Equal(t, "shop", detail.Node.Group)
	assert.JSONEq(t, `{"spec":{"nodeName":"n1"}}`, string(detail.Node.Data))
	assert.Len(t, detail.Edges, 2)
	require.Len(t, detail.History, 1)
	assert.Equal(t, graphstore.OpCreated, detail.History[0].Op)

	var sg graphstore.Subgraph
	get(t, g, "/api/v1/neighbourhood?id="+url.QueryEscape(podID), 200, &sg)
	assert.Len(t, sg.Nodes, 3)
	get(t, g, "/api/v1/path?from="+url.QueryEscape(nsID)+"&to="+url.QueryEscape(dbID), 200, &sg)
	require.Len(t, sg.Nodes, 3)
	assert.Equal(t, []string{nsID, podID, dbID}, []string{sg.Nodes[0].ID, sg.Nodes[1].ID, sg.Nodes[2].ID})
	get(t, g, "/api/v1/impact?id="+url.QueryEscape(dbID)+"&direction=upstream&rel=ebpf_flow", 200, &sg)
	assert.Len(t, sg.Nodes, 2)

	var view struct {
		graphstore.Subgraph
		Total int `json:"total"`
	}
	get(t, g, "/api/v1/graph?group=shop", 200, &view)
	assert.Equal(t, 1, view.Total)

	var changes struct {
		Changes []graphstore.Change `json:"changes"`
		LastSeq int64               `json:"last_seq"`
	}
	get(t, g, "/api/v1/changes?since_seq=0", 200, &changes)
	assert.Len(t, changes.Changes, 6, "collector, namespace, pod, edge, flow, database")
	assert.Equal(t, changes.Changes[len(changes.Changes)-1].Seq, changes.LastSeq)

	var diff graphstore.Diff
	get(t, g, "/api/v1/diff?from=2026-11-30T00:00:00Z&to=2026-12-02T00:00:00Z", 200, &diff)
	assert.Len(t, diff.Created, 5, "everything but the collector, recorded now")

	var ds struct {
		DataSources []graphstore.DataSource `json:"data_sources"`
	}
	get(t, g, "/api/v1/datasources", 200, &ds)
	assert.Len(t, ds.DataSources, 3)

	// Errors name what is wrong.
	var e struct {
		Error string `json:"error"`
	}
	get(t, g, "/api/v1/node?id=nope", 404, &e)
	assert.Contains(t, e.Error, `"nope"`)
	get(t, g, "/api/v1/node", 400, &e)
	assert.Equal(t, "id: required", e.Error)
	get(t, g, "/api/v1/nodes?limit=x&as_of=yesterday", 400, &e)
	assert.Contains(t, e.Error, `limit: "x" is not a non-negative integer`)
	assert.Contains(t, e.Error, `as_of: "yesterday" is not an RFC 3339 time`)
	get(t, g, "/api/v1/neighbourhood?id=a&direction=sideways", 400, &e)
	assert.Contains(t, e.Error, "direction")
	get(t, g, "/api/v1/path?from="+url.QueryEscape(dbID)+"&to="+url.QueryEscape(nsID)+"&direction=downstream", 404, &e)
	get(t, g, "/api/v1/changes", 400, &e)
	get(t, g, "/api/v1/nothing", 404, &e)
}

// agentRequests are bodies in the original coordimap-agent's format: three
// crawls of one Kubernetes namespace partition.
func agentRequests(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "agent-requests.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	require.NoError(t, sc.Err())
	return out
}

func post(t *testing.T, g *GraphExtension, key string, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, strings.TrimSuffix(g.URL(), "/")+IngestPath, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Api-Key", key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func TestIngestAgentRequests(t *testing.T) {
	g := startExtension(t, func(c *Config) { c.Ingest.APIKeys = []configopaque.String{"agent-key"} })
	reqs := agentRequests(t)
	const u = "2f0c3f6e-7a1b-4c1e-9d2a-000000000001"

	code, body := post(t, g, "wrong", reqs[0])
	assert.Equal(t, 401, code, body)
	code, body = post(t, g, "agent-key", reqs[0])
	require.Equal(t, 200, code, body)
	assert.JSONEq(t, `{"status":{"http_code":200,"message":"ok"}}`, body, "what the agent and the exporter accept")

	var detail struct {
		Node  graphstore.Node   `json:"node"`
		Edges []graphstore.Edge `json:"edges"`
	}
	get(t, g, "/api/v1/node?id="+url.QueryEscape(u+"-shop-kubernetes.pod-api-7c9f"), 200, &detail)
	assert.Equal(t, "kubernetes.pod", detail.Node.Type)
	assert.Equal(t, "agent-k8s", detail.Node.DataSourceID)
	assert.JSONEq(t, `{"metadata":{"name":"api-7c9f","namespace":"shop"},"status":{"podIP":"10.1.2.3"}}`, string(detail.Node.Data))
	require.Len(t, detail.Edges, 3)
	byDst := map[string]graphstore.Edge{}
	for _, e := range detail.Edges {
		byDst[e.Destination] = e
	}
	flow := byDst["123456789012@db-orders"]
	assert.Equal(t, "ebpf_flow", flow.Type)
	assert.True(t, flow.Observed)
	assert.Equal(t, "destination_side", flow.External)
	assert.Equal(t, "parent_child", byDst[u+"-shop-kubernetes.pod-api-7c9f"].Type)

	var page graphstore.NodePage
	get(t, g, "/api/v1/nodes?data_source=agent-k8s", 200, &page)
	assert.Equal(t, 4, page.Total)

	// The second crawl no longer has worker-1. A crawl may come in several
	// requests with one timestamp, so it is complete only when the next
	// one starts: worker-1 goes when the third crawl arrives.
	code, body = post(t, g, "agent-key", reqs[1])
	require.Equal(t, 200, code, body)
	get(t, g, "/api/v1/nodes?data_source=agent-k8s", 200, &page)
	assert.Equal(t, 4, page.Total, "the second crawl may still be arriving")
	code, body = post(t, g, "agent-key", reqs[1]) // the same crawl again changes nothing
	require.Equal(t, 200, code, body)
	get(t, g, "/api/v1/nodes?data_source=agent-k8s", 200, &page)
	assert.Equal(t, 4, page.Total)
	code, body = post(t, g, "agent-key", reqs[2])
	require.Equal(t, 200, code, body)
	get(t, g, "/api/v1/nodes?data_source=agent-k8s", 200, &page)
	assert.Equal(t, 3, page.Total, "worker-1, missing from the complete second crawl, is deleted")
	get(t, g, "/api/v1/nodes?data_source=agent-k8s&as_of=2026-12-01T10:07:00Z", 200, &page)
	assert.Equal(t, 4, page.Total, "as of before the third crawl, worker-1 is there")

	code, body = post(t, g, "agent-key", []byte(`{"cloud_crawl_data":{}}`))
	assert.Equal(t, 400, code)
	assert.Contains(t, body, "data_source_id: required")
	code, _ = post(t, g, "agent-key", []byte(`not json`))
	assert.Equal(t, 400, code)
}

func TestShutdownWithoutStart(t *testing.T) {
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), createDefaultConfig())
	require.NoError(t, err)
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestStartFailsOnAStoreThatCannotOpen(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.SQLite.Path = filepath.Join(t.TempDir(), "missing-dir", "graph.db")
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	err = ext.Start(context.Background(), componenttest.NewNopHost())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "coordimap_graph")
	require.NoError(t, ext.Shutdown(context.Background()))
}

func TestStoreFileIsPrivate(t *testing.T) {
	g := startExtension(t, nil)
	fi, err := os.Stat(g.cfg.SQLite.Path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

var _ component.Component = (*GraphExtension)(nil)

// The PostgreSQL backend behind the same API, on the real server.
func TestPostgresBackend(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	g := startExtension(t, func(c *Config) {
		c.Backend = BackendPostgres
		c.PostgreSQL.DSN = configopaque.String(pg.DSN("postgres"))
	})
	require.NoError(t, g.WriteEntities(context.Background(), entityLogs(t).Logs()))
	var page graphstore.NodePage
	get(t, g, "/api/v1/nodes?q=api-7c9f", 200, &page)
	require.Len(t, page.Nodes, 1)
	assert.Equal(t, podID, page.Nodes[0].ID)
	code, body := post(t, g, "any", agentRequests(t)[0])
	require.Equal(t, 200, code, body)
	get(t, g, "/api/v1/nodes?data_source=agent-k8s", 200, &page)
	assert.Equal(t, 4, page.Total)
	assert.Equal(t, "postgresql", g.Store().Backend())
}
