// Package web holds the coordimap_graph extension's web map: the bundle
// built from the sources next to this file (npm; `make web`) and committed
// under dist/, embedded so that the collector serves it without npm.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed dist
var dist embed.FS

// FS is the built map: index.html, app.js and app.css at its root.
func FS() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// dist is embedded at build time: Sub cannot fail on it.
		panic(err)
	}
	return sub
}

// Handler serves the map at the root of wherever it is mounted (the
// extension mounts it at /). The page calls the query API relative to its
// own path (api/v1/…), so mounting it under a prefix with
// http.StripPrefix works too.
func Handler() http.Handler {
	files := http.FileServerFS(FS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// The bundle's names do not change between builds: make browsers
		// check it again rather than run an old map against a new API.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}
