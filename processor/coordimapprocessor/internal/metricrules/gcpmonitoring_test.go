package metricrules

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/api/option"
)

// monitoringReplay answers projects.timeSeries.list with recorded replies
// (testdata/gcp), by metric type and page token, and records the queries.
type monitoringReplay struct {
	t       *testing.T
	mu      sync.Mutex
	queries []url.Values
	// failFirst answers the first n calls with this file and status.
	failFirst  int
	failFile   string
	failStatus int
}

func (m *monitoringReplay) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.queries = append(m.queries, r.URL.Query())
	fail := m.failFirst > 0
	if fail {
		m.failFirst--
	}
	m.mu.Unlock()
	if r.URL.Path != "/v3/projects/my-project/timeSeries" {
		http.Error(w, "unexpected path "+r.URL.Path, http.StatusNotFound)
		return
	}
	file := ""
	status := http.StatusOK
	switch q := r.URL.Query(); {
	case fail:
		file, status = m.failFile, m.failStatus
		w.Header().Set("Retry-After", "0")
	case q.Get("filter") == `metric.type="compute.googleapis.com/instance/cpu/utilization"` && q.Get("pageToken") == "":
		file = "vm_cpu_page1.json"
	case q.Get("filter") == `metric.type="compute.googleapis.com/instance/cpu/utilization"` && q.Get("pageToken") == "page-2":
		file = "vm_cpu_page2.json"
	case q.Get("filter") == `metric.type="cloudsql.googleapis.com/database/network/connections"`:
		file = "cloudsql_connections.json"
	case q.Get("filter") == `metric.type="cloudsql.googleapis.com/database/cpu/utilization"`:
		file = "cloudsql_cpu.json"
	default:
		http.Error(w, "no recorded reply for "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	body, err := os.ReadFile(filepath.Join("testdata", "gcp", file))
	require.NoError(m.t, err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func newReplay(t *testing.T, m *monitoringReplay) *GCPMonitoring {
	m.t = t
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	g, err := NewGCPMonitoring(context.Background(), "my-project", "", srv.URL+"/", option.WithoutAuthentication())
	require.NoError(t, err)
	g.backoff = time.Millisecond
	return g
}

var gcpAt = time.Date(2026, 12, 7, 10, 30, 30, 0, time.UTC)

func gcpRule(t *testing.T, name string) *Resolved {
	return resolveOne(t, Rule{ID: name, Provider: ProviderGCPMonitoring, Mode: ModePredefined, DataSource: "gcp",
		Predefined: PredefinedConfig{Name: name}})
}

func ids(hits []TargetHit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, h.InternalID)
	}
	return out
}

func TestGCPMonitoringTemplates(t *testing.T) {
	m := &monitoringReplay{}
	g := newReplay(t, m)
	ctx := &Context{ScopeID: "123456", CloudSQL: map[string]string{
		"orders-db": "123456-europe-west3-a-gcp.cloud_sql-orders-db",
		"quiet-db":  "123456-europe-west3-a-gcp.cloud_sql-quiet-db",
	}}

	t.Run("vm_high_cpu every page", func(t *testing.T) {
		r := gcpRule(t, "vm_high_cpu")
		samples, err := g.Evaluate(context.Background(), r, gcpAt)
		require.NoError(t, err)
		require.Len(t, samples, 3, "both pages")
		assert.Equal(t, []string{"123456-europe-west3-a-gcp.vm_instance-vm-hot", "123456-us-central1-f-gcp.vm_instance-vm-late"}, ids(Match(r, ctx, samples)))
		q := m.queries[0]
		assert.Equal(t, "300s", q.Get("aggregation.alignmentPeriod"))
		assert.Equal(t, "ALIGN_MEAN", q.Get("aggregation.perSeriesAligner"))
		assert.Equal(t, "2026-12-07T10:25:30Z", q.Get("interval.startTime"))
		assert.Equal(t, "2026-12-07T10:30:30Z", q.Get("interval.endTime"))
	})
	t.Run("cloudsql_high_connections", func(t *testing.T) {
		r := gcpRule(t, "cloudsql_high_connections")
		samples, err := g.Evaluate(context.Background(), r, gcpAt)
		require.NoError(t, err)
		// unknown-db crosses the threshold but no record named it.
		assert.Equal(t, []string{"123456-europe-west3-a-gcp.cloud_sql-orders-db"}, ids(Match(r, ctx, samples)))
	})
	t.Run("cloudsql_high_cpu newest point", func(t *testing.T) {
		r := gcpRule(t, "cloudsql_high_cpu")
		samples, err := g.Evaluate(context.Background(), r, gcpAt)
		require.NoError(t, err)
		hits := Match(r, ctx, samples)
		assert.Equal(t, []string{"123456-europe-west3-a-gcp.cloud_sql-orders-db"}, ids(hits))
		assert.Equal(t, 0.85, hits[0].Value)
	})
}

func TestGCPMonitoringRetriesTooManyRequests(t *testing.T) {
	m := &monitoringReplay{failFirst: 2, failFile: "error_429.json", failStatus: http.StatusTooManyRequests}
	g := newReplay(t, m)
	samples, err := g.Evaluate(context.Background(), gcpRule(t, "vm_high_cpu"), gcpAt)
	require.NoError(t, err)
	assert.Len(t, samples, 3)
	assert.Len(t, m.queries, 4, "two 429s, then both pages")
}

func TestGCPMonitoringForbidden(t *testing.T) {
	m := &monitoringReplay{failFirst: 10, failFile: "error_403.json", failStatus: http.StatusForbidden}
	g := newReplay(t, m)
	_, err := g.Evaluate(context.Background(), gcpRule(t, "vm_high_cpu"), gcpAt)
	var pe *ProviderError
	require.ErrorAs(t, err, &pe)
	assert.ErrorContains(t, err, "Permission monitoring.timeSeries.list denied")
	assert.Len(t, m.queries, 1, "a 403 is not retried")
}
