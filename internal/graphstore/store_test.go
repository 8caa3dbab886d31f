package graphstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

var (
	pgOnce   sync.Once
	pgServer *pgtest.Server
	pgErr    error
	pgDBs    atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	queryOnce.Range(func(_, v any) bool {
		v.(*Store).Close()
		return true
	})
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(filepath.Join(os.TempDir(), fmt.Sprintf("graph-bench-%d.db", os.Getpid())) + suffix)
	}
	if pgServer != nil {
		pgServer.Close()
	}
	os.Exit(code)
}

type backend struct {
	name string
	open func(t testing.TB, opts Options) *Store
}

func openSQLite(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "graph.db"), opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// postgresDSN creates a fresh database on the package's throwaway server.
func postgresDSN(t testing.TB) string {
	t.Helper()
	pgOnce.Do(func() { pgServer, pgErr = pgtest.Start() })
	if pgErr != nil {
		pgtest.Unavailable(t, pgErr)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgServer.DSN("postgres"))
	require.NoError(t, err)
	defer conn.Close(ctx)
	db := fmt.Sprintf("graph_%d", pgDBs.Add(1))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+db)
	require.NoError(t, err)
	return pgServer.DSN(db)
}

func openPostgres(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), postgresDSN(t), 4, opts)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

var backends = []backend{{"sqlite", openSQLite}, {"postgresql", openPostgres}}

// each runs a test on both backends.
func each(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t, Options{})) })
	}
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func node(id, typ, name string, at time.Time, attrs map[string]any, links ...Edge) NodeState {
	return NodeState{
		ScopeID: "s1", ID: id, Type: typ, Name: name, DataSourceID: "ds1", DataSourceType: "kubernetes",
		Partition: "shop.kubernetes.namespace", Attributes: attrs, Data: []byte(`{"name":"` + name + `"}`), At: at,
		Links: links, LinksKnown: true,
	}
}

func link(src, dst string) Edge {
	return Edge{Source: src, Destination: dst, Type: entity.RelParentChild, RelationType: 3}
}

func changeOps(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Op + " " + c.Kind + " " + c.ID
	}
	return out
}

func TestNodeLifecycleAndFeed(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		ns := node("s1-shop-kubernetes.namespace-", "kubernetes.namespace", "shop", t0, nil)
		pod := node("s1-shop-kubernetes.pod-api", "kubernetes.pod", "api", t0,
			map[string]any{"k8s.namespace.name": "shop"}, link("s1-shop-kubernetes.namespace-", "s1-shop-kubernetes.pod-api"))
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{ns, pod}}))
		cs, err := s.ChangesSince(ctx, 0, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{
			"created node s1-shop-kubernetes.namespace-",
			"created node s1-shop-kubernetes.pod-api",
			"created edge s1-shop-kubernetes.namespace-.s1-shop-kubernetes.pod-api",
		}, changeOps(cs))
		last := cs[len(cs)-1].Seq

		// The same states again: no change, but last seen moves.
		ns.At, pod.At = t0.Add(time.Minute), t0.Add(time.Minute)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{ns, pod}}))
		cs, err = s.ChangesSince(ctx, last, 100)
		require.NoError(t, err)
		assert.Empty(t, cs)
		n, err := s.Node(ctx, "", pod.ID)
		require.NoError(t, err)
		assert.Equal(t, t0, n.FirstSeen)
		assert.Equal(t, t0.Add(time.Minute), n.LastSeen)
		assert.Equal(t, "shop", n.Group)
		assert.JSONEq(t, `{"name":"api"}`, string(n.Data))

		// A changed status and data field: one update naming both.
		pod.Status, pod.Data, pod.At = "Red", []byte(`{"name":"api","phase":"Failed"}`), t0.Add(2*time.Minute)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{pod}}))
		cs, err = s.ChangesSince(ctx, last, 100)
		require.NoError(t, err)
		require.Len(t, cs, 1)
		assert.Equal(t, OpUpdated, cs[0].Op)
		assert.Equal(t, []string{"data.phase", "status"}, cs[0].Fields)
		assert.NotEqual(t, cs[0].BeforeHash, cs[0].AfterHash)
		assert.NotEmpty(t, cs[0].BeforeHash)
		last = cs[0].Seq

		// Deleted: the node and the edges touching it are marked, not erased.
		require.NoError(t, s.Apply(ctx, Batch{Deletes: []NodeDelete{{ScopeID: "s1", ID: pod.ID, At: t0.Add(3 * time.Minute)}}}))
		cs, err = s.ChangesSince(ctx, last, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{
			"deleted node s1-shop-kubernetes.pod-api",
			"deleted edge s1-shop-kubernetes.namespace-.s1-shop-kubernetes.pod-api",
		}, changeOps(cs))
		n, err = s.Node(ctx, "", pod.ID)
		require.NoError(t, err)
		require.NotNil(t, n.DeletedAt)
		page, err := s.Nodes(ctx, NodeFilter{})
		require.NoError(t, err)
		assert.Equal(t, 1, page.Total)

		// As of before the delete, the pod is there.
		page, err = s.Nodes(ctx, NodeFilter{AsOf: t0.Add(150 * time.Second)})
		require.NoError(t, err)
		assert.Equal(t, 2, page.Total)

		// Back again: created.
		pod.At = t0.Add(4 * time.Minute)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{pod}}))
		cs, err = s.ChangesSince(ctx, cs[len(cs)-1].Seq, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"created node s1-shop-kubernetes.pod-api", "created edge s1-shop-kubernetes.namespace-.s1-shop-kubernetes.pod-api"}, changeOps(cs))

		hist, err := s.History(ctx, pod.ID, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"created", "updated", "deleted", "created"}, func() []string {
			var ops []string
			for _, c := range hist {
				ops = append(ops, c.Op)
			}
			return ops
		}())
	})
}

func TestLinksReplaced(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		svc := node("svc", "kubernetes.service", "svc", t0, nil, link("svc", "a"), link("svc", "b"))
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{svc, node("a", "kubernetes.pod", "a", t0, nil), node("b", "kubernetes.pod", "b", t0, nil)}}))
		last, err := s.LastSeq(ctx)
		require.NoError(t, err)
		svc.Links, svc.At = []Edge{link("svc", "a")}, t0.Add(time.Minute)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{svc}}))
		cs, err := s.ChangesSince(ctx, last, 100)
		require.NoError(t, err)
		assert.Equal(t, []string{"deleted edge svc.b"}, changeOps(cs))
		edges, err := s.EdgesOf(ctx, []string{"svc"}, Both, nil, time.Time{})
		require.NoError(t, err)
		require.Len(t, edges, 1)
		assert.Equal(t, "a", edges[0].Destination)
		assert.Equal(t, "svc", edges[0].Owner)
	})
}

func TestObservationsAddUpAndExpire(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t, Options{FlowTTL: 10 * time.Minute})
			flow := Edge{Source: "client", Destination: "server", Type: entity.RelEBPFFlow, RelationType: 104, Observed: true,
				DataSourceID: "flows", ScopeID: "h", Connections: 3, BytesSent: 100, FirstSeen: t0, LastSeen: t0}
			require.NoError(t, s.Apply(ctx, Batch{Observations: []Edge{flow}}))
			flow.FirstSeen, flow.LastSeen, flow.Connections = t0.Add(time.Minute), t0.Add(2*time.Minute), 2
			require.NoError(t, s.Apply(ctx, Batch{Observations: []Edge{flow}}))
			cs, err := s.ChangesSince(ctx, 0, 10)
			require.NoError(t, err)
			assert.Equal(t, []string{"created edge client.server"}, changeOps(cs), "counters moving are not changes")
			edges, err := s.EdgesOf(ctx, []string{"client"}, Downstream, nil, time.Time{})
			require.NoError(t, err)
			require.Len(t, edges, 1)
			assert.Equal(t, int64(5), edges[0].Connections)
			assert.Equal(t, int64(200), edges[0].BytesSent)
			assert.Equal(t, t0, edges[0].FirstSeen)
			assert.Equal(t, t0.Add(2*time.Minute), edges[0].LastSeen)
			assert.True(t, edges[0].Observed)

			require.NoError(t, s.Maintain(ctx, t0.Add(11*time.Minute)))
			edges, err = s.EdgesOf(ctx, []string{"client"}, Downstream, nil, time.Time{})
			require.NoError(t, err)
			assert.Len(t, edges, 1, "seen 9 minutes ago: kept")
			require.NoError(t, s.Maintain(ctx, t0.Add(13*time.Minute)))
			edges, err = s.EdgesOf(ctx, []string{"client"}, Downstream, nil, time.Time{})
			require.NoError(t, err)
			assert.Empty(t, edges, "past the TTL: expired")
		})
	}
}

func TestReportIntervalExpiryAndRetention(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t, Options{HistoryRetention: time.Hour})
			n := node("p", "kubernetes.pod", "p", t0, nil)
			n.ReportInterval = 10 * time.Minute
			require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{n}}))
			require.NoError(t, s.Maintain(ctx, t0.Add(29*time.Minute)))
			_, err := s.Node(ctx, "", "p")
			require.NoError(t, err)
			page, _ := s.Nodes(ctx, NodeFilter{})
			assert.Equal(t, 1, page.Total, "within three intervals")
			require.NoError(t, s.Maintain(ctx, t0.Add(31*time.Minute)))
			page, _ = s.Nodes(ctx, NodeFilter{})
			assert.Equal(t, 0, page.Total, "three intervals late: deleted")
			got, err := s.Node(ctx, "", "p")
			require.NoError(t, err)
			require.NotNil(t, got.DeletedAt)

			// Past the retention, history and deleted nodes are dropped.
			require.NoError(t, s.Maintain(ctx, t0.Add(3*time.Hour)))
			_, err = s.Node(ctx, "", "p")
			assert.True(t, IsNotFound(err), "%v", err)
			cs, err := s.ChangesSince(ctx, 0, 10)
			require.NoError(t, err)
			assert.Empty(t, cs)
		})
	}
}

func TestFullCrawlDeletesTheUnreported(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t1 := crawlDroppingB(t, s)
		page, err := s.Nodes(ctx, NodeFilter{})
		require.NoError(t, err)
		require.Len(t, page.Nodes, 1)
		assert.Equal(t, "a", page.Nodes[0].ID)
		// Another partition is untouched by that crawl.
		other := node("c", "t", "c", t0, nil)
		other.Partition = "other"
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{other},
			FullCrawls: []FullCrawl{{DataSourceID: "ds1", Partition: "shop.kubernetes.namespace", Since: t1, At: t1}}}))
		page, err = s.Nodes(ctx, NodeFilter{})
		require.NoError(t, err)
		assert.Equal(t, 2, page.Total)
	})
}

func TestSearchFiltersAndPaging(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var nodes []NodeState
		for i := range 25 {
			n := node(fmt.Sprintf("s1-shop-kubernetes.pod-p%02d", i), "kubernetes.pod", fmt.Sprintf("p%02d", i), t0,
				map[string]any{"k8s.namespace.name": "shop", "ip": fmt.Sprintf("10.0.0.%d", i)})
			nodes = append(nodes, n)
		}
		rds := node("123456789012@db-1", "aws.rds", "orders-db", t0, map[string]any{"arn": "arn:aws:rds:eu-west-1:123456789012:db:orders-db"})
		rds.ScopeID, rds.DataSourceID = "123456789012", "aws"
		nodes = append(nodes, rds)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: nodes}))

		page, err := s.Nodes(ctx, NodeFilter{Query: "10.0.0.17"})
		require.NoError(t, err)
		require.Len(t, page.Nodes, 1)
		assert.Equal(t, "p17", page.Nodes[0].Name)
		page, err = s.Nodes(ctx, NodeFilter{Query: "ARN:AWS:RDS:eu-west-1"})
		require.NoError(t, err)
		require.Len(t, page.Nodes, 1)
		assert.Equal(t, "orders-db", page.Nodes[0].Name)
		// No term starts with it: found as a substring.
		page, err = s.Nodes(ctx, NodeFilter{Query: "rders-d"})
		require.NoError(t, err)
		require.Len(t, page.Nodes, 1)
		assert.Equal(t, "orders-db", page.Nodes[0].Name)
		// Every word must match.
		page, err = s.Nodes(ctx, NodeFilter{Query: "p1 shop"})
		require.NoError(t, err)
		assert.Equal(t, 10, page.Total, "p10…p19")
		page, err = s.Nodes(ctx, NodeFilter{Query: "p1 nowhere"})
		require.NoError(t, err)
		assert.Equal(t, 0, page.Total)

		page, err = s.Nodes(ctx, NodeFilter{Types: []string{"kubernetes.pod"}, Group: "shop", Limit: 10})
		require.NoError(t, err)
		assert.Equal(t, 25, page.Total)
		var all []string
		for {
			for _, n := range page.Nodes {
				all = append(all, n.Name)
			}
			if page.Next == "" {
				break
			}
			page, err = s.Nodes(ctx, NodeFilter{Types: []string{"kubernetes.pod"}, Group: "shop", Limit: 10, After: page.Next})
			require.NoError(t, err)
		}
		assert.Len(t, all, 25)
		assert.Equal(t, "p00", all[0])
		assert.Equal(t, "p24", all[24])

		page, err = s.Nodes(ctx, NodeFilter{DataSourceID: "aws"})
		require.NoError(t, err)
		assert.Equal(t, 1, page.Total)

		sum, err := s.Summary(ctx)
		require.NoError(t, err)
		assert.Equal(t, 26, sum.Nodes)
		assert.Equal(t, 25, sum.ByType["kubernetes.pod"])
		ds, err := s.DataSources(ctx)
		require.NoError(t, err)
		require.Len(t, ds, 2)
		assert.Equal(t, "aws", ds[0].ID)
		assert.Equal(t, []string{"123456789012"}, ds[0].Scopes)
	})
}

// chain: lb → svc → pod → db, and a flow pod → db.
func loadChain(t *testing.T, s *Store) {
	t.Helper()
	flow := Edge{Source: "pod", Destination: "db", Type: entity.RelEBPFFlow, RelationType: 104, Observed: true, LastSeen: t0}
	require.NoError(t, s.Apply(context.Background(), Batch{
		Nodes: []NodeState{
			node("lb", "aws.elb", "lb", t0, nil, link("lb", "svc")),
			node("svc", "kubernetes.service", "svc", t0, nil, link("svc", "pod")),
			node("pod", "kubernetes.pod", "pod", t0, nil),
			node("db", "aws.rds", "db", t0, nil),
			node("lonely", "aws.rds", "lonely", t0, nil),
		},
		Observations: []Edge{flow},
	}))
}

func ids(ns []*Node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

func TestTraversals(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		loadChain(t, s)

		sg, err := s.Neighbourhood(ctx, "svc", Traversal{Depth: 1})
		require.NoError(t, err)
		assert.Equal(t, []string{"lb", "pod", "svc"}, ids(sg.Nodes))
		assert.Len(t, sg.Edges, 2)
		sg, err = s.Neighbourhood(ctx, "svc", Traversal{Depth: 2})
		require.NoError(t, err)
		assert.Equal(t, []string{"db", "lb", "pod", "svc"}, ids(sg.Nodes))
		sg, err = s.Neighbourhood(ctx, "svc", Traversal{Depth: 2, Limit: 2})
		require.NoError(t, err)
		assert.True(t, sg.Truncated)
		assert.Len(t, sg.Nodes, 2)

		path, err := s.Path(ctx, "lb", "db", Traversal{})
		require.NoError(t, err)
		assert.Equal(t, []string{"lb", "svc", "pod", "db"}, ids(path.Nodes))
		require.Len(t, path.Edges, 3)
		assert.Equal(t, entity.RelEBPFFlow, path.Edges[2].Type)
		path, err = s.Path(ctx, "db", "lb", Traversal{Direction: Downstream})
		assert.True(t, IsNotFound(err), "no downstream path back: %v", err)
		_, err = s.Path(ctx, "lb", "lonely", Traversal{})
		assert.True(t, IsNotFound(err))
		_, err = s.Path(ctx, "lb", "nope", Traversal{})
		assert.True(t, IsNotFound(err))

		imp, err := s.Impact(ctx, "db", Traversal{Direction: Upstream})
		require.NoError(t, err)
		assert.Equal(t, []string{"db", "lb", "pod", "svc"}, ids(imp.Nodes))
		imp, err = s.Impact(ctx, "db", Traversal{Direction: Upstream, RelationTypes: []string{entity.RelEBPFFlow}})
		require.NoError(t, err)
		assert.Equal(t, []string{"db", "pod"}, ids(imp.Nodes))
		imp, err = s.Impact(ctx, "svc", Traversal{})
		require.NoError(t, err)
		assert.Equal(t, []string{"db", "pod", "svc"}, ids(imp.Nodes), "downstream by default")

		g, total, err := s.Graph(ctx, NodeFilter{Types: []string{"kubernetes.pod", "aws.rds"}})
		require.NoError(t, err)
		assert.Equal(t, 3, total)
		assert.Equal(t, []string{"db", "lonely", "pod"}, ids(g.Nodes))
		require.Len(t, g.Edges, 1)
		assert.Equal(t, "pod", g.Edges[0].Source)

		_, err = s.Neighbourhood(ctx, "nope", Traversal{})
		assert.True(t, IsNotFound(err))
	})
}

func TestDiff(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a, b := node("a", "t", "a", t0, nil), node("b", "t", "b", t0, nil)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{a, b}}))
		c := node("c", "t", "c", t0.Add(2*time.Minute), nil)
		a.Status, a.At = "Red", t0.Add(2*time.Minute)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{a, c},
			Deletes: []NodeDelete{{ID: "b", At: t0.Add(2 * time.Minute)}}}))
		tmp := node("tmp", "t", "tmp", t0.Add(3*time.Minute), nil)
		require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{tmp}}))
		require.NoError(t, s.Apply(ctx, Batch{Deletes: []NodeDelete{{ID: "tmp", At: t0.Add(4 * time.Minute)}}}))

		d, err := s.Diff(ctx, t0.Add(time.Minute), t0.Add(5*time.Minute), 0)
		require.NoError(t, err)
		assert.Equal(t, []string{"created node c"}, changeOps(d.Created))
		assert.Equal(t, []string{"updated node a"}, changeOps(d.Updated))
		assert.Equal(t, []string{"status"}, d.Updated[0].Fields)
		assert.Equal(t, []string{"deleted node b"}, changeOps(d.Deleted))
	})
}

func TestFromLogs(t *testing.T) {
	src := entity.Source{ScopeID: "s1", DataSourceType: "kubernetes", DataSourceID: "k8s"}
	eb := entity.NewBatch(src)
	require.NoError(t, eb.AddState(t0, entity.Entity{
		Ref:         entity.Ref{Type: "kubernetes.pod", InternalID: "s1-shop-kubernetes.pod-api"},
		Name:        "api",
		Status:      "Green",
		Partition:   "shop.kubernetes.namespace",
		Description: map[string]any{"k8s.namespace.name": "shop"},
		Body:        map[string]any{"b": int64(1), "a": "x"},
		Links: []entity.Link{
			{Type: entity.RelParentChild, Direction: entity.Incoming, Target: entity.Ref{Type: "kubernetes.namespace", InternalID: "s1-shop-kubernetes.namespace-"}},
			{Type: entity.RelParentChild, MappingKey: "unresolved", IDTemplate: "{scope}@x"},
		},
		ReportInterval: 10 * time.Minute,
	}))
	require.NoError(t, eb.AddObservation(t0, entity.Observation{Type: entity.RelEBPFFlow, SourceID: "10.0.0.1", DestinationID: "s1-shop-kubernetes.pod-api",
		DestinationPort: 8080, Connections: 2, LastSeen: t0}))
	eb.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: "gone"})
	b := FromLogs(eb.Logs())
	require.Len(t, b.Nodes, 1)
	n := b.Nodes[0]
	assert.Equal(t, "s1", n.ScopeID)
	assert.Equal(t, "api", n.Name)
	assert.Equal(t, "Green", n.Status)
	assert.Equal(t, "shop.kubernetes.namespace", n.Partition)
	assert.Equal(t, `{"a":"x","b":1}`, string(n.Data))
	assert.Equal(t, map[string]any{"k8s.namespace.name": "shop"}, n.Attributes)
	assert.Equal(t, 10*time.Minute, n.ReportInterval)
	require.Len(t, n.Links, 1, "the unresolved link is left out")
	assert.Equal(t, "s1-shop-kubernetes.namespace-", n.Links[0].Source)
	assert.Equal(t, n.ID, n.Links[0].Destination)
	require.Len(t, b.Observations, 1)
	assert.Equal(t, 104, b.Observations[0].RelationType)
	assert.Equal(t, int64(8080), b.Observations[0].Attributes["destination_port"])
	require.Len(t, b.Deletes, 1)
	assert.Equal(t, "gone", b.Deletes[0].ID)

	s := openSQLite(t, Options{})
	require.NoError(t, s.Apply(context.Background(), b))
	sum, err := s.Summary(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Nodes)
	assert.Equal(t, 2, sum.Edges)
}

func TestReadOnlyStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "graph.db")
	ctx := context.Background()
	w, err := OpenSQLite(ctx, path, Options{})
	require.NoError(t, err)
	require.NoError(t, w.Apply(ctx, Batch{Nodes: []NodeState{node("a", "t", "a", t0, nil)}}))
	r, err := OpenSQLite(ctx, path, Options{ReadOnly: true})
	require.NoError(t, err)
	defer r.Close()
	n, err := r.Node(ctx, "", "a")
	require.NoError(t, err)
	assert.Equal(t, "a", n.Name)
	assert.ErrorIs(t, r.Apply(ctx, Batch{Nodes: []NodeState{node("b", "t", "b", t0, nil)}}), ErrReadOnly)
	// The writer keeps writing; the reader sees it.
	require.NoError(t, w.Apply(ctx, Batch{Nodes: []NodeState{node("b", "t", "b", t0, nil)}}))
	_, err = r.Node(ctx, "", "b")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	// Not a store: a clear error.
	bad := filepath.Join(t.TempDir(), "bad.db")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Repeat("x", 100)), 0o600))
	_, err = OpenSQLite(ctx, bad, Options{ReadOnly: true})
	assert.Error(t, err)
}

func TestSubscribe(t *testing.T) {
	s := openSQLite(t, Options{})
	ch, cancel := s.Subscribe()
	defer cancel()
	require.NoError(t, s.Apply(context.Background(), Batch{Nodes: []NodeState{node("a", "t", "a", t0, nil)}}))
	select {
	case <-ch:
	default:
		t.Fatal("no notification after a write with changes")
	}
	require.NoError(t, s.Apply(context.Background(), Batch{Nodes: []NodeState{node("a", "t", "a", t0, nil)}}))
	select {
	case <-ch:
		t.Fatal("notified after a write without changes")
	default:
	}
}

// A long way round and a short cut: the path takes the short cut, from
// both ends and along the direction asked for.
func TestPathIsShortest(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		var nodes []NodeState
		for _, id := range []string{"a", "b", "c", "d", "e", "x"} {
			nodes = append(nodes, node(id, "t", id, t0, nil))
		}
		nodes[0].Links = []Edge{link("a", "b"), link("a", "x")}
		nodes[1].Links = []Edge{link("b", "c")}
		nodes[2].Links = []Edge{link("c", "d")}
		nodes[3].Links = []Edge{link("d", "e")}
		nodes[5].Links = []Edge{link("x", "e")}
		require.NoError(t, s.Apply(ctx, Batch{Nodes: nodes}))
		for _, dir := range []Direction{Both, Downstream} {
			p, err := s.Path(ctx, "a", "e", Traversal{Direction: dir})
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "x", "e"}, ids(p.Nodes), dir)
			require.Len(t, p.Edges, 2)
			assert.Equal(t, "a", p.Edges[0].Source)
			assert.Equal(t, "e", p.Edges[1].Destination)
		}
		p, err := s.Path(ctx, "e", "a", Traversal{Direction: Upstream})
		require.NoError(t, err)
		assert.Equal(t, []string{"e", "x", "a"}, ids(p.Nodes))
		p, err = s.Path(ctx, "b", "e", Traversal{})
		require.NoError(t, err)
		assert.Len(t, p.Nodes, 4, "b-a-x-e and b-c-d-e tie; either has four nodes")
		_, err = s.Path(ctx, "a", "e", Traversal{Depth: 1})
		assert.True(t, IsNotFound(err), "two hops needed")
	})
}
