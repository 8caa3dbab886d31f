package graphstore

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func TestNodesByID(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
}

// A filter with nothing but IncludeDeleted has no condition: it used to
// make "WHERE  AND …".
func TestNodesIncludeDeletedOnly(t *testing.T) {
	ctx := context.Background()
	s, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "g.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
}
