package gcpreceiver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/gcpfake"
)

const testProject = gcpfake.Project

// endpoints points every API at the fake.
func endpoints(f *gcpfake.Server) Endpoints {
	return Endpoints{
		Compute: f.Endpoint("compute"), Container: f.Endpoint("container"), SQLAdmin: f.Endpoint("sqladmin"), Storage: f.Endpoint("storage"),
		Run: f.Endpoint("run"), IAM: f.Endpoint("iam"), ResourceManager: f.Endpoint("cloudresourcemanager"), PubSub: f.Endpoint("pubsub"), Redis: f.Endpoint("redis"),
	}
}

func testConfig(f *gcpfake.Server) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ProjectID = testProject
	cfg.WithoutAuthentication = true
	cfg.Endpoints = endpoints(f)
	cfg.CollectionInterval = time.Hour
	return cfg
}

// crawler is a receiver whose crawls the test runs itself (no loop), on
// the real clients pointed at the fake.
func crawler(t testing.TB, f *gcpfake.Server, mod ...func(*Config)) (*gcpReceiver, *consumertest.LogsSink) {
	t.Helper()
	cfg := testConfig(f)
	for _, m := range mod {
		m(cfg)
	}
	require.NoError(t, cfg.Validate())
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, "test")
	sink := new(consumertest.LogsSink)
	r := newReceiver(cfg, set, sink)
	c, err := newClient(context.Background(), cfg)
	require.NoError(t, err)
	r.client = c
	return r, sink
}

var apiRoot = filepath.Join("testdata", "api")

// The real clients against recorded responses, started as the collector
// does: every list read to its last page, once; a throttled call retried;
// the batch compared with the golden file.
func TestGolden(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	f.Throttle("compute aggregated_instances", 1)
	rcv := crawltest.Start(t, NewFactory(), "golden", testConfig(f))
	logs := rcv.WaitBatches(t, 1)
	rcv.WaitOK(t)
	f.RequireServed(t)
	file := filepath.Join("testdata", "golden", "project.yaml")
	crawltest.Golden{}.Check(t, file, logs[0])
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "not-to-be-emitted", "metadata and environment values are never emitted")
	assert.NotContains(t, string(raw), "BEGIN CERTIFICATE")

	assert.Equal(t, 2, f.Called("compute aggregated_instances"), "throttled, then retried")
	for _, call := range []string{
		"compute regions", "compute regions regions-2", "compute aggregated_instances instances-2",
		"compute aggregated_subnetworks subnetworks-2", "compute global_firewalls firewalls-2",
		"sqladmin instances sql-2", "storage buckets buckets-2", "run locations_-_services run-2",
		"pubsub topics topics-2", "iam serviceAccounts sa-2",
		"compute zones_europe-west3-a_instanceGroups_web-unmanaged_listInstances members-2",
		"compute regions_europe-west3_instanceGroups_web-mig_listInstances",
		"storage b_shop-backups_iam", "run locations_us-central1_services_api_getIamPolicy", "iam roles_owner",
	} {
		assert.Equal(t, 1, f.Called(call), call)
	}
}

// A second crawl reads the predefined roles no more, and deletes nothing.
func TestSecondCrawl(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	r, sink := crawler(t, f)
	require.NoError(t, r.crawl(context.Background()))
	require.NoError(t, r.crawl(context.Background()))
	assert.Equal(t, 1, f.Called("iam roles_owner"))
	require.Len(t, sink.AllLogs(), 2)
	assert.Equal(t, sink.AllLogs()[0].LogRecordCount(), sink.AllLogs()[1].LogRecordCount())
	_, deletes := kinds(sink.AllLogs()[1])
	assert.Empty(t, deletes)
}

// kinds counts a batch's records by kind and element type.
func kinds(ld plog.Logs) (states, deletes map[string]int) {
	states, deletes = map[string]int{}, map[string]int{}
	for _, rec := range crawltest.Records(ld) {
		switch rec.Kind() {
		case entity.KindState:
			states[rec.Type()]++
		case entity.KindDelete:
			deletes[rec.Type()]++
		}
	}
	return states, deletes
}

// What a later crawl no longer finds is deleted, once: a VM gone, and a
// bucket with its IAM binding and the predefined role only that binding
// granted.
func TestDeletes(t *testing.T) {
	r, sink := crawler(t, gcpfake.New(t, apiRoot, ""))
	require.NoError(t, r.crawl(context.Background()))

	// The same project with web-2 and the shop-backups bucket gone.
	dir := t.TempDir()
	require.NoError(t, os.CopyFS(dir, os.DirFS(apiRoot)))
	edit := func(file, from, to string) {
		path := filepath.Join(dir, file)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		require.Contains(t, string(raw), from)
		require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(raw), from, to, 1)), 0o600))
	}
	edit("compute/aggregated_instances.json", `"name": "web-2"`, `"name": "web-3"`)
	edit("storage/buckets.json", `"nextPageToken": "buckets-2"`, `"kind2": "x"`)
	f2 := gcpfake.New(t, dir, "")
	c, err := newClient(context.Background(), testConfig(f2))
	require.NoError(t, err)
	r.client = c
	require.NoError(t, r.crawl(context.Background()))
	_, deletes := kinds(sink.AllLogs()[1])
	assert.Equal(t, map[string]int{TypeVM: 1, TypeBucket: 1, TypeIAMBinding: 1, TypeIAMRole: 1}, deletes)
	var gone []string
	for _, rec := range crawltest.Records(sink.AllLogs()[1]) {
		if rec.Kind() == entity.KindDelete && rec.Type() != TypeIAMBinding {
			gone = append(gone, rec.InternalID())
		}
	}
	assert.ElementsMatch(t, []string{"123456789012-europe-west3-a-gcp.vm_instance-web-2", "123456789012-eu-gcp.bucket-shop-backups",
		"123456789012--gcp.iam_role-roles/storage.objectAdmin"}, gone)

	// A third crawl deletes nothing more.
	require.NoError(t, r.crawl(context.Background()))
	_, deletes = kinds(sink.AllLogs()[2])
	assert.Empty(t, deletes)
}
