package awsreceiver

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancing/types"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"golang.org/x/time/rate"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
)

// client is the seam over the SDK: one STS client and one EC2 client per
// region, all sharing the credentials.
type client struct {
	cfg    aws.Config
	sts    *sts.Client
	s3     *s3.Client
	ec2EP  string
	mu     sync.Mutex
	ec2ByR map[string]*ec2.Client
	rdsEP  string
	rdsByR map[string]*rds.Client
	elbEP  string
	elbByR map[string]*elbv2.Client
	clbByR map[string]*elb.Client
	asEP   string
	asByR  map[string]*autoscaling.Client
	lamEP  string
	lamByR map[string]*lambda.Client
	eksEP  string
	eksByR map[string]*eks.Client
	ecrEP  string
	ecrByR map[string]*ecr.Client
	// iam is global (policy_config).
	iam *iam.Client
}

func newClient(ctx context.Context, cfg *Config) (*client, error) {
	awsCfg, err := cfg.Credentials.Load(ctx, cfg.Region, cfg.Endpoints.STS)
	if err != nil {
		return nil, err
	}
	if cfg.RequestsPerSecond > 0 {
		awsCfg.HTTPClient = limitedClient{
			next: awsCfg.HTTPClient,
			lim:  rate.NewLimiter(rate.Limit(cfg.RequestsPerSecond), max(1, int(cfg.RequestsPerSecond))),
		}
	}
	stsOpts := func(o *sts.Options) {
		if cfg.Endpoints.STS != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoints.STS)
		}
	}
	return &client{
		cfg: awsCfg,
		sts: sts.NewFromConfig(awsCfg, stsOpts),
		s3: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			if cfg.Endpoints.S3 != "" {
				o.BaseEndpoint = aws.String(cfg.Endpoints.S3)
				o.UsePathStyle = true
			}
		}),
		ec2EP:  cfg.Endpoints.EC2,
		ec2ByR: map[string]*ec2.Client{},
		rdsEP:  cfg.Endpoints.RDS,
		rdsByR: map[string]*rds.Client{},
		elbEP:  cfg.Endpoints.ELB,
		elbByR: map[string]*elbv2.Client{},
		clbByR: map[string]*elb.Client{},
		asEP:   cfg.Endpoints.AutoScaling,
		asByR:  map[string]*autoscaling.Client{},
		lamEP:  cfg.Endpoints.Lambda,
		lamByR: map[string]*lambda.Client{},
		eksEP:  cfg.Endpoints.EKS,
		eksByR: map[string]*eks.Client{},
		ecrEP:  cfg.Endpoints.ECR,
		ecrByR: map[string]*ecr.Client{},
		iam: iam.NewFromConfig(awsCfg, func(o *iam.Options) {
			o.Region, o.BaseEndpoint = iamRegion(cfg.Region), endpoint(cfg.Endpoints.IAM)
		}),
	}, nil
}

// limitedClient makes every request (retries included) wait for the
// receiver's request rate.
type limitedClient struct {
	next aws.HTTPClient
	lim  *rate.Limiter
}

func (c limitedClient) Do(r *http.Request) (*http.Response, error) {
	if err := c.lim.Wait(r.Context()); err != nil {
		return nil, err
	}
	return c.next.Do(r)
}

// CloseIdleConnections closes the wrapped client's idle connections.
func (c limitedClient) CloseIdleConnections() { awssdk.CloseIdle(c.next) }

// close drops the kept-alive connections of every service client.
func (c *client) close() { awssdk.CloseIdle(c.cfg.HTTPClient) }

// regional returns the client of one service for region, built on first
// use and kept: clients are cheap to keep and safe for concurrent use.
func regional[T any](c *client, cache map[string]T, region string, build func() T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl, ok := cache[region]
	if !ok {
		cl = build()
		cache[region] = cl
	}
	return cl
}

// endpoint is a configured endpoint override, or nil for the SDK's own.
func endpoint(override string) *string {
	if override == "" {
		return nil
	}
	return aws.String(override)
}

func (c *client) ec2(region string) *ec2.Client {
	return regional(c, c.ec2ByR, region, func() *ec2.Client {
		return ec2.NewFromConfig(c.cfg, func(o *ec2.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.ec2EP) })
	})
}

// account is the account of the credentials.
func (c *client) account(ctx context.Context) (string, error) {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", fmt.Errorf("sts GetCallerIdentity: %w", err)
	}
	return aws.ToString(out.Account), nil
}

// regions lists the regions enabled for the account.
func (c *client) regions(ctx context.Context, home string) ([]string, error) {
	out, err := c.ec2(home).DescribeRegions(ctx, &ec2.DescribeRegionsInput{})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeRegions: %w", err)
	}
	var names []string
	for _, r := range out.Regions {
		names = append(names, aws.ToString(r.RegionName))
	}
	return names, nil
}

func (c *client) vpcs(ctx context.Context, region string) ([]ec2types.Vpc, error) {
	p := ec2.NewDescribeVpcsPaginator(c.ec2(region), &ec2.DescribeVpcsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeVpcsOutput) []ec2types.Vpc { return page.Vpcs })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeVpcs %s: %w", region, err)
	}
	return out, nil
}

func (c *client) subnets(ctx context.Context, region string) ([]ec2types.Subnet, error) {
	p := ec2.NewDescribeSubnetsPaginator(c.ec2(region), &ec2.DescribeSubnetsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeSubnetsOutput) []ec2types.Subnet { return page.Subnets })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeSubnets %s: %w", region, err)
	}
	return out, nil
}

func (c *client) instances(ctx context.Context, region string) ([]ec2types.Instance, error) {
	p := ec2.NewDescribeInstancesPaginator(c.ec2(region), &ec2.DescribeInstancesInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeInstancesOutput) []ec2types.Instance {
		var in []ec2types.Instance
		for _, res := range page.Reservations {
			in = append(in, res.Instances...)
		}
		return in
	})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeInstances %s: %w", region, err)
	}
	return out, nil
}

func (c *client) securityGroups(ctx context.Context, region string) ([]ec2types.SecurityGroup, error) {
	p := ec2.NewDescribeSecurityGroupsPaginator(c.ec2(region), &ec2.DescribeSecurityGroupsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeSecurityGroupsOutput) []ec2types.SecurityGroup { return page.SecurityGroups })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeSecurityGroups %s: %w", region, err)
	}
	return out, nil
}

func (c *client) networkInterfaces(ctx context.Context, region string) ([]ec2types.NetworkInterface, error) {
	out, err := awsnet.List(ctx, c.ec2(region))
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeNetworkInterfaces %s: %w", region, err)
	}
	return out, nil
}

func (c *client) routeTables(ctx context.Context, region string) ([]ec2types.RouteTable, error) {
	p := ec2.NewDescribeRouteTablesPaginator(c.ec2(region), &ec2.DescribeRouteTablesInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeRouteTablesOutput) []ec2types.RouteTable { return page.RouteTables })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeRouteTables %s: %w", region, err)
	}
	return out, nil
}

func (c *client) internetGateways(ctx context.Context, region string) ([]ec2types.InternetGateway, error) {
	p := ec2.NewDescribeInternetGatewaysPaginator(c.ec2(region), &ec2.DescribeInternetGatewaysInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeInternetGatewaysOutput) []ec2types.InternetGateway {
		return page.InternetGateways
	})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeInternetGateways %s: %w", region, err)
	}
	return out, nil
}

func (c *client) natGateways(ctx context.Context, region string) ([]ec2types.NatGateway, error) {
	p := ec2.NewDescribeNatGatewaysPaginator(c.ec2(region), &ec2.DescribeNatGatewaysInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeNatGatewaysOutput) []ec2types.NatGateway { return page.NatGateways })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeNatGateways %s: %w", region, err)
	}
	return out, nil
}

func (c *client) networkACLs(ctx context.Context, region string) ([]ec2types.NetworkAcl, error) {
	p := ec2.NewDescribeNetworkAclsPaginator(c.ec2(region), &ec2.DescribeNetworkAclsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeNetworkAclsOutput) []ec2types.NetworkAcl { return page.NetworkAcls })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeNetworkAcls %s: %w", region, err)
	}
	return out, nil
}

func (c *client) volumes(ctx context.Context, region string) ([]ec2types.Volume, error) {
	p := ec2.NewDescribeVolumesPaginator(c.ec2(region), &ec2.DescribeVolumesInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeVolumesOutput) []ec2types.Volume { return page.Volumes })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeVolumes %s: %w", region, err)
	}
	return out, nil
}

// images returns the AMIs with the given IDs. A filter, not ImageIds, so
// that a deregistered AMI an instance still runs does not fail the call.
func (c *client) images(ctx context.Context, region string, ids []string) ([]ec2types.Image, error) {
	var out []ec2types.Image
	for start := 0; start < len(ids); start += 200 {
		chunk := ids[start:min(start+200, len(ids))]
		p := ec2.NewDescribeImagesPaginator(c.ec2(region), &ec2.DescribeImagesInput{
			Filters: []ec2types.Filter{{Name: aws.String("image-id"), Values: chunk}},
			// Deprecated AMIs (public ones are, two years after creation)
			// are left out otherwise, though instances still run them.
			IncludeDeprecated: aws.Bool(true),
		})
		images, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeImagesOutput) []ec2types.Image { return page.Images })
		if err != nil {
			return nil, fmt.Errorf("ec2 DescribeImages %s: %w", region, err)
		}
		out = append(out, images...)
	}
	return out, nil
}

func (c *client) availabilityZones(ctx context.Context, region string) ([]ec2types.AvailabilityZone, error) {
	out, err := c.ec2(region).DescribeAvailabilityZones(ctx, &ec2.DescribeAvailabilityZonesInput{})
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeAvailabilityZones %s: %w", region, err)
	}
	return out.AvailabilityZones, nil
}

// buckets lists the account's S3 buckets (global).
func (c *client) buckets(ctx context.Context) ([]s3types.Bucket, error) {
	p := s3.NewListBucketsPaginator(c.s3, &s3.ListBucketsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *s3.ListBucketsOutput) []s3types.Bucket { return page.Buckets })
	if err != nil {
		return nil, fmt.Errorf("s3 ListBuckets: %w", err)
	}
	return out, nil
}

func (c *client) rds(region string) *rds.Client {
	return regional(c, c.rdsByR, region, func() *rds.Client {
		return rds.NewFromConfig(c.cfg, func(o *rds.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.rdsEP) })
	})
}

func (c *client) dbInstances(ctx context.Context, region string) ([]rdstypes.DBInstance, error) {
	p := rds.NewDescribeDBInstancesPaginator(c.rds(region), &rds.DescribeDBInstancesInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *rds.DescribeDBInstancesOutput) []rdstypes.DBInstance { return page.DBInstances })
	if err != nil {
		return nil, fmt.Errorf("rds DescribeDBInstances %s: %w", region, err)
	}
	return out, nil
}

func (c *client) dhcpOptions(ctx context.Context, region string) ([]ec2types.DhcpOptions, error) {
	p := ec2.NewDescribeDhcpOptionsPaginator(c.ec2(region), &ec2.DescribeDhcpOptionsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeDhcpOptionsOutput) []ec2types.DhcpOptions { return page.DhcpOptions })
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeDhcpOptions %s: %w", region, err)
	}
	return out, nil
}

func (c *client) elbv2(region string) *elbv2.Client {
	return regional(c, c.elbByR, region, func() *elbv2.Client {
		return elbv2.NewFromConfig(c.cfg, func(o *elbv2.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.elbEP) })
	})
}

// loadBalancers lists the region's application, network and gateway load
// balancers (Elastic Load Balancing v2).
func (c *client) loadBalancers(ctx context.Context, region string) ([]elbv2types.LoadBalancer, error) {
	p := elbv2.NewDescribeLoadBalancersPaginator(c.elbv2(region), &elbv2.DescribeLoadBalancersInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *elbv2.DescribeLoadBalancersOutput) []elbv2types.LoadBalancer { return page.LoadBalancers })
	if err != nil {
		return nil, fmt.Errorf("elasticloadbalancing DescribeLoadBalancers %s: %w", region, err)
	}
	return out, nil
}

// targetGroup is a target group with its registered targets.
type targetGroup struct {
	group   elbv2types.TargetGroup
	targets []elbv2types.TargetHealthDescription
}

// targetGroups lists the region's target groups (all of them, one call per
// page, not one per load balancer) and the targets of each.
func (c *client) targetGroups(ctx context.Context, region string) ([]targetGroup, error) {
	var out []targetGroup
	p := elbv2.NewDescribeTargetGroupsPaginator(c.elbv2(region), &elbv2.DescribeTargetGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("elasticloadbalancing DescribeTargetGroups %s: %w", region, err)
		}
		for _, g := range page.TargetGroups {
			out = append(out, targetGroup{group: g})
		}
	}
	for i := range out {
		h, err := c.elbv2(region).DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: out[i].group.TargetGroupArn})
		if err != nil {
			return nil, fmt.Errorf("elasticloadbalancing DescribeTargetHealth %s %s: %w", region, aws.ToString(out[i].group.TargetGroupName), err)
		}
		out[i].targets = h.TargetHealthDescriptions
	}
	return out, nil
}

func (c *client) autoscaling(region string) *autoscaling.Client {
	return regional(c, c.asByR, region, func() *autoscaling.Client {
		return autoscaling.NewFromConfig(c.cfg, func(o *autoscaling.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.asEP) })
	})
}

func (c *client) autoScalingGroups(ctx context.Context, region string) ([]astypes.AutoScalingGroup, error) {
	p := autoscaling.NewDescribeAutoScalingGroupsPaginator(c.autoscaling(region), &autoscaling.DescribeAutoScalingGroupsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *autoscaling.DescribeAutoScalingGroupsOutput) []astypes.AutoScalingGroup {
		return page.AutoScalingGroups
	})
	if err != nil {
		return nil, fmt.Errorf("autoscaling DescribeAutoScalingGroups %s: %w", region, err)
	}
	return out, nil
}

func (c *client) lambda(region string) *lambda.Client {
	return regional(c, c.lamByR, region, func() *lambda.Client {
		return lambda.NewFromConfig(c.cfg, func(o *lambda.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.lamEP) })
	})
}

// functions lists the region's Lambda functions (their $LATEST
// configuration).
func (c *client) functions(ctx context.Context, region string) ([]lambdatypes.FunctionConfiguration, error) {
	p := lambda.NewListFunctionsPaginator(c.lambda(region), &lambda.ListFunctionsInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *lambda.ListFunctionsOutput) []lambdatypes.FunctionConfiguration { return page.Functions })
	if err != nil {
		return nil, fmt.Errorf("lambda ListFunctions %s: %w", region, err)
	}
	return out, nil
}

func (c *client) elb(region string) *elb.Client {
	return regional(c, c.clbByR, region, func() *elb.Client {
		return elb.NewFromConfig(c.cfg, func(o *elb.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.elbEP) })
	})
}

// classicLoadBalancers lists the region's classic load balancers (Elastic
// Load Balancing 2012-06-01, the same endpoint as v2).
// classicLB is a classic load balancer with the health of its instances.
type classicLB struct {
	lb     elbtypes.LoadBalancerDescription
	health []elbtypes.InstanceState
}

// classicLoadBalancers lists the classic load balancers, then the health
// of each one's instances (one DescribeInstanceHealth per load balancer:
// the API takes one name at a time).
func (c *client) classicLoadBalancers(ctx context.Context, region string) ([]classicLB, error) {
	var out []classicLB
	p := elb.NewDescribeLoadBalancersPaginator(c.elb(region), &elb.DescribeLoadBalancersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("elasticloadbalancing (classic) DescribeLoadBalancers %s: %w", region, err)
		}
		for _, lb := range page.LoadBalancerDescriptions {
			out = append(out, classicLB{lb: lb})
		}
	}
	for i := range out {
		h, err := c.elb(region).DescribeInstanceHealth(ctx, &elb.DescribeInstanceHealthInput{LoadBalancerName: out[i].lb.LoadBalancerName})
		if err != nil {
			return nil, fmt.Errorf("elasticloadbalancing (classic) DescribeInstanceHealth %s %s: %w", region, aws.ToString(out[i].lb.LoadBalancerName), err)
		}
		out[i].health = h.InstanceStates
	}
	return out, nil
}

func (c *client) eks(region string) *eks.Client {
	return regional(c, c.eksByR, region, func() *eks.Client {
		return eks.NewFromConfig(c.cfg, func(o *eks.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.eksEP) })
	})
}

// eksCluster is an EKS cluster with its managed node groups.
type eksCluster struct {
	cluster    ekstypes.Cluster
	nodegroups []ekstypes.Nodegroup
}

// eksClusters lists the region's EKS clusters, describes each and its
// managed node groups.
func (c *client) eksClusters(ctx context.Context, region string) ([]eksCluster, error) {
	var names []string
	p := eks.NewListClustersPaginator(c.eks(region), &eks.ListClustersInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("eks ListClusters %s: %w", region, err)
		}
		names = append(names, page.Clusters...)
	}
	out := make([]eksCluster, 0, len(names))
	for _, name := range names {
		d, err := c.eks(region).DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(name)})
		if err != nil {
			return nil, fmt.Errorf("eks DescribeCluster %s %s: %w", region, name, err)
		}
		if d.Cluster == nil {
			continue
		}
		cl := eksCluster{cluster: *d.Cluster}
		var ngs []string
		np := eks.NewListNodegroupsPaginator(c.eks(region), &eks.ListNodegroupsInput{ClusterName: aws.String(name)})
		for np.HasMorePages() {
			page, err := np.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("eks ListNodegroups %s %s: %w", region, name, err)
			}
			ngs = append(ngs, page.Nodegroups...)
		}
		for _, ng := range ngs {
			d, err := c.eks(region).DescribeNodegroup(ctx, &eks.DescribeNodegroupInput{ClusterName: aws.String(name), NodegroupName: aws.String(ng)})
			if err != nil {
				return nil, fmt.Errorf("eks DescribeNodegroup %s %s/%s: %w", region, name, ng, err)
			}
			if d.Nodegroup != nil {
				cl.nodegroups = append(cl.nodegroups, *d.Nodegroup)
			}
		}
		out = append(out, cl)
	}
	return out, nil
}

func (c *client) ecr(region string) *ecr.Client {
	return regional(c, c.ecrByR, region, func() *ecr.Client {
		return ecr.NewFromConfig(c.cfg, func(o *ecr.Options) { o.Region, o.BaseEndpoint = region, endpoint(c.ecrEP) })
	})
}

// ecrRepository is an ECR repository with its images.
type ecrRepository struct {
	repo   ecrtypes.Repository
	images []ecrtypes.ImageDetail
}

// ecrRepositories lists the region's ECR repositories of the account's
// registry and the images of each.
func (c *client) ecrRepositories(ctx context.Context, region string) ([]ecrRepository, error) {
	var out []ecrRepository
	p := ecr.NewDescribeRepositoriesPaginator(c.ecr(region), &ecr.DescribeRepositoriesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ecr DescribeRepositories %s: %w", region, err)
		}
		for _, r := range page.Repositories {
			out = append(out, ecrRepository{repo: r})
		}
	}
	for i := range out {
		r := out[i].repo
		ip := ecr.NewDescribeImagesPaginator(c.ecr(region), &ecr.DescribeImagesInput{RepositoryName: r.RepositoryName, RegistryId: r.RegistryId})
		for ip.HasMorePages() {
			page, err := ip.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("ecr DescribeImages %s %s: %w", region, aws.ToString(r.RepositoryName), err)
			}
			out[i].images = append(out[i].images, page.ImageDetails...)
		}
	}
	return out, nil
}

func (c *client) dbClusters(ctx context.Context, region string) ([]rdstypes.DBCluster, error) {
	p := rds.NewDescribeDBClustersPaginator(c.rds(region), &rds.DescribeDBClustersInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *rds.DescribeDBClustersOutput) []rdstypes.DBCluster { return page.DBClusters })
	if err != nil {
		return nil, fmt.Errorf("rds DescribeDBClusters %s: %w", region, err)
	}
	return out, nil
}
