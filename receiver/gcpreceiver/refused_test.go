package gcpreceiver

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/gcpfake"
)

// A read Google refuses (a permission missing, an API not enabled) is
// reported with the API, the call and what to grant or enable; what it
// emitted last time stays (no deletes); the rest is emitted; the loop
// waits the whole interval (a partial failure).
func TestRefusedReads(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	r, sink := crawler(t, f)
	require.NoError(t, r.crawl(context.Background()))
	first, _ := kinds(sink.AllLogs()[0])
	require.Equal(t, 2, first[TypeCloudSQL])
	require.Equal(t, 1, first[TypeRedis])

	f.SetDenied("sqladmin", true)
	f.SetDisabled("redis", true)
	err := r.crawl(context.Background())
	require.Error(t, err)
	assert.True(t, crawl.IsPartial(err), "the rest was emitted: %v", err)
	assert.ErrorContains(t, err, "sqladmin instances.list: permission denied (needs cloudsql.instances.list)")
	assert.ErrorContains(t, err, "redis projects.locations.instances.list: the redis API is not enabled in the project (gcloud services enable redis.googleapis.com)")
	require.Len(t, sink.AllLogs(), 2)
	states, deletes := kinds(sink.AllLogs()[1])
	assert.Empty(t, deletes, "what the refused reads emitted stays")
	assert.Zero(t, states[TypeCloudSQL])
	assert.Zero(t, states[TypeRedis])
	assert.Equal(t, first[TypeVM], states[TypeVM])
	assert.Len(t, r.seen["cloud_sql"], 2)

	// Granted and enabled again: everything is back, nothing deleted.
	f.SetDenied("sqladmin", false)
	f.SetDisabled("redis", false)
	require.NoError(t, r.crawl(context.Background()))
	_, deletes = kinds(sink.AllLogs()[2])
	assert.Empty(t, deletes)
}

// Without scope_id, a refused project read fails the crawl: no scope, no
// IDs. With scope_id, it is one more refused read.
func TestProjectRefused(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	f.SetDenied("cloudresourcemanager", true)
	r, sink := crawler(t, f)
	err := r.crawl(context.Background())
	require.Error(t, err)
	assert.False(t, crawl.IsPartial(err))
	assert.ErrorContains(t, err, "cloudresourcemanager projects.get: permission denied (needs resourcemanager.projects.get)")
	assert.Empty(t, sink.AllLogs())

	r, sink = crawler(t, f, func(c *Config) { c.ScopeID = "123456789012" })
	err = r.crawl(context.Background())
	assert.True(t, crawl.IsPartial(err), "%v", err)
	states, _ := kinds(sink.AllLogs()[0])
	assert.Zero(t, states[TypeProject])
	assert.Positive(t, states[TypeVM])
}

func TestClassify(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	r, _ := crawler(t, f)
	f.SetDisabled("pubsub", true)
	_, err := r.client.pubsub.Projects.Topics.List(r.client.parent()).Do()
	assert.Equal(t, gcpapi.APIDisabled, gcpapi.Classify(err))
	f.SetDenied("iam", true)
	_, err = r.client.iam.Projects.ServiceAccounts.List(r.client.parent()).Do()
	assert.Equal(t, gcpapi.PermissionDenied, gcpapi.Classify(err))
	_, err = r.client.sql.Instances.Get(testProject, "nope").Do()
	assert.Equal(t, gcpapi.NotFound, gcpapi.Classify(err))
}

// A scope_id that differs from the project number is used, and warned
// about once.
func TestScopeIDDiffers(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	r, sink := crawler(t, f, func(c *Config) { c.ScopeID = "999" })
	core, logs := observer.New(zap.WarnLevel)
	r.set.Logger = zap.New(core)
	require.NoError(t, r.crawl(context.Background()))
	require.NoError(t, r.crawl(context.Background()))
	assert.Equal(t, 1, logs.FilterMessageSnippet("scope_id differs from the project number").Len())
	for _, rec := range crawltest.Records(sink.AllLogs()[0]) {
		assert.True(t, strings.HasPrefix(rec.InternalID(), "999-"), rec.InternalID())
	}
}
