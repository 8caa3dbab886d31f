package coordimapexporter

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

func readGraph(t *testing.T, path string) graphDocument {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc graphDocument
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc
}

func nodeIDs(doc graphDocument) []string {
	var ids []string
	for _, n := range doc.Nodes {
		ids = append(ids, n.ID)
	}
	return ids
}

func edgeIDs(doc graphDocument) []string {
	var ids []string
	for _, e := range doc.Edges {
		ids = append(ids, e.Source+" -> "+e.Destination)
	}
	return ids
}

func TestGraphMergesStatesDeletesAndFlows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "graph.json")
	g := newGraphStore(path, time.Hour)
	g.apply(fixtureLogs(t))
	require.NoError(t, g.flush(crawlTime))
	doc := readGraph(t, path)

	assert.Equal(t, []string{"7710/app-@", "7710/app-public@", "7710/app-public@customers", "7710/app-public@orders"}, nodeIDs(doc))
	assert.Equal(t, []string{
		"10.1.2.3 -> 7710/app-@",
		"123456-europe-west3-a-gcp.cloud_sql-orders-db -> 7710/app-@",
		"7710/app-@ -> 7710/app-public@",
		"7710/app-public@ -> 7710/app-public@customers",
		"7710/app-public@ -> 7710/app-public@orders",
		"7710/app-public@orders -> 7710/app-public@customers",
		"uid-shop-kubernetes.pod-api -> 7710/app-@",
	}, edgeIDs(doc))
	orders := doc.Nodes[3]
	assert.Equal(t, "postgres.table", orders.Type)
	assert.Equal(t, "Green", orders.Status)
	assert.Equal(t, "pg-main", orders.DataSourceID)
	assert.Equal(t, "7710", orders.ScopeID)
	assert.True(t, orders.FirstSeen.Equal(crawlTime))
	for _, e := range doc.Edges {
		if e.Source == "123456-europe-west3-a-gcp.cloud_sql-orders-db" {
			assert.Equal(t, "source_side", e.External)
			assert.Equal(t, 3, e.RelationType)
		}
	}

	// A later crawl: orders lost its FK, customers was deleted.
	later := crawlTime.Add(time.Minute)
	b := entity.NewBatch(entity.Source{ScopeID: "7710", DataSourceType: "postgres", DataSourceID: "pg-main"})
	require.NoError(t, b.AddState(later, entity.Entity{
		Ref: entity.Ref{Type: "postgres.table", InternalID: "7710/app-public@orders"}, Name: "orders",
		Links: []entity.Link{{Type: entity.RelER, Direction: entity.Incoming, Target: entity.Ref{InternalID: "7710/app-public@"}}},
	}))
	b.AddDelete(later, entity.Ref{Type: "postgres.table", InternalID: "7710/app-public@customers"})
	g.apply(b.Logs())
	require.NoError(t, g.flush(later))
	doc = readGraph(t, path)
	assert.Equal(t, []string{"7710/app-@", "7710/app-public@", "7710/app-public@orders"}, nodeIDs(doc))
	assert.NotContains(t, edgeIDs(doc), "7710/app-public@orders -> 7710/app-public@customers")
	assert.NotContains(t, edgeIDs(doc), "7710/app-public@ -> 7710/app-public@customers")
	assert.Contains(t, edgeIDs(doc), "7710/app-public@ -> 7710/app-public@orders")
	orders = doc.Nodes[2]
	assert.True(t, orders.FirstSeen.Equal(crawlTime), "first_seen kept")
	assert.True(t, orders.LastSeen.Equal(later))

	// Flows expire after flow_ttl.
	require.NoError(t, g.flush(later.Add(2*time.Hour)))
	assert.NotContains(t, edgeIDs(readGraph(t, path)), "10.1.2.3 -> 7710/app-@")
}

func TestGraphFlowCountersAccumulate(t *testing.T) {
	g := newGraphStore(filepath.Join(t.TempDir(), "g.json"), time.Hour)
	for i := range 3 {
		b := entity.NewBatch(entity.Source{ScopeID: "s", DataSourceType: "flows", DataSourceID: "f"})
		ts := crawlTime.Add(time.Duration(i) * time.Minute)
		require.NoError(t, b.AddObservation(ts, entity.Observation{Type: entity.RelEBPFFlow, SourceID: "a", DestinationID: "b",
			Connections: 2, FailedConnections: 1, BytesSent: 10, FirstSeen: ts, LastSeen: ts}))
		g.apply(b.Logs())
	}
	doc := g.snapshot(crawlTime)
	require.Len(t, doc.Edges, 1)
	e := doc.Edges[0]
	assert.Equal(t, int64(6), e.Connections)
	assert.Equal(t, int64(3), e.FailedConnections)
	assert.Equal(t, int64(30), e.BytesSent)
	assert.Equal(t, 104, e.RelationType)
	assert.True(t, e.FirstSeen.Equal(crawlTime))
	assert.True(t, e.LastSeen.Equal(crawlTime.Add(2*time.Minute)))
}

func TestGraphExpiresEntitiesNotReported(t *testing.T) {
	g := newGraphStore(filepath.Join(t.TempDir(), "g.json"), time.Hour)
	b := entity.NewBatch(entity.Source{ScopeID: "s", DataSourceType: "postgres", DataSourceID: "d"})
	require.NoError(t, b.AddState(crawlTime, entity.Entity{Ref: entity.Ref{Type: "t", InternalID: "x"}, ReportInterval: time.Minute}))
	g.apply(b.Logs())
	g.expire(crawlTime.Add(2 * time.Minute))
	assert.Len(t, g.snapshot(crawlTime).Nodes, 1)
	g.expire(crawlTime.Add(4 * time.Minute))
	assert.Empty(t, g.snapshot(crawlTime).Nodes)
}

func TestGraphFileSurvivesRestartAndIsWrittenOnShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "graph.json")
	cfg := createDefaultConfig().(*Config)
	cfg.GraphFile = path
	cfg.GraphFlushInterval = time.Hour // only the shutdown flush writes
	exp := startExporter(t, cfg, componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	require.NoError(t, exp.Shutdown(context.Background()))
	first := readGraph(t, path)
	require.Len(t, first.Nodes, 4)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the graph file holds the whole topology")

	exp = startExporter(t, cfg, componenttest.NewNopHost())
	b := entity.NewBatch(entity.Source{ScopeID: "7710", DataSourceType: "postgres", DataSourceID: "pg-main"})
	b.AddDelete(crawlTime, entity.Ref{InternalID: "7710/app-public@customers"})
	require.NoError(t, exp.ConsumeLogs(context.Background(), b.Logs()))
	require.NoError(t, exp.Shutdown(context.Background()))
	second := readGraph(t, path)
	assert.Len(t, second.Nodes, 3, "loaded from the file, then the delete applied")
	assert.Len(t, second.Edges, len(first.Edges)-2)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary files left behind")
}

func TestGraphDamagedFileDoesNotStopTheExporter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "graph.json")
	require.NoError(t, os.WriteFile(path, []byte("{not json"), 0o644))
	cfg := createDefaultConfig().(*Config)
	cfg.GraphFile = path
	exp := startExporter(t, cfg, componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	require.NoError(t, exp.Shutdown(context.Background()))
	assert.Len(t, readGraph(t, path).Nodes, 4)
}

func TestGraphWriteErrorIsReturnedAtShutdown(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.GraphFile = filepath.Join(t.TempDir(), "missing-dir", "graph.json")
	exp := startExporter(t, cfg, componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	assert.ErrorContains(t, exp.Shutdown(context.Background()), "graph_file")
}

func TestShutdownWithoutStart(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.GraphFile = filepath.Join(t.TempDir(), "g.json")
	cfg.APIKey = "k"
	exp, err := NewFactory().CreateLogs(context.Background(), exportertestSettings(), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
}
