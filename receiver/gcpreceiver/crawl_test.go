package gcpreceiver

import (
	"context"
	"os"
	"path/filepath"
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
)

func testConfig(f *fakeAPI) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ProjectID = testProject
	cfg.WithoutAuthentication = true
	cfg.Endpoints = f.endpoints()
	cfg.CollectionInterval = time.Hour
	return cfg
}

// crawler is a receiver whose crawls the test runs itself (no loop), on
// the real clients pointed at the fake.
func crawler(t testing.TB, f *fakeAPI, mod ...func(*Config)) (*gcpReceiver, *consumertest.LogsSink) {
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
	f := newFakeAPI(t, apiRoot)
	f.throttle["compute aggregated_instances"] = 1
	rcv := crawltest.Start(t, NewFactory(), "golden", testConfig(f))
	logs := rcv.WaitBatches(t, 1)
	rcv.WaitOK(t)
	f.requireServed(t)
	file := filepath.Join("testdata", "golden", "project.yaml")
	crawltest.Golden{}.Check(t, file, logs[0])
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "not-to-be-emitted", "metadata and environment values are never emitted")
	assert.NotContains(t, string(raw), "BEGIN CERTIFICATE")

	assert.Equal(t, 2, f.called("compute aggregated_instances"), "throttled, then retried")
	for _, call := range []string{
		"compute regions", "compute regions regions-2", "compute aggregated_instances instances-2",
		"compute aggregated_subnetworks subnetworks-2", "compute global_firewalls firewalls-2",
		"sqladmin instances sql-2", "storage buckets buckets-2", "run locations_-_services run-2",
		"pubsub topics topics-2", "iam serviceAccounts sa-2",
		"compute zones_europe-west3-a_instanceGroups_web-unmanaged_listInstances members-2",
		"compute regions_europe-west3_instanceGroups_web-mig_listInstances",
		"storage b_shop-backups_iam", "run locations_us-central1_services_api_getIamPolicy", "iam roles_owner",
	} {
		assert.Equal(t, 1, f.called(call), call)
	}
}

// A second crawl reads the predefined roles no more, and deletes nothing.
func TestSecondCrawl(t *testing.T) {
	f := newFakeAPI(t, apiRoot)
	r, sink := crawler(t, f)
	require.NoError(t, r.crawl(context.Background()))
	require.NoError(t, r.crawl(context.Background()))
	assert.Equal(t, 1, f.called("iam roles_owner"))
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
