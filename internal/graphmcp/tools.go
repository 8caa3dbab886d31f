package graphmcp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// Tool names: a stable interface.
const (
	ToolListDataSources       = "list_data_sources"
	ToolGraphSummary          = "graph_summary"
	ToolListRelationshipTypes = "list_relationship_types"
	ToolSearchAssets          = "search_assets"
	ToolGetAsset              = "get_asset"
	ToolGetRelationships      = "get_relationships"
	ToolExploreTopology       = "explore_topology"
	ToolFindPath              = "find_path"
	ToolImpactAnalysis        = "impact_analysis"
	ToolChangesSince          = "changes_since"
	ToolDiffGraph             = "diff_graph"
)

// Output bounds.
var (
	searchBound       = bound{def: 25, max: 200}
	historyBound      = bound{def: 20, max: 200}
	relationshipBound = bound{def: 50, max: 500}
	depthBound        = bound{def: 2, max: graphstore.MaxDepth}
	nodesBound        = bound{def: 100, max: 1000}
	edgesBound        = bound{def: 300, max: 3000}
	hopsBound         = bound{def: 6, max: graphstore.MaxDepth}
	impactDepthBound  = bound{def: graphstore.MaxDepth, max: graphstore.MaxDepth}
	impactBound       = bound{def: 200, max: 2000}
	changesBound      = bound{def: 100, max: 1000}
	diffBound         = bound{def: 100, max: 1000}
)

// maxDataBytes caps an asset's data in get_asset.
const maxDataBytes = 256 << 10

// diffScan is how many changes per list diff_graph reads to count them.
const diffScan = 10000

// tools holds what the handlers share.
type tools struct {
	store *graphstore.Store
	now   func() time.Time
}

// readOnly are the annotations of every tool: they only read the store.
func readOnly(title string) *mcp.ToolAnnotations {
	f := false
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &f, OpenWorldHint: &f}
}

// addTool registers a read-only tool whose input and output schemas are
// inferred from In and Out; a handler's error is a tool error the model
// reads, not a protocol failure.
func addTool[In, Out any](s *mcp.Server, name, title, description string, h func(context.Context, In) (Out, error), edits ...inputEdit) {
	in := schemaFor[In]()
	for _, e := range edits {
		e(in)
	}
	mcp.AddTool(s, &mcp.Tool{
		Name:         name,
		Title:        title,
		Description:  description,
		Annotations:  readOnly(title),
		InputSchema:  in,
		OutputSchema: schemaFor[Out](),
	}, func(ctx context.Context, _ *mcp.CallToolRequest, input In) (*mcp.CallToolResult, Out, error) {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		out, err := h(ctx, input)
		return nil, out, err
	})
}

var directionValues = []string{"both", "outgoing", "incoming", "downstream", "upstream"}

func parseDirection(s string, def graphstore.Direction) (graphstore.Direction, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "":
		return def, nil
	case "both":
		return graphstore.Both, nil
	case "outgoing", "downstream":
		return graphstore.Downstream, nil
	case "incoming", "upstream":
		return graphstore.Upstream, nil
	}
	return "", fmt.Errorf("direction %q is not one of %s", s, strings.Join(directionValues, ", "))
}

func (t *tools) register(s *mcp.Server) {
	addTool(s, ToolListDataSources, "List data sources",
		"List the data sources (collector receivers, agents) that reported assets to the graph: ID, type, scopes (cluster UID, cloud account, database system ID …), live asset count and when each last reported.",
		t.listDataSources)
	addTool(s, ToolGraphSummary, "Graph summary",
		"Count the live graph, or one data source's part of it: assets and relationships, by asset type, data source, scope and relationship type; deleted assets still in history; the newest change's sequence number and the oldest change kept. A good first call.",
		t.graphSummary)
	addTool(s, ToolListRelationshipTypes, "List relationship types",
		"List the relationship types in the live graph (parent_child, er, attached, ebpf_flow, aws_network_flow …) with how many of each; pass them as relation_types to the walking tools.",
		t.listRelationshipTypes)
	addTool(s, ToolSearchAssets, "Search assets",
		"Search assets by a name, IP address, ARN, UID, label or any attribute or data value (case-insensitive), filtered by type, data source, scope, group (namespace, VPC, region) and status; optionally as the graph was at a past time. Returns IDs for the other tools, a page at a time.",
		t.searchAssets, withBound("limit", searchBound))
	addTool(s, ToolGetAsset, "Get asset",
		"Read one asset by ID: type, name, status, version, data sources, attributes, its data (the source object, decoded JSON), first/last seen, deleted_at, how many relationships it has, and its history (created/updated/deleted, which top-level fields changed, before/after hashes).",
		t.getAsset, withBound("history_limit", historyBound), withDefault("include_data", "true"))
	addTool(s, ToolGetRelationships, "Get relationships",
		"List an asset's relationships (both directions by default) with the asset at the other end: relationship type, counters of observed traffic (connections, failed, bytes), first/last seen.",
		t.getRelationships, withBound("limit", relationshipBound), withEnum("direction", "both", directionValues...))
	addTool(s, ToolExploreTopology, "Explore topology",
		"The neighbourhood of an asset: every asset within depth hops (either direction by default) with its distance, and the relationships among them, bounded by max_nodes and max_edges; optionally limited to relationship types or as the graph was at a past time.",
		t.exploreTopology, withBound("depth", depthBound), withBound("max_nodes", nodesBound), withBound("max_edges", edgesBound),
		withEnum("direction", "both", directionValues...))
	addTool(s, ToolFindPath, "Find path",
		"A shortest path between two assets (relationships followed either way by default), step by step with the relationship taken at each step and whether it was followed forward or backward.",
		t.findPath, withBound("max_hops", hopsBound), withEnum("direction", "both", directionValues...))
	addTool(s, ToolImpactAnalysis, "Impact analysis",
		"Everything reachable from an asset in one direction, with its distance and a count by type. Flows run client → server, so upstream (incoming) of a database is who calls it — what breaks when it fails — and downstream (outgoing) of a service is what it depends on; structure runs parent → child, so downstream of a namespace or VPC is what it contains.",
		t.impactAnalysis, withBound("max_depth", impactDepthBound), withBound("limit", impactBound), withBound("max_edges", edgesBound),
		withEnum("direction", "downstream", directionValues...))
	addTool(s, ToolChangesSince, "Changes since",
		"The change feed: assets and relationships created, updated or deleted since a time (default the last 24h) or after a sequence number, oldest first; page on with next_seq.",
		t.changesSince, withBound("limit", changesBound))
	addTool(s, ToolDiffGraph, "Diff graph",
		"What differs between two times: assets and relationships created, updated (with the fields that changed) and deleted between from and to (default now), one entry per element.",
		t.diffGraph, withBound("limit", diffBound), withEnum("kind", "", "", graphstore.KindNode, graphstore.KindEdge))
}

// assetRef is an asset in a list.
type assetRef struct {
	ID           string     `json:"id"`
	ScopeID      string     `json:"scope_id"`
	Type         string     `json:"type"`
	Name         string     `json:"name"`
	Status       string     `json:"status,omitempty"`
	Group        string     `json:"group,omitempty" jsonschema:"namespace, VPC or region"`
	DataSourceID string     `json:"data_source_id"`
	LastSeen     time.Time  `json:"last_seen"`
	DeletedAt    *time.Time `json:"deleted_at,omitempty"`
	Distance     *int       `json:"distance,omitempty" jsonschema:"hops from the asset the walk started at"`
}

func ref(n *graphstore.Node) assetRef {
	return assetRef{ID: n.ID, ScopeID: n.ScopeID, Type: n.Type, Name: n.Name, Status: n.Status, Group: n.Group,
		DataSourceID: n.DataSourceID, LastSeen: n.LastSeen, DeletedAt: n.DeletedAt}
}

// unknownAssetError is an ID the store does not hold.
type unknownAssetError struct{ msg string }

func (e *unknownAssetError) Error() string { return e.msg }

// unknownAsset is the error for an ID the store does not hold; when the
// ID matches assets as a search (a name passed for an ID), it names them.
func (t *tools) unknownAsset(ctx context.Context, scope, id string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "no asset with id %q", id)
	if scope != "" {
		fmt.Fprintf(&b, " in scope %q", scope)
	}
	if strings.TrimSpace(id) != "" {
		if page, err := t.store.Nodes(ctx, graphstore.NodeFilter{Query: id, Limit: 5}); err == nil && len(page.Nodes) > 0 {
			b.WriteString("; assets matching it:")
			for i, n := range page.Nodes {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, " %q (%s %s)", n.ID, n.Type, n.Name)
			}
		}
	}
	b.WriteString("; search_assets finds IDs by name")
	return &unknownAssetError{b.String()}
}

// resolve reads an asset (any state) or says it is unknown.
func (t *tools) resolve(ctx context.Context, scope, id string) (*graphstore.Node, error) {
	if strings.TrimSpace(id) == "" {
		return nil, errors.New("id is empty; search_assets finds IDs by name")
	}
	n, err := t.store.Node(ctx, scope, id)
	if graphstore.IsNotFound(err) {
		return nil, t.unknownAsset(ctx, scope, id)
	}
	return n, err
}

// resolveAt reads an asset that must exist at asOf (now when zero): the
// start of a walk.
func (t *tools) resolveAt(ctx context.Context, id string, asOf time.Time) (*graphstore.Node, error) {
	n, err := t.resolve(ctx, "", id)
	if err != nil {
		return nil, err
	}
	if !asOf.IsZero() && n.FirstSeen.After(asOf) {
		return nil, fmt.Errorf("asset %q first appeared at %s, after as_of %s", id, n.FirstSeen.Format(time.RFC3339), asOf.Format(time.RFC3339))
	}
	if n.DeletedAt != nil && (asOf.IsZero() || !n.DeletedAt.After(asOf)) {
		return nil, fmt.Errorf("asset %q was deleted at %s; pass an earlier as_of to see it as it was", id, n.DeletedAt.Format(time.RFC3339))
	}
	return n, nil
}

// walkStart is what every walk begins with: its direction, its time and
// its start, which must exist then.
type walkStart struct {
	root *graphstore.Node
	dir  graphstore.Direction
	asOf time.Time
}

func (t *tools) startWalk(ctx context.Context, id, direction string, def graphstore.Direction, asOf string) (walkStart, error) {
	var w walkStart
	var err error
	if w.dir, err = parseDirection(direction, def); err != nil {
		return w, err
	}
	if w.asOf, err = parseWhen(asOf, t.now()); err != nil {
		return w, fmt.Errorf("as_of: %w", err)
	}
	w.root, err = t.resolveAt(ctx, id, w.asOf)
	return w, err
}

// walkErr is a walk's error; the store's not-found (its start vanished
// since it was resolved) is the tool's unknown-asset message.
func (t *tools) walkErr(ctx context.Context, err error, id string) error {
	if graphstore.IsNotFound(err) {
		return t.unknownAsset(ctx, "", id)
	}
	return err
}

type noInput struct{}

// --- list_data_sources

type dataSourcesOutput struct {
	DataSources []graphstore.DataSource `json:"data_sources"`
}

func (t *tools) listDataSources(ctx context.Context, _ noInput) (dataSourcesOutput, error) {
	ds, err := t.store.DataSources(ctx)
	if err != nil {
		return dataSourcesOutput{}, err
	}
	for i := range ds {
		if ds[i].Scopes == nil {
			ds[i].Scopes = []string{}
		}
	}
	return dataSourcesOutput{DataSources: ds}, nil
}

// --- graph_summary

type summaryOutput struct {
	graphstore.Summary
	Backend string `json:"backend" jsonschema:"the store's database: sqlite or postgresql"`
}

type summaryInput struct {
	DataSourceID string `json:"data_source_id,omitempty" jsonschema:"count only what this data source reported (list_data_sources); empty: the whole graph"`
}

func (t *tools) graphSummary(ctx context.Context, in summaryInput) (summaryOutput, error) {
	var sum graphstore.Summary
	var err error
	if in.DataSourceID != "" {
		sum, err = t.store.SummaryOf(ctx, in.DataSourceID)
	} else {
		sum, err = t.store.Summary(ctx)
	}
	if err != nil {
		return summaryOutput{}, err
	}
	return summaryOutput{Summary: sum, Backend: t.store.Backend()}, nil
}

// --- list_relationship_types

type relationshipTypesOutput struct {
	RelationshipTypes []relationshipTypeCount `json:"relationship_types"`
}

type relationshipTypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count" jsonschema:"live relationships of this type"`
}

func (t *tools) listRelationshipTypes(ctx context.Context, _ noInput) (relationshipTypesOutput, error) {
	sum, err := t.store.Summary(ctx)
	if err != nil {
		return relationshipTypesOutput{}, err
	}
	out := relationshipTypesOutput{RelationshipTypes: []relationshipTypeCount{}}
	for typ, n := range sum.ByRelation {
		out.RelationshipTypes = append(out.RelationshipTypes, relationshipTypeCount{Type: typ, Count: n})
	}
	slices.SortStableFunc(out.RelationshipTypes, func(a, b relationshipTypeCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out, nil
}

// --- search_assets

type searchInput struct {
	Query          string   `json:"query,omitempty" jsonschema:"what to find, case-insensitive: a name, IP address, ARN, UID, label value …; each word matches the start of the ID, name, group, an attribute value or a part of the name or ID, and when nothing matches so, any substring of them or of the data; empty lists every asset"`
	Types          []string `json:"types,omitempty" jsonschema:"only these asset types, e.g. kubernetes.pod or aws.rds (graph_summary lists the types present)"`
	DataSourceID   string   `json:"data_source_id,omitempty" jsonschema:"only assets this data source reported (list_data_sources)"`
	ScopeID        string   `json:"scope_id,omitempty" jsonschema:"only this scope: a cluster UID, cloud account or project, database system ID"`
	Group          string   `json:"group,omitempty" jsonschema:"only this namespace, VPC or region"`
	Status         string   `json:"status,omitempty" jsonschema:"only this status, e.g. Running or available"`
	IncludeDeleted bool     `json:"include_deleted,omitempty" jsonschema:"also return deleted assets (still in history)"`
	AsOf           string   `json:"as_of,omitempty" jsonschema:"search the graph as it was then: an RFC 3339 time or a duration ago (90m, 24h, 7d)"`
	Limit          int      `json:"limit,omitempty" jsonschema:"assets per page"`
	Cursor         string   `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type searchOutput struct {
	Assets     []assetRef `json:"assets"`
	Total      int        `json:"total" jsonschema:"assets matching, over all pages"`
	Truncated  bool       `json:"truncated" jsonschema:"more assets match than this page holds"`
	NextCursor string     `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page"`
}

func (t *tools) searchAssets(ctx context.Context, in searchInput) (searchOutput, error) {
	asOf, err := parseWhen(in.AsOf, t.now())
	if err != nil {
		return searchOutput{}, fmt.Errorf("as_of: %w", err)
	}
	// The store's cursor holds a control character: the model gets it
	// base64-encoded, which survives being copied.
	after, err := base64.RawURLEncoding.DecodeString(in.Cursor)
	if err != nil {
		return searchOutput{}, fmt.Errorf("cursor %q is not a next_cursor search_assets returned", in.Cursor)
	}
	page, err := t.store.Nodes(ctx, graphstore.NodeFilter{Query: in.Query, Types: in.Types, DataSourceID: in.DataSourceID,
		ScopeID: in.ScopeID, Group: in.Group, Status: in.Status, IncludeDeleted: in.IncludeDeleted, AsOf: asOf,
		Limit: searchBound.clamp(in.Limit), After: string(after)})
	if err != nil {
		return searchOutput{}, err
	}
	out := searchOutput{Assets: make([]assetRef, 0, len(page.Nodes)), Total: page.Total,
		NextCursor: base64.RawURLEncoding.EncodeToString([]byte(page.Next)), Truncated: page.Next != ""}
	for _, n := range page.Nodes {
		out.Assets = append(out.Assets, ref(n))
	}
	return out, nil
}

// --- get_asset

type getAssetInput struct {
	ID           string `json:"id" jsonschema:"the asset's internal ID (search_assets finds it)"`
	ScopeID      string `json:"scope_id,omitempty" jsonschema:"the scope holding it, when several do (default: the live one seen last)"`
	IncludeData  bool   `json:"include_data,omitempty" jsonschema:"include the asset's data (the source object)"`
	HistoryLimit int    `json:"history_limit,omitempty" jsonschema:"newest history entries returned"`
}

type assetOutput struct {
	Asset         *graphstore.Node    `json:"asset"`
	DataTruncated bool                `json:"data_truncated,omitempty" jsonschema:"the data was larger than 256 KiB and left out"`
	Relationships relationshipCounts  `json:"relationships"`
	History       []graphstore.Change `json:"history" jsonschema:"changes of the asset, oldest first: its versions"`
	// HistoryTruncated says older changes were left out.
	HistoryTruncated bool `json:"history_truncated"`
}

type relationshipCounts struct {
	Outgoing int `json:"outgoing" jsonschema:"live relationships with the asset as source"`
	Incoming int `json:"incoming" jsonschema:"live relationships with the asset as destination"`
}

func (t *tools) getAsset(ctx context.Context, in getAssetInput) (assetOutput, error) {
	n, err := t.resolve(ctx, in.ScopeID, in.ID)
	if err != nil {
		return assetOutput{}, err
	}
	out := assetOutput{Asset: n}
	if !in.IncludeData {
		n.Data = nil
	} else if len(n.Data) > maxDataBytes {
		n.Data, out.DataTruncated = nil, true
	}
	edges, err := t.store.EdgesOf(ctx, []string{n.ID}, graphstore.Both, nil, time.Time{})
	if err != nil {
		return assetOutput{}, err
	}
	for _, e := range edges {
		if e.Source == n.ID {
			out.Relationships.Outgoing++
		}
		if e.Destination == n.ID {
			out.Relationships.Incoming++
		}
	}
	limit := historyBound.clamp(in.HistoryLimit)
	hist, err := t.store.History(ctx, n.ID, limit+1)
	if err != nil {
		return assetOutput{}, err
	}
	if len(hist) > limit {
		hist, out.HistoryTruncated = hist[len(hist)-limit:], true
	}
	out.History = hist
	return out, nil
}

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

// --- changes_since

type changesInput struct {
	Since    string `json:"since,omitempty" jsonschema:"changes at or after this time: an RFC 3339 time or a duration ago (90m, 24h, 7d); default 24h"`
	AfterSeq int64  `json:"after_seq,omitempty" jsonschema:"changes with a sequence number above this one (next_seq of a previous call); overrides since"`
	Limit    int    `json:"limit,omitempty" jsonschema:"changes returned"`
}

type changesOutput struct {
	Changes   []graphstore.Change `json:"changes" jsonschema:"oldest first"`
	NextSeq   int64               `json:"next_seq" jsonschema:"pass as after_seq to read on"`
	LastSeq   int64               `json:"last_seq" jsonschema:"the newest change in the store"`
	Truncated bool                `json:"truncated" jsonschema:"more changes follow: call again with after_seq = next_seq"`
}

func (t *tools) changesSince(ctx context.Context, in changesInput) (changesOutput, error) {
	limit := changesBound.clamp(in.Limit)
	var changes []graphstore.Change
	var err error
	if in.AfterSeq > 0 {
		changes, err = t.store.ChangesSince(ctx, in.AfterSeq, limit+1)
	} else {
		since := in.Since
		if strings.TrimSpace(since) == "" {
			since = "24h"
		}
		var at time.Time
		if at, err = parseWhen(since, t.now()); err != nil {
			return changesOutput{}, fmt.Errorf("since: %w", err)
		}
		changes, err = t.store.ChangesSinceTime(ctx, at, limit+1)
	}
	if err != nil {
		return changesOutput{}, err
	}
	last, err := t.store.LastSeq(ctx)
	if err != nil {
		return changesOutput{}, err
	}
	out := changesOutput{LastSeq: last, NextSeq: in.AfterSeq}
	if len(changes) > limit {
		changes, out.Truncated = changes[:limit], true
	}
	if len(changes) > 0 {
		out.NextSeq = changes[len(changes)-1].Seq
	} else if in.AfterSeq <= 0 {
		out.NextSeq = last
	}
	out.Changes = changes
	return out, nil
}

// --- diff_graph

type diffInput struct {
	From  string `json:"from" jsonschema:"the earlier time: an RFC 3339 time or a duration ago (24h)"`
	To    string `json:"to,omitempty" jsonschema:"the later time (default now)"`
	Kind  string `json:"kind,omitempty" jsonschema:"only node (assets) or edge (relationships) changes; empty both"`
	Limit int    `json:"limit,omitempty" jsonschema:"entries returned per list (created, updated, deleted)"`
}

type diffOutput struct {
	From      time.Time           `json:"from"`
	To        time.Time           `json:"to"`
	Created   []graphstore.Change `json:"created"`
	Updated   []graphstore.Change `json:"updated" jsonschema:"fields lists the top-level fields that changed"`
	Deleted   []graphstore.Change `json:"deleted"`
	Counts    diffCounts          `json:"counts" jsonschema:"entries per list before the limit"`
	Truncated bool                `json:"truncated"`
}

type diffCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

func (t *tools) diffGraph(ctx context.Context, in diffInput) (diffOutput, error) {
	now := t.now()
	from, err := parseWhen(in.From, now)
	if err != nil {
		return diffOutput{}, fmt.Errorf("from: %w", err)
	}
	if from.IsZero() {
		return diffOutput{}, fmt.Errorf("from is empty: give %s", whenHelp)
	}
	to, err := parseWhen(in.To, now)
	if err != nil {
		return diffOutput{}, fmt.Errorf("to: %w", err)
	}
	if to.IsZero() {
		to = now
	}
	if !to.After(from) {
		return diffOutput{}, fmt.Errorf("to (%s) is not after from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	d, err := t.store.Diff(ctx, from, to, diffScan)
	if err != nil {
		return diffOutput{}, err
	}
	limit := diffBound.clamp(in.Limit)
	out := diffOutput{From: d.From, To: d.To}
	for _, l := range []struct {
		in    []graphstore.Change
		out   *[]graphstore.Change
		count *int
	}{{d.Created, &out.Created, &out.Counts.Created}, {d.Updated, &out.Updated, &out.Counts.Updated}, {d.Deleted, &out.Deleted, &out.Counts.Deleted}} {
		kept := []graphstore.Change{}
		for _, c := range l.in {
			if in.Kind == "" || c.Kind == in.Kind {
				kept = append(kept, c)
			}
		}
		*l.count = len(kept)
		if len(kept) > limit {
			kept, out.Truncated = kept[:limit], true
		}
		*l.out = kept
	}
	return out, nil
}
