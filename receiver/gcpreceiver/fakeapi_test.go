package gcpreceiver

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

const testProject = "shop-prod-1"

// fakeAPI serves recorded REST responses of the Google APIs from
// testdata/api/<api>/<call>.json, where <call> is the request path after
// the API's prefix and the project's resource name, '/' and ':' as '_'
// (aggregated_instances.json for GET
// /compute/v1/projects/shop-prod-1/aggregated/instances), and
// <call>_<pageToken>.json for the next pages. throttle[call] answers 429
// (with Retry-After: 0) that many times first; denied[api] answers 403
// PERMISSION_DENIED and disabled[api] 403 SERVICE_DISABLED, each with the
// body Google sends.
type fakeAPI struct {
	url  string
	root string

	mu       sync.Mutex
	throttle map[string]int
	denied   map[string]bool
	disabled map[string]bool
	calls    map[string]int
	missing  []string
}

func newFakeAPI(tb testing.TB, root string) *fakeAPI {
	tb.Helper()
	f := &fakeAPI{root: root, throttle: map[string]int{}, denied: map[string]bool{}, disabled: map[string]bool{}, calls: map[string]int{}}
	srv := httptest.NewServer(f)
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// endpoints points every API at the fake.
func (f *fakeAPI) endpoints() Endpoints {
	return Endpoints{
		Compute: f.url + "/compute/v1/", Container: f.url + "/container/", SQLAdmin: f.url + "/sqladmin/", Storage: f.url + "/storage/v1/",
		Run: f.url + "/run/", IAM: f.url + "/iam/", ResourceManager: f.url + "/cloudresourcemanager/", PubSub: f.url + "/pubsub/", Redis: f.url + "/redis/",
	}
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
	rest = strings.TrimPrefix(rest, "projects/"+testProject+"/")
	rest = strings.TrimPrefix(rest, "projects/"+testProject)
	if rest == "" {
		rest = "project"
	}
	call = strings.TrimPrefix(strings.NewReplacer("/", "_", ":", "_").Replace(rest), "_")
	if api == "storage" && call == "b" {
		call = "buckets"
	}
	return api, call
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	api, call := callOf(r)
	key := api + " " + call
	if tok := r.URL.Query().Get("pageToken"); tok != "" {
		key += " " + tok
		call += "_" + tok
	}
	f.mu.Lock()
	f.calls[key]++
	throttled := f.throttle[api+" "+call] > 0
	if throttled {
		f.throttle[api+" "+call]--
	}
	denied, disabled := f.denied[api], f.disabled[api]
	f.mu.Unlock()
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
	raw, err := os.ReadFile(filepath.Join(f.root, api, call+".json"))
	if err != nil {
		f.mu.Lock()
		f.missing = append(f.missing, r.Method+" "+r.URL.String()+" → "+filepath.Join(api, call+".json"))
		f.mu.Unlock()
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"code":404,"message":"The resource '%s' was not found","status":"NOT_FOUND"}}`, r.URL.Path)
		return
	}
	_, _ = w.Write(raw)
}

func (f *fakeAPI) set(m map[string]bool, api string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m[api] = on
}

func (f *fakeAPI) called(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

// requireServed fails when a request asked for a file that is not
// recorded (a typo in a path would otherwise read as an empty list).
func (f *fakeAPI) requireServed(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	assert.Empty(t, f.missing)
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
