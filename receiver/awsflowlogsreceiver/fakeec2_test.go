package awsflowlogsreceiver

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// fakeEC2 serves recorded EC2 (and RDS) Query-API responses to the real SDK client:
// testdata/ec2/<region>/<Action>.xml, or <Action>_<NextToken>.xml for a
// next page. The region is the one the request is signed for. A denied
// region answers 403 UnauthorizedOperation, as EC2 does without the IAM
// action.
type fakeEC2 struct {
	url string

	mu     sync.Mutex
	denied map[string]bool // by region, or by "<region> <Action>"
	calls  map[string]int  // "<region> <Action>[ <NextToken>]"
}

func newFakeEC2(t *testing.T) *fakeEC2 {
	t.Helper()
	f := &fakeEC2{denied: map[string]bool{}, calls: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// signedRegion reads the region of the SigV4 credential scope
// (Credential=<key>/<date>/<region>/<service>/aws4_request).
func signedRegion(r *http.Request) string {
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

func (f *fakeEC2) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action, token, region := r.Form.Get("Action"), r.Form.Get("NextToken"), signedRegion(r)
	key := region + " " + action
	file := filepath.Join("testdata", "ec2", region, action+".xml")
	if token != "" {
		key += " " + token
		file = filepath.Join("testdata", "ec2", region, action+"_"+token+".xml")
	}
	f.mu.Lock()
	f.calls[key]++
	denied := f.denied[region] || f.denied[region+" "+action]
	f.mu.Unlock()
	code := http.StatusOK
	if denied {
		file, code = filepath.Join("testdata", "ec2", "UnauthorizedOperation.xml"), http.StatusForbidden
	}
	body, err := os.ReadFile(file)
	if err != nil {
		http.Error(w, "no recorded response "+file, http.StatusNotImplemented)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

func (f *fakeEC2) setDenied(region string, denied bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied[region] = denied
}

// requireCalls checks every call made so far, by "<region> <Action>[
// <NextToken>]".
func (f *fakeEC2) requireCalls(t *testing.T, want map[string]int) {
	t.Helper()
	f.mu.Lock()
	got := make(map[string]int, len(f.calls))
	for k, v := range f.calls {
		got[k] = v
	}
	f.mu.Unlock()
	if want == nil {
		want = map[string]int{}
	}
	assert.Equal(t, want, got)
}
