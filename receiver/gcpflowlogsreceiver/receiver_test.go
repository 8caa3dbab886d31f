package gcpflowlogsreceiver

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/gcpfake"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
	"github.com/coordimap/otelcol-coordimap/internal/storagehost/storagehosttest"
)

const testProject = gcpfake.Project

// inventoryReplies are the coordimap_gcp receiver's recorded responses
// (the project number comes from Resource Manager).
var inventoryReplies = filepath.Join("..", "gcpreceiver", "testdata", "api")

var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func testConfig(f *gcpfake.Server) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ProjectID = testProject
	cfg.WithoutAuthentication = true
	cfg.Endpoints = Endpoints{Logging: f.Endpoint("logging"), ResourceManager: f.Endpoint("cloudresourcemanager"), SQLAdmin: f.Endpoint("sqladmin")}
	cfg.ExternalMappings = []string{"europe-west3-shop-gke@uid-k8s"}
	cfg.CollectionInterval = time.Hour
	return cfg
}

// extensionHost is a status host (the receiver reports to it) with
// extensions.
type extensionHost struct {
	*statustest.Host
	ext map[component.ID]component.Component
}

func (h *extensionHost) GetExtensions() map[component.ID]component.Component { return h.ext }

// run starts a receiver whose clock reads now, waits until its first
// window is read (StatusOK), and stops it.
func run(t *testing.T, cfg *Config, extensions map[component.ID]component.Component, now time.Time) (*consumertest.LogsSink, *flowLogsReceiver) {
	t.Helper()
	sink := new(consumertest.LogsSink)
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, "test")
	r := newReceiver(cfg, set, sink)
	r.now = func() time.Time { return now }
	status := statustest.NewHost()
	require.NoError(t, r.Start(context.Background(), &extensionHost{Host: status, ext: extensions}))
	require.Eventually(t, func() bool { return status.Last().Status() == componentstatus.StatusOK }, 60*time.Second, 10*time.Millisecond,
		"%v", status.Last().Err())
	require.NoError(t, r.Shutdown(context.Background()))
	return sink, r
}

// The real logging client against the fake: the window from
// initial_lookback to now minus delay read over several pages (one
// throttled and retried), the records aggregated client → server, both
// reporters of a connection counted once, malformed entries counted and
// skipped; compared with the golden file.
func TestGolden(t *testing.T) {
	f := gcpfake.New(t, inventoryReplies, filepath.Join("testdata", "entries.json"))
	f.ThrottleEntries(1)
	sink, r := run(t, testConfig(f), nil, t0.Add(10*time.Minute))
	require.Len(t, sink.AllLogs(), 1)
	g := crawltest.Golden{KeepObservations: true}
	g.Check(t, filepath.Join("testdata", "golden", "flows.yaml"), sink.AllLogs()[0])
	assert.EqualValues(t, 2, r.totalMalformed)
	assert.Equal(t, []string{`logName="projects/shop-prod-1/logs/compute.googleapis.com%2Fvpc_flows" AND timestamp>="2026-12-07T09:58:00Z" AND timestamp<="2026-12-07T10:08:00Z"`}, f.Filters())
	assert.Equal(t, 4, f.EntriesCalls(), "a 429 retried, then 3 pages of 3")
	byEdge := map[string]entity.Observation{}
	for _, rec := range crawltest.Records(sink.AllLogs()[0]) {
		o := rec.Observation()
		byEdge[o.SourceID+" → "+o.DestinationID] = o
	}
	const s = "123456789012"
	sql := byEdge[s+"-europe-west3-a-gcp.vm_instance-web-1 → "+s+"-europe-west3-a-gcp.cloud_sql-orders-db"]
	assert.Equal(t, int64(2), sql.Connections, "two client ports")
	assert.Equal(t, int64(3000), sql.BytesSent)
	assert.Equal(t, int64(9000), sql.BytesReceived, "the response record runs server → client")
	vm := byEdge[s+"-europe-west3-a-gcp.vm_instance-web-1 → "+s+"-us-central1-a-gcp.vm_instance-db-proxy"]
	assert.Equal(t, int64(1000), vm.BytesSent, "logged by both ends, counted once")
	assert.Equal(t, int64(1), vm.Connections)
	pod := byEdge["uid-k8s-shop-kubernetes.pod-api-7c9f → uid-k8s-shop-kubernetes.pod-payments-5d8f"]
	assert.Equal(t, entity.ExternalBothSides, pod.External, "the client is the pod on the ephemeral port")
	assert.Equal(t, int64(5000), pod.BytesReceived)
	assert.Contains(t, byEdge, "203.0.113.9 → "+s+"-europe-west3-a-gcp.vm_instance-web-1")
	assert.Len(t, byEdge, 4)
}

// The cursor in a real file_storage: a restart reads on from where the
// last window ended, the entries exactly at that end not twice and none
// skipped; the two runs together count what one run counts.
func TestCursorSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	storageID := storagehosttest.ID
	newHost := func() (map[component.ID]component.Component, func()) {
		ext := storagehosttest.FileStorage(t, dir)
		return map[component.ID]component.Component{storageID: ext},
			func() { require.NoError(t, ext.Shutdown(context.Background())) }
	}
	f := gcpfake.New(t, inventoryReplies, filepath.Join("testdata", "entries.json"))
	cfg := testConfig(f)
	cfg.Storage = &storageID

	// First run: the window ends at 10:03:00, where entry c1 stands.
	host, stop := newHost()
	first, r1 := run(t, cfg, host, t0.Add(5*time.Minute))
	stop()
	assert.Equal(t, cursor{At: t0.Add(3 * time.Minute), Seen: []string{"c1"}}, r1.cur)

	// Restarted later: 10:03:00 (c1 not again) to 10:08:00.
	host, stop = newHost()
	second, _ := run(t, cfg, host, t0.Add(10*time.Minute))
	stop()
	require.Len(t, f.Filters(), 2)
	assert.Contains(t, f.Filters()[1], `timestamp>="2026-12-07T10:03:00Z" AND timestamp<="2026-12-07T10:08:00Z"`)

	// One run over the whole span, for comparison.
	f2 := gcpfake.New(t, inventoryReplies, filepath.Join("testdata", "entries.json"))
	whole, _ := run(t, testConfig(f2), nil, t0.Add(10*time.Minute))
	sum := func(sinks ...*consumertest.LogsSink) (bytes int64, n int) {
		for _, s := range sinks {
			for _, ld := range s.AllLogs() {
				for _, rec := range crawltest.Records(ld) {
					o := rec.Observation()
					bytes += o.BytesSent + o.BytesReceived
					n++
				}
			}
		}
		return bytes, n
	}
	b2, _ := sum(first, second)
	b1, _ := sum(whole)
	assert.Equal(t, b1, b2, "nothing read twice, nothing skipped")
}

// Cloud SQL refused: the flows are still emitted, their database end an
// address for the processor, and the refusal is reported (partial).
func TestCloudSQLRefused(t *testing.T) {
	f := gcpfake.New(t, inventoryReplies, filepath.Join("testdata", "entries.json"))
	f.SetDenied("sqladmin", true)
	sink := new(consumertest.LogsSink)
	set := receivertest.NewNopSettings(typeStr)
	r := newReceiver(testConfig(f), set, sink)
	r.now = func() time.Time { return t0.Add(10 * time.Minute) }
	status := statustest.NewHost()
	require.NoError(t, r.Start(context.Background(), &extensionHost{Host: status}))
	require.Eventually(t, func() bool { return status.Last().Status() == componentstatus.StatusRecoverableError }, 60*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	assert.ErrorContains(t, status.Last().Err(), "sqladmin instances.list: permission denied (needs cloudsql.instances.list)")
	require.Len(t, sink.AllLogs(), 1)
	var dsts []string
	for _, rec := range crawltest.Records(sink.AllLogs()[0]) {
		dsts = append(dsts, rec.Observation().DestinationID)
	}
	assert.Contains(t, dsts, "10.20.0.3")
}
