package gcpflowlogsreceiver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const testProject = "shop-prod-1"

// fakeLogging answers Cloud Logging's entries.list (POST
// /logging/v2/entries:list) over recorded entries the way the API does:
// the filter's logName and timestamp bounds applied, timestamp order, at
// most pageSize (and never more than 3, so that every test pages) entries
// a page with a nextPageToken; and Resource Manager's projects.get. The
// first throttle calls answer 429.
type fakeLogging struct {
	url     string
	entries []map[string]any

	mu       sync.Mutex
	throttle int
	calls    int
	filters  []string
}

var (
	filterLog  = regexp.MustCompile(`logName="([^"]+)"`)
	filterFrom = regexp.MustCompile(`timestamp>="([^"]+)"`)
	filterTo   = regexp.MustCompile(`timestamp<="([^"]+)"`)
)

func newFakeLogging(t testing.TB, file string) *fakeLogging {
	t.Helper()
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	var rec struct {
		Entries []map[string]any `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(raw, &rec))
	f := &fakeLogging{entries: rec.Entries}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func ts(e map[string]any) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, e["timestamp"].(string))
	return t
}

func (f *fakeLogging) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	if r.Method == http.MethodGet && r.URL.Path == "/cloudresourcemanager/v1/projects/"+testProject {
		fmt.Fprint(w, `{"projectNumber":"123456789012","projectId":"shop-prod-1","lifecycleState":"ACTIVE","name":"Shop Production"}`)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/logging/v2/entries:list" {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"code":404,"message":"%s not found","status":"NOT_FOUND"}}`, r.URL.Path)
		return
	}
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
	f.mu.Lock()
	f.calls++
	throttled := f.throttle > 0
	if throttled {
		f.throttle--
	}
	if req.PageToken == "" && !throttled {
		f.filters = append(f.filters, req.Filter)
	}
	f.mu.Unlock()
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
	for _, e := range f.entries {
		t := ts(e)
		if e["logName"] == sub(filterLog, req.Filter) && !t.Before(from) && !t.After(to) {
			match = append(match, e)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return ts(match[i]).Before(ts(match[j])) })
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
