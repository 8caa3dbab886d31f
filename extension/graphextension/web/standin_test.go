package web_test

// A stand-in for the extension's query API, only for this package's tests
// until the coordimap_graph extension (and its HTTP server) is on main:
// it answers the calls the map makes, from a real graph store, with the
// JSON shapes of the API. It is not the API; delete it once the browser
// test runs against the built collector.

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension/web"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

func standInServer(store *graphstore.Store) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", web.Handler())
	answer := func(w http.ResponseWriter, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case graphstore.IsNotFound(err):
			w.WriteHeader(http.StatusNotFound)
			v = map[string]string{"error": err.Error()}
		case err != nil:
			w.WriteHeader(http.StatusBadRequest)
			v = map[string]string{"error": err.Error()}
		}
		_ = json.NewEncoder(w).Encode(v)
	}
	list := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	when := func(s string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		return time.Parse(time.RFC3339Nano, s)
	}
	filter := func(r *http.Request) (graphstore.NodeFilter, error) {
		q := r.URL.Query()
		asOf, err := when(q.Get("as_of"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		return graphstore.NodeFilter{
			Query: q.Get("q"), Types: list(q.Get("type")), DataSourceID: q.Get("data_source"),
			ScopeID: q.Get("scope"), Group: q.Get("group"), Status: q.Get("status"), AsOf: asOf,
			IncludeDeleted: q.Get("include_deleted") == "true", Limit: limit, After: q.Get("after"),
		}, err
	}
	traversal := func(r *http.Request) (graphstore.Traversal, error) {
		q := r.URL.Query()
		depth, _ := strconv.Atoi(q.Get("depth"))
		limit, _ := strconv.Atoi(q.Get("limit"))
		asOf, err := when(q.Get("as_of"))
		return graphstore.Traversal{Depth: depth, Limit: limit, Direction: graphstore.Direction(q.Get("direction")),
			RelationTypes: list(q.Get("rel")), AsOf: asOf}, err
	}
	mux.HandleFunc("GET /api/v1/summary", func(w http.ResponseWriter, r *http.Request) {
		s, err := store.Summary(r.Context())
		answer(w, s, err)
	})
	mux.HandleFunc("GET /api/v1/datasources", func(w http.ResponseWriter, r *http.Request) {
		ds, err := store.DataSources(r.Context())
		answer(w, map[string]any{"data_sources": ds}, err)
	})
	mux.HandleFunc("GET /api/v1/nodes", func(w http.ResponseWriter, r *http.Request) {
		f, err := filter(r)
		if err != nil {
			answer(w, nil, err)
			return
		}
		page, err := store.Nodes(r.Context(), f)
		answer(w, page, err)
	})
	mux.HandleFunc("GET /api/v1/graph", func(w http.ResponseWriter, r *http.Request) {
		f, err := filter(r)
		if err != nil {
			answer(w, nil, err)
			return
		}
		sg, total, err := store.Graph(r.Context(), f)
		answer(w, map[string]any{"nodes": sg.Nodes, "edges": sg.Edges, "truncated": sg.Truncated,
			"missing": sg.Missing, "total": total}, err)
	})
	mux.HandleFunc("GET /api/v1/node", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		n, err := store.Node(r.Context(), q.Get("scope"), q.Get("id"))
		if err != nil {
			answer(w, nil, err)
			return
		}
		edges, err := store.EdgesOf(r.Context(), []string{n.ID}, graphstore.Both, nil, time.Time{})
		if err != nil {
			answer(w, nil, err)
			return
		}
		history, err := store.History(r.Context(), n.ID, 100)
		answer(w, map[string]any{"node": n, "edges": edges, "history": history}, err)
	})
	mux.HandleFunc("GET /api/v1/neighbourhood", func(w http.ResponseWriter, r *http.Request) {
		t, err := traversal(r)
		if err != nil {
			answer(w, nil, err)
			return
		}
		sg, err := store.Neighbourhood(r.Context(), r.URL.Query().Get("id"), t)
		answer(w, sg, err)
	})
	mux.HandleFunc("GET /api/v1/impact", func(w http.ResponseWriter, r *http.Request) {
		t, err := traversal(r)
		if err != nil {
			answer(w, nil, err)
			return
		}
		sg, err := store.Impact(r.Context(), r.URL.Query().Get("id"), t)
		answer(w, sg, err)
	})
	mux.HandleFunc("GET /api/v1/diff", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		from, err1 := when(q.Get("from"))
		to, err2 := when(q.Get("to"))
		if err := errors.Join(err1, err2); err != nil {
			answer(w, nil, err)
			return
		}
		d, err := store.Diff(r.Context(), from, to, 0)
		answer(w, d, err)
	})
	return mux
}
