package awsreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

// kinds counts a batch's records by kind and element type.
func kinds(ld plog.Logs) (states, deletes map[string]int) {
	states, deletes = map[string]int{}, map[string]int{}
	for lr := range entity.LogRecords(ld) {
		rec := entity.View(lr)
		switch rec.Kind() {
		case entity.KindState:
			states[rec.Type()]++
		case entity.KindDelete:
			deletes[rec.Type()]++
		}
	}
	return states, deletes
}

func crawlOnce(t *testing.T, api *fakeAPI, regions ...string) (*awsReceiver, *consumertest.LogsSink) {
	t.Helper()
	cfg := testConfig(api.url)
	cfg.Regions = regions
	sink := new(consumertest.LogsSink)
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), sink)
	c, err := newClient(context.Background(), cfg)
	require.NoError(t, err)
	r.client = c
	return r, sink
}

// deniedInEveryService is one call per service and wire protocol, each
// refused the way that service refuses a missing IAM action.
var deniedInEveryService = map[string]string{
	"DescribeVpcs":                 "UnauthorizedOperation", // EC2 Query
	"DescribeDBClusters":           "AccessDenied",          // AWS Query (RDS)
	"ClassicDescribeLoadBalancers": "AccessDenied",          // AWS Query (classic ELB)
	"DescribeAutoScalingGroups":    "AccessDenied",          // AWS Query (Auto Scaling)
	"ListFunctions":                "AccessDeniedException", // REST-JSON (Lambda)
	"ListClusters":                 "AccessDeniedException", // REST-JSON (EKS)
	"ECRDescribeRepositories":      "AccessDeniedException", // JSON 1.1 (ECR)
	"ListBuckets":                  "AccessDenied",          // REST-XML (S3)
}

// One refused call per service: each is reported, what it emitted before
// stays (no deletes), everything else is emitted, and the loop waits the
// whole interval (a partial failure) instead of retrying at once.
func TestAccessDeniedPerService(t *testing.T) {
	api := newFakeAPI(t)
	r, sink := crawlOnce(t, api, "eu-west-1")
	require.NoError(t, r.crawl(context.Background()))
	before := len(r.seen["eu-west-1"])
	require.Equal(t, 41, before)
	firstStates, _ := kinds(sink.AllLogs()[0])

	for action := range deniedInEveryService {
		api.denyAction(action)
	}
	err := r.crawl(context.Background())
	require.Error(t, err)
	assert.True(t, crawl.IsPartial(err), "the rest was emitted: %v", err)
	for action, code := range deniedInEveryService {
		assert.ErrorContains(t, err, code, action)
	}
	for _, call := range []string{"ec2 DescribeVpcs eu-west-1", "rds DescribeDBClusters eu-west-1", "elasticloadbalancing (classic) DescribeLoadBalancers eu-west-1",
		"autoscaling DescribeAutoScalingGroups eu-west-1", "lambda ListFunctions eu-west-1", "eks ListClusters eu-west-1", "ecr DescribeRepositories eu-west-1"} {
		assert.ErrorContains(t, err, call)
	}

	require.Len(t, sink.AllLogs(), 2)
	states, deletes := kinds(sink.AllLogs()[1])
	assert.Empty(t, deletes, "nothing is deleted because a call was refused")
	for _, typ := range []string{TypeVPC, TypeRDSCluster, TypeClassicLB, TypeASG, TypeLambda, TypeEKS, TypeEKSNodegroup, TypeECRRepo, TypeECRImage, TypeS3Bucket} {
		require.Positive(t, firstStates[typ], "the fixture has %s", typ)
		assert.Zero(t, states[typ], "%s was refused: not emitted", typ)
	}
	for _, typ := range []string{TypeSubnet, TypeInstance, TypeENI, TypeRDS, TypeALB, TypeTargetGroup, TypeSG, TypeVolume, TypeAMI} {
		assert.Equal(t, firstStates[typ], states[typ], "%s is still emitted", typ)
	}
	assert.Len(t, r.seen["eu-west-1"], before, "the refused types are still tracked")
	assert.Len(t, r.seen[globalKey], 2, "the buckets are still tracked")

	// Permission granted again: everything is back, nothing deleted.
	api.mu.Lock()
	clear(api.deniedActions)
	api.mu.Unlock()
	require.NoError(t, r.crawl(context.Background()))
	states, deletes = kinds(sink.AllLogs()[2])
	assert.Empty(t, deletes)
	assert.Equal(t, firstStates, states)
}

// Without instances the AMIs in use are unknown: they are kept, not
// deleted, and DescribeImages is not called.
func TestInstancesRefusedKeepsAMIs(t *testing.T) {
	api := newFakeAPI(t)
	r, sink := crawlOnce(t, api, "eu-west-1")
	require.NoError(t, r.crawl(context.Background()))
	api.denyAction("DescribeInstances")
	err := r.crawl(context.Background())
	require.ErrorContains(t, err, "ec2 DescribeInstances eu-west-1")
	assert.ErrorContains(t, err, "ec2 DescribeImages eu-west-1: skipped")
	api.requireCalled(t, "eu-west-1 DescribeImages", 1)
	states, deletes := kinds(sink.AllLogs()[1])
	assert.Empty(t, deletes)
	assert.Zero(t, states[TypeInstance])
	assert.Zero(t, states[TypeAMI])
}

// Each service's throttling error, in its own wire protocol, is retried by
// the SDK: the crawl succeeds and each throttled call was made twice. The
// throttled calls are each client's last, because adaptive retry slows a
// client down after a throttle (as it should), which would slow the test.
func TestThrottlingPerService(t *testing.T) {
	api := newFakeAPI(t)
	throttled := map[string]string{ // action → the call's key
		"GetCallerIdentity":             "GetCallerIdentity",
		"DescribeImages":                "DescribeImages",
		"DescribeDBClusters":            "DescribeDBClusters",
		"DescribeTargetHealth":          "DescribeTargetHealth shop-web",
		"ClassicDescribeInstanceHealth": "ClassicDescribeInstanceHealth legacy-web",
		"DescribeAutoScalingGroups":     "DescribeAutoScalingGroups",
		"ListFunctions":                 "ListFunctions",
		"DescribeNodegroup":             "DescribeNodegroup shop-ng",
		"ECRDescribeImages":             "ECRDescribeImages shop-api",
		"ListBuckets":                   "ListBuckets",
	}
	for action := range throttled {
		api.setThrottle(action, 1)
	}
	r, sink := crawlOnce(t, api, "eu-west-1")
	require.NoError(t, r.crawl(context.Background()))
	require.Len(t, r.seen["eu-west-1"], 41)
	require.Len(t, sink.AllLogs(), 1)
	calls := api.callCounts()
	for action, key := range throttled {
		assert.Equal(t, 2, calls["eu-west-1 "+key], action)
	}
}

// A refusal that repeats every crawl is logged and reported once, though
// each answer carries a new request ID.
func TestRepeatedRefusalReportedOnce(t *testing.T) {
	api := newFakeAPI(t)
	api.denyAction("DescribeVpcs")
	core, logs := observer.New(zap.DebugLevel)
	cfg := testConfig(api.url)
	cfg.Regions = []string{"eu-west-1"}
	set := receivertest.NewNopSettings(typeStr)
	set.Logger = zap.New(core)
	r := newReceiver(cfg, set, new(consumertest.LogsSink))
	c, err := newClient(context.Background(), cfg)
	require.NoError(t, err)
	r.client = c
	host := statustest.NewHost()
	r.health.Start(host)
	var errs []string
	for range 3 {
		err := r.crawl(context.Background())
		require.Error(t, err)
		errs = append(errs, err.Error())
		r.health.Report(err)
	}
	assert.NotEqual(t, errs[0], errs[1], "each refusal has its own request ID")
	assert.Equal(t, 1, logs.FilterMessageSnippet("crawl failed").Len())
	assert.Equal(t, 2, logs.FilterMessageSnippet("still failing").Len())
	assert.Len(t, host.Events(), 1)
}

// The owner element's ID is the bare account ID (as the original agent's),
// also with a scope_id that is not the account of the credentials, and
// every owner edge reaches it: none dangles.
func TestOwnerLinksWithScopeOverride(t *testing.T) {
	api := newFakeAPI(t)
	cfg := testConfig(api.url)
	cfg.Regions = []string{"eu-west-1"}
	cfg.ScopeID = "999999999999"
	cfg.PolicyConfig = true
	cfg.Endpoints.IAM = api.url
	sink := new(consumertest.LogsSink)
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), sink)
	c, err := newClient(context.Background(), cfg)
	require.NoError(t, err)
	r.client = c
	require.NoError(t, r.crawl(context.Background()))
	owner := "123456789012"
	owners, links := 0, 0
	for lr := range entity.LogRecords(sink.AllLogs()[0]) {
		rec := entity.View(lr)
		if rec.Type() == TypeOwner {
			owners++
			assert.Equal(t, owner, rec.InternalID())
		}
		for _, l := range rec.Links() {
			if l.Target.Type == TypeOwner {
				links++
				assert.Equal(t, owner, l.Target.InternalID, "%s %s", rec.Type(), rec.InternalID())
			}
		}
	}
	assert.Equal(t, 1, owners)
	assert.Greater(t, links, 10)
}
