package graphmcp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// Walks over the graph from an asset.

// --- get_relationships

type relationshipsInput struct {
	ID            string   `json:"id" jsonschema:"the asset's internal ID"`
	Direction     string   `json:"direction,omitempty" jsonschema:"outgoing (the asset is the source), incoming (the destination) or both"`
	RelationTypes []string `json:"relation_types,omitempty" jsonschema:"only these relationship types, e.g. ebpf_flow or parent_child (list_relationship_types)"`
	AsOf          string   `json:"as_of,omitempty" jsonschema:"the relationships as they were then: an RFC 3339 time or a duration ago"`
	Limit         int      `json:"limit,omitempty" jsonschema:"relationships returned"`
}

type relationship struct {
	Direction string           `json:"direction" jsonschema:"outgoing: the asset is the source; incoming: the destination"`
	PeerID    string           `json:"peer_id" jsonschema:"the ID at the other end"`
	Peer      *assetRef        `json:"peer,omitempty" jsonschema:"the asset at the other end; absent when it is not in the graph (an unresolved address, or an element of a source not in this store)"`
	Edge      *graphstore.Edge `json:"edge"`
}

type relationshipsOutput struct {
	Asset         assetRef       `json:"asset"`
	Relationships []relationship `json:"relationships"`
	Total         int            `json:"total"`
	Truncated     bool           `json:"truncated"`
}

func (t *tools) getRelationships(ctx context.Context, in relationshipsInput) (relationshipsOutput, error) {
	start, err := t.startWalk(ctx, in.ID, in.Direction, graphstore.Both, in.AsOf)
	if err != nil {
		return relationshipsOutput{}, err
	}
	n, dir, asOf := start.root, start.dir, start.asOf
	edges, err := t.store.EdgesOf(ctx, []string{n.ID}, dir, in.RelationTypes, asOf)
	if err != nil {
		return relationshipsOutput{}, err
	}
	var rels []relationship
	for _, e := range edges {
		if e.Source == n.ID && dir != graphstore.Upstream {
			rels = append(rels, relationship{Direction: "outgoing", PeerID: e.Destination, Edge: e})
		}
		if e.Destination == n.ID && dir != graphstore.Downstream && e.Source != e.Destination {
			rels = append(rels, relationship{Direction: "incoming", PeerID: e.Source, Edge: e})
		}
	}
	slices.SortStableFunc(rels, func(a, b relationship) int {
		return strings.Compare(a.Direction+"\x00"+a.Edge.Type+"\x00"+a.PeerID, b.Direction+"\x00"+b.Edge.Type+"\x00"+b.PeerID)
	})
	limit := relationshipBound.clamp(in.Limit)
	out := relationshipsOutput{Asset: ref(n), Total: len(rels), Relationships: []relationship{}}
	if len(rels) > limit {
		rels, out.Truncated = rels[:limit], true
	}
	peers := make([]string, 0, len(rels))
	for _, r := range rels {
		peers = append(peers, r.PeerID)
	}
	found, err := t.store.NodesByID(ctx, peers, asOf)
	if err != nil {
		return relationshipsOutput{}, err
	}
	for _, r := range rels {
		if p, ok := found[r.PeerID]; ok {
			pr := ref(p)
			r.Peer = &pr
		}
		out.Relationships = append(out.Relationships, r)
	}
	return out, nil
}

// --- explore_topology

type topologyInput struct {
	ID            string   `json:"id" jsonschema:"the asset to start from"`
	Depth         int      `json:"depth,omitempty" jsonschema:"hops from the asset"`
	Direction     string   `json:"direction,omitempty" jsonschema:"outgoing (= downstream: along edges, source → destination; flows run client → server, structure parent → child), incoming (= upstream: against edges) or both"`
	RelationTypes []string `json:"relation_types,omitempty" jsonschema:"follow only these relationship types (list_relationship_types)"`
	MaxNodes      int      `json:"max_nodes,omitempty" jsonschema:"assets returned, the start included"`
	MaxEdges      int      `json:"max_edges,omitempty" jsonschema:"relationships returned, the ones nearest the start first"`
	AsOf          string   `json:"as_of,omitempty" jsonschema:"the graph as it was then: an RFC 3339 time or a duration ago"`
}

type topologyOutput struct {
	Root      assetRef           `json:"root"`
	Depth     int                `json:"depth"`
	Direction string             `json:"direction"`
	Nodes     []assetRef         `json:"nodes" jsonschema:"the assets reached, nearest first, with their distance"`
	Edges     []*graphstore.Edge `json:"edges" jsonschema:"the relationships among them"`
	Missing   []string           `json:"missing,omitempty" jsonschema:"relationship ends that are not assets of the graph (unresolved addresses, elements of sources not in this store)"`
	Truncated bool               `json:"truncated" jsonschema:"max_nodes or max_edges cut the result"`
	Note      string             `json:"note,omitempty"`
}

func (t *tools) exploreTopology(ctx context.Context, in topologyInput) (topologyOutput, error) {
	start, err := t.startWalk(ctx, in.ID, in.Direction, graphstore.Both, in.AsOf)
	if err != nil {
		return topologyOutput{}, err
	}
	root, dir, asOf := start.root, start.dir, start.asOf
	depth := depthBound.clamp(in.Depth)
	sg, err := t.store.Neighbourhood(ctx, root.ID, graphstore.Traversal{Depth: depth, Direction: dir,
		RelationTypes: in.RelationTypes, Limit: nodesBound.clamp(in.MaxNodes), AsOf: asOf})
	if err != nil {
		return topologyOutput{}, t.walkErr(ctx, err, root.ID)
	}
	w := layer(root.ID, sg, dir, edgesBound.clamp(in.MaxEdges))
	out := topologyOutput{Root: ref(root), Depth: depth, Direction: string(dir), Nodes: w.nodes, Edges: w.edges,
		Missing: sg.Missing, Truncated: sg.Truncated || w.edgesCut > 0}
	out.Note = truncationNote(sg.Truncated, w.edgesCut, "max_nodes")
	return out, nil
}

func truncationNote(nodesCut bool, edgesCut int, nodesParam string) string {
	var notes []string
	if nodesCut {
		notes = append(notes, "more assets are in reach than "+nodesParam+" allows: raise it, lower the depth or filter by relation_types")
	}
	if edgesCut > 0 {
		notes = append(notes, fmt.Sprintf("%d relationships among them were left out: raise max_edges", edgesCut))
	}
	return strings.Join(notes, "; ")
}

// layered is a walk's result ordered by distance from its start.
type layered struct {
	nodes    []assetRef
	edges    []*graphstore.Edge
	dist     map[string]int
	edgesCut int
}

// layer computes each node's distance from root over the subgraph's edges
// (in the walk's direction), sorts nodes and edges nearest first and caps
// the edges.
func layer(root string, sg graphstore.Subgraph, dir graphstore.Direction, maxEdges int) layered {
	adj := map[string][]string{}
	for _, e := range sg.Edges {
		if dir != graphstore.Upstream {
			adj[e.Source] = append(adj[e.Source], e.Destination)
		}
		if dir != graphstore.Downstream {
			adj[e.Destination] = append(adj[e.Destination], e.Source)
		}
	}
	dist := map[string]int{root: 0}
	for frontier := []string{root}; len(frontier) > 0; {
		var next []string
		for _, id := range frontier {
			for _, far := range adj[id] {
				if _, ok := dist[far]; !ok {
					dist[far] = dist[id] + 1
					next = append(next, far)
				}
			}
		}
		frontier = next
	}
	distOf := func(id string) int {
		if d, ok := dist[id]; ok {
			return d
		}
		return graphstore.MaxDepth + 1
	}
	w := layered{dist: dist, nodes: make([]assetRef, 0, len(sg.Nodes))}
	for _, n := range sg.Nodes {
		r := ref(n)
		d := distOf(n.ID)
		r.Distance = &d
		w.nodes = append(w.nodes, r)
	}
	slices.SortStableFunc(w.nodes, func(a, b assetRef) int {
		if *a.Distance != *b.Distance {
			return *a.Distance - *b.Distance
		}
		return strings.Compare(a.Type+"\x00"+a.Name+"\x00"+a.ID, b.Type+"\x00"+b.Name+"\x00"+b.ID)
	})
	w.edges = append([]*graphstore.Edge{}, sg.Edges...)
	near := func(e *graphstore.Edge) int { return min(distOf(e.Source), distOf(e.Destination)) }
	slices.SortStableFunc(w.edges, func(a, b *graphstore.Edge) int { return near(a) - near(b) }) // stable: keeps the store's order
	if len(w.edges) > maxEdges {
		w.edgesCut = len(w.edges) - maxEdges
		w.edges = w.edges[:maxEdges]
	}
	return w
}

// --- find_path

type pathInput struct {
	From          string   `json:"from" jsonschema:"the ID of the asset the path starts at"`
	To            string   `json:"to" jsonschema:"the ID of the asset the path ends at"`
	MaxHops       int      `json:"max_hops,omitempty" jsonschema:"the longest path looked for"`
	Direction     string   `json:"direction,omitempty" jsonschema:"outgoing (follow edges source → destination only), incoming (against them only) or both"`
	RelationTypes []string `json:"relation_types,omitempty" jsonschema:"follow only these relationship types"`
	AsOf          string   `json:"as_of,omitempty" jsonschema:"the graph as it was then: an RFC 3339 time or a duration ago"`
}

type pathStep struct {
	ID    string    `json:"id"`
	Asset *assetRef `json:"asset,omitempty" jsonschema:"absent when the ID is not an asset of the graph (an unresolved address)"`
	// Via is the relationship from the previous step (absent on the first).
	Via       *graphstore.Edge `json:"via,omitempty" jsonschema:"the relationship from the previous step"`
	Traversed string           `json:"traversed,omitempty" jsonschema:"forward: via runs from the previous step to this one; backward: the other way"`
}

type pathOutput struct {
	Found bool       `json:"found"`
	Hops  int        `json:"hops"`
	Steps []pathStep `json:"steps" jsonschema:"the path, from first to last"`
	Note  string     `json:"note,omitempty"`
}

func (t *tools) findPath(ctx context.Context, in pathInput) (pathOutput, error) {
	dir, err := parseDirection(in.Direction, graphstore.Both)
	if err != nil {
		return pathOutput{}, err
	}
	asOf, err := parseWhen(in.AsOf, t.now())
	if err != nil {
		return pathOutput{}, fmt.Errorf("as_of: %w", err)
	}
	from, err := t.resolveAt(ctx, in.From, asOf)
	if err != nil {
		return pathOutput{}, fmt.Errorf("from: %w", err)
	}
	to, err := t.resolveAt(ctx, in.To, asOf)
	if err != nil {
		return pathOutput{}, fmt.Errorf("to: %w", err)
	}
	hops := hopsBound.clamp(in.MaxHops)
	sg, err := t.store.Path(ctx, from.ID, to.ID, graphstore.Traversal{Depth: hops, Direction: dir,
		RelationTypes: in.RelationTypes, AsOf: asOf})
	if graphstore.IsNotFound(err) {
		return pathOutput{Steps: []pathStep{}, Note: fmt.Sprintf("no path from %q to %q within %d hops (direction %s); raise max_hops, use direction both or fewer relation_types",
			from.ID, to.ID, hops, dir)}, nil
	}
	if err != nil {
		return pathOutput{}, err
	}
	nodes := map[string]*graphstore.Node{}
	for _, n := range sg.Nodes {
		nodes[n.ID] = n
	}
	step := func(id string) pathStep {
		s := pathStep{ID: id}
		if n, ok := nodes[id]; ok {
			r := ref(n)
			s.Asset = &r
		}
		return s
	}
	out := pathOutput{Found: true, Hops: len(sg.Edges), Steps: []pathStep{step(from.ID)}}
	cur := from.ID
	for _, e := range sg.Edges {
		next, how := e.Destination, "forward"
		if e.Source != cur {
			next, how = e.Source, "backward"
		}
		s := step(next)
		s.Via, s.Traversed = e, how
		out.Steps = append(out.Steps, s)
		cur = next
	}
	return out, nil
}

// --- impact_analysis

type impactInput struct {
	ID            string   `json:"id" jsonschema:"the asset whose impact is wanted"`
	Direction     string   `json:"direction,omitempty" jsonschema:"downstream (= outgoing: along edges; what a client calls, what a parent contains), upstream (= incoming: against edges; who calls a server, what contains it) or both"`
	RelationTypes []string `json:"relation_types,omitempty" jsonschema:"follow only these relationship types, e.g. ebpf_flow,aws_network_flow for traffic"`
	MaxDepth      int      `json:"max_depth,omitempty" jsonschema:"hops followed"`
	Limit         int      `json:"limit,omitempty" jsonschema:"affected assets returned"`
	IncludeEdges  bool     `json:"include_edges,omitempty" jsonschema:"also return the relationships among them"`
	MaxEdges      int      `json:"max_edges,omitempty" jsonschema:"relationships returned with include_edges"`
	AsOf          string   `json:"as_of,omitempty" jsonschema:"the graph as it was then: an RFC 3339 time or a duration ago"`
}

type impactOutput struct {
	Root      assetRef           `json:"root"`
	Direction string             `json:"direction"`
	Affected  []assetRef         `json:"affected" jsonschema:"assets reached (the root left out), nearest first, with their distance"`
	ByType    map[string]int     `json:"by_type" jsonschema:"affected assets per type"`
	Edges     []*graphstore.Edge `json:"edges,omitempty"`
	Missing   []string           `json:"missing,omitempty" jsonschema:"IDs reached that are not assets of the graph (unresolved addresses)"`
	Truncated bool               `json:"truncated"`
	Note      string             `json:"note,omitempty"`
}

func (t *tools) impactAnalysis(ctx context.Context, in impactInput) (impactOutput, error) {
	start, err := t.startWalk(ctx, in.ID, in.Direction, graphstore.Downstream, in.AsOf)
	if err != nil {
		return impactOutput{}, err
	}
	root, dir, asOf := start.root, start.dir, start.asOf
	limit := impactBound.clamp(in.Limit)
	// The root counts against the store's limit.
	sg, err := t.store.Impact(ctx, root.ID, graphstore.Traversal{Depth: impactDepthBound.clamp(in.MaxDepth), Direction: dir,
		RelationTypes: in.RelationTypes, Limit: limit + 1, AsOf: asOf})
	if err != nil {
		return impactOutput{}, t.walkErr(ctx, err, root.ID)
	}
	maxEdges := 0
	if in.IncludeEdges {
		maxEdges = edgesBound.clamp(in.MaxEdges)
	}
	w := layer(root.ID, sg, dir, maxEdges)
	out := impactOutput{Root: ref(root), Direction: string(dir), Affected: []assetRef{}, ByType: map[string]int{},
		Missing: sg.Missing, Truncated: sg.Truncated}
	for _, r := range w.nodes {
		if r.ID == root.ID {
			continue
		}
		out.Affected = append(out.Affected, r)
		out.ByType[r.Type]++
	}
	if in.IncludeEdges {
		out.Edges = w.edges
		out.Truncated = out.Truncated || w.edgesCut > 0
	} else {
		w.edgesCut = 0
	}
	out.Note = truncationNote(sg.Truncated, w.edgesCut, "limit")
	return out, nil
}
