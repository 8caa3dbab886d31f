package awsreceiver

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// regionRead is one read of a region's crawl and the element types built
// from what it returns. A read that fails leaves the entities of its types
// as the last crawl emitted them; the region's other reads are emitted.
// Its error names the service, operation and region, and AWS's message
// names the IAM action that was refused.
type regionRead struct {
	types []string
	read  func(ctx context.Context, c *client, region string, inv *regionInventory) error
}

// regionReads are a region's reads after the availability zones, which
// come first and decide whether the region answers at all. The AMIs in use
// are read last, from the instances.
var regionReads = []regionRead{
	{[]string{TypeVPC}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.vpcs, err = c.vpcs(ctx, region)
		return err
	}},
	{[]string{TypeSubnet}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.subnets, err = c.subnets(ctx, region)
		return err
	}},
	{[]string{TypeDHCP}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.dhcpOptions, err = c.dhcpOptions(ctx, region)
		return err
	}},
	{[]string{TypeRouteTable}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.routeTables, err = c.routeTables(ctx, region)
		return err
	}},
	{[]string{TypeInternetGateway}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.internetGateways, err = c.internetGateways(ctx, region)
		return err
	}},
	{[]string{TypeNATGateway}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.natGateways, err = c.natGateways(ctx, region)
		return err
	}},
	{[]string{TypeNetworkACL}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.networkACLs, err = c.networkACLs(ctx, region)
		return err
	}},
	{[]string{TypeSG}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.securityGroups, err = c.securityGroups(ctx, region)
		return err
	}},
	{[]string{TypeInstance}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.instances, err = c.instances(ctx, region)
		return err
	}},
	{[]string{TypeENI}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.networkInterfaces, err = c.networkInterfaces(ctx, region)
		return err
	}},
	{[]string{TypeVolume}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.volumes, err = c.volumes(ctx, region)
		return err
	}},
	{[]string{TypeRDS}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.dbInstances, err = c.dbInstances(ctx, region)
		return err
	}},
	{[]string{TypeRDSCluster}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.dbClusters, err = c.dbClusters(ctx, region)
		return err
	}},
	{[]string{TypeALB, TypeNLB, TypeGWLB, TypeLoadBalancer}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.loadBalancers, err = c.loadBalancers(ctx, region)
		return err
	}},
	{[]string{TypeTargetGroup}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.targetGroups, err = c.targetGroups(ctx, region)
		return err
	}},
	{[]string{TypeClassicLB}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.classicLoadBalancers, err = c.classicLoadBalancers(ctx, region)
		return err
	}},
	{[]string{TypeASG}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.autoScalingGroups, err = c.autoScalingGroups(ctx, region)
		return err
	}},
	{[]string{TypeLambda}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.functions, err = c.functions(ctx, region)
		return err
	}},
	{[]string{TypeEKS, TypeEKSNodegroup}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.eksClusters, err = c.eksClusters(ctx, region)
		return err
	}},
	{[]string{TypeECRRepo, TypeECRImage}, func(ctx context.Context, c *client, region string, inv *regionInventory) (err error) {
		inv.ecrRepositories, err = c.ecrRepositories(ctx, region)
		return err
	}},
}

// regionCrawl is what one region's crawl returned: the inventory, the
// element types whose read failed (kept as they were), and the errors.
type regionCrawl struct {
	inv regionInventory
	// stale holds the element types whose read failed.
	stale map[string]bool
	// errs are the failed reads; with err set, the whole region failed.
	errs []error
	err  error
}

// crawlRegion reads one region. The availability zones are read first: a
// region that refuses them (an opt-in region that is not enabled, no
// permission at all) fails as a whole. After that each read stands alone:
// one that fails (a missing permission, a service not offered in the
// region) is reported and the others are emitted.
func (r *awsReceiver) crawlRegion(ctx context.Context, region string) regionCrawl {
	var out regionCrawl
	var err error
	if out.inv.zones, err = r.client.availabilityZones(ctx, region); err != nil {
		out.err = err
		return out
	}
	fail := func(types []string, err error) {
		if out.stale == nil {
			out.stale = map[string]bool{}
		}
		for _, t := range types {
			out.stale[t] = true
		}
		out.errs = append(out.errs, err)
	}
	for _, rd := range regionReads {
		if err := rd.read(ctx, r.client, region, &out.inv); err != nil {
			if ctx.Err() != nil {
				out.err = ctx.Err()
				return out
			}
			fail(rd.types, err)
		}
	}
	if out.stale[TypeInstance] {
		// Without the instances, the AMIs in use are unknown.
		fail([]string{TypeAMI}, fmt.Errorf("ec2 DescribeImages %s: skipped: the instances could not be read", region))
		return out
	}
	var amis []string
	for _, in := range out.inv.instances {
		if id := aws.ToString(in.ImageId); id != "" && !slices.Contains(amis, id) {
			amis = append(amis, id)
		}
	}
	if len(amis) > 0 {
		sort.Strings(amis)
		if out.inv.images, err = r.client.images(ctx, region, amis); err != nil {
			if ctx.Err() != nil {
				out.err = ctx.Err()
				return out
			}
			fail([]string{TypeAMI}, err)
		}
	}
	return out
}
