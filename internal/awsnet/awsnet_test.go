package awsnet

import (
	"net/netip"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const account = "123456789012"

func attached(instance, owner string) *ec2types.NetworkInterfaceAttachment {
	a := &ec2types.NetworkInterfaceAttachment{InstanceOwnerId: aws.String(owner)}
	if instance != "" {
		a.InstanceId = aws.String(instance)
	}
	return a
}

func TestOwnerOf(t *testing.T) {
	tests := []struct {
		name string
		ni   ec2types.NetworkInterface
		want Owner
		// services is the owner with services (region eu-west-1, one DB
		// instance); zero means the same as want.
		services Owner
	}{
		{
			name: "attached to an instance",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-1"), OwnerId: aws.String(account),
				Attachment: attached("i-0123456789abcdef0", account), InterfaceType: ec2types.NetworkInterfaceTypeInterface},
			want: Owner{Type: TypeInstance, AWSID: "i-0123456789abcdef0"},
		},
		{
			name: "attached, instance owner not reported",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-1"),
				Attachment: &ec2types.NetworkInterfaceAttachment{InstanceId: aws.String("i-1")}},
			want: Owner{Type: TypeInstance, AWSID: "i-1"},
		},
		{
			name: "attached to an instance of another account",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-2"), OwnerId: aws.String(account),
				Attachment: attached("i-0fff", "602401143452"), Description: aws.String("Amazon EKS shop-eks")},
			want:     Owner{Type: TypeENI, AWSID: "eni-2"},
			services: Owner{Type: TypeEKS, AWSID: "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks"},
		},
		{
			name: "NAT gateway",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-3"), OwnerId: aws.String(account),
				InterfaceType: "nat_gateway", // what EC2 sends
				Description:   aws.String("Interface for NAT Gateway nat-0123456789abcdef0")},
			want: Owner{Type: TypeNATGateway, AWSID: "nat-0123456789abcdef0"},
		},
		{
			name: "NAT gateway, the SDK's spelling",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-3"),
				InterfaceType: ec2types.NetworkInterfaceTypeNatGateway, // "natGateway"
				Description:   aws.String("Interface for NAT Gateway nat-0abc")},
			want: Owner{Type: TypeNATGateway, AWSID: "nat-0abc"},
		},
		{
			name: "NAT gateway without its ID in the description",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-4"),
				InterfaceType: "nat_gateway", Description: aws.String("")},
			want: Owner{Type: TypeENI, AWSID: "eni-4"},
		},
		{
			name: "NAT gateway with a malformed ID",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-5"),
				InterfaceType: "nat_gateway", Description: aws.String("Interface for NAT Gateway nat-XYZ")},
			want: Owner{Type: TypeENI, AWSID: "eni-5"},
		},
		{
			name: "NAT description on an ordinary interface",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-6"),
				InterfaceType: ec2types.NetworkInterfaceTypeInterface, Description: aws.String("Interface for NAT Gateway nat-0abc")},
			want: Owner{Type: TypeENI, AWSID: "eni-6"},
		},
		{
			name: "load balancer",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-7"), OwnerId: aws.String(account),
				Attachment: attached("", "amazon-elb"), Description: aws.String("ELB app/shop-alb/50dc6c495c0c9188")},
			want:     Owner{Type: TypeENI, AWSID: "eni-7"},
			services: Owner{Type: TypeALB, AWSID: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188"},
		},
		{
			name: "network load balancer",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-7n"), OwnerId: aws.String(account),
				Description: aws.String("ELB net/shop-db-nlb/7a9b2f5e8c1d3e4f"), InterfaceType: "network_load_balancer"},
			want:     Owner{Type: TypeENI, AWSID: "eni-7n"},
			services: Owner{Type: TypeNLB, AWSID: "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/shop-db-nlb/7a9b2f5e8c1d3e4f"},
		},
		{
			name: "classic load balancer: its ID is its DNS name, not in the ENI",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-7c"), OwnerId: aws.String(account),
				Description: aws.String("ELB legacy-web")},
			want: Owner{Type: TypeENI, AWSID: "eni-7c"},
		},
		{
			name: "Lambda",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-9"), OwnerId: aws.String(account),
				InterfaceType: ec2types.NetworkInterfaceTypeLambda,
				Description:   aws.String("AWS Lambda VPC ENI-shop-thumbnailer-0f6c2d4e-1a2b-4c3d-9e8f-0123456789ab")},
			want:     Owner{Type: TypeENI, AWSID: "eni-9"},
			services: Owner{Type: TypeLambda, AWSID: "arn:aws:lambda:eu-west-1:123456789012:function:shop-thumbnailer"},
		},
		{
			name: "Lambda description without the UUID",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-9b"), OwnerId: aws.String(account),
				InterfaceType: ec2types.NetworkInterfaceTypeLambda, Description: aws.String("AWS Lambda VPC ENI-shop")},
			want: Owner{Type: TypeENI, AWSID: "eni-9b"},
		},
		{
			name: "RDS: subnet group and security groups match one DB instance",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-10"), OwnerId: aws.String(account),
				RequesterId: aws.String("amazon-rds"), Description: aws.String("RDSNetworkInterface"),
				VpcId: aws.String("vpc-1"), SubnetId: aws.String("subnet-b"),
				Groups: []ec2types.GroupIdentifier{{GroupId: aws.String("sg-2")}, {GroupId: aws.String("sg-1")}}},
			want:     Owner{Type: TypeENI, AWSID: "eni-10"},
			services: Owner{Type: TypeRDS, AWSID: "shop-db.cabcdefghijk.eu-west-1.rds.amazonaws.com"},
		},
		{
			name: "RDS: security groups differ",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-11"), OwnerId: aws.String(account),
				RequesterId: aws.String("amazon-rds"), VpcId: aws.String("vpc-1"), SubnetId: aws.String("subnet-b"),
				Groups: []ec2types.GroupIdentifier{{GroupId: aws.String("sg-1")}}},
			want: Owner{Type: TypeENI, AWSID: "eni-11"},
		},
		{
			name: "RDS: two DB instances match",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-12"), OwnerId: aws.String(account),
				RequesterId: aws.String("amazon-rds"), VpcId: aws.String("vpc-1"), SubnetId: aws.String("subnet-c"),
				Groups: []ec2types.GroupIdentifier{{GroupId: aws.String("sg-3")}}},
			want: Owner{Type: TypeENI, AWSID: "eni-12"},
		},
		{
			name: "VPC endpoint: no inventory element",
			ni: ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-13"), OwnerId: aws.String(account),
				InterfaceType: ec2types.NetworkInterfaceTypeVpcEndpoint, Description: aws.String("VPC Endpoint Interface vpce-0abc")},
			want: Owner{Type: TypeENI, AWSID: "eni-13"},
		},
		{
			name: "unattached",
			ni:   ec2types.NetworkInterface{NetworkInterfaceId: aws.String("eni-8"), Status: ec2types.NetworkInterfaceStatusAvailable},
			want: Owner{Type: TypeENI, AWSID: "eni-8"},
		},
	}
	svc := &Services{Region: "eu-west-1", DBInstances: []DBInstance{
		{ID: "shop-db.cabcdefghijk.eu-west-1.rds.amazonaws.com", VPC: "vpc-1", Subnets: []string{"subnet-a", "subnet-b"}, SecurityGroups: []string{"sg-1", "sg-2"}},
		{ID: "a.rds", VPC: "vpc-1", Subnets: []string{"subnet-c"}, SecurityGroups: []string{"sg-3"}},
		{ID: "b.rds", VPC: "vpc-1", Subnets: []string{"subnet-c"}, SecurityGroups: []string{"sg-3"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, (*Services)(nil).OwnerOf(tt.ni))
			want := tt.services
			if want == (Owner{}) {
				want = tt.want
			}
			assert.Equal(t, want, svc.OwnerOf(tt.ni))
			assert.Equal(t, want, New([]ec2types.NetworkInterface{tt.ni}, WithServices(svc)).byID[*tt.ni.NetworkInterfaceId].Owner)
		})
	}
	assert.Equal(t, "123456789012@i-1", Owner{Type: TypeInstance, AWSID: "i-1"}.InternalID(account))
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func privateIP(ip, public string) ec2types.NetworkInterfacePrivateIpAddress {
	p := ec2types.NetworkInterfacePrivateIpAddress{PrivateIpAddress: aws.String(ip)}
	if public != "" {
		p.Association = &ec2types.NetworkInterfaceAssociation{PublicIp: aws.String(public)}
	}
	return p
}

func TestIndexAddresses(t *testing.T) {
	x := New([]ec2types.NetworkInterface{
		{
			NetworkInterfaceId: aws.String("eni-web"), VpcId: aws.String("vpc-a"), OwnerId: aws.String(account),
			Attachment:       attached("i-web", account),
			PrivateIpAddress: aws.String("10.0.1.5"),
			Association:      &ec2types.NetworkInterfaceAssociation{PublicIp: aws.String("54.72.10.20")},
			PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{
				privateIP("10.0.1.5", "54.72.10.20"),
				privateIP("10.0.1.6", ""),            // secondary
				privateIP("10.0.1.7", "54.72.10.21"), // secondary with its own elastic IP
			},
			Ipv6Address:   aws.String("2001:db8:1234:1a00::5"),
			Ipv6Addresses: []ec2types.NetworkInterfaceIpv6Address{{Ipv6Address: aws.String("2001:DB8:1234:1a00:0:0:0:5")}, {Ipv6Address: aws.String("2001:db8:1234:1a00::6")}},
		},
		{NetworkInterfaceId: aws.String("eni-bad"), PrivateIpAddress: aws.String("not an ip")},
		{PrivateIpAddress: aws.String("10.9.9.9")}, // no ID: skipped
	})
	require.Equal(t, 2, x.Len())
	web, ok := x.Interface("eni-web")
	require.True(t, ok)
	assert.Equal(t, []netip.Addr{
		addr("10.0.1.5"), addr("10.0.1.6"), addr("10.0.1.7"), addr("54.72.10.20"), addr("54.72.10.21"),
		addr("2001:db8:1234:1a00::5"), addr("2001:db8:1234:1a00::6"),
	}, web.Addrs, "sorted, IPv6 canonical, duplicates once")
	assert.Equal(t, "vpc-a", web.VPC)
	assert.Equal(t, account, web.Account)
	for _, a := range web.Addrs {
		assert.True(t, web.Has(a), a)
		o, ok := x.Lookup(a, "")
		assert.True(t, ok, a)
		assert.Equal(t, Owner{Type: TypeInstance, AWSID: "i-web"}, o, a)
	}
	assert.True(t, web.Has(addr("::ffff:10.0.1.6").Unmap()))
	assert.False(t, web.Has(addr("10.0.1.8")))
	o, ok := x.Lookup(addr("::ffff:10.0.1.6"), "")
	assert.True(t, ok, "IPv4-mapped IPv6 finds the IPv4 address")
	assert.Equal(t, "i-web", o.AWSID)
	_, ok = x.Lookup(addr("10.9.9.9"), "")
	assert.False(t, ok)
	bad, ok := x.Interface("eni-bad")
	require.True(t, ok)
	assert.Empty(t, bad.Addrs)
	assert.True(t, x.HasAccount(account))
	assert.False(t, x.HasAccount("210987654321"))
	assert.False(t, x.HasAccount(""))
	_, ok = x.Interface("eni-nope")
	assert.False(t, ok)
}

// Two VPCs use the same private range: the flow's VPC decides; without it,
// or when neither ENI is in it, the address is ambiguous.
func TestIndexOverlappingVPCs(t *testing.T) {
	x := New([]ec2types.NetworkInterface{
		{NetworkInterfaceId: aws.String("eni-a"), VpcId: aws.String("vpc-a"), Attachment: attached("i-a", ""),
			PrivateIpAddress: aws.String("10.0.1.5"), PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{privateIP("10.0.1.5", "")}},
		{NetworkInterfaceId: aws.String("eni-b"), VpcId: aws.String("vpc-b"),
			PrivateIpAddress: aws.String("10.0.1.5"), PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{privateIP("10.0.1.5", "")}},
		{NetworkInterfaceId: aws.String("eni-c"), VpcId: aws.String("vpc-b"), Attachment: attached("i-c", ""),
			PrivateIpAddress: aws.String("10.1.0.9")},
	})
	tests := []struct {
		ip, vpc string
		want    string // AWS ID; "" not found
	}{
		{"10.0.1.5", "vpc-a", "i-a"},
		{"10.0.1.5", "vpc-b", "eni-b"},
		{"10.0.1.5", "", ""},
		{"10.0.1.5", "vpc-z", ""},
		{"10.1.0.9", "vpc-a", "i-c"}, // one holder, in another (peered) VPC
		{"10.1.0.9", "", "i-c"},
	}
	for _, tt := range tests {
		o, ok := x.Lookup(addr(tt.ip), tt.vpc)
		assert.Equal(t, tt.want != "", ok, "%s in %q", tt.ip, tt.vpc)
		assert.Equal(t, tt.want, o.AWSID, "%s in %q", tt.ip, tt.vpc)
	}
}

// Two ENIs of one instance hold addresses of distinct VPCs: both resolve
// to the instance; an address both hold in one VPC is still one owner.
func TestIndexOneOwnerManyENIs(t *testing.T) {
	x := New([]ec2types.NetworkInterface{
		{NetworkInterfaceId: aws.String("eni-1"), VpcId: aws.String("vpc-a"), Attachment: attached("i-multi", ""), PrivateIpAddress: aws.String("10.0.1.5")},
		{NetworkInterfaceId: aws.String("eni-2"), VpcId: aws.String("vpc-b"), Attachment: attached("i-multi", ""), PrivateIpAddress: aws.String("10.0.1.5")},
	})
	o, ok := x.Lookup(addr("10.0.1.5"), "")
	assert.True(t, ok)
	assert.Equal(t, Owner{Type: TypeInstance, AWSID: "i-multi"}, o)
}

// Without instance secondaries, an instance ENI keeps its primary address,
// its public addresses and IPv6; the secondary addresses (pods of the Amazon
// VPC CNI) are not found. Other ENIs keep every address.
func TestIndexWithoutInstanceSecondaries(t *testing.T) {
	nis := []ec2types.NetworkInterface{
		{
			NetworkInterfaceId: aws.String("eni-node"), VpcId: aws.String("vpc-a"), OwnerId: aws.String(account),
			Attachment:       attached("i-node", account),
			PrivateIpAddress: aws.String("10.0.1.5"),
			PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{
				privateIP("10.0.1.5", ""),
				privateIP("10.0.1.6", ""),            // a pod
				privateIP("10.0.1.7", "54.72.10.21"), // secondary with its own elastic IP
			},
			Ipv6Address: aws.String("2001:db8::5"),
		},
		{
			NetworkInterfaceId: aws.String("eni-lb"), VpcId: aws.String("vpc-a"), OwnerId: aws.String(account),
			PrivateIpAddress:   aws.String("10.0.2.5"),
			PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{privateIP("10.0.2.5", ""), privateIP("10.0.2.6", "")},
		},
	}
	x := New(nis, WithoutInstanceSecondaries())
	node, ok := x.Interface("eni-node")
	require.True(t, ok)
	assert.Equal(t, []netip.Addr{addr("10.0.1.5"), addr("54.72.10.21"), addr("2001:db8::5")}, node.Addrs)
	_, ok = x.Lookup(addr("10.0.1.6"), "")
	assert.False(t, ok, "the pod's address is left to who knows the pods")
	lb, ok := x.Interface("eni-lb")
	require.True(t, ok)
	assert.Equal(t, []netip.Addr{addr("10.0.2.5"), addr("10.0.2.6")}, lb.Addrs)
	all, _ := New(nis).Interface("eni-node")
	assert.Len(t, all.Addrs, 5, "by default every address")
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"eu-west-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
	} {
		assert.Equal(t, want, partition(region), region)
	}
}
