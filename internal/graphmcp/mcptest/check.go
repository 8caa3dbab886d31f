package mcptest

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tools are the names the server must offer.
var Tools = []string{
	"changes_since", "diff_graph", "explore_topology", "find_path", "get_asset", "get_relationships",
	"graph_summary", "impact_analysis", "list_data_sources", "list_relationship_types", "search_assets",
}

// Session calls tools of a connected client session.
type Session struct {
	T  *testing.T
	CS *mcp.ClientSession
}

// Call calls a tool that must succeed and decodes its structured output
// into out.
func (s Session) Call(name string, args map[string]any, out any) {
	s.T.Helper()
	res := s.call(name, args)
	if res.IsError {
		s.T.Fatalf("%s(%v) failed: %s", name, args, text(res))
	}
	raw, err := json.Marshal(res.StructuredContent)
	if err != nil {
		s.T.Fatal(err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		s.T.Fatalf("%s: decoding %s: %v", name, raw, err)
	}
	if len(res.Content) == 0 {
		s.T.Errorf("%s: no text content for clients without structured output", name)
	}
}

// CallError calls a tool that must fail with a tool error (not a protocol
// error) and returns its message.
func (s Session) CallError(name string, args map[string]any) string {
	s.T.Helper()
	res := s.call(name, args)
	if !res.IsError {
		s.T.Fatalf("%s(%v) succeeded, want a tool error: %s", name, args, text(res))
	}
	return text(res)
}

func (s Session) call(name string, args map[string]any) *mcp.CallToolResult {
	s.T.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := s.CS.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		s.T.Fatalf("%s(%v): protocol error: %v", name, args, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Decoded outputs: only what the checks look at.
type asset struct {
	ID        string          `json:"id"`
	ScopeID   string          `json:"scope_id"`
	Type      string          `json:"type"`
	Name      string          `json:"name"`
	Status    string          `json:"status"`
	Group     string          `json:"group"`
	Data      json.RawMessage `json:"data"`
	DeletedAt *time.Time      `json:"deleted_at"`
	Distance  *int            `json:"distance"`
}

type edge struct {
	Source       string `json:"source"`
	Destination  string `json:"destination"`
	Type         string `json:"type"`
	RelationType int    `json:"relation_type"`
	Connections  int64  `json:"connections"`
	Failed       int64  `json:"failed_connections"`
}

type change struct {
	Seq    int64    `json:"seq"`
	Op     string   `json:"op"`
	Kind   string   `json:"kind"`
	ID     string   `json:"id"`
	Fields []string `json:"fields"`
}

// Check runs every tool against the fixture's graph (Write, Fill) in a
// store of this backend ("sqlite", "postgresql") and checks its output,
// its caps and its unknown-ID error.
func Check(t *testing.T, cs *mcp.ClientSession, backend string) {
	s := Session{T: t, CS: cs}
	t.Run("list_tools", func(t *testing.T) { checkListTools(t, cs) })
	t.Run("graph_summary", func(t *testing.T) { s.T = t; checkSummary(s, backend) })
	t.Run("list_data_sources", func(t *testing.T) { s.T = t; checkDataSources(s) })
	t.Run("search_assets", func(t *testing.T) { s.T = t; checkSearch(s) })
	t.Run("get_asset", func(t *testing.T) { s.T = t; checkGetAsset(s) })
	t.Run("get_relationships", func(t *testing.T) { s.T = t; checkRelationships(s) })
	t.Run("explore_topology", func(t *testing.T) { s.T = t; checkTopology(s) })
	t.Run("find_path", func(t *testing.T) { s.T = t; checkPath(s) })
	t.Run("impact_analysis", func(t *testing.T) { s.T = t; checkImpact(s) })
	t.Run("changes_since", func(t *testing.T) { s.T = t; checkChanges(s) })
	t.Run("diff_graph", func(t *testing.T) { s.T = t; checkDiff(s) })
	t.Run("unknown_id", func(t *testing.T) { s.T = t; checkUnknown(s) })
	t.Run("resources", func(t *testing.T) { checkResources(t, cs) })
}

func checkResources(t *testing.T, cs *mcp.ClientSession) {
	ctx := context.Background()
	res, err := cs.ListResources(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, r := range res.Resources {
		uris = append(uris, r.URI)
	}
	slices.Sort(uris)
	if want := []string{"coordimap://data-sources", "coordimap://summary"}; !slices.Equal(uris, want) {
		t.Errorf("resources = %v, want %v", uris, want)
	}
	tmpls, err := cs.ListResourceTemplates(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tmpls.ResourceTemplates) != 1 || tmpls.ResourceTemplates[0].URITemplate != "coordimap://assets/{+id}" {
		t.Errorf("resource templates = %+v", tmpls.ResourceTemplates)
	}
	// The ID as it is, and percent-encoded as a client expanding {id} would.
	for _, uri := range []string{"coordimap://assets/" + RDS, "coordimap://assets/" + url.PathEscape(RDS)} {
		read, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		if err != nil {
			t.Errorf("read %s: %v", uri, err)
			continue
		}
		var out assetOut
		if len(read.Contents) != 1 || read.Contents[0].MIMEType != "application/json" ||
			json.Unmarshal([]byte(read.Contents[0].Text), &out) != nil || out.Asset.ID != RDS || len(out.Asset.Data) == 0 {
			t.Errorf("read %s = %+v", uri, read.Contents)
		}
	}
	read, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "coordimap://summary"})
	if err != nil || len(read.Contents) != 1 || !strings.Contains(read.Contents[0].Text, `"by_type"`) {
		t.Errorf("read summary = %+v, %v", read, err)
	}
	if _, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "coordimap://assets/nope"}); err == nil {
		t.Error("reading an unknown asset succeeded")
	}
}

func checkListTools(t *testing.T, cs *mcp.ClientSession) {
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("%s: not annotated read-only", tool.Name)
		}
		if tool.Description == "" {
			t.Errorf("%s: no description", tool.Name)
		}
		schema, _ := json.Marshal(tool.InputSchema)
		var in struct {
			Type       string `json:"type"`
			Properties map[string]struct {
				Description string `json:"description"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(schema, &in); err != nil || in.Type != "object" {
			t.Errorf("%s: input schema %s is not an object schema", tool.Name, schema)
		}
		for p, d := range in.Properties {
			if d.Description == "" {
				t.Errorf("%s: input %s has no description", tool.Name, p)
			}
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s: no output schema", tool.Name)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, Tools) {
		t.Errorf("tools = %v, want %v", names, Tools)
	}
}

func checkSummary(s Session, backend string) {
	var sum struct {
		Nodes        int            `json:"nodes"`
		Edges        int            `json:"edges"`
		DeletedNodes int            `json:"deleted_nodes"`
		ByType       map[string]int `json:"by_type"`
		ByRelation   map[string]int `json:"by_relation"`
		Backend      string         `json:"backend"`
	}
	s.Call("graph_summary", nil, &sum)
	// namespace, pod, service, VPC, RDS and the config maps; the old pod is deleted.
	if want := 5 + ConfigMaps; sum.Nodes != want || sum.DeletedNodes != 1 {
		s.T.Errorf("nodes %d, deleted %d; want %d, 1", sum.Nodes, sum.DeletedNodes, want)
	}
	if sum.ByType["kubernetes.configmap"] != ConfigMaps || sum.ByType["aws.rds"] != 1 {
		s.T.Errorf("by_type = %v", sum.ByType)
	}
	// parent_child: namespace → pod, service → pod, VPC → RDS, namespace → each config map.
	if sum.ByRelation["parent_child"] != 3+ConfigMaps || sum.ByRelation["ebpf_flow"] != 2 || sum.Edges != 5+ConfigMaps {
		s.T.Errorf("edges %d, by_relation = %v", sum.Edges, sum.ByRelation)
	}
	if sum.Backend != backend {
		s.T.Errorf("backend %q", sum.Backend)
	}
	var k8s struct {
		Nodes        int            `json:"nodes"`
		Edges        int            `json:"edges"`
		DeletedNodes int            `json:"deleted_nodes"`
		ByRelation   map[string]int `json:"by_relation"`
	}
	s.Call("graph_summary", map[string]any{"data_source_id": "k8s"}, &k8s)
	// The flows came from another data source; the VPC's link is AWS's.
	if k8s.Nodes != 3+ConfigMaps || k8s.DeletedNodes != 1 || k8s.Edges != 2+ConfigMaps || k8s.ByRelation["ebpf_flow"] != 0 {
		s.T.Errorf("k8s summary = %+v", k8s)
	}
	var types struct {
		RelationshipTypes []struct {
			Type  string `json:"type"`
			Count int    `json:"count"`
		} `json:"relationship_types"`
	}
	s.Call("list_relationship_types", nil, &types)
	if len(types.RelationshipTypes) != 2 || types.RelationshipTypes[0].Type != "parent_child" ||
		types.RelationshipTypes[1].Type != "ebpf_flow" || types.RelationshipTypes[1].Count != 2 {
		s.T.Errorf("relationship types = %+v", types.RelationshipTypes)
	}
}

func checkDataSources(s Session) {
	var out struct {
		DataSources []struct {
			ID     string   `json:"id"`
			Type   string   `json:"type"`
			Scopes []string `json:"scopes"`
			Nodes  int      `json:"nodes"`
		} `json:"data_sources"`
	}
	s.Call("list_data_sources", map[string]any{}, &out)
	got := map[string]string{}
	for _, ds := range out.DataSources {
		got[ds.ID] = ds.Type + " " + strings.Join(ds.Scopes, ",") + " " + strings.Repeat("n", ds.Nodes)
	}
	want := map[string]string{
		"aws": "aws " + AWSScope + " nn",
		"k8s": "kubernetes " + KubeScope + " " + strings.Repeat("n", 3+ConfigMaps),
	}
	if len(got) != len(want) || got["aws"] != want["aws"] || got["k8s"] != want["k8s"] {
		s.T.Errorf("data sources = %v, want %v", got, want)
	}
}

type searchOut struct {
	Assets     []asset `json:"assets"`
	Total      int     `json:"total"`
	Truncated  bool    `json:"truncated"`
	NextCursor string  `json:"next_cursor"`
}

func checkSearch(s Session) {
	for _, q := range []string{"orders", "10.1.2.3", "ORDERS.abc"} {
		var out searchOut
		s.Call("search_assets", map[string]any{"query": q}, &out)
		if out.Total != 1 || len(out.Assets) != 1 || out.Assets[0].ID != RDS || out.Truncated {
			s.T.Errorf("search %q = %+v, want the RDS instance alone", q, out)
		}
	}
	var out searchOut
	s.Call("search_assets", map[string]any{"types": []string{"kubernetes.configmap"}, "limit": 5}, &out)
	if out.Total != ConfigMaps || len(out.Assets) != 5 || !out.Truncated || out.NextCursor == "" {
		s.T.Fatalf("first page = total %d, %d assets, truncated %v, cursor %q", out.Total, len(out.Assets), out.Truncated, out.NextCursor)
	}
	if out.Assets[0].ID != ConfigMap(0) || out.Assets[4].ID != ConfigMap(4) || out.Assets[0].Group != "shop" {
		s.T.Errorf("first page = %+v", out.Assets)
	}
	var next searchOut
	s.Call("search_assets", map[string]any{"types": []string{"kubernetes.configmap"}, "limit": 5, "cursor": out.NextCursor}, &next)
	if len(next.Assets) != 5 || next.Assets[0].ID != ConfigMap(5) {
		s.T.Errorf("second page = %+v", next.Assets)
	}
	if strings.ContainsFunc(out.NextCursor, func(r rune) bool { return r < ' ' }) {
		s.T.Errorf("cursor %q holds control characters", out.NextCursor)
	}
	if msg := s.CallError("search_assets", map[string]any{"cursor": "not a cursor!"}); !strings.Contains(msg, "next_cursor") {
		s.T.Errorf("bad cursor: %s", msg)
	}
	var all searchOut
	s.Call("search_assets", map[string]any{"types": []string{"kubernetes.configmap"}, "limit": 100000}, &all)
	if len(all.Assets) != ConfigMaps || all.Truncated {
		s.T.Errorf("a large limit gave %d assets (truncated %v), want all %d", len(all.Assets), all.Truncated, ConfigMaps)
	}
	var gone, deleted, then searchOut
	s.Call("search_assets", map[string]any{"query": "api-old"}, &gone)
	s.Call("search_assets", map[string]any{"query": "api-old", "include_deleted": true}, &deleted)
	s.Call("search_assets", map[string]any{"query": "api-old", "as_of": T0.Add(time.Hour).Format(time.RFC3339)}, &then)
	if gone.Total != 0 || deleted.Total != 1 || deleted.Assets[0].DeletedAt == nil || then.Total != 1 {
		s.T.Errorf("deleted pod: live %d, include_deleted %+v, as of T0+1h %d", gone.Total, deleted.Assets, then.Total)
	}
	msg := s.CallError("search_assets", map[string]any{"as_of": "yesterday-ish"})
	if !strings.Contains(msg, "as_of") || !strings.Contains(msg, "RFC 3339") {
		s.T.Errorf("bad as_of: %s", msg)
	}
}

type assetOut struct {
	Asset         asset `json:"asset"`
	DataTruncated bool  `json:"data_truncated"`
	Relationships struct {
		Outgoing int `json:"outgoing"`
		Incoming int `json:"incoming"`
	} `json:"relationships"`
	History          []change `json:"history"`
	HistoryTruncated bool     `json:"history_truncated"`
}

func checkGetAsset(s Session) {
	var out assetOut
	s.Call("get_asset", map[string]any{"id": Pod}, &out)
	a := out.Asset
	if a.ID != Pod || a.ScopeID != KubeScope || a.Type != "kubernetes.pod" || a.Name != "api-7c9f" || a.Status != "CrashLoopBackOff" {
		s.T.Errorf("asset = %+v", a)
	}
	var data struct {
		Status struct {
			Phase string `json:"phase"`
			PodIP string `json:"podIP"`
		} `json:"status"`
	}
	if err := json.Unmarshal(a.Data, &data); err != nil || data.Status.Phase != "CrashLoopBackOff" || data.Status.PodIP != "10.0.0.5" {
		s.T.Errorf("data %s (%v) is not the decoded pod", a.Data, err)
	}
	if out.Relationships.Outgoing != 2 || out.Relationships.Incoming != 2 {
		s.T.Errorf("relationships = %+v, want 2 flows out, namespace and service in", out.Relationships)
	}
	if len(out.History) != 2 || out.History[0].Op != "created" || out.History[1].Op != "updated" ||
		len(out.History[1].Fields) == 0 || out.HistoryTruncated {
		s.T.Errorf("history = %+v (truncated %v), want created then updated with fields", out.History, out.HistoryTruncated)
	}
	var short assetOut
	s.Call("get_asset", map[string]any{"id": Pod, "history_limit": 1, "include_data": false}, &short)
	if len(short.History) != 1 || short.History[0].Op != "updated" || !short.HistoryTruncated || short.Asset.Data != nil {
		s.T.Errorf("history_limit 1, no data: history %+v truncated %v, data %s", short.History, short.HistoryTruncated, short.Asset.Data)
	}
	var old assetOut
	s.Call("get_asset", map[string]any{"id": OldPod, "scope_id": KubeScope}, &old)
	if old.Asset.DeletedAt == nil || !old.Asset.DeletedAt.Equal(T0.Add(2*time.Hour)) || len(old.History) != 2 || old.History[1].Op != "deleted" {
		s.T.Errorf("deleted pod: %+v, history %+v", old.Asset, old.History)
	}
}

type relationshipsOut struct {
	Relationships []struct {
		Direction string `json:"direction"`
		PeerID    string `json:"peer_id"`
		Peer      *asset `json:"peer"`
		Edge      edge   `json:"edge"`
	} `json:"relationships"`
	Total     int  `json:"total"`
	Truncated bool `json:"truncated"`
}

func checkRelationships(s Session) {
	var out relationshipsOut
	s.Call("get_relationships", map[string]any{"id": Pod}, &out)
	var got []string
	for _, r := range out.Relationships {
		peer := "-"
		if r.Peer != nil {
			peer = r.Peer.Name
		}
		got = append(got, r.Direction+" "+r.Edge.Type+" "+r.PeerID+" "+peer)
	}
	want := []string{
		"incoming parent_child " + Namespace + " shop",
		"incoming parent_child " + Service + " api",
		"outgoing ebpf_flow " + Unresolved + " -",
		"outgoing ebpf_flow " + RDS + " orders",
	}
	if !slices.Equal(got, want) || out.Total != 4 || out.Truncated {
		s.T.Errorf("relationships =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if e := out.Relationships[len(out.Relationships)-1].Edge; len(out.Relationships) == 4 && (e.Connections != 12 || e.Failed != 1 || e.RelationType != 104) {
		s.T.Errorf("flow counters = %+v", e)
	}
	var outgoing, structural, capped relationshipsOut
	s.Call("get_relationships", map[string]any{"id": Pod, "direction": "outgoing"}, &outgoing)
	s.Call("get_relationships", map[string]any{"id": Pod, "relation_types": []string{"parent_child"}}, &structural)
	s.Call("get_relationships", map[string]any{"id": Pod, "limit": 1}, &capped)
	if outgoing.Total != 2 || structural.Total != 2 || len(capped.Relationships) != 1 || capped.Total != 4 || !capped.Truncated {
		s.T.Errorf("outgoing %d, parent_child %d, limit 1: %d of %d truncated %v", outgoing.Total, structural.Total,
			len(capped.Relationships), capped.Total, capped.Truncated)
	}
	msg := s.CallError("get_relationships", map[string]any{"id": Pod, "direction": "sideways"})
	if !strings.Contains(msg, "direction") {
		s.T.Errorf("bad direction: %s", msg)
	}
}

type topologyOut struct {
	Root      asset    `json:"root"`
	Nodes     []asset  `json:"nodes"`
	Edges     []edge   `json:"edges"`
	Missing   []string `json:"missing"`
	Truncated bool     `json:"truncated"`
	Note      string   `json:"note"`
}

func distances(nodes []asset) map[string]int {
	d := map[string]int{}
	for _, n := range nodes {
		if n.Distance != nil {
			d[n.ID] = *n.Distance
		} else {
			d[n.ID] = -1
		}
	}
	return d
}

func checkTopology(s Session) {
	var out topologyOut
	s.Call("explore_topology", map[string]any{"id": Service, "depth": 2}, &out)
	want := map[string]int{Service: 0, Pod: 1, Namespace: 2, RDS: 2}
	if got := distances(out.Nodes); len(got) != len(want) || got[Service] != 0 || got[Pod] != 1 || got[Namespace] != 2 || got[RDS] != 2 {
		s.T.Errorf("nodes at distance = %v, want %v", got, want)
	}
	if out.Root.ID != Service || len(out.Edges) != 4 || !slices.Equal(out.Missing, []string{Unresolved}) || out.Truncated {
		s.T.Errorf("root %s, %d edges %+v, missing %v, truncated %v", out.Root.ID, len(out.Edges), out.Edges, out.Missing, out.Truncated)
	}
	var wide topologyOut
	s.Call("explore_topology", map[string]any{"id": Service, "depth": 3, "max_nodes": 10, "max_edges": 3}, &wide)
	if len(wide.Nodes) > 10 || len(wide.Edges) != 3 || !wide.Truncated || !strings.Contains(wide.Note, "max_nodes") ||
		!strings.Contains(wide.Note, "max_edges") {
		s.T.Errorf("capped walk: %d nodes, %d edges, truncated %v, note %q", len(wide.Nodes), len(wide.Edges), wide.Truncated, wide.Note)
	}
	if len(wide.Edges) == 3 && wide.Edges[0].Source != Service {
		s.T.Errorf("capped edges do not start nearest the root: %+v", wide.Edges)
	}
	var then topologyOut
	s.Call("explore_topology", map[string]any{"id": Namespace, "as_of": T0.Add(time.Hour).Format(time.RFC3339),
		"relation_types": []string{"parent_child"}, "depth": 1, "max_nodes": 1000}, &then)
	if d := distances(then.Nodes); d[OldPod] != 1 || len(then.Nodes) != 3+ConfigMaps {
		s.T.Errorf("namespace as of T0+1h: %d nodes, old pod at %d", len(then.Nodes), d[OldPod])
	}
	msg := s.CallError("explore_topology", map[string]any{"id": OldPod})
	if !strings.Contains(msg, "deleted") || !strings.Contains(msg, "as_of") {
		s.T.Errorf("walk from a deleted asset: %s", msg)
	}
}

type pathOut struct {
	Found bool `json:"found"`
	Hops  int  `json:"hops"`
	Steps []struct {
		ID        string `json:"id"`
		Asset     *asset `json:"asset"`
		Via       *edge  `json:"via"`
		Traversed string `json:"traversed"`
	} `json:"steps"`
	Note string `json:"note"`
}

func (p pathOut) String() string {
	var b strings.Builder
	for _, st := range p.Steps {
		if st.Via != nil {
			b.WriteString(" -" + st.Via.Type + "/" + st.Traversed + "-> ")
		}
		b.WriteString(st.ID)
	}
	return b.String()
}

func checkPath(s Session) {
	var out pathOut
	s.Call("find_path", map[string]any{"from": Service, "to": RDS}, &out)
	if want := Service + " -parent_child/forward-> " + Pod + " -ebpf_flow/forward-> " + RDS; !out.Found || out.Hops != 2 || out.String() != want {
		s.T.Errorf("path = %v (found %v, hops %d), want %s", out, out.Found, out.Hops, want)
	}
	if len(out.Steps) == 3 && (out.Steps[2].Asset == nil || out.Steps[2].Asset.Name != "orders") {
		s.T.Errorf("last step = %+v", out.Steps[2])
	}
	var vpc pathOut
	s.Call("find_path", map[string]any{"from": Service, "to": VPC}, &vpc)
	if vpc.Hops != 3 || vpc.Steps[3].Traversed != "backward" || vpc.Steps[3].Via.Source != VPC {
		s.T.Errorf("path to the VPC = %v", vpc)
	}
	var none pathOut
	s.Call("find_path", map[string]any{"from": RDS, "to": Service, "direction": "outgoing"}, &none)
	if none.Found || len(none.Steps) != 0 || !strings.Contains(none.Note, "no path") {
		s.T.Errorf("RDS → service along edges = %+v, want none", none)
	}
	var short pathOut
	s.Call("find_path", map[string]any{"from": Service, "to": VPC, "max_hops": 2}, &short)
	if short.Found {
		s.T.Errorf("a 3-hop path found within 2 hops: %v", short)
	}
	msg := s.CallError("find_path", map[string]any{"from": Service, "to": "nope"})
	if !strings.Contains(msg, `to: no asset with id "nope"`) {
		s.T.Errorf("unknown end: %s", msg)
	}
}

type impactOut struct {
	Root      asset          `json:"root"`
	Affected  []asset        `json:"affected"`
	ByType    map[string]int `json:"by_type"`
	Edges     []edge         `json:"edges"`
	Truncated bool           `json:"truncated"`
}

func checkImpact(s Session) {
	var out impactOut
	s.Call("impact_analysis", map[string]any{"id": RDS, "direction": "upstream"}, &out)
	want := map[string]int{VPC: 1, Pod: 1, Namespace: 2, Service: 2}
	got := distances(out.Affected)
	if len(got) != len(want) || got[VPC] != 1 || got[Pod] != 1 || got[Namespace] != 2 || got[Service] != 2 || out.Edges != nil {
		s.T.Errorf("upstream of RDS = %v (edges %v), want %v", got, out.Edges, want)
	}
	if out.ByType["kubernetes.pod"] != 1 || out.ByType["aws.vpc"] != 1 || out.Truncated {
		s.T.Errorf("by_type = %v, truncated %v", out.ByType, out.Truncated)
	}
	var flows impactOut
	s.Call("impact_analysis", map[string]any{"id": RDS, "direction": "incoming", "relation_types": []string{"ebpf_flow"},
		"include_edges": true}, &flows)
	if len(flows.Affected) != 1 || flows.Affected[0].ID != Pod || len(flows.Edges) != 1 {
		s.T.Errorf("callers of RDS = %+v, edges %+v; want the pod", flows.Affected, flows.Edges)
	}
	var capped impactOut
	s.Call("impact_analysis", map[string]any{"id": Namespace, "limit": 10}, &capped)
	if len(capped.Affected) != 10 || !capped.Truncated {
		s.T.Errorf("namespace downstream, limit 10: %d affected, truncated %v", len(capped.Affected), capped.Truncated)
	}
	var all impactOut
	s.Call("impact_analysis", map[string]any{"id": Namespace}, &all)
	// The pod, the config maps, and through the pod's flow the RDS instance.
	if len(all.Affected) != 2+ConfigMaps || all.Truncated {
		s.T.Errorf("namespace downstream: %d affected, want %d", len(all.Affected), 2+ConfigMaps)
	}
}

type changesOut struct {
	Changes   []change `json:"changes"`
	NextSeq   int64    `json:"next_seq"`
	LastSeq   int64    `json:"last_seq"`
	Truncated bool     `json:"truncated"`
}

func checkChanges(s Session) {
	var first changesOut
	s.Call("changes_since", map[string]any{"since": T0.Format(time.RFC3339), "limit": 5}, &first)
	if len(first.Changes) != 5 || !first.Truncated || first.NextSeq != first.Changes[4].Seq || first.LastSeq <= first.NextSeq {
		s.T.Fatalf("first page: %d changes, truncated %v, next %d, last %d", len(first.Changes), first.Truncated, first.NextSeq, first.LastSeq)
	}
	var next changesOut
	s.Call("changes_since", map[string]any{"after_seq": first.NextSeq, "limit": 5}, &next)
	if len(next.Changes) == 0 || next.Changes[0].Seq != first.NextSeq+1 {
		s.T.Errorf("next page starts at %+v, want seq %d", next.Changes, first.NextSeq+1)
	}
	var late changesOut
	s.Call("changes_since", map[string]any{"since": T0.Add(90 * time.Minute).Format(time.RFC3339)}, &late)
	var got []string
	for _, c := range late.Changes {
		got = append(got, c.Op+" "+c.Kind+" "+c.ID)
	}
	want := []string{"deleted node " + OldPod, "deleted edge " + Namespace + "." + OldPod}
	if !slices.Equal(got, want) || late.Truncated || late.NextSeq != late.LastSeq {
		s.T.Errorf("changes since T0+90m = %v (next %d, last %d), want %v", got, late.NextSeq, late.LastSeq, want)
	}
	var recent changesOut
	s.Call("changes_since", map[string]any{"since": "1h"}, &recent)
	if len(recent.Changes) != 0 || recent.NextSeq != recent.LastSeq {
		s.T.Errorf("changes in the last hour (the fixture is older) = %+v", recent)
	}
}

type diffOut struct {
	Created []change `json:"created"`
	Updated []change `json:"updated"`
	Deleted []change `json:"deleted"`
	Counts  struct {
		Created int `json:"created"`
		Updated int `json:"updated"`
		Deleted int `json:"deleted"`
	} `json:"counts"`
	Truncated bool `json:"truncated"`
}

func ids(cs []change) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Kind+" "+c.ID)
	}
	slices.Sort(out)
	return out
}

func checkDiff(s Session) {
	from, to := T0.Add(15*time.Minute).Format(time.RFC3339), T0.Add(3*time.Hour).Format(time.RFC3339)
	var out diffOut
	s.Call("diff_graph", map[string]any{"from": from, "to": to}, &out)
	if got, want := ids(out.Created), []string{"edge " + Pod + "." + Unresolved, "edge " + Pod + "." + RDS}; !slices.Equal(got, want) {
		s.T.Errorf("created = %v, want %v", got, want)
	}
	if got := ids(out.Updated); !slices.Equal(got, []string{"node " + Pod}) || len(out.Updated[0].Fields) == 0 {
		s.T.Errorf("updated = %+v, want the pod with its fields", out.Updated)
	}
	if got, want := ids(out.Deleted), []string{"edge " + Namespace + "." + OldPod, "node " + OldPod}; !slices.Equal(got, want) || out.Truncated {
		s.T.Errorf("deleted = %v, want %v", got, want)
	}
	var nodes diffOut
	s.Call("diff_graph", map[string]any{"from": from, "to": to, "kind": "node"}, &nodes)
	if len(nodes.Created) != 0 || len(nodes.Updated) != 1 || len(nodes.Deleted) != 1 {
		s.T.Errorf("node diff = %+v", nodes)
	}
	var capped diffOut
	s.Call("diff_graph", map[string]any{"from": T0.Add(-time.Minute).Format(time.RFC3339), "to": to, "limit": 5}, &capped)
	// Everything live was created in the window; the old pod came and went.
	if len(capped.Created) != 5 || !capped.Truncated || capped.Counts.Created < 5+ConfigMaps || capped.Counts.Deleted != 0 {
		s.T.Errorf("whole diff, limit 5: %d created of %d, deleted %d, truncated %v", len(capped.Created), capped.Counts.Created,
			capped.Counts.Deleted, capped.Truncated)
	}
	msg := s.CallError("diff_graph", map[string]any{"from": to, "to": from})
	if !strings.Contains(msg, "not after") {
		s.T.Errorf("reversed window: %s", msg)
	}
}

func checkUnknown(s Session) {
	for _, c := range []struct {
		tool string
		args map[string]any
	}{
		{"get_asset", map[string]any{"id": "nope"}},
		{"get_relationships", map[string]any{"id": "nope"}},
		{"explore_topology", map[string]any{"id": "nope"}},
		{"impact_analysis", map[string]any{"id": "nope"}},
		{"find_path", map[string]any{"from": "nope", "to": RDS}},
	} {
		msg := s.CallError(c.tool, c.args)
		if !strings.Contains(msg, `no asset with id "nope"`) || !strings.Contains(msg, "search_assets finds IDs by name") {
			s.T.Errorf("%s on an unknown ID: %q", c.tool, msg)
		}
	}
	// A name given for an ID: the error names the asset it matches.
	msg := s.CallError("get_asset", map[string]any{"id": "orders"})
	if !strings.Contains(msg, RDS) {
		s.T.Errorf("get_asset by name: %q does not suggest %s", msg, RDS)
	}
	msg = s.CallError("get_asset", map[string]any{})
	if !strings.Contains(msg, "id") {
		s.T.Errorf("get_asset without id: %q", msg)
	}
}
