package awsreceiver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// iamAPIVersion is the Version of IAM's Query API requests. IAM answers
// throttling and denial in its own shape (Throttling 400, AccessDenied
// 403); its calls are signed for us-east-1, so denying that region denies
// IAM.
const iamAPIVersion = "2010-05-08"

// fakeAPI serves recorded Query-API responses (EC2, STS, RDS, Elastic Load
// Balancing, Auto Scaling; S3's ListBuckets; Lambda's ListFunctions and
// EKS's calls as .json, ECR's as ECR<Action>.json; classic ELB's actions
// prefixed Classic) from testdata/api: <Action>.xml, or <Action>_<NextToken
// or Marker>.xml for the next page, or <Action>_<name>.xml for a call about
// one target group, EKS cluster (node groups listed by their cluster's
// name), node group or ECR repository. The first throttle[Action] calls of
// an action answer 503 RequestLimitExceeded; regions in denied answer 401
// AuthFailure (an opt-in region that is not enabled).
type fakeAPI struct {
	url string

	mu       sync.Mutex
	throttle map[string]int
	denied   map[string]bool
	calls    map[string]int // "<region> <Action>[ <NextToken>]"
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{throttle: map[string]int{}, denied: map[string]bool{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// region reads the region of the SigV4 credential scope
// (Credential=<key>/<date>/<region>/<service>/aws4_request).
func region(r *http.Request) string {
	_, cred, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return ""
	}
	parts := strings.Split(cred, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action, token, reg := r.Form.Get("Action"), r.Form.Get("NextToken"), region(r)
	if token == "" {
		// Elastic Load Balancing pages with Marker.
		token = r.Form.Get("Marker")
	}
	if r.Form.Get("Version") == "2012-06-01" {
		// Classic Elastic Load Balancing: the same endpoint and action
		// names as v2.
		action = "Classic" + action
	}
	if tg := r.Form.Get("TargetGroupArn"); tg != "" {
		// One response per target group: …:targetgroup/<name>/<id>.
		if parts := strings.Split(tg, "/"); len(parts) == 3 {
			token = parts[1]
		}
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.Query().Get("x-id") == "ListBuckets" {
		// S3's REST API (path-style): GET /?x-id=ListBuckets.
		action, token = "ListBuckets", r.URL.Query().Get("continuation-token")
	}
	ext := ".xml"
	if r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/2015-03-31/functions" {
		// Lambda's REST-JSON API: GET /2015-03-31/functions?Marker=….
		action, token, ext = "ListFunctions", r.URL.Query().Get("Marker"), ".json"
	}
	if target, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), "AmazonEC2ContainerRegistry_V20150921."); ok {
		// ECR's JSON 1.1 API: the operation in X-Amz-Target, the input in
		// the body; files ECR<Action>[_<nextToken or repositoryName>].json.
		var in struct {
			NextToken      string `json:"nextToken"`
			RepositoryName string `json:"repositoryName"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		action, token, ext = "ECR"+target, firstNonEmpty(in.NextToken, in.RepositoryName), ".json"
	}
	if r.Method == http.MethodGet && (r.URL.Path == "/clusters" || strings.HasPrefix(r.URL.Path, "/clusters/")) {
		// EKS's REST-JSON API: /clusters[/<name>[/node-groups[/<name>]]].
		ext = ".json"
		switch parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/"); len(parts) {
		case 1:
			action, token = "ListClusters", r.URL.Query().Get("nextToken")
		case 2:
			action, token = "DescribeCluster", parts[1]
		case 3:
			action, token = "ListNodegroups", parts[1]
		case 4:
			action, token = "DescribeNodegroup", parts[3]
		}
	}
	key := reg + " " + action
	if token != "" {
		key += " " + token
	}
	f.mu.Lock()
	f.calls[key]++
	throttled := f.throttle[action] > 0
	if throttled {
		f.throttle[action]--
	}
	denied := f.denied[reg] && action != "GetCallerIdentity"
	f.mu.Unlock()

	file := action + ext
	if token != "" {
		file = action + "_" + token + ext
	}
	code := http.StatusOK
	switch {
	case throttled:
		file, code = "RequestLimitExceeded.xml", http.StatusServiceUnavailable
	case denied:
		file, code = "AuthFailure.xml", http.StatusUnauthorized
	}
	if r.Form.Get("Version") == iamAPIVersion && (throttled || denied) {
		// IAM (signed for us-east-1) has its own error shape and codes:
		// Throttling (400), AccessDenied (403).
		file, code = "IAMThrottling.xml", http.StatusBadRequest
		if !throttled {
			file, code = "IAMAccessDenied.xml", http.StatusForbidden
		}
	}
	body, err := os.ReadFile(filepath.Join("testdata", "api", file))
	if err != nil {
		http.Error(w, "no recorded response for "+file, http.StatusNotImplemented)
		return
	}
	switch {
	case ext == ".json" && code == http.StatusOK && strings.HasPrefix(action, "ECR"):
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	case ext == ".json" && code == http.StatusOK:
		w.Header().Set("Content-Type", "application/json")
	default:
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func (f *fakeAPI) callCounts() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		out[k] = v
	}
	return out
}

func (f *fakeAPI) requireCalled(t *testing.T, key string, n int) {
	t.Helper()
	require.Equal(t, n, f.callCounts()[key], key)
}

func (f *fakeAPI) setThrottle(action string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle[action] = n
}

func (f *fakeAPI) setDenied(region string, denied bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[region] = denied
}
