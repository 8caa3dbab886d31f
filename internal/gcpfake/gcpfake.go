// Package gcpfake is an in-process server that answers the REST clients of
// google.golang.org/api with recorded responses shaped like Google's: the
// inventory APIs from files (pages with nextPageToken, 429 with
// Retry-After, 403 PERMISSION_DENIED and SERVICE_DISABLED on demand) and
// Cloud Logging's entries.list over recorded entries, the filter's
// logName and timestamp bounds applied. The GCP receivers' tests and the
// built collector's end-to-end test point the clients at it with
// option.WithEndpoint.
package gcpfake // import "github.com/coordimap/otelcol-coordimap/internal/gcpfake"

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Project is the project the recorded responses describe.
const Project = "shop-prod-1"

// Server serves recorded REST responses of the Google APIs from
// <root>/<api>/<call>.json, where <call> is the request path after the
// API's prefix and the project's resource name, '/' and ':' as '_'
// (aggregated_instances.json for GET
// /compute/v1/projects/shop-prod-1/aggregated/instances), and
// <call>_<pageToken>.json for the next pages. Throttle(call, n) answers
// 429 (with Retry-After: 0) n times first; SetDenied(api) answers 403
// PERMISSION_DENIED and SetDisabled(api) 403 SERVICE_DISABLED, each with
// the body Google sends. POST /logging/v2/entries:list answers from the
// entries file.
type Server struct {
	URL  string
	root string

	mu       sync.Mutex
	throttle map[string]int
	denied   map[string]bool
	disabled map[string]bool
	calls    map[string]int
	missing  []string

	entries     []map[string]any
	logThrottle int
	logCalls    int
	filters     []string
}

// New starts a server over the recorded responses under root and, when
// entriesFile is set, the recorded log entries ({"entries":[…]}); the
// test's cleanup stops it.
func New(tb testing.TB, root, entriesFile string) *Server {
	tb.Helper()
	s := &Server{root: root, throttle: map[string]int{}, denied: map[string]bool{}, disabled: map[string]bool{}, calls: map[string]int{}}
	if entriesFile != "" {
		raw, err := os.ReadFile(entriesFile)
		if err != nil {
			tb.Fatal(err)
		}
		var rec struct {
			Entries []map[string]any `json:"entries"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil {
			tb.Fatal(err)
		}
		s.entries = rec.Entries
	}
	srv := httptest.NewServer(s)
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Endpoint is the base path to configure for api (compute is
// <URL>/compute/v1/, storage <URL>/storage/v1/, the others <URL>/<api>/).
func (s *Server) Endpoint(api string) string {
	switch api {
	case "compute", "storage":
		return s.URL + "/" + api + "/v1/"
	}
	return s.URL + "/" + api + "/"
}

// callOf is the API and the call of a request.
func callOf(r *http.Request) (api, call string) {
	api, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	for _, p := range []string{"compute/v1/", "v1/", "v2/", "sql/v1beta4/", "storage/v1/"} {
		if strings.HasPrefix(api+"/"+rest, api+"/"+p) && api != "storage" {
			rest = strings.TrimPrefix(rest, p)
			break
		}
	}
	if api == "storage" {
		rest = strings.TrimPrefix(rest, "v1/")
	}
	if api == "compute" {
		rest = strings.TrimPrefix(rest, "v1/")
	}
	rest = strings.TrimPrefix(rest, "projects/"+Project+"/")
	rest = strings.TrimPrefix(rest, "projects/"+Project)
	if rest == "" {
		rest = "project"
	}
	call = strings.TrimPrefix(strings.NewReplacer("/", "_", ":", "_").Replace(rest), "_")
	if api == "storage" && call == "b" {
		call = "buckets"
	}
	return api, call
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && r.URL.Path == "/logging/v2/entries:list" {
		s.serveEntries(w, r)
		return
	}
	api, call := callOf(r)
	key := api + " " + call
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		key += " " + tok
		call += "_" + tok
	}
	s.mu.Lock()
	s.calls[key]++
	throttled := s.throttle[api+" "+call] > 0
	if throttled {
		s.throttle[api+" "+call]--
	}
	denied, disabled := s.denied[api], s.disabled[api]
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	switch {
	case throttled:
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute'.","status":"RESOURCE_EXHAUSTED"}}`)
		return
	case disabled:
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"error":{"code":403,"message":"%s API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/%s.googleapis.com/overview?project=123456789012 then retry.","status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"SERVICE_DISABLED","domain":"googleapis.com","metadata":{"service":"%s.googleapis.com","consumer":"projects/123456789012"}}]}}`, api, api, api)
		return
	case denied:
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"error":{"code":403,"message":"The caller does not have permission","errors":[{"message":"The caller does not have permission","domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}`)
		return
	}
	raw, err := os.ReadFile(filepath.Join(s.root, api, call+".json"))
	if err != nil {
		s.mu.Lock()
		s.missing = append(s.missing, r.Method+" "+r.URL.String()+" → "+filepath.Join(api, call+".json"))
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"code":404,"message":"The resource '%s' was not found","status":"NOT_FOUND"}}`, r.URL.Path)
		return
	}
	_, _ = w.Write(raw)
}

// Throttle answers 429 to the next n requests of call ("<api> <call>").
func (s *Server) Throttle(call string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle[call] = n
}

// SetDenied makes api answer 403 PERMISSION_DENIED (or not).
func (s *Server) SetDenied(api string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied[api] = on
}

// SetDisabled makes api answer 403 SERVICE_DISABLED (or not).
func (s *Server) SetDisabled(api string, on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[api] = on
}

// Called is how many times "<api> <call>[ <pageToken>]" was requested.
func (s *Server) Called(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[key]
}

// RequireServed fails when a request asked for a file that is not
// recorded (a typo in a path would otherwise read as an empty list).
func (s *Server) RequireServed(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.missing) > 0 {
		t.Errorf("requests without a recorded response:\n%s", strings.Join(s.missing, "\n"))
	}
}

// SHA256Hex is the hex SHA-256 of s (binding IDs, recomputed in tests).
func SHA256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var (
	filterLog  = regexp.MustCompile(`logName="([^"]+)"`)
	filterFrom = regexp.MustCompile(`timestamp>="([^"]+)"`)
	filterTo   = regexp.MustCompile(`timestamp<="([^"]+)"`)
)

func timestamp(e map[string]any) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e["timestamp"].(string))
	return t
}

func (s *Server) serveEntries(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	var req struct {
		ResourceNames []string `json:"resourceNames"`
		Filter        string   `json:"filter"`
		OrderBy       string   `json:"orderBy"`
		PageSize      int      `json:"pageSize"`
		PageToken     string   `json:"pageToken"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":400,"message":%q,"status":"INVALID_ARGUMENT"}}`, err.Error())
		return
	}
	s.mu.Lock()
	s.logCalls++
	throttled := s.logThrottle > 0
	if throttled {
		s.logThrottle--
	}
	if req.PageToken == "" && !throttled {
		s.filters = append(s.filters, req.Filter)
	}
	s.mu.Unlock()
	if throttled {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Read requests'.","status":"RESOURCE_EXHAUSTED"}}`)
		return
	}
	from, err1 := time.Parse(time.RFC3339Nano, sub(filterFrom, req.Filter))
	to, err2 := time.Parse(time.RFC3339Nano, sub(filterTo, req.Filter))
	if err1 != nil || err2 != nil || req.OrderBy != "timestamp asc" || len(req.ResourceNames) != 1 {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":400,"message":"unsupported request %q","status":"INVALID_ARGUMENT"}}`, req.Filter)
		return
	}
	var match []map[string]any
	for _, e := range s.entries {
		t := timestamp(e)
		if e["logName"] == sub(filterLog, req.Filter) && !t.Before(from) && !t.After(to) {
			match = append(match, e)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return timestamp(match[i]).Before(timestamp(match[j])) })
	off, _ := strconv.Atoi(req.PageToken)
	size := min(max(req.PageSize, 1), 3)
	resp := map[string]any{"entries": match[min(off, len(match)):min(off+size, len(match))]}
	if off+size < len(match) {
		resp["nextPageToken"] = strconv.Itoa(off + size)
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func sub(re *regexp.Regexp, s string) string {
	if m := re.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// ThrottleEntries answers 429 to the next n entries.list requests.
func (s *Server) ThrottleEntries(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logThrottle = n
}

// EntriesCalls is how many entries.list requests came (throttled ones
// too); Filters the filters of the windows read (a first page each, not
// throttled).
func (s *Server) EntriesCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logCalls
}

// Filters are the filters of the windows read.
func (s *Server) Filters() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.filters...)
}
