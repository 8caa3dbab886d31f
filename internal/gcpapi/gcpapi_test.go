package gcpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	assert.NoError(t, ValidateProjectID("shop-prod-1"))
	assert.EqualError(t, ValidateProjectID(""), "project_id: must not be empty")
	assert.Error(t, ValidateProjectID("123456789012"))
	assert.NoError(t, ValidateEndpoint("endpoints: compute", ""))
	assert.EqualError(t, ValidateEndpoint("endpoints: compute", "localhost:80"), "endpoints: compute: must be an http or https URL")
	assert.True(t, IsRegion("europe-west3"))
	assert.True(t, IsRegion("northamerica-northeast1"))
	assert.False(t, IsRegion("europe-west3-a"))
	assert.Len(t, Auth{CredentialsFile: "x", WithoutAuthentication: true}.Validate(), 1)
}

// Throttled requests are retried after Retry-After (here 0) up to
// maxAttempts; other statuses are not.
func TestRetries(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case r.URL.Path == "/always":
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		case r.URL.Path == "/once" && n == 1:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
		case r.URL.Path == "/denied":
			w.WriteHeader(http.StatusForbidden)
		default:
			_, _ = w.Write([]byte(`{}`))
		}
	}))
	defer srv.Close()
	hc, err := NewHTTPClient(context.Background(), Auth{WithoutAuthentication: true}, 0)
	require.NoError(t, err)
	get := func(path string) int {
		calls.Store(0)
		resp, err := hc.Post(srv.URL+path, "application/json", strings.NewReader(`{"a":1}`))
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusOK, get("/once"))
	assert.EqualValues(t, 2, calls.Load())
	assert.Equal(t, http.StatusTooManyRequests, get("/always"))
	assert.EqualValues(t, maxAttempts, calls.Load())
	assert.Equal(t, http.StatusForbidden, get("/denied"))
	assert.EqualValues(t, 1, calls.Load())
}

// The doubling backoff without Retry-After, and a cancelled context while
// waiting.
func TestBackoff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	defer srv.Close()
	var waits []time.Duration
	rt := &retrying{next: http.DefaultTransport, wait: func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}, waits)
}

func TestCredentialsFile(t *testing.T) {
	_, err := NewHTTPClient(context.Background(), Auth{CredentialsFile: filepath.Join(t.TempDir(), "missing.json")}, 0)
	assert.ErrorContains(t, err, "credentials_file")
	bad := filepath.Join(t.TempDir(), "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte("not json"), 0o600))
	_, err = NewHTTPClient(context.Background(), Auth{CredentialsFile: bad}, 0)
	assert.ErrorContains(t, err, "not a JSON credentials file")
	// An authorized user file is read without any request.
	user := filepath.Join(t.TempDir(), "user.json")
	require.NoError(t, os.WriteFile(user, []byte(`{"type":"authorized_user","client_id":"c","client_secret":"s","refresh_token":"r"}`), 0o600))
	_, err = NewHTTPClient(context.Background(), Auth{CredentialsFile: user}, 5)
	assert.NoError(t, err)
}
