package awsflowlogsreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

// resolvedEdges lists "source > destination (external side)" of every
// record, in order.
func resolvedEdges(all []plog.Logs) []string {
	var out []string
	for _, l := range all {
		rls := l.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				recs := sls.At(j).LogRecords()
				for k := 0; k < recs.Len(); k++ {
					a := recs.At(k).Attributes()
					src, _ := a.Get(entity.AttrRelSource)
					dst, _ := a.Get(entity.AttrRelDestination)
					side := "none"
					if v, ok := a.Get(entity.AttrRelExternal); ok {
						side = v.Str()
					}
					out = append(out, src.Str()+" > "+dst.Str()+" ("+side+")")
				}
			}
		}
	}
	return out
}

const (
	useast1Page1 = "us-east-1 DescribeNetworkInterfaces"
	useast1Page2 = "us-east-1 DescribeNetworkInterfaces enis-page-2"
	euwest1Page1 = "eu-west-1 DescribeNetworkInterfaces"
	// eu-west-1 has an RDS DB instance's ENI: its DB instances are listed.
	euwest1DBs = "eu-west-1 DescribeDBInstances"
	// The ALB and EKS cluster whose ENIs are in us-east-1's listing.
	albID = "123456789012@arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188"
	eksID = "123456789012@arn:aws:eks:us-east-1:123456789012:cluster/shop-eks"
)

// Each rule of the resolution, on one v5 object (see testdata/objects/
// resolve.log): the logging ENI's end by its addresses, the other end by
// the region's addresses; a NAT gateway's ENI (packet addresses are the
// real ends); a secondary address and both sides of one flow merged into
// one edge; an unattached ENI's elastic IP; IPv6; an ENI attached to
// another account's instance (EKS control plane); overlapping VPCs; a
// deleted ENI whose instance-id and flow-direction still name one end;
// another account's flow left alone. Two objects of one region: one
// listing.
func TestResolveEndpoints(t *testing.T) {
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a_resolve.log.gz", "resolve.log", false)
	s3.put(t, keyPrefix+"b_resolve.log.gz", "resolve.log", false)
	ec2 := newFakeEC2(t)
	cfg := resolving(testConfig(s3.url), ec2)
	r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "resolve")
	logs := firstBatch(t, r, sink)
	require.Len(t, logs, 1)
	assert.Equal(t, []string{
		"10.0.9.9 > 123456789012@i-0dead000000000001 (destination_side)",
		eksID + " > 123456789012@i-0123456789abcdef0 (both_sides)",                           // the control plane to the kubelet
		albID + " > 123456789012@i-0123456789abcdef0 (both_sides)",                           // the ALB to its target
		"123456789012@i-0123456789abcdef0 > " + albID + " (both_sides)",                      // IPv6
		"123456789012@i-0123456789abcdef0 > 123456789012@eni-0f00000000000f001 (both_sides)", // elastic IP
		"123456789012@i-0123456789abcdef0 > 123456789012@nat-0123456789abcdef0 (both_sides)",
		"123456789012@i-0123456789abcdef0 > 198.51.100.7 (source_side)", // through the NAT gateway
		"123456789012@i-0bbbbbbbbbbbbbbbb > 10.0.1.50 (source_side)",    // 10.0.1.5 of the other VPC
		"192.168.7.7 > 123456789012@i-0123456789abcdef0 (destination_side)",
		// Account 210987654321 (an organisation's central bucket): its
		// own resource, its scope, its ENIs not listed with ours.
		"10.0.1.5 > 10.0.2.7 (none)",
	}, resolvedEdges(logs))
	require.Equal(t, 2, logs[0].ResourceLogs().Len())
	for i, scope := range []string{"123456789012", "210987654321"} {
		assert.Equal(t, scope, entity.ReadSource(logs[0].ResourceLogs().At(i).Resource()).ScopeID)
	}
	compareGolden(t, "resolve", logs[0])
	ec2.requireCalls(t, map[string]int{useast1Page1: 1, useast1Page2: 1})
}

// One listing per region per crawl, none without new objects or with
// resolve_endpoints off.
func TestResolveCallCounts(t *testing.T) {
	ctx := context.Background()
	s3 := newFakeS3(t)
	ec2 := newFakeEC2(t)

	// An empty bucket: nothing to resolve.
	cfg := resolving(testConfig(s3.url), ec2)
	r, _ := startReceiver(t, cfg, componenttest.NewNopHost(), "empty")
	require.NoError(t, r.Shutdown(ctx))
	require.NoError(t, r.crawl(ctx))
	ec2.requireCalls(t, nil)

	// us-east-1 (key) and eu-west-1 (key, Hive-compatible layout, and
	// region fields).
	s3.put(t, keyPrefix+"a.log.gz", "default.log", false)
	s3.put(t, "AWSLogs/aws-account-id="+testAccount+"/aws-service=vpcflowlogs/aws-region=eu-west-1/year=2026/month=11/day=22/hour=10/b.log.gz", "custom.log", false)
	r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "counts")
	firstBatch(t, r, sink)
	ec2.requireCalls(t, map[string]int{useast1Page1: 1, useast1Page2: 1, euwest1Page1: 1, euwest1DBs: 1})

	// The receiver is stopped: drive its crawls by hand. Nothing new.
	require.NoError(t, r.crawl(ctx))
	ec2.requireCalls(t, map[string]int{useast1Page1: 1, useast1Page2: 1, euwest1Page1: 1, euwest1DBs: 1})

	// A new object in us-east-1: that region again, once.
	s3.put(t, keyPrefix+"c.log.gz", "resolve.log", false)
	s3.put(t, keyPrefix+"d.log.gz", "resolve.log", false)
	require.NoError(t, r.crawl(ctx))
	ec2.requireCalls(t, map[string]int{useast1Page1: 2, useast1Page2: 2, euwest1Page1: 1, euwest1DBs: 1})

	// resolve_endpoints: false.
	off := testConfig(s3.url)
	off.Endpoints.EC2 = ec2.url
	r, sink = startReceiver(t, off, componenttest.NewNopHost(), "off")
	logs := firstBatch(t, r, sink)
	ec2.requireCalls(t, map[string]int{useast1Page1: 2, useast1Page2: 2, euwest1Page1: 1, euwest1DBs: 1})
	for _, e := range resolvedEdges(logs) {
		assert.Contains(t, e, "(none)")
	}
}

// The resolver lists a region once per crawl, across batches.
func TestResolverListsOncePerCrawl(t *testing.T) {
	ctx := context.Background()
	ec2 := newFakeEC2(t)
	cfg := resolving(testConfig("http://127.0.0.1:1"), ec2)
	c, err := newClient(ctx, cfg)
	require.NoError(t, err)
	res := newResolver(c.networkInterfaces, c.dbInstances, zap.NewNop())
	assert.False(t, res.listed())
	for range 3 { // three batches
		require.NoError(t, res.prepare(ctx, []string{"eu-west-1", "us-east-1"}))
	}
	ec2.requireCalls(t, map[string]int{useast1Page1: 1, useast1Page2: 1, euwest1Page1: 1, euwest1DBs: 1})
	assert.True(t, res.listed())
	require.NoError(t, res.err())
	require.NotNil(t, res.index("us-east-1"))
	assert.Equal(t, 6, res.index("us-east-1").Len(), "both pages")
	assert.Nil(t, res.index("ap-south-1"))

	ec2.setDenied("ap-south-1", true)
	for range 2 {
		require.NoError(t, res.prepare(ctx, []string{"ap-south-1"}))
	}
	ec2.requireCalls(t, map[string]int{useast1Page1: 1, useast1Page2: 1, euwest1Page1: 1, euwest1DBs: 1, "ap-south-1 DescribeNetworkInterfaces": 1})
	assert.Nil(t, res.index("ap-south-1"))
	require.ErrorContains(t, res.err(), "UnauthorizedOperation")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, res.prepare(cctx, []string{"sa-east-1"}), context.Canceled)
}

// Without ec2:DescribeNetworkInterfaces the flows are emitted with their
// addresses and checkpointed; the failure is reported as a recoverable
// error until a listing succeeds.
func TestResolveDenied(t *testing.T) {
	ctx := context.Background()
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a.log.gz", "default.log", false)
	ec2 := newFakeEC2(t)
	ec2.setDenied("us-east-1", true)
	host := statustest.NewHost()
	cfg := resolving(testConfig(s3.url), ec2)
	r, sink := startReceiver(t, cfg, host, "denied")
	logs := firstBatch(t, r, sink)
	assert.Equal(t, []string{
		"10.0.1.5 > 10.0.2.7 (none)", "203.0.113.9 > 10.0.1.5 (none)",
	}, resolvedEdges(logs))
	ec2.requireCalls(t, map[string]int{useast1Page1: 1}) // 403 is not retried
	assert.Contains(t, r.cp.Done, keyPrefix+"a.log.gz", "checkpointed")
	last := host.Last()
	require.Equal(t, componentstatus.StatusRecoverableError, last.Status())
	require.ErrorContains(t, last.Err(), "flows emitted with unresolved endpoints")
	require.ErrorContains(t, last.Err(), "UnauthorizedOperation")
	events := len(host.Events())

	// A crawl with nothing new lists nothing and does not clear it.
	r.report(r.crawl(ctx))
	assert.Equal(t, componentstatus.StatusRecoverableError, host.Last().Status())
	assert.Len(t, host.Events(), events, "the same failure is reported once")

	// The permission is granted; the next object is resolved.
	ec2.setDenied("us-east-1", false)
	s3.put(t, keyPrefix+"b.log.gz", "default.log", false)
	r.report(r.crawl(ctx))
	assert.Equal(t, componentstatus.StatusOK, host.Last().Status())
	all := sink.AllLogs()
	assert.Equal(t, []string{
		"123456789012@i-0123456789abcdef0 > " + albID + " (both_sides)",
		"203.0.113.9 > 123456789012@i-0123456789abcdef0 (destination_side)",
	}, resolvedEdges(all[len(all)-1:]))
}

// Flows older than resolve_max_age (these are from 2025) resolve only the
// end the logging interface stands for: the interfaces are listed as they
// are today, and an address may have changed hands since.
func TestResolveOldFlowsByLoggingInterfaceOnly(t *testing.T) {
	edges := resolveObject(t, "default.log", func(c *Config) { c.ResolveMaxAge = defaultResolveMaxAge })
	assert.Equal(t, []string{
		"10.0.1.5 > " + albID + " (destination_side)",
		"123456789012@i-0123456789abcdef0 > 10.0.2.7 (source_side)",
		"203.0.113.9 > 123456789012@i-0123456789abcdef0 (destination_side)",
	}, edges)
}

// resolveObject reads one object of testdata/objects with resolution on,
// as modify configures it, and returns its edges.
func resolveObject(t *testing.T, object string, modify func(*Config)) []string {
	t.Helper()
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a.log.gz", object, false)
	cfg := resolving(testConfig(s3.url), newFakeEC2(t))
	modify(cfg)
	r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "resolve")
	return resolvedEdges(firstBatch(t, r, sink))
}

// With resolve_secondary_addresses: false, an instance interface's
// secondary address (a pod of the Amazon VPC CNI) stays an address for
// the processor; the primary address still resolves to the instance.
func TestSecondaryAddressesLeftToTheProcessor(t *testing.T) {
	edges := resolveObject(t, "resolve.log", func(c *Config) { c.ResolveSecondaryAddresses = false })
	// 10.0.1.6 is a secondary address of i-0123…'s interface: by its own
	// interface's record and by address, it stays 10.0.1.6.
	assert.Contains(t, edges, "10.0.1.6 > 123456789012@nat-0123456789abcdef0 (destination_side)")
	assert.Contains(t, edges, albID+" > 10.0.1.6 (source_side)")
	// 10.0.1.5, its primary address, is the instance's.
	assert.Contains(t, edges, "123456789012@i-0123456789abcdef0 > 123456789012@nat-0123456789abcdef0 (both_sides)")
}

// Without rds:DescribeDBInstances an RDS DB instance's ENI stays the ENI;
// the rest resolves, and the failure is reported as a recoverable error.
func TestResolveDBInstancesDenied(t *testing.T) {
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a.log.gz", "custom.log", false)
	ec2 := newFakeEC2(t)
	ec2.setDenied(euwest1DBs, true)
	host := statustest.NewHost()
	r, sink := startReceiver(t, resolving(testConfig(s3.url), ec2), host, "rds-denied")
	edges := resolvedEdges(firstBatch(t, r, sink))
	assert.Contains(t, edges, "123456789012@i-0aaa1111bbbb22223 > 123456789012@eni-0d0000000000000d1 (both_sides)")
	require.Equal(t, componentstatus.StatusRecoverableError, host.Last().Status())
	require.ErrorContains(t, host.Last().Err(), "rds DescribeDBInstances eu-west-1")
}
