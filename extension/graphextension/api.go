package graphextension

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// routes is the extension's HTTP surface.
func (g *GraphExtension) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/summary", g.handle(g.apiSummary))
	mux.HandleFunc("GET /api/v1/datasources", g.handle(g.apiDataSources))
	mux.HandleFunc("GET /api/v1/nodes", g.handle(g.apiNodes))
	mux.HandleFunc("GET /api/v1/node", g.handle(g.apiNode))
	mux.HandleFunc("GET /api/v1/graph", g.handle(g.apiGraph))
	mux.HandleFunc("GET /api/v1/neighbourhood", g.handle(g.apiNeighbourhood))
	mux.HandleFunc("GET /api/v1/path", g.handle(g.apiPath))
	mux.HandleFunc("GET /api/v1/impact", g.handle(g.apiImpact))
	mux.HandleFunc("GET /api/v1/changes", g.handle(g.apiChanges))
	mux.HandleFunc("GET /api/v1/diff", g.handle(g.apiDiff))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Errorf("no such API: %s %s", r.Method, r.URL.Path))
	})
	if g.cfg.Ingest.Enabled {
		mux.HandleFunc("POST "+IngestPath, g.ingest)
	}
	for _, extra := range extraRoutes {
		extra(g, mux)
	}
	return mux
}

// extraRoutes are mounted by the files that add the web map and MCP.
var extraRoutes []func(*GraphExtension, *http.ServeMux)

// badRequest is an error the caller made.
type badRequest struct{ error }

func badf(format string, args ...any) error { return badRequest{fmt.Errorf(format, args...)} }

type apiFunc func(ctx context.Context, s *graphstore.Store, q query) (any, error)

func (g *GraphExtension) handle(fn apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := g.Store()
		if s == nil {
			writeError(w, http.StatusServiceUnavailable, errNotStarted)
			return
		}
		out, err := fn(r.Context(), s, query{r.URL.Query()})
		var bad badRequest
		switch {
		case errors.As(err, &bad):
			writeError(w, http.StatusBadRequest, err)
		case graphstore.IsNotFound(err):
			writeError(w, http.StatusNotFound, err)
		case err != nil:
			g.logger.Warn("Graph query failed", zap.String("path", r.URL.Path), zap.Error(err))
			writeError(w, http.StatusInternalServerError, err)
		default:
			// The map's graph is megabytes of repetitive JSON: gzip it for
			// a client that takes it (every browser).
			w.Header().Add("Vary", "Accept-Encoding")
			if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
				writeJSON(w, http.StatusOK, out)
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed) // the level is valid
			writeJSON(gzipResponse{w, zw}, http.StatusOK, out)
			_ = zw.Close()
		}
	}
}

// gzipResponse writes the body through a gzip writer.
type gzipResponse struct {
	http.ResponseWriter
	zw *gzip.Writer
}

func (g gzipResponse) Write(p []byte) (int, error) { return g.zw.Write(p) }

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named
// without q=0, or, when not named, "*" without q=0.
func acceptsGzip(header string) bool {
	gzipOK, starOK := -1, -1 // unnamed, refused (0), accepted (1)
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		ok := 1
		if q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q="); found {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				ok = 0
			}
		}
		switch name = strings.TrimSpace(name); {
		case strings.EqualFold(name, "gzip"):
			gzipOK = ok
		case name == "*":
			starOK = ok
		}
	}
	if gzipOK >= 0 {
		return gzipOK == 1
	}
	return starOK == 1
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

// query reads URL parameters, collecting the first error.
type query struct{ v map[string][]string }

func (q query) str(k string) string {
	if vs := q.v[k]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

// list reads a comma-separated or repeated parameter.
func (q query) list(k string) []string {
	var out []string
	for _, v := range q.v[k] {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (q query) int(k string, def int) (int, error) {
	s := q.str(k)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, badf("%s: %q is not a non-negative integer", k, s)
	}
	return n, nil
}

func (q query) time(k string) (time.Time, error) {
	s := q.str(k)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, badf("%s: %q is not an RFC 3339 time", k, s)
	}
	return t, nil
}

func (q query) bool(k string) (bool, error) {
	s := q.str(k)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, badf("%s: %q is not true or false", k, s)
	}
	return b, nil
}

func (q query) required(k string) (string, error) {
	s := q.str(k)
	if s == "" {
		return "", badf("%s: required", k)
	}
	return s, nil
}

func (q query) filter() (graphstore.NodeFilter, error) {
	f := graphstore.NodeFilter{
		Query:        q.str("q"),
		Types:        q.list("type"),
		DataSourceID: q.str("data_source"),
		ScopeID:      q.str("scope"),
		Group:        q.str("group"),
		Status:       q.str("status"),
		After:        q.str("after"),
	}
	var errs []error
	var err error
	if f.AsOf, err = q.time("as_of"); err != nil {
		errs = append(errs, err)
	}
	if f.IncludeDeleted, err = q.bool("include_deleted"); err != nil {
		errs = append(errs, err)
	}
	if f.Limit, err = q.int("limit", 0); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return f, badRequest{errors.Join(errs...)}
	}
	return f, nil
}

func (q query) traversal(depthKey string) (graphstore.Traversal, error) {
	t := graphstore.Traversal{RelationTypes: q.list("rel"), Direction: graphstore.Direction(q.str("direction"))}
	var errs []error
	var err error
	switch t.Direction {
	case "", graphstore.Both, graphstore.Downstream, graphstore.Upstream:
	default:
		errs = append(errs, badf("direction: %q is not both, downstream or upstream", t.Direction))
	}
	if t.Depth, err = q.int(depthKey, 0); err != nil {
		errs = append(errs, err)
	} else if t.Depth > graphstore.MaxDepth {
		errs = append(errs, badf("%s: at most %d", depthKey, graphstore.MaxDepth))
	}
	if t.Limit, err = q.int("limit", 0); err != nil {
		errs = append(errs, err)
	}
	if t.AsOf, err = q.time("as_of"); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return t, badRequest{errors.Join(errs...)}
	}
	return t, nil
}

func (g *GraphExtension) apiSummary(ctx context.Context, s *graphstore.Store, _ query) (any, error) {
	return s.Summary(ctx)
}

func (g *GraphExtension) apiDataSources(ctx context.Context, s *graphstore.Store, _ query) (any, error) {
	ds, err := s.DataSources(ctx)
	return map[string]any{"data_sources": ds}, err
}

func (g *GraphExtension) apiNodes(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	f, err := q.filter()
	if err != nil {
		return nil, err
	}
	return s.Nodes(ctx, f)
}

// nodeDetail is a node with its edges and history.
type nodeDetail struct {
	Node    *graphstore.Node    `json:"node"`
	Edges   []*graphstore.Edge  `json:"edges"`
	History []graphstore.Change `json:"history"`
}

func (g *GraphExtension) apiNode(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	id, err := q.required("id")
	if err != nil {
		return nil, err
	}
	return NodeDetail(ctx, s, q.str("scope"), id)
}

// NodeDetail is one node with its live edges and its history.
func NodeDetail(ctx context.Context, s *graphstore.Store, scope, id string) (*nodeDetail, error) {
	n, err := s.Node(ctx, scope, id)
	if err != nil {
		return nil, err
	}
	edges, err := s.EdgesOf(ctx, []string{id}, graphstore.Both, nil, time.Time{})
	if err != nil {
		return nil, err
	}
	if edges == nil {
		edges = []*graphstore.Edge{}
	}
	hist, err := s.History(ctx, id, 100)
	if err != nil {
		return nil, err
	}
	return &nodeDetail{Node: n, Edges: edges, History: hist}, nil
}

// graphView is the map's view: a subgraph and how many nodes matched.
type graphView struct {
	graphstore.Subgraph
	Total int `json:"total"`
}

func (g *GraphExtension) apiGraph(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	f, err := q.filter()
	if err != nil {
		return nil, err
	}
	if f.Limit > 50000 {
		return nil, badf("limit: at most 50000")
	}
	sg, total, err := s.Graph(ctx, f)
	return graphView{Subgraph: sg, Total: total}, err
}

func (g *GraphExtension) apiNeighbourhood(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	id, err := q.required("id")
	if err != nil {
		return nil, err
	}
	t, err := q.traversal("depth")
	if err != nil {
		return nil, err
	}
	return s.Neighbourhood(ctx, id, t)
}

func (g *GraphExtension) apiPath(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	from, err := q.required("from")
	if err != nil {
		return nil, err
	}
	to, err := q.required("to")
	if err != nil {
		return nil, err
	}
	t, err := q.traversal("max_depth")
	if err != nil {
		return nil, err
	}
	return s.Path(ctx, from, to, t)
}

func (g *GraphExtension) apiImpact(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	id, err := q.required("id")
	if err != nil {
		return nil, err
	}
	t, err := q.traversal("depth")
	if err != nil {
		return nil, err
	}
	if t.Direction == graphstore.Both {
		return nil, badf("direction: impact is downstream or upstream")
	}
	return s.Impact(ctx, id, t)
}

func (g *GraphExtension) apiChanges(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	limit, err := q.int("limit", 0)
	if err != nil {
		return nil, err
	}
	var changes []graphstore.Change
	switch {
	case q.str("since_seq") != "":
		seq, err := strconv.ParseInt(q.str("since_seq"), 10, 64)
		if err != nil {
			return nil, badf("since_seq: %q is not an integer", q.str("since_seq"))
		}
		changes, err = s.ChangesSince(ctx, seq, limit)
		if err != nil {
			return nil, err
		}
	case q.str("since") != "":
		t, err := q.time("since")
		if err != nil {
			return nil, err
		}
		changes, err = s.ChangesSinceTime(ctx, t, limit)
		if err != nil {
			return nil, err
		}
	default:
		return nil, badf("since or since_seq: one is required")
	}
	last, err := s.LastSeq(ctx)
	return map[string]any{"changes": changes, "last_seq": last}, err
}

func (g *GraphExtension) apiDiff(ctx context.Context, s *graphstore.Store, q query) (any, error) {
	from, err := q.time("from")
	if err != nil {
		return nil, err
	}
	if from.IsZero() {
		return nil, badf("from: required")
	}
	to, err := q.time("to")
	if err != nil {
		return nil, err
	}
	if !to.IsZero() && to.Before(from) {
		return nil, badf("to: before from")
	}
	limit, err := q.int("limit", 0)
	if err != nil {
		return nil, err
	}
	return s.Diff(ctx, from, to, limit)
}

// writeSelf records the collector itself, so a fresh machine's map is
// never empty; links are its edges (the host it runs on, once known).
func (g *GraphExtension) writeSelf(ctx context.Context, links []graphstore.Edge) error {
	host := hostname()
	version := g.set.BuildInfo.Version
	data, _ := json.Marshal(map[string]any{"host": host, "version": version, "backend": g.cfg.Backend,
		"endpoint": g.cfg.ServerConfig.NetAddr.Endpoint})
	now := time.Now()
	return g.Write(ctx, graphstore.Batch{Nodes: []graphstore.NodeState{{
		ScopeID: host, ID: selfID(host), Type: "coordimap.collector",
		Name: "otelcol-coordimap on " + host, Status: "Green", Version: version,
		DataSourceID: g.set.ID.String(), DataSourceType: "coordimap", Partition: g.set.ID.String(),
		Attributes: map[string]any{"host.name": host, "service.version": version}, Data: data, At: now,
		Links: links, LinksKnown: true,
	}}})
}

func hostname() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "localhost"
	}
	return host
}

func selfID(host string) string { return "coordimap.collector:" + host }

// selfLinks is the collector's edge from the host element the eBPF flows
// receiver (server mode) reports for this machine, once that element is in
// the store; final is false while it may still appear.
func (g *GraphExtension) selfLinks(ctx context.Context) (links []graphstore.Edge, final bool) {
	b, err := os.ReadFile(g.machineIDPath)
	machine := strings.TrimSpace(string(b))
	if err != nil || machine == "" {
		return nil, true // no machine ID: no host element to hang under
	}
	host := hostname()
	hostID := internalid.Host(machine, host)
	if _, err := g.store.Node(ctx, "", hostID); err != nil {
		return nil, false
	}
	now := time.Now()
	return []graphstore.Edge{{Source: hostID, Destination: selfID(host), Type: entity.RelParentChild,
		RelationType: entity.RelationCode(entity.RelParentChild, entity.RelationCodeParentChild),
		External:     string(entity.ExternalSource), FirstSeen: now, LastSeen: now}}, true
}

// linkSelf writes the collector's edge to its host once the host is known.
func (g *GraphExtension) linkSelf(ctx context.Context) {
	if g.selfLinked {
		return
	}
	links, final := g.selfLinks(ctx)
	if len(links) > 0 {
		if err := g.writeSelf(ctx, links); err != nil {
			g.logger.Warn("Cannot link the collector to its host in the local graph", zap.Error(err))
			return
		}
	}
	g.selfLinked = final
}
