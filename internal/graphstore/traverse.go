package graphstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Traversal limits.
const (
	MaxDepth          = 10
	defaultTraverse   = 500
	defaultPathDepth  = 6
	maxPathFrontier   = 20000
	defaultImpactSize = 2000
)

func (t *Traversal) fill(defDepth, defLimit int) {
	if t.Depth <= 0 {
		t.Depth = defDepth
	}
	t.Depth = min(t.Depth, MaxDepth)
	t.Limit = clampLimit(t.Limit, defLimit)
	if t.Direction == "" {
		t.Direction = Both
	}
}

// Neighbourhood is the nodes within t.Depth hops of id (either direction
// unless t says otherwise) and the edges among them.
func (s *Store) Neighbourhood(ctx context.Context, id string, t Traversal) (Subgraph, error) {
	t.fill(1, defaultTraverse)
	return s.walk(ctx, []string{id}, t)
}

// Impact is everything reachable from id along (downstream) or against
// (upstream) the chosen relation types.
func (s *Store) Impact(ctx context.Context, id string, t Traversal) (Subgraph, error) {
	if t.Direction == "" {
		t.Direction = Downstream
	}
	t.fill(MaxDepth, defaultImpactSize)
	return s.walk(ctx, []string{id}, t)
}

// walk is a breadth-first walk from the roots.
func (s *Store) walk(ctx context.Context, roots []string, t Traversal) (Subgraph, error) {
	start, err := s.nodesByID(ctx, roots, t.AsOf)
	if err != nil {
		return Subgraph{}, fmt.Errorf("graph store: %w", err)
	}
	for _, r := range roots {
		if _, ok := start[r]; !ok {
			return Subgraph{}, fmt.Errorf("node %q: %w", r, ErrNotFound)
		}
	}
	visited := map[string]bool{}
	for _, r := range roots {
		visited[r] = true
	}
	edges := map[EdgeKey]*Edge{}
	frontier := slices.Clone(roots)
	var sg Subgraph
	for depth := 0; depth < t.Depth && len(frontier) > 0; depth++ {
		found, err := s.EdgesOf(ctx, frontier, t.Direction, t.RelationTypes, t.AsOf)
		if err != nil {
			return Subgraph{}, err
		}
		inFrontier := map[string]bool{}
		for _, f := range frontier {
			inFrontier[f] = true
		}
		var next []string
		for _, e := range found {
			// The far end, in the walk's direction.
			var far []string
			switch t.Direction {
			case Downstream:
				if inFrontier[e.Source] {
					far = []string{e.Destination}
				}
			case Upstream:
				if inFrontier[e.Destination] {
					far = []string{e.Source}
				}
			default:
				far = []string{e.Source, e.Destination}
			}
			for _, f := range far {
				if visited[f] {
					continue
				}
				if len(visited) >= t.Limit {
					sg.Truncated = true
					continue
				}
				visited[f] = true
				next = append(next, f)
			}
			edges[e.Key()] = e
		}
		frontier = next
	}
	ids := make([]string, 0, len(visited))
	for id := range visited {
		ids = append(ids, id)
	}
	nodes, err := s.nodesByID(ctx, ids, t.AsOf)
	if err != nil {
		return Subgraph{}, fmt.Errorf("graph store: %w", err)
	}
	return assemble(nodes, ids, edges, visited, sg.Truncated), nil
}

// assemble sorts a walk's result; edges with an end outside the walk are
// dropped, ends that are not nodes are listed as missing.
func assemble(nodes map[string]*Node, ids []string, edges map[EdgeKey]*Edge, keep map[string]bool, truncated bool) Subgraph {
	sg := Subgraph{Nodes: []*Node{}, Edges: []*Edge{}, Truncated: truncated}
	slices.Sort(ids)
	for _, id := range ids {
		if n, ok := nodes[id]; ok {
			sg.Nodes = append(sg.Nodes, n)
		} else {
			sg.Missing = append(sg.Missing, id)
		}
	}
	for _, e := range edges {
		if keep[e.Source] && keep[e.Destination] {
			sg.Edges = append(sg.Edges, e)
		}
	}
	sortEdges(sg.Edges)
	return sg
}

func sortEdges(es []*Edge) {
	slices.SortFunc(es, func(a, b *Edge) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		if c := strings.Compare(a.Destination, b.Destination); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
}

// Path is a shortest path from one node to another (edges followed in
// either direction unless t says otherwise), nodes in path order. No path
// within t.Depth hops is ErrNotFound.
func (s *Store) Path(ctx context.Context, from, to string, t Traversal) (Subgraph, error) {
	t.fill(defaultPathDepth, maxPathFrontier)
	ends, err := s.nodesByID(ctx, []string{from, to}, t.AsOf)
	if err != nil {
		return Subgraph{}, fmt.Errorf("graph store: %w", err)
	}
	for _, id := range []string{from, to} {
		if _, ok := ends[id]; !ok {
			return Subgraph{}, fmt.Errorf("node %q: %w", id, ErrNotFound)
		}
	}
	if from == to {
		return Subgraph{Nodes: []*Node{ends[from]}, Edges: []*Edge{}}, nil
	}
	// Breadth first from `from`; prev remembers how each node was reached.
	type step struct {
		prev string
		edge *Edge
	}
	prev := map[string]step{from: {}}
	frontier := []string{from}
	found := false
	for depth := 0; depth < t.Depth && len(frontier) > 0 && !found; depth++ {
		edges, err := s.EdgesOf(ctx, frontier, t.Direction, t.RelationTypes, t.AsOf)
		if err != nil {
			return Subgraph{}, err
		}
		inFrontier := map[string]bool{}
		for _, f := range frontier {
			inFrontier[f] = true
		}
		slices.SortFunc(edges, func(a, b *Edge) int { return strings.Compare(a.Source+a.Destination, b.Source+b.Destination) })
		var next []string
		for _, e := range edges {
			var pairs [][2]string // (from frontier node, far end)
			if t.Direction != Upstream && inFrontier[e.Source] {
				pairs = append(pairs, [2]string{e.Source, e.Destination})
			}
			if t.Direction != Downstream && inFrontier[e.Destination] {
				pairs = append(pairs, [2]string{e.Destination, e.Source})
			}
			for _, p := range pairs {
				if _, ok := prev[p[1]]; ok {
					continue
				}
				prev[p[1]] = step{prev: p[0], edge: e}
				next = append(next, p[1])
				if p[1] == to {
					found = true
				}
			}
		}
		if len(prev) > t.Limit {
			break
		}
		frontier = next
	}
	if !found {
		return Subgraph{}, fmt.Errorf("no path from %q to %q within %d hops: %w", from, to, t.Depth, ErrNotFound)
	}
	var ids []string
	var edges []*Edge
	for cur := to; cur != from; cur = prev[cur].prev {
		ids = append(ids, cur)
		edges = append(edges, prev[cur].edge)
	}
	ids = append(ids, from)
	slices.Reverse(ids)
	slices.Reverse(edges)
	nodes, err := s.nodesByID(ctx, ids, t.AsOf)
	if err != nil {
		return Subgraph{}, fmt.Errorf("graph store: %w", err)
	}
	sg := Subgraph{Edges: edges}
	for _, id := range ids {
		if n, ok := nodes[id]; ok {
			sg.Nodes = append(sg.Nodes, n)
		} else {
			sg.Missing = append(sg.Missing, id)
		}
	}
	return sg, nil
}

// Graph is the nodes matching f (up to its limit) and the edges among
// them: the map's view.
func (s *Store) Graph(ctx context.Context, f NodeFilter) (Subgraph, int, error) {
	if f.Limit <= 0 {
		f.Limit = 2000
	}
	f.Limit = min(f.Limit, 50000)
	page, err := s.nodesUnclamped(ctx, f)
	if err != nil {
		return Subgraph{}, 0, err
	}
	ids := make([]string, len(page.Nodes))
	keep := make(map[string]bool, len(page.Nodes))
	nodes := make(map[string]*Node, len(page.Nodes))
	for i, n := range page.Nodes {
		ids[i] = n.ID
		keep[n.ID] = true
		nodes[n.ID] = n
	}
	edges, err := s.EdgesOf(ctx, ids, Downstream, nil, f.AsOf)
	if err != nil {
		return Subgraph{}, 0, err
	}
	em := make(map[EdgeKey]*Edge, len(edges))
	for _, e := range edges {
		em[e.Key()] = e
	}
	return assemble(nodes, ids, em, keep, page.Next != ""), page.Total, nil
}
