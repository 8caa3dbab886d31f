package awsreceiver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// iamAPIVersion is the Version of IAM's Query API requests. IAM's calls
// are signed for us-east-1: denying that region denies IAM, with IAM's
// AccessDenied (a global service has no region to refuse).
const iamAPIVersion = "2010-05-08"

// fakeAPI serves recorded Query-API responses (EC2, STS, RDS, Elastic Load
// Balancing, Auto Scaling; S3's ListBuckets; Lambda's ListFunctions and
// EKS's calls as .json, ECR's as ECR<Action>.json; classic ELB's actions
// prefixed Classic) from testdata/api: <Action>.xml, or <Action>_<NextToken
// or Marker>.xml for the next page, or <Action>_<name>.xml for a call about
// one target group, classic load balancer, EKS cluster (node groups listed by their cluster's
// name), node group or ECR repository. The first throttle[Action] calls of
// an action answer the service's throttling error; actions in deniedActions
// answer its access-denied error (a missing IAM action); regions in denied
// answer 401 AuthFailure (an opt-in region that is not enabled).
type fakeAPI struct {
	url string
	// overlay, when set, is a folder of testdata whose recorded responses
	// replace testdata/api's of the same name (a scenario's account).
	overlay string

	mu       sync.Mutex
	throttle map[string]int
	denied   map[string]bool
	// deniedActions are refused in every region.
	deniedActions map[string]bool
	calls         map[string]int // "<region> <Action>[ <NextToken>]"
	// forms holds the last request's form of each call key.
	forms map[string]url.Values
	// requests numbers the responses: each carries its own request ID,
	// as AWS's do.
	requests int
}

func newFakeAPI(tb testing.TB) *fakeAPI {
	tb.Helper()
	f := newFakeState()
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// newFakeState is a fake without a server of its own, for handlers that
// answer some calls themselves and hand the rest to serve.
func newFakeState() *fakeAPI {
	return &fakeAPI{throttle: map[string]int{}, denied: map[string]bool{}, deniedActions: map[string]bool{}, calls: map[string]int{}, forms: map[string]url.Values{}}
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
	proto := protoQuery
	if r.Form.Get("Version") == "2016-11-15" {
		proto = protoEC2
	}
	if token == "" {
		// Elastic Load Balancing pages with Marker.
		token = r.Form.Get("Marker")
	}
	if r.Form.Get("Version") == "2012-06-01" {
		// Classic Elastic Load Balancing: the same endpoint and action
		// names as v2.
		action = "Classic" + action
	}
	if name := r.Form.Get("LoadBalancerName"); name != "" && action == "ClassicDescribeInstanceHealth" {
		// One response per classic load balancer.
		token = name
	}
	if tg := r.Form.Get("TargetGroupArn"); tg != "" {
		// One response per target group: …:targetgroup/<name>/<id>.
		if parts := strings.Split(tg, "/"); len(parts) == 3 {
			token = parts[1]
		}
	}
	if r.Method == http.MethodGet && r.URL.Path == "/" && r.URL.Query().Get("x-id") == "ListBuckets" {
		// S3's REST API (path-style): GET /?x-id=ListBuckets.
		action, token, proto = "ListBuckets", r.URL.Query().Get("continuation-token"), protoS3
	}
	ext := ".xml"
	if r.Method == http.MethodGet && strings.TrimSuffix(r.URL.Path, "/") == "/2015-03-31/functions" {
		// Lambda's REST-JSON API: GET /2015-03-31/functions?Marker=….
		action, token, ext, proto = "ListFunctions", r.URL.Query().Get("Marker"), ".json", protoREST
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
		action, token, ext, proto = "ECR"+target, firstNonEmpty(in.NextToken, in.RepositoryName), ".json", protoJSON
	}
	if r.Method == http.MethodGet && (r.URL.Path == "/clusters" || strings.HasPrefix(r.URL.Path, "/clusters/")) {
		// EKS's REST-JSON API: /clusters[/<name>[/node-groups[/<name>]]].
		ext, proto = ".json", protoREST
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
	f.forms[key] = r.Form
	throttled := f.throttle[action] > 0
	if throttled {
		f.throttle[action]--
	}
	denied := f.denied[reg] && action != "GetCallerIdentity"
	actionDenied := f.deniedActions[action]
	f.requests++
	requestID := fmt.Sprintf("%08d-0000-4000-8000-%012d", f.requests, f.requests)
	f.mu.Unlock()
	if r.Form.Get("Version") == iamAPIVersion {
		actionDenied, denied = actionDenied || denied, false
	}

	file := action + ext
	if token != "" {
		file = action + "_" + token + ext
	}
	code := http.StatusOK
	var apiErr apiError
	switch {
	case throttled:
		apiErr = errorFor(proto, errThrottle)
	case denied:
		apiErr = apiError{file: "../AuthFailure.xml", status: http.StatusUnauthorized}
	case actionDenied:
		apiErr = errorFor(proto, errDenied)
	}
	if apiErr.status != 0 {
		file, code = filepath.Join("errors", apiErr.file), apiErr.status
		if apiErr.errType != "" {
			w.Header().Set("X-Amzn-Errortype", apiErr.errType)
		}
	}
	path := filepath.Join("testdata", "api", file)
	if f.overlay != "" && code == http.StatusOK {
		if p := filepath.Join("testdata", f.overlay, file); fileExists(p) {
			path = p
		}
	}
	body, err := os.ReadFile(path)
	if err != nil {
		http.Error(w, "no recorded response for "+file, http.StatusNotImplemented)
		return
	}
	w.Header().Set("X-Amzn-Requestid", requestID)
	if code != http.StatusOK {
		// The recorded errors' request IDs end in "example".
		body = bytes.ReplaceAll(body, []byte("example"), []byte(requestID))
	}
	switch {
	case proto == protoJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	case proto == protoREST:
		w.Header().Set("Content-Type", "application/json")
	default:
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
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

// form is the last request form of call key.
func (f *fakeAPI) form(key string) url.Values {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.forms[key]
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

// denyAction makes action answer the service's access-denied error in
// every region (the fake's action names: ClassicDescribeLoadBalancers,
// ECRDescribeRepositories, …).
func (f *fakeAPI) denyAction(action string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deniedActions[action] = true
}

func (f *fakeAPI) setDenied(region string, denied bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[region] = denied
}
