package awsreceiver

import (
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	astypes "github.com/aws/aws-sdk-go-v2/service/autoscaling/types"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	elbv2types "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Element types, as coordimap-agent's pkg/domain/aws.
const (
	TypeVPC      = "aws.vpc"
	TypeSubnet   = "aws.subnet"
	TypeInstance = "aws.instance"
	TypeSG       = "aws.security_group"
	TypeOwner    = "aws.owner"
	TypeS3Bucket = "aws.s3_bucket"
	TypeRDS      = "aws.rds"
	// TypeRDSCluster is new: the agent did not crawl DB clusters.
	TypeRDSCluster = "aws.rds_cluster"
	TypeRegion     = "aws.region"
	TypeAZ         = "aws.availability_zone"
	TypeVolume     = "aws.volume"
	TypeAMI        = "aws.ami"
	TypeRouteTable = "aws.route_table"
	TypeDHCP       = "aws.dhcp_options"
	TypeNATGateway = "aws.natgw"
	TypeNetworkACL = "aws.network_acl"
	// TypeInternetGateway is new: the agent had no element for it.
	TypeInternetGateway = "aws.internet_gateway"
	// TypeENI is new: the agent had no element for network interfaces.
	TypeENI = "aws.network_interface"
	// Elastic Load Balancing v2, by load balancer type, as the agent.
	TypeALB          = "aws.application_load_balancer"
	TypeNLB          = "aws.network_load_balancer"
	TypeGWLB         = "aws.gateway_load_balancer"
	TypeLoadBalancer = "aws.load_balancer"
	TypeClassicLB    = "aws.classical_lb"
	// TypeTargetGroup is new: the agent linked load balancers straight to
	// their instance targets.
	TypeTargetGroup  = "aws.target_group"
	TypeASG          = "aws.auto_scaling_group"
	TypeLambda       = "aws.lambda"
	TypeEKS          = "aws.eks"
	TypeEKSNodegroup = "aws.eks_nodegroup"
	TypeECRRepo      = "aws.ecr_repo"
	TypeECRImage     = "aws.ecr_repo_image"
)

const (
	statusGreen  = "Green"
	statusOrange = "Orange"
	statusRed    = "Red"
)

// regionInventory is what one region's crawl returned.
type regionInventory struct {
	zones            []ec2types.AvailabilityZone
	vpcs             []ec2types.Vpc
	subnets          []ec2types.Subnet
	dhcpOptions      []ec2types.DhcpOptions
	routeTables      []ec2types.RouteTable
	internetGateways []ec2types.InternetGateway
	natGateways      []ec2types.NatGateway
	networkACLs      []ec2types.NetworkAcl
	securityGroups   []ec2types.SecurityGroup
	instances        []ec2types.Instance
	// networkInterfaces are emitted after instances.
	networkInterfaces []ec2types.NetworkInterface
	volumes           []ec2types.Volume
	// images are the AMIs the instances run.
	images      []ec2types.Image
	dbInstances []rdstypes.DBInstance
	dbClusters  []rdstypes.DBCluster
	// loadBalancers and targetGroups are Elastic Load Balancing v2's.
	loadBalancers []elbv2types.LoadBalancer
	targetGroups  []targetGroup
	// classicLoadBalancers are Elastic Load Balancing (classic)'s.
	classicLoadBalancers []classicLB
	// autoScalingGroups are EC2 Auto Scaling's.
	autoScalingGroups []astypes.AutoScalingGroup
	// functions are Lambda's.
	functions []lambdatypes.FunctionConfiguration
	// eksClusters are EKS's, with their managed node groups.
	eksClusters []eksCluster
	// ecrRepositories are ECR's, with their images.
	ecrRepositories []ecrRepository
	// iam is what IAM emitted (policy_config): the links to roles and
	// instance profiles go only to those. Nil without policy_config.
	iam entity.Set
}

// entities turns one region's inventory into entities, VPCs first, then
// subnets, then instances, each in API order.
func entities(scope, region string, inv regionInventory, interval time.Duration) []entity.Entity {
	regionID := internalid.AWS(scope, region)
	out := []entity.Entity{{
		Ref:            entity.Ref{Type: TypeRegion, InternalID: regionID, NativeIDs: map[string]any{"cloud.region": region}},
		Name:           region,
		Body:           map[string]any{"region_name": region},
		ReportInterval: interval,
	}}
	for _, z := range inv.zones {
		zoneID := aws.ToString(z.ZoneId)
		out = append(out, entity.Entity{
			Ref:    entity.Ref{Type: TypeAZ, InternalID: internalid.AWS(scope, zoneID), NativeIDs: map[string]any{"cloud.availability_zone": aws.ToString(z.ZoneName)}},
			Name:   aws.ToString(z.ZoneName),
			Status: availability(string(z.State)),
			Description: map[string]any{
				"cloud.region": region,
				"zone_type":    aws.ToString(z.ZoneType),
			},
			Links: []entity.Link{parent(TypeRegion, regionID)},
			Body: map[string]any{
				"zone_name":            aws.ToString(z.ZoneName),
				"zone_id":              zoneID,
				"zone_type":            aws.ToString(z.ZoneType),
				"state":                string(z.State),
				"region_name":          aws.ToString(z.RegionName),
				"opt_in_status":        string(z.OptInStatus),
				"network_border_group": aws.ToString(z.NetworkBorderGroup),
			},
			ReportInterval: interval,
		})
	}
	for _, v := range inv.vpcs {
		id := aws.ToString(v.VpcId)
		out = append(out, entity.Entity{
			// The agent put the internal ID in the name and the raw VPC ID
			// in the ID; here the ID is the internal ID.
			Ref:    entity.Ref{Type: TypeVPC, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.vpc.id": id}},
			Name:   nameOr(v.Tags, id),
			Status: availability(string(v.State)),
			Description: map[string]any{
				"cloud.region": region,
				"cidr_block":   aws.ToString(v.CidrBlock),
				"is_default":   aws.ToBool(v.IsDefault),
			},
			Links: ownerLinks(v.OwnerId),
			Body: map[string]any{
				"vpc_id":          id,
				"cidr_block":      aws.ToString(v.CidrBlock),
				"state":           string(v.State),
				"is_default":      aws.ToBool(v.IsDefault),
				"owner_id":        aws.ToString(v.OwnerId),
				"dhcp_options_id": aws.ToString(v.DhcpOptionsId),
				"region":          region,
				"tags":            tags(v.Tags),
			},
			ReportInterval: interval,
		})
	}
	for _, s := range inv.subnets {
		id := aws.ToString(s.SubnetId)
		out = append(out, entity.Entity{
			Ref:    entity.Ref{Type: TypeSubnet, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.subnet.id": id}},
			Name:   nameOr(s.Tags, id),
			Status: availability(string(s.State)),
			Description: map[string]any{
				"cloud.region":            region,
				"cloud.availability_zone": aws.ToString(s.AvailabilityZone),
				"cidr_block":              aws.ToString(s.CidrBlock),
			},
			Links: append([]entity.Link{parent(TypeVPC, internalid.AWS(scope, aws.ToString(s.VpcId)))}, ownerLinks(s.OwnerId)...),
			Body: map[string]any{
				"subnet_id":                  id,
				"vpc_id":                     aws.ToString(s.VpcId),
				"cidr_block":                 aws.ToString(s.CidrBlock),
				"availability_zone":          aws.ToString(s.AvailabilityZone),
				"availability_zone_id":       aws.ToString(s.AvailabilityZoneId),
				"available_ip_address_count": int64(aws.ToInt32(s.AvailableIpAddressCount)),
				"map_public_ip_on_launch":    aws.ToBool(s.MapPublicIpOnLaunch),
				"state":                      string(s.State),
				"owner_id":                   aws.ToString(s.OwnerId),
				"tags":                       tags(s.Tags),
			},
			ReportInterval: interval,
		})
	}
	out = append(out, networkEntities(scope, region, inv, interval)...)
	for _, g := range inv.securityGroups {
		id := aws.ToString(g.GroupId)
		var links []entity.Link
		if v := aws.ToString(g.VpcId); v != "" {
			links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
		}
		out = append(out, entity.Entity{
			Ref:  entity.Ref{Type: TypeSG, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.security_group.id": id}},
			Name: aws.ToString(g.GroupName),
			Description: map[string]any{
				"cloud.region": region,
				"description":  aws.ToString(g.Description),
			},
			Links: links,
			Body: map[string]any{
				"group_id":      id,
				"group_name":    aws.ToString(g.GroupName),
				"description":   aws.ToString(g.Description),
				"vpc_id":        aws.ToString(g.VpcId),
				"owner_id":      aws.ToString(g.OwnerId),
				"ingress_rules": permissions(g.IpPermissions),
				"egress_rules":  permissions(g.IpPermissionsEgress),
				"tags":          tags(g.Tags),
			},
			ReportInterval: interval,
		})
	}
	for _, img := range inv.images {
		id := aws.ToString(img.ImageId)
		out = append(out, entity.Entity{
			Ref:    entity.Ref{Type: TypeAMI, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.ami.id": id}},
			Name:   firstNonEmpty(aws.ToString(img.Name), id),
			Status: availability(string(img.State)),
			Description: map[string]any{
				"cloud.region": region,
				"architecture": string(img.Architecture),
				"platform":     aws.ToString(img.PlatformDetails),
			},
			Body: map[string]any{
				"image_id":            id,
				"name":                aws.ToString(img.Name),
				"description":         aws.ToString(img.Description),
				"owner_id":            aws.ToString(img.OwnerId),
				"owner_alias":         aws.ToString(img.ImageOwnerAlias),
				"state":               string(img.State),
				"architecture":        string(img.Architecture),
				"platform_details":    aws.ToString(img.PlatformDetails),
				"root_device_type":    string(img.RootDeviceType),
				"virtualization_type": string(img.VirtualizationType),
				"creation_date":       aws.ToString(img.CreationDate),
				"public":              aws.ToBool(img.Public),
				"tags":                tags(img.Tags),
			},
			ReportInterval: interval,
		})
	}
	amis := map[string]bool{}
	for _, img := range inv.images {
		amis[aws.ToString(img.ImageId)] = true
	}
	for _, in := range inv.instances {
		e := instanceEntity(scope, region, in, interval)
		// instance → AMI (as the agent), when the AMI still exists.
		if ami := aws.ToString(in.ImageId); amis[ami] {
			e.Links = append(e.Links, child(TypeAMI, internalid.AWS(scope, ami)))
		}
		if p := in.IamInstanceProfile; p != nil {
			e.Links = iamLink(e.Links, inv.iam, scope, TypeIAMInstanceProfile, aws.ToString(p.Arn))
		}
		out = append(out, e)
	}
	owners := eniOwners(scope, inv)
	svc := services(region, inv)
	// The network interfaces of AWS services (RDS, load balancers, Lambda,
	// EKS): their addresses are announced by the service's element, as
	// the flow-log receiver resolves them (awsnet's rule); by the
	// interface itself when that element is not emitted.
	var serviceENIs []int
	for _, ni := range inv.networkInterfaces {
		e := eniEntity(scope, region, ni, svc.OwnerOf(ni), interval)
		if o, ok := owners[aws.ToString(ni.Description)]; ok && !slices.ContainsFunc(e.Links, func(l entity.Link) bool { return l.Target.InternalID == o.InternalID }) {
			// load balancer / EKS cluster → its network interface.
			e.Links = append(e.Links, parent(o.Type, o.InternalID))
		}
		if svc.OwnerOf(ni).Service() {
			serviceENIs = append(serviceENIs, len(out))
		}
		out = append(out, e)
	}
	for _, v := range inv.volumes {
		out = append(out, volumeEntity(scope, region, v, interval))
	}
	zoneIDs := map[string]string{}
	for _, z := range inv.zones {
		zoneIDs[aws.ToString(z.ZoneName)] = aws.ToString(z.ZoneId)
	}
	for _, db := range inv.dbInstances {
		out = append(out, rdsEntity(scope, region, db, zoneIDs, interval))
	}
	for _, c := range inv.dbClusters {
		out = append(out, rdsClusterEntity(scope, region, c, inv.dbInstances, interval))
	}
	for _, lb := range inv.loadBalancers {
		out = append(out, loadBalancerEntity(scope, region, lb, interval))
	}
	for _, tg := range inv.targetGroups {
		out = append(out, targetGroupEntity(scope, region, tg, interval))
	}
	classicByName := map[string]string{}
	for _, c := range inv.classicLoadBalancers {
		classicByName[aws.ToString(c.lb.LoadBalancerName)] = aws.ToString(c.lb.DNSName)
		out = append(out, classicLBEntity(scope, region, c, interval))
	}
	subnetVPC := map[string]string{}
	for _, s := range inv.subnets {
		subnetVPC[aws.ToString(s.SubnetId)] = aws.ToString(s.VpcId)
	}
	for _, g := range inv.autoScalingGroups {
		out = append(out, asgEntity(scope, region, g, subnetVPC, classicByName, interval))
	}
	for _, fn := range inv.functions {
		e := lambdaEntity(scope, region, fn, interval)
		e.Links = iamLink(e.Links, inv.iam, scope, TypeIAMRole, aws.ToString(fn.Role))
		out = append(out, e)
	}
	asgByName := map[string]string{}
	for _, g := range inv.autoScalingGroups {
		asgByName[aws.ToString(g.AutoScalingGroupName)] = aws.ToString(g.AutoScalingGroupARN)
	}
	for _, c := range inv.eksClusters {
		e := eksEntity(scope, region, c.cluster, inv.instances, interval)
		e.Links = iamLink(e.Links, inv.iam, scope, TypeIAMRole, aws.ToString(c.cluster.RoleArn))
		out = append(out, e)
		for _, ng := range c.nodegroups {
			e := nodegroupEntity(scope, region, c.cluster, ng, asgByName, interval)
			e.Links = iamLink(e.Links, inv.iam, scope, TypeIAMRole, aws.ToString(ng.NodeRole))
			out = append(out, e)
		}
	}
	for _, r := range inv.ecrRepositories {
		out = append(out, ecrEntities(scope, region, r, interval)...)
	}
	announceByOwner(scope, svc, inv.networkInterfaces, out, serviceENIs)
	return out
}

// ecrEntities are an ECR repository, its URI in the ID as the agent's
// (owner → repository), and one element per image tag, ID
// <repository URI>:<tag> as the agent's (repository → image). Untagged
// images are skipped, as the agent did.
func ecrEntities(scope, region string, r ecrRepository, interval time.Duration) []entity.Entity {
	uri, name := aws.ToString(r.repo.RepositoryUri), aws.ToString(r.repo.RepositoryName)
	repoID := internalid.AWS(scope, uri)
	created := ""
	if r.repo.CreatedAt != nil {
		created = r.repo.CreatedAt.UTC().Format(time.RFC3339)
	}
	scanOnPush := false
	if r.repo.ImageScanningConfiguration != nil {
		scanOnPush = r.repo.ImageScanningConfiguration.ScanOnPush
	}
	out := []entity.Entity{{
		Ref:         entity.Ref{Type: TypeECRRepo, InternalID: repoID, NativeIDs: map[string]any{"aws.ecr.repository.arn": aws.ToString(r.repo.RepositoryArn)}},
		Name:        name,
		Description: map[string]any{"cloud.region": region, "repository_uri": uri},
		Links:       ownerLinks(r.repo.RegistryId),
		Body: map[string]any{
			"repository_name":      name,
			"repository_arn":       aws.ToString(r.repo.RepositoryArn),
			"repository_uri":       uri,
			"registry_id":          aws.ToString(r.repo.RegistryId),
			"image_tag_mutability": string(r.repo.ImageTagMutability),
			"scan_on_push":         scanOnPush,
			"created_at":           created,
		},
		ReportInterval: interval,
	}}
	for _, img := range r.images {
		pushed := ""
		if img.ImagePushedAt != nil {
			pushed = img.ImagePushedAt.UTC().Format(time.RFC3339)
		}
		var imgTags []any
		for _, t := range img.ImageTags {
			imgTags = append(imgTags, t)
		}
		for _, tag := range img.ImageTags {
			ref := uri + ":" + tag
			out = append(out, entity.Entity{
				Ref:         entity.Ref{Type: TypeECRImage, InternalID: internalid.AWS(scope, ref), NativeIDs: map[string]any{"container.image.name": uri, "container.image.tag": tag}},
				Name:        name + ":" + tag,
				Description: map[string]any{"cloud.region": region, "image_digest": aws.ToString(img.ImageDigest)},
				Links:       []entity.Link{parent(TypeECRRepo, repoID)},
				Body: map[string]any{
					"repository_name": name,
					"image_digest":    aws.ToString(img.ImageDigest),
					"image_tags":      imgTags,
					"image_pushed_at": pushed,
					"image_size":      aws.ToInt64(img.ImageSizeInBytes),
					"media_type":      aws.ToString(img.ImageManifestMediaType),
					"artifact_type":   aws.ToString(img.ArtifactMediaType),
				},
				ReportInterval: interval,
			})
		}
	}
	return out
}

// eksClusterTags are the instance tags that name a node's cluster: EKS's
// own and eksctl's (the agent's).
var eksClusterTags = []string{"eks:cluster-name", "alpha.eksctl.io/cluster-name"}

// eksEntity is an EKS cluster, its ARN in the ID as the agent's: VPC →
// cluster, cluster → each subnet (as the agent), cluster → each security
// group, cluster → each instance tagged with its name (the agent looked
// for eksctl's tag only).
func eksEntity(scope, region string, c ekstypes.Cluster, instances []ec2types.Instance, interval time.Duration) entity.Entity {
	arn, name := aws.ToString(c.Arn), aws.ToString(c.Name)
	var links []entity.Link
	vpc := ""
	var subnets, groups []any
	if vc := c.ResourcesVpcConfig; vc != nil {
		vpc = aws.ToString(vc.VpcId)
		if vpc != "" {
			links = append(links, parent(TypeVPC, internalid.AWS(scope, vpc)))
		}
		for _, sn := range vc.SubnetIds {
			subnets = append(subnets, sn)
			links = append(links, child(TypeSubnet, internalid.AWS(scope, sn)))
		}
		for _, g := range append(slices.Clone(vc.SecurityGroupIds), aws.ToString(vc.ClusterSecurityGroupId)) {
			if g == "" {
				continue
			}
			groups = append(groups, g)
			links = append(links, child(TypeSG, internalid.AWS(scope, g)))
		}
	}
	for _, in := range instances {
		for _, t := range in.Tags {
			if slices.Contains(eksClusterTags, aws.ToString(t.Key)) && aws.ToString(t.Value) == name {
				links = append(links, child(TypeInstance, internalid.AWS(scope, aws.ToString(in.InstanceId))))
				break
			}
		}
	}
	created := ""
	if c.CreatedAt != nil {
		created = c.CreatedAt.UTC().Format(time.RFC3339)
	}
	clusterTags := make(map[string]any, len(c.Tags))
	for k, v := range c.Tags {
		clusterTags[k] = v
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeEKS, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.eks.cluster.arn": arn}},
		Name:   name,
		Status: eksStatus(string(c.Status)),
		Description: map[string]any{
			"cloud.region":     region,
			"k8s.cluster.name": name,
			"version":          aws.ToString(c.Version),
		},
		Version: aws.ToString(c.Version),
		Links:   links,
		Body: map[string]any{
			"name":             name,
			"arn":              arn,
			"version":          aws.ToString(c.Version),
			"platform_version": aws.ToString(c.PlatformVersion),
			"status":           string(c.Status),
			"endpoint":         aws.ToString(c.Endpoint),
			"role_arn":         aws.ToString(c.RoleArn),
			"created_at":       created,
			"vpc_id":           vpc,
			"subnets":          subnets,
			"security_groups":  groups,
			"tags":             clusterTags,
		},
		ReportInterval: interval,
	}
}

// nodegroupEntity is an EKS managed node group, its ARN in the ID (the
// agent used the bare name): cluster → node group, node group → each of
// its Auto Scaling groups.
func nodegroupEntity(scope, region string, c ekstypes.Cluster, ng ekstypes.Nodegroup, asgByName map[string]string, interval time.Duration) entity.Entity {
	arn := aws.ToString(ng.NodegroupArn)
	links := []entity.Link{parent(TypeEKS, internalid.AWS(scope, aws.ToString(c.Arn)))}
	var asgs []any
	if ng.Resources != nil {
		for _, g := range ng.Resources.AutoScalingGroups {
			n := aws.ToString(g.Name)
			asgs = append(asgs, n)
			if asg := asgByName[n]; asg != "" {
				links = append(links, child(TypeASG, internalid.AWS(scope, asg)))
			}
		}
	}
	var subnets, types []any
	for _, sn := range ng.Subnets {
		subnets = append(subnets, sn)
	}
	for _, t := range ng.InstanceTypes {
		types = append(types, t)
	}
	var minSize, maxSize, desired int64
	if sc := ng.ScalingConfig; sc != nil {
		minSize, maxSize, desired = int64(aws.ToInt32(sc.MinSize)), int64(aws.ToInt32(sc.MaxSize)), int64(aws.ToInt32(sc.DesiredSize))
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeEKSNodegroup, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.eks.nodegroup.arn": arn}},
		Name:   aws.ToString(ng.NodegroupName),
		Status: eksStatus(string(ng.Status)),
		Description: map[string]any{
			"cloud.region":     region,
			"k8s.cluster.name": aws.ToString(ng.ClusterName),
			"capacity_type":    string(ng.CapacityType),
		},
		Version: aws.ToString(ng.Version),
		Links:   links,
		Body: map[string]any{
			"nodegroup_name":      aws.ToString(ng.NodegroupName),
			"nodegroup_arn":       arn,
			"cluster_name":        aws.ToString(ng.ClusterName),
			"version":             aws.ToString(ng.Version),
			"release_version":     aws.ToString(ng.ReleaseVersion),
			"status":              string(ng.Status),
			"capacity_type":       string(ng.CapacityType),
			"ami_type":            string(ng.AmiType),
			"instance_types":      types,
			"node_role":           aws.ToString(ng.NodeRole),
			"subnets":             subnets,
			"min_size":            minSize,
			"max_size":            maxSize,
			"desired_size":        desired,
			"auto_scaling_groups": asgs,
		},
		ReportInterval: interval,
	}
}

// eksStatus maps cluster and node group states.
func eksStatus(s string) string {
	switch s {
	case "ACTIVE":
		return statusGreen
	case "CREATING", "UPDATING", "PENDING":
		return statusOrange
	case "":
		return ""
	}
	return statusRed
}

// lambdaEntity is a Lambda function, its ARN in the ID as the agent's.
// A function attached to a VPC lists, as the agent: VPC → function, each
// subnet → function, each security group → function.
func lambdaEntity(scope, region string, fn lambdatypes.FunctionConfiguration, interval time.Duration) entity.Entity {
	arn := aws.ToString(fn.FunctionArn)
	var links []entity.Link
	vpc := ""
	var subnets, groups []any
	if vc := fn.VpcConfig; vc != nil && aws.ToString(vc.VpcId) != "" {
		vpc = aws.ToString(vc.VpcId)
		links = append(links, parent(TypeVPC, internalid.AWS(scope, vpc)))
		for _, sn := range vc.SubnetIds {
			subnets = append(subnets, sn)
			links = append(links, parent(TypeSubnet, internalid.AWS(scope, sn)))
		}
		for _, g := range vc.SecurityGroupIds {
			groups = append(groups, g)
			links = append(links, parent(TypeSG, internalid.AWS(scope, g)))
		}
	}
	var archs []any
	for _, a := range fn.Architectures {
		archs = append(archs, string(a))
	}
	var layers []any
	for _, l := range fn.Layers {
		layers = append(layers, aws.ToString(l.Arn))
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeLambda, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"faas.id": arn}},
		Name:   aws.ToString(fn.FunctionName),
		Status: lambdaStatus(fn.State),
		Description: map[string]any{
			"cloud.region":   region,
			"faas.name":      aws.ToString(fn.FunctionName),
			"runtime":        string(fn.Runtime),
			"package_type":   string(fn.PackageType),
			"memory_size_mb": int64(aws.ToInt32(fn.MemorySize)),
		},
		Links: links,
		Body: map[string]any{
			"function_name":      aws.ToString(fn.FunctionName),
			"function_arn":       arn,
			"runtime":            string(fn.Runtime),
			"handler":            aws.ToString(fn.Handler),
			"package_type":       string(fn.PackageType),
			"role":               aws.ToString(fn.Role),
			"description":        aws.ToString(fn.Description),
			"memory_size_mb":     int64(aws.ToInt32(fn.MemorySize)),
			"timeout_seconds":    int64(aws.ToInt32(fn.Timeout)),
			"code_size":          fn.CodeSize,
			"last_modified":      aws.ToString(fn.LastModified),
			"version":            aws.ToString(fn.Version),
			"state":              string(fn.State),
			"state_reason":       aws.ToString(fn.StateReason),
			"last_update_status": string(fn.LastUpdateStatus),
			"architectures":      archs,
			"layers":             layers,
			"vpc_id":             vpc,
			"subnets":            subnets,
			"security_groups":    groups,
		},
		ReportInterval: interval,
	}
}

// lambdaStatus is the agent's: Active Green, Pending Orange, Failed and
// Inactive Red.
func lambdaStatus(s lambdatypes.State) string {
	switch s {
	case lambdatypes.StateActive:
		return statusGreen
	case lambdatypes.StatePending:
		return statusOrange
	case lambdatypes.StateFailed, lambdatypes.StateInactive:
		return statusRed
	}
	return ""
}

// asgEntity is an Auto Scaling group, its ARN in the ID as the agent's:
// VPC → group (the VPC of its subnets), group → each subnet, group → each
// instance (as the agent), group → each target group (new), group → each
// of its classic load balancers.
func asgEntity(scope, region string, g astypes.AutoScalingGroup, subnetVPC, classicByName map[string]string, interval time.Duration) entity.Entity {
	arn := aws.ToString(g.AutoScalingGroupARN)
	var links []entity.Link
	var subnets []any
	vpcs := map[string]bool{}
	for _, sn := range strings.Split(aws.ToString(g.VPCZoneIdentifier), ",") {
		if sn = strings.TrimSpace(sn); sn == "" {
			continue
		}
		subnets = append(subnets, sn)
		if v := subnetVPC[sn]; v != "" && !vpcs[v] {
			vpcs[v] = true
			links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
		}
	}
	for _, sn := range subnets {
		links = append(links, child(TypeSubnet, internalid.AWS(scope, sn.(string))))
	}
	var instances []any
	inService := 0
	for _, in := range g.Instances {
		id := aws.ToString(in.InstanceId)
		if in.LifecycleState == astypes.LifecycleStateInService {
			inService++
		}
		instances = append(instances, map[string]any{
			"instance_id": id, "instance_type": aws.ToString(in.InstanceType), "availability_zone": aws.ToString(in.AvailabilityZone),
			"lifecycle_state": string(in.LifecycleState), "health_status": aws.ToString(in.HealthStatus),
		})
		links = append(links, child(TypeInstance, internalid.AWS(scope, id)))
	}
	var targetGroups []any
	for _, tg := range g.TargetGroupARNs {
		targetGroups = append(targetGroups, tg)
		links = append(links, child(TypeTargetGroup, internalid.AWS(scope, tg)))
	}
	var lbNames, zones []any
	for _, n := range g.LoadBalancerNames {
		lbNames = append(lbNames, n)
		if dns := classicByName[n]; dns != "" {
			links = append(links, child(TypeClassicLB, internalid.AWS(scope, dns)))
		}
	}
	for _, z := range g.AvailabilityZones {
		zones = append(zones, z)
	}
	launch := ""
	switch {
	case g.LaunchTemplate != nil:
		launch = firstNonEmpty(aws.ToString(g.LaunchTemplate.LaunchTemplateName), aws.ToString(g.LaunchTemplate.LaunchTemplateId))
	case g.MixedInstancesPolicy != nil && g.MixedInstancesPolicy.LaunchTemplate != nil && g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification != nil:
		lt := g.MixedInstancesPolicy.LaunchTemplate.LaunchTemplateSpecification
		launch = firstNonEmpty(aws.ToString(lt.LaunchTemplateName), aws.ToString(lt.LaunchTemplateId))
	}
	asgTags := make(map[string]any, len(g.Tags))
	for _, t := range g.Tags {
		asgTags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	created := ""
	if g.CreatedTime != nil {
		created = g.CreatedTime.UTC().Format(time.RFC3339)
	}
	desired := int64(aws.ToInt32(g.DesiredCapacity))
	status := statusGreen
	if aws.ToString(g.Status) != "" || int64(inService) < desired {
		// Being deleted, or not at its desired capacity.
		status = statusOrange
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeASG, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.autoscaling.group.arn": arn}},
		Name:   aws.ToString(g.AutoScalingGroupName),
		Status: status,
		Description: map[string]any{
			"cloud.region":     region,
			"min_size":         int64(aws.ToInt32(g.MinSize)),
			"max_size":         int64(aws.ToInt32(g.MaxSize)),
			"desired_capacity": desired,
		},
		Links: links,
		Body: map[string]any{
			"auto_scaling_group_name":   aws.ToString(g.AutoScalingGroupName),
			"auto_scaling_group_arn":    arn,
			"min_size":                  int64(aws.ToInt32(g.MinSize)),
			"max_size":                  int64(aws.ToInt32(g.MaxSize)),
			"desired_capacity":          desired,
			"status":                    aws.ToString(g.Status),
			"health_check_type":         aws.ToString(g.HealthCheckType),
			"launch_template":           launch,
			"launch_configuration_name": aws.ToString(g.LaunchConfigurationName),
			"availability_zones":        zones,
			"subnets":                   subnets,
			"instances":                 instances,
			"target_groups":             targetGroups,
			"load_balancer_names":       lbNames,
			"created_time":              created,
			"tags":                      asgTags,
		},
		ReportInterval: interval,
	}
}

// eniOwners maps the descriptions AWS gives the network interfaces it
// creates for a load balancer ("ELB app/<name>/<id>", "ELB <classic
// name>") or an EKS cluster's control plane ("Amazon EKS <cluster>") to
// their owner, so that flows to those addresses reach the owner.
func eniOwners(scope string, inv regionInventory) map[string]entity.Ref {
	m := map[string]entity.Ref{}
	for _, lb := range inv.loadBalancers {
		arn := aws.ToString(lb.LoadBalancerArn)
		if _, res, ok := strings.Cut(arn, ":loadbalancer/"); ok {
			m["ELB "+res] = entity.Ref{Type: lbType(lb.Type), InternalID: internalid.AWS(scope, arn)}
		}
	}
	for _, c := range inv.classicLoadBalancers {
		m["ELB "+aws.ToString(c.lb.LoadBalancerName)] = entity.Ref{Type: TypeClassicLB, InternalID: internalid.AWS(scope, aws.ToString(c.lb.DNSName))}
	}
	for _, c := range inv.eksClusters {
		m["Amazon EKS "+aws.ToString(c.cluster.Name)] = entity.Ref{Type: TypeEKS, InternalID: internalid.AWS(scope, aws.ToString(c.cluster.Arn))}
	}
	return m
}

// lbType is the agent's element type for an ELB v2 load balancer type.
func lbType(t elbv2types.LoadBalancerTypeEnum) string {
	switch t {
	case elbv2types.LoadBalancerTypeEnumApplication:
		return TypeALB
	case elbv2types.LoadBalancerTypeEnumNetwork:
		return TypeNLB
	case elbv2types.LoadBalancerTypeEnumGateway:
		return TypeGWLB
	}
	return TypeLoadBalancer
}

// lbTypeOfARN reads the load balancer type from its ARN
// (…:loadbalancer/app|net|gwy/<name>/<id>).
func lbTypeOfARN(arn string) string {
	_, res, _ := strings.Cut(arn, ":loadbalancer/")
	switch {
	case strings.HasPrefix(res, "app/"):
		return TypeALB
	case strings.HasPrefix(res, "net/"):
		return TypeNLB
	case strings.HasPrefix(res, "gwy/"):
		return TypeGWLB
	}
	return TypeLoadBalancer
}

// loadBalancerEntity is an ELB v2 load balancer, its ARN in the ID as the
// agent's: VPC → load balancer, load balancer → each subnet and each
// security group.
func loadBalancerEntity(scope, region string, lb elbv2types.LoadBalancer, interval time.Duration) entity.Entity {
	arn := aws.ToString(lb.LoadBalancerArn)
	var links []entity.Link
	if v := aws.ToString(lb.VpcId); v != "" {
		links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
	}
	var zones []any
	for _, z := range lb.AvailabilityZones {
		sn := aws.ToString(z.SubnetId)
		zones = append(zones, map[string]any{"zone_name": aws.ToString(z.ZoneName), "subnet_id": sn})
		if sn != "" {
			links = append(links, child(TypeSubnet, internalid.AWS(scope, sn)))
		}
	}
	var groups []any
	for _, g := range lb.SecurityGroups {
		groups = append(groups, g)
		links = append(links, child(TypeSG, internalid.AWS(scope, g)))
	}
	state := ""
	if lb.State != nil {
		state = string(lb.State.Code)
	}
	created := ""
	if lb.CreatedTime != nil {
		created = lb.CreatedTime.UTC().Format(time.RFC3339)
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: lbType(lb.Type), InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.lb.arn": arn}},
		Name:   aws.ToString(lb.LoadBalancerName),
		Status: lbStatus(state),
		Description: map[string]any{
			"cloud.region": region,
			"dns_name":     aws.ToString(lb.DNSName),
			"scheme":       string(lb.Scheme),
			"type":         string(lb.Type),
		},
		Links: links,
		Body: map[string]any{
			"load_balancer_arn":  arn,
			"load_balancer_name": aws.ToString(lb.LoadBalancerName),
			"type":               string(lb.Type),
			"scheme":             string(lb.Scheme),
			"dns_name":           aws.ToString(lb.DNSName),
			"vpc_id":             aws.ToString(lb.VpcId),
			"ip_address_type":    string(lb.IpAddressType),
			"state":              state,
			"created_time":       created,
			"availability_zones": zones,
			"security_groups":    groups,
		},
		ReportInterval: interval,
	}
}

// classicLBEntity is a classic load balancer, its DNS name in the ID as
// the agent's: VPC → load balancer, load balancer → each instance, each
// security group and each subnet.
func classicLBEntity(scope, region string, c classicLB, interval time.Duration) entity.Entity {
	lb := c.lb
	dns := aws.ToString(lb.DNSName)
	var links []entity.Link
	if v := aws.ToString(lb.VPCId); v != "" {
		links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
	}
	var instances, groups, subnets, zones, listeners []any
	for _, in := range lb.Instances {
		id := aws.ToString(in.InstanceId)
		instances = append(instances, id)
		links = append(links, child(TypeInstance, internalid.AWS(scope, id)))
	}
	var health []any
	var counts healthCounts
	for _, st := range c.health {
		state := aws.ToString(st.State)
		switch state {
		case "InService":
			counts.healthy++
		case "OutOfService":
			counts.unhealthy++
		}
		counts.total++
		health = append(health, map[string]any{
			"instance_id": aws.ToString(st.InstanceId), "state": state,
			"reason_code": aws.ToString(st.ReasonCode), "description": aws.ToString(st.Description),
		})
	}
	for _, g := range lb.SecurityGroups {
		groups = append(groups, g)
		links = append(links, child(TypeSG, internalid.AWS(scope, g)))
	}
	for _, sn := range lb.Subnets {
		subnets = append(subnets, sn)
		links = append(links, child(TypeSubnet, internalid.AWS(scope, sn)))
	}
	for _, z := range lb.AvailabilityZones {
		zones = append(zones, z)
	}
	for _, l := range lb.ListenerDescriptions {
		if l.Listener == nil {
			continue
		}
		listeners = append(listeners, map[string]any{
			"protocol": aws.ToString(l.Listener.Protocol), "load_balancer_port": int64(l.Listener.LoadBalancerPort),
			"instance_protocol": aws.ToString(l.Listener.InstanceProtocol), "instance_port": int64(aws.ToInt32(l.Listener.InstancePort)),
		})
	}
	created := ""
	if lb.CreatedTime != nil {
		created = lb.CreatedTime.UTC().Format(time.RFC3339)
	}
	healthCheck := ""
	if lb.HealthCheck != nil {
		healthCheck = aws.ToString(lb.HealthCheck.Target)
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeClassicLB, InternalID: internalid.AWS(scope, dns), NativeIDs: map[string]any{"aws.elb.name": aws.ToString(lb.LoadBalancerName)}},
		Name:   aws.ToString(lb.LoadBalancerName),
		Status: counts.status(),
		Description: map[string]any{
			"cloud.region": region,
			"dns_name":     dns,
			"scheme":       aws.ToString(lb.Scheme),
		},
		Links: links,
		Body: map[string]any{
			"load_balancer_name": aws.ToString(lb.LoadBalancerName),
			"dns_name":           dns,
			"scheme":             aws.ToString(lb.Scheme),
			"vpc_id":             aws.ToString(lb.VPCId),
			"created_time":       created,
			"health_check":       healthCheck,
			"listeners":          listeners,
			"availability_zones": zones,
			"subnets":            subnets,
			"security_groups":    groups,
			"instances":          instances,
			"instance_health":    health,
		},
		ReportInterval: interval,
	}
}

// healthCounts are a load balancer's or target group's targets by health.
type healthCounts struct{ healthy, unhealthy, total int }

// status is Red when no target is healthy and some are not, Orange when
// some are not or none is healthy yet (initial, draining), Green when
// some are and none is unhealthy; none without targets.
func (h healthCounts) status() string {
	switch {
	case h.unhealthy > 0 && h.healthy == 0:
		return statusRed
	case h.unhealthy > 0:
		return statusOrange
	case h.healthy > 0:
		return statusGreen
	case h.total > 0:
		return statusOrange
	}
	return ""
}

func lbStatus(s string) string {
	switch s {
	case "active":
		return statusGreen
	case "provisioning", "active_impaired":
		return statusOrange
	case "":
		return ""
	}
	return statusRed
}

// targetGroupEntity is an ELB v2 target group: each load balancer → the
// group, VPC → the group, the group → each instance target (IP and Lambda
// targets are in the body). Its status sums up its targets' health.
func targetGroupEntity(scope, region string, tg targetGroup, interval time.Duration) entity.Entity {
	g := tg.group
	arn := aws.ToString(g.TargetGroupArn)
	var links []entity.Link
	var lbs []any
	for _, lb := range g.LoadBalancerArns {
		lbs = append(lbs, lb)
		links = append(links, parent(lbTypeOfARN(lb), internalid.AWS(scope, lb)))
	}
	if v := aws.ToString(g.VpcId); v != "" {
		links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
	}
	var targets []any
	var counts healthCounts
	for _, t := range tg.targets {
		if t.Target == nil {
			continue
		}
		id := aws.ToString(t.Target.Id)
		state, reason := "", ""
		if t.TargetHealth != nil {
			state, reason = string(t.TargetHealth.State), string(t.TargetHealth.Reason)
		}
		switch state {
		case "healthy":
			counts.healthy++
		case "unhealthy", "unavailable":
			counts.unhealthy++
		}
		counts.total++
		targets = append(targets, map[string]any{
			"id": id, "port": int64(aws.ToInt32(t.Target.Port)), "availability_zone": aws.ToString(t.Target.AvailabilityZone),
			"health": state, "reason": reason,
		})
		if g.TargetType == elbv2types.TargetTypeEnumInstance && id != "" {
			links = append(links, child(TypeInstance, internalid.AWS(scope, id)))
		}
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeTargetGroup, InternalID: internalid.AWS(scope, arn), NativeIDs: map[string]any{"aws.lb.target_group.arn": arn}},
		Name:   aws.ToString(g.TargetGroupName),
		Status: counts.status(),
		Description: map[string]any{
			"cloud.region": region,
			"target_type":  string(g.TargetType),
			"protocol":     string(g.Protocol),
			"port":         int64(aws.ToInt32(g.Port)),
		},
		Links: links,
		Body: map[string]any{
			"target_group_arn":  arn,
			"target_group_name": aws.ToString(g.TargetGroupName),
			"target_type":       string(g.TargetType),
			"protocol":          string(g.Protocol),
			"port":              int64(aws.ToInt32(g.Port)),
			"vpc_id":            aws.ToString(g.VpcId),
			"health_check_path": aws.ToString(g.HealthCheckPath),
			"load_balancers":    lbs,
			"targets":           targets,
		},
		ReportInterval: interval,
	}
}

// rdsEntity is an RDS DB instance. Its ID is the endpoint address, as the
// agent's; an instance without an endpoint yet (creating) uses its ARN.
func rdsEntity(scope, region string, db rdstypes.DBInstance, zoneIDs map[string]string, interval time.Duration) entity.Entity {
	key, port := rdsKey(db), int64(0)
	if db.Endpoint != nil {
		port = int64(aws.ToInt32(db.Endpoint.Port))
	}
	var links []entity.Link
	if z := zoneIDs[aws.ToString(db.AvailabilityZone)]; z != "" {
		// The agent linked the zone name, which no element has.
		links = append(links, parent(TypeAZ, internalid.AWS(scope, z)))
	}
	subnetGroup, vpc := "", ""
	var subnets []any
	if g := db.DBSubnetGroup; g != nil {
		subnetGroup, vpc = aws.ToString(g.DBSubnetGroupName), aws.ToString(g.VpcId)
		if vpc != "" {
			links = append(links, parent(TypeVPC, internalid.AWS(scope, vpc)))
		}
		for _, sn := range g.Subnets {
			id := aws.ToString(sn.SubnetIdentifier)
			subnets = append(subnets, id)
			links = append(links, parent(TypeSubnet, internalid.AWS(scope, id)))
		}
	}
	var groups []any
	for _, g := range db.VpcSecurityGroups {
		id := aws.ToString(g.VpcSecurityGroupId)
		groups = append(groups, id)
		links = append(links, child(TypeSG, internalid.AWS(scope, id)))
	}
	dbTags := make(map[string]any, len(db.TagList))
	for _, t := range db.TagList {
		dbTags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	status := aws.ToString(db.DBInstanceStatus)
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeRDS, InternalID: internalid.AWS(scope, key), NativeIDs: map[string]any{"aws.rds.db_instance.arn": aws.ToString(db.DBInstanceArn)}},
		Name:   aws.ToString(db.DBInstanceIdentifier),
		Status: rdsStatus(status),
		Description: map[string]any{
			"cloud.region":   region,
			"db.system.name": aws.ToString(db.Engine),
			"engine_version": aws.ToString(db.EngineVersion),
			"instance_class": aws.ToString(db.DBInstanceClass),
		},
		Links: links,
		Body: map[string]any{
			"db_instance_identifier": aws.ToString(db.DBInstanceIdentifier),
			"db_instance_arn":        aws.ToString(db.DBInstanceArn),
			"db_cluster_identifier":  aws.ToString(db.DBClusterIdentifier),
			"engine":                 aws.ToString(db.Engine),
			"engine_version":         aws.ToString(db.EngineVersion),
			"instance_class":         aws.ToString(db.DBInstanceClass),
			"status":                 status,
			"endpoint_port":          port,
			"availability_zone":      aws.ToString(db.AvailabilityZone),
			"multi_az":               aws.ToBool(db.MultiAZ),
			"publicly_accessible":    aws.ToBool(db.PubliclyAccessible),
			"storage_encrypted":      aws.ToBool(db.StorageEncrypted),
			"allocated_storage_gib":  int64(aws.ToInt32(db.AllocatedStorage)),
			"db_subnet_group":        subnetGroup,
			"vpc_id":                 vpc,
			"subnets":                subnets,
			"security_groups":        groups,
			"tags":                   dbTags,
		},
		ReportInterval: interval,
	}
}

// rdsKey is an RDS DB instance's ID: its endpoint address, else its ARN.
func rdsKey(db rdstypes.DBInstance) string { return awsnet.RDSID(db) }

// services is what awsnet's owner rule needs of a region's inventory.
func services(region string, inv regionInventory) *awsnet.Services {
	s := &awsnet.Services{Region: region, DBInstances: make([]awsnet.DBInstance, 0, len(inv.dbInstances))}
	for _, db := range inv.dbInstances {
		s.DBInstances = append(s.DBInstances, awsnet.NewDBInstance(db))
	}
	return s
}

// announceByOwner adds the addresses of the AWS services' network
// interfaces (ents[i] for i in eniAt, in the order of nis that are such
// interfaces) to their owner's entity, or to the interface's when the
// owner is not among ents.
func announceByOwner(scope string, svc *awsnet.Services, nis []ec2types.NetworkInterface, ents []entity.Entity, eniAt []int) {
	if len(eniAt) == 0 {
		return
	}
	byID := make(map[string]int, len(ents))
	for i, e := range ents {
		byID[e.InternalID] = i
	}
	n := 0
	for _, ni := range nis {
		owner := svc.OwnerOf(ni)
		if !owner.Service() {
			continue
		}
		at := eniAt[n]
		n++
		if i, ok := byID[owner.InternalID(scope)]; ok {
			ents[i].Addresses = append(ents[i].Addresses, addressStrings(ni)...)
			continue
		}
		ents[at].Addresses = addressStrings(ni)
	}
}

// addressStrings are ni's addresses, as announced.
func addressStrings(ni ec2types.NetworkInterface) []string {
	var out []string
	for _, a := range awsnet.Addresses(ni) {
		out = append(out, a.String())
	}
	return out
}

// rdsClusterEntity is an RDS (Aurora or Multi-AZ) DB cluster, its writer
// endpoint in the ID like a DB instance's (the ARN without one): VPC →
// cluster (its members' VPC), cluster → each member DB instance, cluster →
// each VPC security group.
func rdsClusterEntity(scope, region string, c rdstypes.DBCluster, instances []rdstypes.DBInstance, interval time.Duration) entity.Entity {
	key := firstNonEmpty(aws.ToString(c.Endpoint), aws.ToString(c.DBClusterArn))
	byName := map[string]rdstypes.DBInstance{}
	for _, db := range instances {
		byName[aws.ToString(db.DBInstanceIdentifier)] = db
	}
	var links []entity.Link
	vpc := ""
	var members []any
	for _, m := range c.DBClusterMembers {
		name := aws.ToString(m.DBInstanceIdentifier)
		members = append(members, map[string]any{"db_instance_identifier": name, "is_writer": aws.ToBool(m.IsClusterWriter)})
		db, ok := byName[name]
		if !ok {
			continue
		}
		if g := db.DBSubnetGroup; g != nil && vpc == "" {
			vpc = aws.ToString(g.VpcId)
		}
		links = append(links, child(TypeRDS, internalid.AWS(scope, rdsKey(db))))
	}
	if vpc != "" {
		links = append([]entity.Link{parent(TypeVPC, internalid.AWS(scope, vpc))}, links...)
	}
	var groups, zones []any
	for _, g := range c.VpcSecurityGroups {
		id := aws.ToString(g.VpcSecurityGroupId)
		groups = append(groups, id)
		links = append(links, child(TypeSG, internalid.AWS(scope, id)))
	}
	for _, z := range c.AvailabilityZones {
		zones = append(zones, z)
	}
	created := ""
	if c.ClusterCreateTime != nil {
		created = c.ClusterCreateTime.UTC().Format(time.RFC3339)
	}
	clusterTags := make(map[string]any, len(c.TagList))
	for _, t := range c.TagList {
		clusterTags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	status := aws.ToString(c.Status)
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeRDSCluster, InternalID: internalid.AWS(scope, key), NativeIDs: map[string]any{"aws.rds.db_cluster.arn": aws.ToString(c.DBClusterArn)}},
		Name:   aws.ToString(c.DBClusterIdentifier),
		Status: rdsStatus(status),
		Description: map[string]any{
			"cloud.region":   region,
			"db.system.name": aws.ToString(c.Engine),
			"engine_version": aws.ToString(c.EngineVersion),
		},
		Links: links,
		Body: map[string]any{
			"db_cluster_identifier": aws.ToString(c.DBClusterIdentifier),
			"db_cluster_arn":        aws.ToString(c.DBClusterArn),
			"engine":                aws.ToString(c.Engine),
			"engine_version":        aws.ToString(c.EngineVersion),
			"engine_mode":           aws.ToString(c.EngineMode),
			"status":                status,
			"endpoint":              aws.ToString(c.Endpoint),
			"reader_endpoint":       aws.ToString(c.ReaderEndpoint),
			"port":                  int64(aws.ToInt32(c.Port)),
			"multi_az":              aws.ToBool(c.MultiAZ),
			"storage_encrypted":     aws.ToBool(c.StorageEncrypted),
			"db_subnet_group":       aws.ToString(c.DBSubnetGroup),
			"vpc_id":                vpc,
			"availability_zones":    zones,
			"members":               members,
			"security_groups":       groups,
			"created_time":          created,
			"tags":                  clusterTags,
		},
		ReportInterval: interval,
	}
}

// rdsStatus follows the agent's lists (which it compared capitalized, so
// they never matched; RDS reports lower case).
func rdsStatus(s string) string {
	switch s {
	case "available", "configuring-enhanced-monitoring", "configuring-iam-database-auth", "resetting-master-credentials", "renaming":
		return statusGreen
	case "restore-error", "storage-full", "failed", "deleting", "stopped", "stopping":
		return statusRed
	case "":
		return ""
	}
	return statusOrange
}

// volumeEntity is an EBS volume; each instance it is attached to lists
// it: instance → volume.
func volumeEntity(scope, region string, v ec2types.Volume, interval time.Duration) entity.Entity {
	id := aws.ToString(v.VolumeId)
	var links []entity.Link
	var attachments []any
	for _, a := range v.Attachments {
		inst := aws.ToString(a.InstanceId)
		if inst == "" {
			continue
		}
		links = append(links, parent(TypeInstance, internalid.AWS(scope, inst)))
		attachments = append(attachments, map[string]any{"instance_id": inst, "device": aws.ToString(a.Device), "state": string(a.State)})
	}
	created := ""
	if v.CreateTime != nil {
		created = v.CreateTime.UTC().Format(time.RFC3339)
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeVolume, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.volume.id": id}},
		Name:   nameOr(v.Tags, id),
		Status: volumeStatus(string(v.State)),
		Description: map[string]any{
			"cloud.region":            region,
			"cloud.availability_zone": aws.ToString(v.AvailabilityZone),
			"volume_type":             string(v.VolumeType),
			"size_gib":                int64(aws.ToInt32(v.Size)),
		},
		Links: links,
		Body: map[string]any{
			"volume_id":         id,
			"volume_type":       string(v.VolumeType),
			"size_gib":          int64(aws.ToInt32(v.Size)),
			"iops":              int64(aws.ToInt32(v.Iops)),
			"encrypted":         aws.ToBool(v.Encrypted),
			"snapshot_id":       aws.ToString(v.SnapshotId),
			"availability_zone": aws.ToString(v.AvailabilityZone),
			"state":             string(v.State),
			"create_time":       created,
			"attachments":       attachments,
			"tags":              tags(v.Tags),
		},
		ReportInterval: interval,
	}
}

func volumeStatus(s string) string {
	switch s {
	case "in-use", "available":
		return statusGreen
	case "creating", "deleting":
		return statusOrange
	case "":
		return ""
	}
	return statusRed
}

// networkEntities are the DHCP option sets, route tables, internet and NAT gateways and
// network ACLs of a region.
func networkEntities(scope, region string, inv regionInventory, interval time.Duration) []entity.Entity {
	var out []entity.Entity
	for _, d := range inv.dhcpOptions {
		id := aws.ToString(d.DhcpOptionsId)
		conf := map[string]any{}
		for _, c := range d.DhcpConfigurations {
			var vals []any
			for _, v := range c.Values {
				vals = append(vals, aws.ToString(v.Value))
			}
			conf[aws.ToString(c.Key)] = vals
		}
		out = append(out, entity.Entity{
			Ref:            entity.Ref{Type: TypeDHCP, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.dhcp_options.id": id}},
			Name:           nameOr(d.Tags, id),
			Description:    map[string]any{"cloud.region": region},
			Links:          ownerLinks(d.OwnerId),
			Body:           map[string]any{"dhcp_options_id": id, "owner_id": aws.ToString(d.OwnerId), "configuration": conf, "tags": tags(d.Tags)},
			ReportInterval: interval,
		})
	}
	for _, rt := range inv.routeTables {
		id := aws.ToString(rt.RouteTableId)
		links := append([]entity.Link{parent(TypeVPC, internalid.AWS(scope, aws.ToString(rt.VpcId)))}, ownerLinks(rt.OwnerId)...)
		var subnets []any
		main := false
		for _, a := range rt.Associations {
			main = main || aws.ToBool(a.Main)
			if s := aws.ToString(a.SubnetId); s != "" {
				subnets = append(subnets, s)
				links = append(links, child(TypeSubnet, internalid.AWS(scope, s)))
			}
		}
		var routes []any
		for _, r := range rt.Routes {
			dest := aws.ToString(r.DestinationCidrBlock)
			if dest == "" {
				dest = aws.ToString(r.DestinationIpv6CidrBlock)
			}
			if dest == "" {
				dest = aws.ToString(r.DestinationPrefixListId)
			}
			target := firstNonEmpty(aws.ToString(r.GatewayId), aws.ToString(r.NatGatewayId), aws.ToString(r.InstanceId),
				aws.ToString(r.NetworkInterfaceId), aws.ToString(r.TransitGatewayId), aws.ToString(r.VpcPeeringConnectionId),
				aws.ToString(r.EgressOnlyInternetGatewayId), aws.ToString(r.LocalGatewayId), aws.ToString(r.CarrierGatewayId))
			routes = append(routes, map[string]any{"destination": dest, "target": target, "state": string(r.State)})
		}
		out = append(out, entity.Entity{
			Ref:            entity.Ref{Type: TypeRouteTable, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.route_table.id": id}},
			Name:           nameOr(rt.Tags, id),
			Description:    map[string]any{"cloud.region": region, "main": main},
			Links:          links,
			Body:           map[string]any{"route_table_id": id, "vpc_id": aws.ToString(rt.VpcId), "owner_id": aws.ToString(rt.OwnerId), "main": main, "subnets": subnets, "routes": routes, "tags": tags(rt.Tags)},
			ReportInterval: interval,
		})
	}
	for _, g := range inv.internetGateways {
		id := aws.ToString(g.InternetGatewayId)
		var links []entity.Link
		var vpcs []any
		for _, a := range g.Attachments {
			if v := aws.ToString(a.VpcId); v != "" {
				vpcs = append(vpcs, v)
				links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
			}
		}
		out = append(out, entity.Entity{
			Ref:            entity.Ref{Type: TypeInternetGateway, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.internet_gateway.id": id}},
			Name:           nameOr(g.Tags, id),
			Description:    map[string]any{"cloud.region": region},
			Links:          links,
			Body:           map[string]any{"internet_gateway_id": id, "owner_id": aws.ToString(g.OwnerId), "vpcs": vpcs, "tags": tags(g.Tags)},
			ReportInterval: interval,
		})
	}
	for _, n := range inv.natGateways {
		id := aws.ToString(n.NatGatewayId)
		var addrs []string
		var addrBody []any
		for _, a := range n.NatGatewayAddresses {
			for _, ip := range []string{aws.ToString(a.PrivateIp), aws.ToString(a.PublicIp)} {
				if ip != "" {
					addrs = append(addrs, ip)
				}
			}
			addrBody = append(addrBody, map[string]any{
				"private_ip": aws.ToString(a.PrivateIp), "public_ip": aws.ToString(a.PublicIp),
				"network_interface_id": aws.ToString(a.NetworkInterfaceId), "allocation_id": aws.ToString(a.AllocationId),
			})
		}
		created := ""
		if n.CreateTime != nil {
			created = n.CreateTime.UTC().Format(time.RFC3339)
		}
		out = append(out, entity.Entity{
			Ref:         entity.Ref{Type: TypeNATGateway, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.nat_gateway.id": id}},
			Name:        nameOr(n.Tags, id),
			Status:      availability(string(n.State)),
			Description: map[string]any{"cloud.region": region, "connectivity_type": string(n.ConnectivityType)},
			Addresses:   addrs,
			Links: []entity.Link{
				parent(TypeVPC, internalid.AWS(scope, aws.ToString(n.VpcId))),
				parent(TypeSubnet, internalid.AWS(scope, aws.ToString(n.SubnetId))),
			},
			Body:           map[string]any{"nat_gateway_id": id, "subnet_id": aws.ToString(n.SubnetId), "vpc_id": aws.ToString(n.VpcId), "state": string(n.State), "connectivity_type": string(n.ConnectivityType), "create_time": created, "addresses": addrBody, "tags": tags(n.Tags)},
			ReportInterval: interval,
		})
	}
	for _, acl := range inv.networkACLs {
		id := aws.ToString(acl.NetworkAclId)
		links := []entity.Link{parent(TypeVPC, internalid.AWS(scope, aws.ToString(acl.VpcId)))}
		var subnets []any
		for _, a := range acl.Associations {
			if s := aws.ToString(a.SubnetId); s != "" {
				subnets = append(subnets, s)
				links = append(links, child(TypeSubnet, internalid.AWS(scope, s)))
			}
		}
		var entries []any
		for _, e := range acl.Entries {
			entry := map[string]any{
				"rule_number": int64(aws.ToInt32(e.RuleNumber)), "protocol": aws.ToString(e.Protocol),
				"action": string(e.RuleAction), "egress": aws.ToBool(e.Egress),
				"cidr": firstNonEmpty(aws.ToString(e.CidrBlock), aws.ToString(e.Ipv6CidrBlock)),
			}
			if e.PortRange != nil {
				entry["from_port"] = int64(aws.ToInt32(e.PortRange.From))
				entry["to_port"] = int64(aws.ToInt32(e.PortRange.To))
			}
			entries = append(entries, entry)
		}
		out = append(out, entity.Entity{
			Ref:            entity.Ref{Type: TypeNetworkACL, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.network_acl.id": id}},
			Name:           nameOr(acl.Tags, id),
			Description:    map[string]any{"cloud.region": region, "is_default": aws.ToBool(acl.IsDefault)},
			Links:          links,
			Body:           map[string]any{"network_acl_id": id, "vpc_id": aws.ToString(acl.VpcId), "owner_id": aws.ToString(acl.OwnerId), "is_default": aws.ToBool(acl.IsDefault), "subnets": subnets, "entries": entries, "tags": tags(acl.Tags)},
			ReportInterval: interval,
		})
	}
	return out
}

// child is the structural edge a parent lists to its child.
func child(typ, id string) entity.Link {
	return entity.Link{Type: entity.RelParentChild, Direction: entity.Outgoing, Target: entity.Ref{Type: typ, InternalID: id}}
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// eniEntity is a network interface. Its addresses are announced only when
// no instance is attached and it is not a NAT gateway's: an instance's and
// a NAT gateway's addresses resolve to them, the others (load balancers,
// Lambda, RDS …) to the interface.
func eniEntity(scope, region string, ni ec2types.NetworkInterface, owner awsnet.Owner, interval time.Duration) entity.Entity {
	id := aws.ToString(ni.NetworkInterfaceId)
	var ips []any
	for _, pa := range ni.PrivateIpAddresses {
		ips = append(ips, aws.ToString(pa.PrivateIpAddress))
	}
	public := ""
	if ni.Association != nil {
		public = aws.ToString(ni.Association.PublicIp)
	}
	var links []entity.Link
	if s := aws.ToString(ni.SubnetId); s != "" {
		links = append(links, parent(TypeSubnet, internalid.AWS(scope, s)))
	}
	instance := ""
	if ni.Attachment != nil {
		instance = aws.ToString(ni.Attachment.InstanceId)
	}
	// The element that answers for the addresses (the flow-log receiver
	// resolves with the same rule): the instance it is attached to, the
	// NAT gateway it belongs to, else the ENI, which then announces them.
	var addrs []string
	switch {
	case owner.Type == awsnet.TypeInstance:
		links = append(links, parent(TypeInstance, owner.InternalID(scope)))
	case owner.Type == awsnet.TypeENI:
		addrs = addressStrings(ni)
	case owner.Service():
		// RDS instance, load balancer, function, cluster → its interface.
		links = append(links, parent(owner.Type, owner.InternalID(scope)))
	}
	var groups []any
	for _, g := range ni.Groups {
		groups = append(groups, aws.ToString(g.GroupId))
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeENI, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"aws.network_interface.id": id}},
		Name:   nameOr(ni.TagSet, id),
		Status: eniStatus(string(ni.Status)),
		Description: map[string]any{
			"cloud.region":            region,
			"cloud.availability_zone": aws.ToString(ni.AvailabilityZone),
			"interface_type":          string(ni.InterfaceType),
			"description":             aws.ToString(ni.Description),
		},
		Addresses: addrs,
		Links:     links,
		Body: map[string]any{
			"network_interface_id": id,
			"interface_type":       string(ni.InterfaceType),
			"description":          aws.ToString(ni.Description),
			"status":               string(ni.Status),
			"subnet_id":            aws.ToString(ni.SubnetId),
			"vpc_id":               aws.ToString(ni.VpcId),
			"instance_id":          instance,
			"requester_id":         aws.ToString(ni.RequesterId),
			"mac_address":          aws.ToString(ni.MacAddress),
			"private_ip_addresses": ips,
			"public_ip":            public,
			"security_groups":      groups,
			"tags":                 tags(ni.TagSet),
		},
		ReportInterval: interval,
	}
}

func eniStatus(s string) string {
	switch s {
	case "in-use", "available":
		return statusGreen
	case "attaching", "detaching", "associated":
		return statusOrange
	case "":
		return ""
	}
	return statusRed
}

func instanceEntity(scope, region string, in ec2types.Instance, interval time.Duration) entity.Entity {
	id := aws.ToString(in.InstanceId)
	state := ""
	if in.State != nil {
		state = string(in.State.Name)
	}
	az := ""
	if in.Placement != nil {
		az = aws.ToString(in.Placement.AvailabilityZone)
	}
	var addrs []string
	var enis []any
	addAddr := func(a string) {
		if a == "" {
			return
		}
		for _, x := range addrs {
			if x == a {
				return
			}
		}
		addrs = append(addrs, a)
	}
	addAddr(aws.ToString(in.PrivateIpAddress))
	addAddr(aws.ToString(in.PublicIpAddress))
	for _, ni := range in.NetworkInterfaces {
		enis = append(enis, aws.ToString(ni.NetworkInterfaceId))
		for _, pa := range ni.PrivateIpAddresses {
			addAddr(aws.ToString(pa.PrivateIpAddress))
		}
	}
	var links []entity.Link
	if v := aws.ToString(in.VpcId); v != "" {
		links = append(links, parent(TypeVPC, internalid.AWS(scope, v)))
	}
	if s := aws.ToString(in.SubnetId); s != "" {
		links = append(links, parent(TypeSubnet, internalid.AWS(scope, s)))
	}
	var groups []any
	for _, g := range in.SecurityGroups {
		gid := aws.ToString(g.GroupId)
		groups = append(groups, gid)
		// instance → security group, listed by the instance.
		links = append(links, entity.Link{Type: entity.RelParentChild, Direction: entity.Outgoing,
			Target: entity.Ref{Type: TypeSG, InternalID: internalid.AWS(scope, gid)}})
	}
	launch := ""
	if in.LaunchTime != nil {
		launch = in.LaunchTime.UTC().Format(time.RFC3339)
	}
	profile := ""
	if in.IamInstanceProfile != nil {
		profile = aws.ToString(in.IamInstanceProfile.Arn)
	}
	return entity.Entity{
		Ref:    entity.Ref{Type: TypeInstance, InternalID: internalid.AWS(scope, id), NativeIDs: map[string]any{"host.id": id}},
		Name:   nameOr(in.Tags, id),
		Status: instanceStatus(state),
		Description: map[string]any{
			"cloud.region":            region,
			"cloud.availability_zone": az,
			"host.type":               string(in.InstanceType),
			"state":                   state,
		},
		Addresses: addrs,
		Links:     links,
		Body: map[string]any{
			"instance_id":          id,
			"instance_type":        string(in.InstanceType),
			"image_id":             aws.ToString(in.ImageId),
			"state":                state,
			"subnet_id":            aws.ToString(in.SubnetId),
			"vpc_id":               aws.ToString(in.VpcId),
			"private_ip_address":   aws.ToString(in.PrivateIpAddress),
			"public_ip_address":    aws.ToString(in.PublicIpAddress),
			"availability_zone":    az,
			"launch_time":          launch,
			"network_interfaces":   enis,
			"security_groups":      groups,
			"iam_instance_profile": profile,
			"tags":                 tags(in.Tags),
		},
		ReportInterval: interval,
	}
}

// permissions flattens security group rules: protocol, ports, and the
// CIDRs and groups they allow.
func permissions(ps []ec2types.IpPermission) []any {
	out := make([]any, 0, len(ps))
	for _, p := range ps {
		var cidrs, groups []any
		for _, r := range p.IpRanges {
			cidrs = append(cidrs, aws.ToString(r.CidrIp))
		}
		for _, r := range p.Ipv6Ranges {
			cidrs = append(cidrs, aws.ToString(r.CidrIpv6))
		}
		for _, g := range p.UserIdGroupPairs {
			groups = append(groups, aws.ToString(g.GroupId))
		}
		out = append(out, map[string]any{
			"protocol":  aws.ToString(p.IpProtocol),
			"from_port": int64(aws.ToInt32(p.FromPort)),
			"to_port":   int64(aws.ToInt32(p.ToPort)),
			"cidrs":     cidrs,
			"groups":    groups,
		})
	}
	return out
}

// bucketEntities are the account's S3 buckets: owner → bucket, as the
// agent.
func bucketEntities(scope string, owner entity.Ref, buckets []s3types.Bucket, interval time.Duration) []entity.Entity {
	out := make([]entity.Entity, 0, len(buckets))
	for _, b := range buckets {
		name := aws.ToString(b.Name)
		created := ""
		if b.CreationDate != nil {
			created = b.CreationDate.UTC().Format(time.RFC3339)
		}
		out = append(out, entity.Entity{
			Ref:            entity.Ref{Type: TypeS3Bucket, InternalID: internalid.AWS(scope, name), NativeIDs: map[string]any{"aws.s3.bucket": name}},
			Name:           name,
			Description:    map[string]any{"cloud.region": aws.ToString(b.BucketRegion)},
			Links:          []entity.Link{parent(TypeOwner, owner.InternalID)},
			Body:           map[string]any{"name": name, "creation_date": created, "region": aws.ToString(b.BucketRegion)},
			ReportInterval: interval,
		})
	}
	return out
}

// ownerEntity is the account: the agent's aws.owner element, its ID the
// bare account ID whatever the scope.
func ownerEntity(account string, interval time.Duration) entity.Entity {
	return entity.Entity{
		Ref:            entity.Ref{Type: TypeOwner, InternalID: internalid.AWSOwner(account), NativeIDs: map[string]any{"cloud.account.id": account}},
		Name:           account,
		Body:           map[string]any{"account_id": account},
		ReportInterval: interval,
	}
}

// ownedBy drops from ents the owner links to any owner but the crawled
// account's: a resource shared from another account (a subnet of a shared
// VPC) names an owner that is not crawled, and the edge would dangle.
func ownedBy(owner entity.Ref, ents []entity.Entity) []entity.Entity {
	for i := range ents {
		ents[i].Links = slices.DeleteFunc(ents[i].Links, func(l entity.Link) bool {
			return l.Target.Type == TypeOwner && l.Target.InternalID != owner.InternalID
		})
	}
	return ents
}

// ownerLinks is owner → resource, listed by the resource, as the agent
// did for VPCs, subnets and route tables.
func ownerLinks(owner *string) []entity.Link {
	if aws.ToString(owner) == "" {
		return nil
	}
	return []entity.Link{parent(TypeOwner, internalid.AWSOwner(aws.ToString(owner)))}
}

// parent is the structural edge a child lists to its parent.
func parent(typ, id string) entity.Link {
	return entity.Link{Type: entity.RelParentChild, Direction: entity.Incoming, Target: entity.Ref{Type: typ, InternalID: id}}
}

func tags(ts []ec2types.Tag) map[string]any {
	m := make(map[string]any, len(ts))
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// nameOr is the Name tag, else fallback.
func nameOr(ts []ec2types.Tag, fallback string) string {
	for _, t := range ts {
		if aws.ToString(t.Key) == "Name" && aws.ToString(t.Value) != "" {
			return aws.ToString(t.Value)
		}
	}
	return fallback
}

func availability(state string) string {
	switch state {
	case "available":
		return statusGreen
	case "pending":
		return statusOrange
	case "":
		return ""
	}
	return statusRed
}

func instanceStatus(state string) string {
	switch state {
	case "running":
		return statusGreen
	case "pending", "stopping", "shutting-down", "rebooting":
		return statusOrange
	case "stopped", "terminated":
		return statusRed
	}
	return ""
}
