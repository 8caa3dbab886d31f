package graphextension

import (
	"net/http"

	"github.com/coordimap/otelcol-coordimap/internal/graphmcp"
)

// The MCP server (streamable HTTP) at /mcp, behind the endpoint's auth.
func init() {
	extraRoutes = append(extraRoutes, func(g *GraphExtension, mux *http.ServeMux) {
		if g.cfg.MCP.Enabled {
			mux.Handle("/mcp", graphmcp.Handler(graphmcp.NewServer(g.Store(), g.set.BuildInfo.Version)))
		}
	})
}
