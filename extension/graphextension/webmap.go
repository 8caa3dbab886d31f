package graphextension

import (
	"net/http"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension/web"
)

// The web map (extension/graphextension/web) at /: every path that no
// other route takes. It calls the query API relative to itself.
func init() {
	extraRoutes = append(extraRoutes, func(_ *GraphExtension, mux *http.ServeMux) {
		mux.Handle("/", web.Handler())
	})
}
