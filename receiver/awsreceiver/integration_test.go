package awsreceiver

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
)

func testConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Region = "eu-west-1"
	cfg.AccessKeyID = "AKIDFAKEFAKEFAKE"
	cfg.SecretAccessKey = "fake-secret"
	cfg.Endpoints = Endpoints{EC2: endpoint, STS: endpoint, S3: endpoint, RDS: endpoint, ELB: endpoint, AutoScaling: endpoint, Lambda: endpoint, EKS: endpoint, ECR: endpoint}
	cfg.CollectionInterval = time.Hour // only the crawl at start
	return cfg
}

// The real SDK clients against recorded responses: account from STS,
// regions discovered (one of them an opt-in region that refuses), VPCs
// and instances over two pages, one throttled DescribeInstances retried.
func TestGoldenEC2(t *testing.T) {
	api := newFakeAPI(t)
	api.setThrottle("DescribeInstances", 1)
	api.setDenied("ap-southeast-3", true)

	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, "golden")
	sink := new(consumertest.LogsSink)
	r := newReceiver(testConfig(api.url), set, sink)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.LogRecordCount() > 0 }, 60*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))

	logs := sink.AllLogs()
	require.Len(t, logs, 1)
	file := filepath.Join("testdata", "golden", "ec2.yaml")
	crawltest.Golden{}.Check(t, file, logs[0])
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "not-to-be-emitted", "Lambda environment variables are never emitted")

	api.requireCalled(t, "eu-west-1 DescribeVpcs", 1)
	api.requireCalled(t, "eu-west-1 DescribeVpcs vpcs-page-2", 1)
	api.requireCalled(t, "eu-west-1 DescribeInstances", 2) // throttled, then retried
	api.requireCalled(t, "eu-west-1 DescribeInstances instances-page-2", 1)
	api.requireCalled(t, "eu-west-1 DescribeImages", 1) // one call for the AMIs in use
	assert.Equal(t, "true", api.form("eu-west-1 DescribeImages").Get("IncludeDeprecated"), "deprecated AMIs still run")
	api.requireCalled(t, "eu-west-1 ListBuckets", 1)
	api.requireCalled(t, "eu-west-1 DescribeDBInstances", 1)
	api.requireCalled(t, "eu-west-1 DescribeDBClusters", 1)
	api.requireCalled(t, "eu-west-1 DescribeLoadBalancers", 1)
	api.requireCalled(t, "eu-west-1 DescribeLoadBalancers lbs-page-2", 1)
	api.requireCalled(t, "eu-west-1 DescribeTargetGroups", 1) // all groups, not one call per load balancer
	api.requireCalled(t, "eu-west-1 DescribeTargetHealth shop-web", 1)
	api.requireCalled(t, "eu-west-1 DescribeTargetHealth shop-db-ip", 1)
	api.requireCalled(t, "eu-west-1 ClassicDescribeLoadBalancers", 1)
	api.requireCalled(t, "eu-west-1 ClassicDescribeInstanceHealth legacy-web", 1)
	api.requireCalled(t, "eu-west-1 DescribeAutoScalingGroups", 1)
	api.requireCalled(t, "eu-west-1 DescribeAutoScalingGroups asgs-page-2", 1)
	api.requireCalled(t, "eu-west-1 ListFunctions", 1)
	api.requireCalled(t, "eu-west-1 ListFunctions functions-page-2", 1)
	api.requireCalled(t, "eu-west-1 ListClusters", 1)
	api.requireCalled(t, "eu-west-1 DescribeCluster shop-eks", 1)
	api.requireCalled(t, "eu-west-1 ListNodegroups shop-eks", 1)
	api.requireCalled(t, "eu-west-1 DescribeNodegroup shop-ng", 1)
	api.requireCalled(t, "eu-west-1 ECRDescribeRepositories", 1)
	api.requireCalled(t, "eu-west-1 ECRDescribeImages shop-api", 1)
	assert.Positive(t, api.callCounts()["ap-southeast-3 DescribeAvailabilityZones"], "the opt-in region was tried")
	assert.NotContains(t, r.seen, "ap-southeast-3")
	assert.Len(t, r.seen["eu-west-1"], 41)
}

// A second crawl deletes what vanished; a region that fails keeps what it
// had (no deletes for it).
func TestDeletesAndFailingRegion(t *testing.T) {
	api := newFakeAPI(t)
	set := receivertest.NewNopSettings(typeStr)
	sink := new(consumertest.LogsSink)
	cfg := testConfig(api.url)
	cfg.Regions = []string{"eu-west-1"}
	r := newReceiver(cfg, set, sink)
	c, err := newClient(context.Background(), cfg)
	require.NoError(t, err)
	r.client = c

	require.NoError(t, r.crawl(context.Background()))
	require.Len(t, r.seen["eu-west-1"], 41)

	// The region now refuses: reported, nothing deleted, nothing emitted.
	api.setDenied("eu-west-1", true)
	require.ErrorContains(t, r.crawl(context.Background()), "AuthFailure")
	assert.Equal(t, 1, len(sink.AllLogs()))
	require.Len(t, r.seen["eu-west-1"], 41)

	// The region is no longer configured: everything it had is deleted.
	api.setDenied("eu-west-1", false)
	cfg.Regions = []string{"eu-central-1"}
	api.setDenied("eu-central-1", true)
	require.Error(t, r.crawl(context.Background()))
	require.Len(t, sink.AllLogs(), 2)
	assert.Equal(t, 41+1+2, sink.AllLogs()[1].LogRecordCount(), "41 deletes, the owner, the 2 buckets")
	assert.NotContains(t, r.seen, "eu-west-1")
}

// Shutdown leaves no connection behind while the API is still up (in a
// collector it is AWS, and stays): the SDK's kept-alive connections of
// every service client are closed, with their goroutines.
func TestShutdownClosesConnections(t *testing.T) {
	before := goleak.IgnoreCurrent()
	api := newFakeAPI(t)
	sink := new(consumertest.LogsSink)
	r := newReceiver(testConfig(api.url), receivertest.NewNopSettings(typeStr), sink)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.LogRecordCount() > 0 }, 60*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	// Only the fake API's listener may be left.
	goleak.VerifyNone(t, before, goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"))
}
