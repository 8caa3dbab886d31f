package graphmcp

import (
	"context"
	"errors"
	"fmt"
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
