package graphmcp

import (
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// ServerName is the MCP implementation name the server announces.
const ServerName = "coordimap-graph"

// callTimeout bounds one tool call's store queries.
const callTimeout = 30 * time.Second

// sessionTimeout closes streamable HTTP sessions idle this long.
const sessionTimeout = 30 * time.Minute

const instructions = `Read-only access to the infrastructure graph an otelcol-coordimap collector builds: Kubernetes, cloud (AWS, GCP), database and eBPF/flow-log data sources, one node per (scope, internal ID), structural relationships (parent_child, er, attached …) and observed traffic (ebpf_flow, aws_network_flow …, always client → server).
Start with graph_summary or search_assets (by name, IP, ARN, UID or any attribute) to find IDs; get_asset reads one asset with its data and history; get_relationships, explore_topology, find_path and impact_analysis walk the graph; changes_since and diff_graph tell what changed. Times are RFC 3339 or a duration ago (90m, 24h, 7d). Every list is capped: a result says when it was truncated.`

// NewServer is the MCP server over store, read-only whatever the store
// allows. version is the distribution's version.
func NewServer(store *graphstore.Store, version string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: ServerName, Title: "Coordimap graph", Version: version},
		&mcp.ServerOptions{Instructions: instructions, Capabilities: &mcp.ServerCapabilities{}})
	t := &tools{store: store, now: time.Now}
	t.register(s)
	t.registerResources(s)
	return s
}

// Handler serves server over the streamable HTTP transport, one session
// per client (idle sessions close after 30 minutes). Mount it at /mcp
// behind the HTTP server's authentication; it keeps the SDK's DNS
// rebinding protection (a request reaching a loopback address with a
// non-loopback Host header is refused).
func Handler(server *mcp.Server) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{SessionTimeout: sessionTimeout})
}
