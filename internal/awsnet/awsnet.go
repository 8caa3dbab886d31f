// Package awsnet lists and indexes the network interfaces (ENIs) of one AWS
// account and region, as EC2's DescribeNetworkInterfaces returns them, by ENI ID and
// by IP address, and names for each the element of the AWS inventory
// (receiver/awsreceiver) that answers for its addresses (see
// Services.OwnerOf; the inventory announces addresses and the flow-log
// receiver resolves flows with this one rule):
//
//   - an ENI attached to an instance of its own account: the instance
//     (aws.instance, <scope>@i-…);
//   - a NAT gateway's ENI (interface type nat_gateway): the NAT gateway
//     (aws.natgw, <scope>@nat-…), its ID read from the ENI's description
//     "Interface for NAT Gateway nat-…";
//   - an RDS DB instance's ENI (requester amazon-rds, description
//     RDSNetworkInterface): the DB instance (aws.rds, <scope>@<endpoint
//     address>) whose DB subnet group holds the ENI's subnet and whose VPC
//     security groups are the ENI's, when exactly one does;
//   - an Elastic Load Balancing v2 ENI ("ELB app|net|gwy/<name>/<id>"):
//     the load balancer (<scope>@<its ARN>);
//   - a Lambda function's ENI (interface type lambda, "AWS Lambda VPC
//     ENI-<function>-<uuid>"): the function (aws.lambda, <scope>@<its ARN>);
//   - an EKS control plane's ENI ("Amazon EKS <cluster>"): the cluster
//     (aws.eks, <scope>@<its ARN>);
//   - any other ENI (classic load balancers, VPC endpoints, unattached,
//     an RDS ENI no single DB instance matches): the ENI itself
//     (aws.network_interface, <scope>@eni-…); the inventory links those to
//     their owners.
//
// ARNs are built from the region the Services name, the ENI's account
// and what its description says.
//
// The addresses of an ENI are its primary and secondary private IPv4
// addresses, its IPv6 addresses and the public IPv4 addresses associated
// with the ENI or with one of its private addresses. Delegated prefixes
// (ipv4PrefixSet, ipv6PrefixSet) are not indexed.
//
// An Index holds AWS IDs, not internal IDs: Owner.InternalID applies the
// scope, so one index serves whatever scope its user settles on.
package awsnet // import "github.com/coordimap/otelcol-coordimap/internal/awsnet"

import (
	"context"
	"net/netip"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// pageSize is the most ENIs one DescribeNetworkInterfaces page holds.
const pageSize = 1000

// List reads every ENI the client's region holds, a page of 1,000 per call.
func List(ctx context.Context, c *ec2.Client) ([]ec2types.NetworkInterface, error) {
	p := ec2.NewDescribeNetworkInterfacesPaginator(c, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(pageSize)})
	return awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *ec2.DescribeNetworkInterfacesOutput) []ec2types.NetworkInterface {
		return page.NetworkInterfaces
	})
}

// Element types of the owners, as the AWS inventory emits them.
const (
	TypeInstance   = "aws.instance"
	TypeNATGateway = "aws.natgw"
	TypeENI        = "aws.network_interface"
	TypeRDS        = "aws.rds"
	TypeALB        = "aws.application_load_balancer"
	TypeNLB        = "aws.network_load_balancer"
	TypeGWLB       = "aws.gateway_load_balancer"
	TypeLambda     = "aws.lambda"
	TypeEKS        = "aws.eks"
)

// Descriptions and requesters AWS gives the ENIs it creates.
const (
	natDescription    = "Interface for NAT Gateway "
	elbDescription    = "ELB "
	lambdaDescription = "AWS Lambda VPC ENI-"
	eksDescription    = "Amazon EKS "
	rdsDescription    = "RDSNetworkInterface"
	rdsRequester      = "amazon-rds"
)

// Owner is the inventory element that answers for an ENI's addresses.
type Owner struct {
	// Type is one of the Type constants.
	Type string
	// AWSID is the AWS ID or ARN in the owner's internal ID: the instance,
	// NAT gateway or ENI ID, the DB instance's endpoint address, the load
	// balancer's, function's or cluster's ARN.
	AWSID string
}

// InternalID is the owner's internal ID in scope (`<scope>@<aws id>`).
func (o Owner) InternalID(scope string) string { return internalid.AWS(scope, o.AWSID) }

// Service reports whether the owner is an AWS service's element (RDS, a
// load balancer, Lambda, EKS) rather than an instance, a NAT gateway or
// the ENI itself.
func (o Owner) Service() bool {
	switch o.Type {
	case TypeInstance, TypeNATGateway, TypeENI, "":
		return false
	}
	return true
}

// Services is what the owner rule needs besides the ENI: the region (the
// ARNs of load balancers, Lambda functions and EKS clusters are built from
// it) and the region's RDS DB instances. A nil *Services names instances,
// NAT gateways and ENIs only.
type Services struct {
	Region      string
	DBInstances []DBInstance
}

// DBInstance is an RDS DB instance as the owner rule matches its ENIs.
type DBInstance struct {
	// ID is the inventory's AWS ID of the DB instance (RDSID).
	ID  string
	VPC string
	// Subnets are the DB subnet group's; SecurityGroups the VPC security
	// groups, sorted.
	Subnets        []string
	SecurityGroups []string
}

// RDSID is the AWS ID the inventory gives a DB instance: its endpoint
// address, as the original agent, else (while it is created) its ARN.
func RDSID(db rdstypes.DBInstance) string {
	if db.Endpoint != nil && deref(db.Endpoint.Address) != "" {
		return deref(db.Endpoint.Address)
	}
	return deref(db.DBInstanceArn)
}

// NewDBInstance reads what the owner rule needs from a DB instance.
func NewDBInstance(db rdstypes.DBInstance) DBInstance {
	d := DBInstance{ID: RDSID(db)}
	if g := db.DBSubnetGroup; g != nil {
		d.VPC = deref(g.VpcId)
		for _, sn := range g.Subnets {
			d.Subnets = append(d.Subnets, deref(sn.SubnetIdentifier))
		}
	}
	for _, g := range db.VpcSecurityGroups {
		d.SecurityGroups = append(d.SecurityGroups, deref(g.VpcSecurityGroupId))
	}
	slices.Sort(d.SecurityGroups)
	return d
}

// OwnerOf is the element that answers for ni's addresses (see the package
// documentation). s may be nil.
func (s *Services) OwnerOf(ni ec2types.NetworkInterface) Owner {
	eni := deref(ni.NetworkInterfaceId)
	if a := ni.Attachment; a != nil {
		inst, instOwner := deref(a.InstanceId), deref(a.InstanceOwnerId)
		if inst != "" && (instOwner == "" || instOwner == deref(ni.OwnerId)) {
			return Owner{Type: TypeInstance, AWSID: inst}
		}
	}
	desc := deref(ni.Description)
	if isNATGateway(ni.InterfaceType) {
		if nat := natID(desc); nat != "" {
			return Owner{Type: TypeNATGateway, AWSID: nat}
		}
	}
	if s != nil {
		if o, ok := s.serviceOwner(ni, desc); ok {
			return o
		}
	}
	return Owner{Type: TypeENI, AWSID: eni}
}

// serviceOwner is the AWS service element ni belongs to, if the rule
// names one.
func (s *Services) serviceOwner(ni ec2types.NetworkInterface, desc string) (Owner, bool) {
	if IsRDS(ni) {
		return s.dbInstanceOf(ni)
	}
	account := deref(ni.OwnerId)
	if s.Region == "" || account == "" {
		return Owner{}, false
	}
	arn := func(service, resource string) string {
		return "arn:" + partition(s.Region) + ":" + service + ":" + s.Region + ":" + account + ":" + resource
	}
	if res, ok := strings.CutPrefix(desc, elbDescription); ok {
		var typ string
		switch {
		case strings.HasPrefix(res, "app/"):
			typ = TypeALB
		case strings.HasPrefix(res, "net/"):
			typ = TypeNLB
		case strings.HasPrefix(res, "gwy/"):
			typ = TypeGWLB
		default:
			return Owner{}, false // a classic load balancer: its ID is its DNS name
		}
		if strings.Count(res, "/") != 2 || strings.ContainsAny(res, " ") {
			return Owner{}, false
		}
		return Owner{Type: typ, AWSID: arn("elasticloadbalancing", "loadbalancer/"+res)}, true
	}
	if name, ok := lambdaName(desc); ok && ni.InterfaceType == ec2types.NetworkInterfaceTypeLambda {
		return Owner{Type: TypeLambda, AWSID: arn("lambda", "function:"+name)}, true
	}
	if name, ok := strings.CutPrefix(desc, eksDescription); ok && name != "" && !strings.ContainsAny(name, " /") {
		return Owner{Type: TypeEKS, AWSID: arn("eks", "cluster/"+name)}, true
	}
	return Owner{}, false
}

// IsRDS reports whether ni is an RDS DB instance's ENI.
func IsRDS(ni ec2types.NetworkInterface) bool {
	return deref(ni.RequesterId) == rdsRequester || deref(ni.Description) == rdsDescription
}

// dbInstanceOf is the one DB instance whose subnet group holds ni's
// subnet and whose VPC security groups are ni's.
func (s *Services) dbInstanceOf(ni ec2types.NetworkInterface) (Owner, bool) {
	subnet, vpc := deref(ni.SubnetId), deref(ni.VpcId)
	groups := make([]string, 0, len(ni.Groups))
	for _, g := range ni.Groups {
		groups = append(groups, deref(g.GroupId))
	}
	slices.Sort(groups)
	found := ""
	for _, db := range s.DBInstances {
		if (vpc != "" && db.VPC != "" && db.VPC != vpc) || !slices.Contains(db.Subnets, subnet) || !slices.Equal(db.SecurityGroups, groups) {
			continue
		}
		if found != "" && found != db.ID {
			return Owner{}, false // several: which one is unknown
		}
		found = db.ID
	}
	if found == "" {
		return Owner{}, false
	}
	return Owner{Type: TypeRDS, AWSID: found}, true
}

// lambdaName reads the function name from "AWS Lambda VPC ENI-<name>-<uuid>".
func lambdaName(desc string) (string, bool) {
	rest, ok := strings.CutPrefix(desc, lambdaDescription)
	const uuidLen = 36
	if !ok || len(rest) < uuidLen+2 || rest[len(rest)-uuidLen-1] != '-' {
		return "", false
	}
	for i, c := range rest[len(rest)-uuidLen:] {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return "", false
			}
		} else if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return "", false
		}
	}
	return rest[:len(rest)-uuidLen-1], true
}

// partition is the ARN partition of region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// isNATGateway reports whether t is a NAT gateway's interface type. EC2
// returns "nat_gateway" (as its API reference says); the SDK's
// NetworkInterfaceTypeNatGateway is "natGateway", which EC2 does not send.
func isNATGateway(t ec2types.NetworkInterfaceType) bool {
	return t == "nat_gateway" || t == ec2types.NetworkInterfaceTypeNatGateway
}

// natID reads the NAT gateway ID from "Interface for NAT Gateway nat-…".
func natID(desc string) string {
	rest, ok := strings.CutPrefix(desc, natDescription)
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, " ")
	if len(id) <= len("nat-") || !strings.HasPrefix(id, "nat-") {
		return ""
	}
	for _, c := range id[len("nat-"):] {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return ""
		}
	}
	return id
}

// Interface is one indexed ENI.
type Interface struct {
	ID string
	// VPC is the ENI's VPC ID.
	VPC string
	// Account is the ENI's owner account (ownerId).
	Account string
	Owner   Owner
	// Addrs are the ENI's addresses, sorted.
	Addrs []netip.Addr
}

// Has reports whether a is one of the ENI's addresses.
func (i *Interface) Has(a netip.Addr) bool {
	_, ok := slices.BinarySearchFunc(i.Addrs, a, netip.Addr.Compare)
	return ok
}

// Index finds ENIs by ID and by address. It is read-only once built and
// safe for concurrent use.
type Index struct {
	byID map[string]*Interface
	// byAddr lists every ENI that holds an address: private addresses of
	// distinct VPCs may overlap.
	byAddr   map[netip.Addr][]*Interface
	accounts map[string]bool
}

// Option changes what New indexes.
type Option func(*options)

type options struct {
	noInstanceSecondaries bool
	services              *Services
}

// WithServices names the AWS services' ENIs' owners (RDS, load balancers,
// Lambda, EKS) with s.
func WithServices(s *Services) Option {
	return func(o *options) { o.services = s }
}

// WithoutInstanceSecondaries leaves out the secondary private addresses of
// ENIs attached to an instance. The Amazon VPC CNI gives those to pods: an
// index without them leaves pod addresses to whatever knows the pods (the
// coordimap processor, fed by coordimap_kubernetes).
func WithoutInstanceSecondaries() Option {
	return func(o *options) { o.noInstanceSecondaries = true }
}

// New indexes nis. ENIs without an ID are skipped; an address that does
// not parse is skipped.
func New(nis []ec2types.NetworkInterface, opts ...Option) *Index {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	x := &Index{
		byID:     make(map[string]*Interface, len(nis)),
		byAddr:   make(map[netip.Addr][]*Interface, len(nis)),
		accounts: map[string]bool{},
	}
	for _, ni := range nis {
		id := deref(ni.NetworkInterfaceId)
		if id == "" {
			continue
		}
		i := &Interface{
			ID:      id,
			VPC:     deref(ni.VpcId),
			Account: deref(ni.OwnerId),
			Owner:   o.services.OwnerOf(ni),
		}
		if o.noInstanceSecondaries && i.Owner.Type == TypeInstance {
			i.Addrs = withoutSecondaries(ni)
		} else {
			i.Addrs = Addresses(ni)
		}
		x.byID[id] = i
		if i.Account != "" {
			x.accounts[i.Account] = true
		}
		for _, a := range i.Addrs {
			x.byAddr[a] = append(x.byAddr[a], i)
		}
	}
	return x
}

// Addresses are ni's addresses (primary and secondary private IPv4, the
// public IPv4 associated with the ENI or one of its private addresses,
// IPv6), unmapped, sorted and without duplicates. An address that does not
// parse is left out.
func Addresses(ni ec2types.NetworkInterface) []netip.Addr {
	var out []netip.Addr
	add := func(s *string) {
		if a, err := netip.ParseAddr(deref(s)); err == nil {
			out = append(out, a.Unmap())
		}
	}
	add(ni.PrivateIpAddress)
	if ni.Association != nil {
		add(ni.Association.PublicIp)
	}
	for _, p := range ni.PrivateIpAddresses {
		add(p.PrivateIpAddress)
		if p.Association != nil {
			add(p.Association.PublicIp)
		}
	}
	add(ni.Ipv6Address)
	for _, a := range ni.Ipv6Addresses {
		add(a.Ipv6Address)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

// withoutSecondaries are ni's addresses but its secondary private IPv4
// addresses (an elastic IP associated with one stays).
func withoutSecondaries(ni ec2types.NetworkInterface) []netip.Addr {
	primary := ni
	primary.PrivateIpAddresses = nil
	for _, p := range ni.PrivateIpAddresses {
		if deref(p.PrivateIpAddress) == deref(ni.PrivateIpAddress) || (p.Primary != nil && *p.Primary) {
			primary.PrivateIpAddresses = append(primary.PrivateIpAddresses, p)
			continue
		}
		if p.Association != nil {
			primary.PrivateIpAddresses = append(primary.PrivateIpAddresses, ec2types.NetworkInterfacePrivateIpAddress{Association: p.Association})
		}
	}
	return Addresses(primary)
}

// Len is the number of indexed ENIs.
func (x *Index) Len() int { return len(x.byID) }

// Interface returns the ENI with ID id.
func (x *Index) Interface(id string) (*Interface, bool) {
	i, ok := x.byID[id]
	return i, ok
}

// HasAccount reports whether an indexed ENI belongs to account, i.e.
// whether flows of that account can be resolved with this index.
func (x *Index) HasAccount(account string) bool { return x.accounts[account] }

// Lookup returns the owner of the ENI that holds a. When several ENIs hold
// it (overlapping private ranges of distinct VPCs), those of vpc are
// preferred; it is found only if that leaves a single owner. An empty vpc
// prefers none.
func (x *Index) Lookup(a netip.Addr, vpc string) (Owner, bool) {
	cands := x.byAddr[a.Unmap()]
	if len(cands) == 0 {
		return Owner{}, false
	}
	if vpc != "" && len(cands) > 1 {
		var inVPC []*Interface
		for _, c := range cands {
			if c.VPC == vpc {
				inVPC = append(inVPC, c)
			}
		}
		if len(inVPC) > 0 {
			cands = inVPC
		}
	}
	o := cands[0].Owner
	for _, c := range cands[1:] {
		if c.Owner != o {
			return Owner{}, false
		}
	}
	return o, true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
