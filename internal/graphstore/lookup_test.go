package graphstore

import (
	"context"
	"testing"
	"time"
)

func TestNodesByID(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		node := func(scope, id string, at time.Time) NodeState {
			return NodeState{ScopeID: scope, ID: id, Type: "t", Name: id + "@" + scope, DataSourceID: "ds",
				DataSourceType: "test", Data: []byte(`{"k":1}`), At: at}
		}
		if err := s.Apply(ctx, Batch{Nodes: []NodeState{
			node("s1", "a", t0), node("s2", "a", t0.Add(time.Minute)), node("s1", "b", t0), node("s1", "gone", t0),
		}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, Batch{Deletes: []NodeDelete{{ID: "gone", At: t0.Add(time.Hour)}}}); err != nil {
			t.Fatal(err)
		}
		got, err := s.NodesByID(ctx, []string{"a", "b", "gone", "unknown"}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got["a"] == nil || got["b"] == nil {
			t.Fatalf("NodesByID = %v, want a and b", got)
		}
		if got["a"].ScopeID != "s2" {
			t.Errorf("a is held by scope %q, want the one seen last (s2)", got["a"].ScopeID)
		}
		if got["b"].Data != nil {
			t.Errorf("b has data %s, want none in a lookup", got["b"].Data)
		}
		// As of before the delete, "gone" was there.
		got, err = s.NodesByID(ctx, []string{"gone"}, t0.Add(30*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if got["gone"] == nil {
			t.Errorf("NodesByID as of before the delete = %v, want gone", got)
		}
	})
}

// A filter with nothing but IncludeDeleted has no condition: it used to
// make "WHERE  AND …".
func TestNodesIncludeDeletedOnly(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := s.Apply(ctx, Batch{Nodes: []NodeState{
			{ScopeID: "s", ID: "live", Type: "t", Name: "live", DataSourceID: "ds", Data: []byte(`{}`), At: t0},
			{ScopeID: "s", ID: "gone", Type: "t", Name: "gone", DataSourceID: "ds", Data: []byte(`{}`), At: t0},
		}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Apply(ctx, Batch{Deletes: []NodeDelete{{ID: "gone", At: t0.Add(time.Hour)}}}); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"", "gone"} {
			page, err := s.Nodes(ctx, NodeFilter{Query: q, IncludeDeleted: true})
			if err != nil {
				t.Fatalf("query %q: %v", q, err)
			}
			want := 2
			if q != "" {
				want = 1
			}
			if page.Total != want || len(page.Nodes) != want {
				t.Errorf("query %q with deleted: %d nodes (total %d), want %d", q, len(page.Nodes), page.Total, want)
			}
		}
	})
}

func TestSummaryOf(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		node := func(ds, scope, id, typ string, links ...Edge) NodeState {
			return NodeState{ScopeID: scope, ID: id, Type: typ, Name: id, DataSourceID: ds, Data: []byte(`{}`), At: t0,
				Links: links, LinksKnown: true}
		}
		if err := s.Apply(ctx, Batch{
			Nodes: []NodeState{
				node("k8s", "c1", "ns", "kubernetes.namespace"),
				node("k8s", "c1", "pod", "kubernetes.pod", Edge{Source: "ns", Destination: "pod", Type: "parent_child"}),
				node("k8s", "c1", "old", "kubernetes.pod"),
				node("aws", "a1", "db", "aws.rds"),
			},
			Observations: []Edge{{Source: "pod", Destination: "db", Type: "ebpf_flow", DataSourceID: "flows", Connections: 1}},
			Deletes:      []NodeDelete{{ID: "old", At: t0.Add(time.Minute)}},
		}); err != nil {
			t.Fatal(err)
		}
		k8s, err := s.SummaryOf(ctx, "k8s")
		if err != nil {
			t.Fatal(err)
		}
		if k8s.Nodes != 2 || k8s.DeletedNodes != 1 || k8s.ByType["kubernetes.pod"] != 1 || k8s.ByScope["c1"] != 2 ||
			len(k8s.ByScope) != 1 || k8s.Edges != 1 || k8s.ByRelation["parent_child"] != 1 || k8s.ByDataSource["k8s"] != 2 ||
			len(k8s.ByDataSource) != 1 || k8s.LastChange == 0 {
			t.Errorf("SummaryOf(k8s) = %+v", k8s)
		}
		flows, err := s.SummaryOf(ctx, "flows")
		if err != nil {
			t.Fatal(err)
		}
		if flows.Nodes != 0 || flows.Edges != 1 || flows.ByRelation["ebpf_flow"] != 1 {
			t.Errorf("SummaryOf(flows) = %+v", flows)
		}
		all, err := s.Summary(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if all.Nodes != 3 || all.Edges != 2 || all.DeletedNodes != 1 || len(all.ByDataSource) != 2 {
			t.Errorf("Summary = %+v", all)
		}
	})
}
