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
// within t.Depth hops is ErrNotFound. The search runs from both ends at
// once, always widening the smaller side, so it reads about the square
// root of what a one-sided search would.
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
	// Each side remembers how it reached a node: the neighbour it came from
	// and the edge.
	type step struct {
		prev  string
		edge  *Edge
		depth int
	}
	fwd := map[string]step{from: {}}
	bwd := map[string]step{to: {}}
	fwdFrontier, bwdFrontier := []string{from}, []string{to}
	meet, best := "", 0
	// expand widens one side by one hop; forward follows edges source →
	// destination (when the direction is downstream), backward the reverse.
	expand := func(frontier []string, seen, other map[string]step, forward bool) ([]string, error) {
		dir := t.Direction
		if !forward && dir != Both {
			dir = map[Direction]Direction{Downstream: Upstream, Upstream: Downstream}[dir]
		}
		edges, err := s.edgesOf(ctx, frontier, dir, t.RelationTypes, t.AsOf, true)
		if err != nil {
			return nil, err
		}
		in := make(map[string]bool, len(frontier))
		for _, f := range frontier {
			in[f] = true
		}
		sortEdges(edges) // by source, destination, type: the first edge to reach a node wins
		next := make([]string, 0, len(edges))
		for _, e := range edges {
			var pairs [][2]string // (frontier node, far end)
			if dir != Upstream && in[e.Source] {
				pairs = append(pairs, [2]string{e.Source, e.Destination})
			}
			if dir != Downstream && in[e.Destination] {
				pairs = append(pairs, [2]string{e.Destination, e.Source})
			}
			for _, p := range pairs {
				if _, ok := seen[p[1]]; ok {
					continue
				}
				d := seen[p[0]].depth + 1
				seen[p[1]] = step{prev: p[0], edge: e, depth: d}
				next = append(next, p[1])
				// Of the meetings in one layer, the shortest total wins.
				if o, ok := other[p[1]]; ok && (meet == "" || d+o.depth < best) {
					meet, best = p[1], d+o.depth
				}
			}
		}
		return next, nil
	}
	for hops := 0; hops < t.Depth && meet == "" && len(fwdFrontier) > 0 && len(bwdFrontier) > 0; hops++ {
		if len(fwd)+len(bwd) > t.Limit {
			break
		}
		if len(fwdFrontier) <= len(bwdFrontier) {
			fwdFrontier, err = expand(fwdFrontier, fwd, bwd, true)
		} else {
			bwdFrontier, err = expand(bwdFrontier, bwd, fwd, false)
		}
		if err != nil {
			return Subgraph{}, err
		}
	}
	if meet == "" {
		return Subgraph{}, fmt.Errorf("no path from %q to %q within %d hops: %w", from, to, t.Depth, ErrNotFound)
	}
	var ids []string
	var edges []*Edge
	for cur := meet; cur != from; cur = fwd[cur].prev {
		ids = append(ids, cur)
		edges = append(edges, fwd[cur].edge)
	}
	ids = append(ids, from)
	slices.Reverse(ids)
	slices.Reverse(edges)
	for cur := meet; cur != to; cur = bwd[cur].prev {
		ids = append(ids, bwd[cur].prev)
		edges = append(edges, bwd[cur].edge)
	}
	keys := make([]EdgeKey, len(edges))
	for i, e := range edges {
		keys[i] = e.Key()
	}
	if edges, err = s.edgesByKey(ctx, keys); err != nil {
		return Subgraph{}, fmt.Errorf("graph store: %w", err)
	}
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
