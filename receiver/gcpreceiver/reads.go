package gcpreceiver

import (
	"context"
	"sort"
	"strings"

	crm "google.golang.org/api/cloudresourcemanager/v1"
	"google.golang.org/api/compute/v1"
	"google.golang.org/api/container/v1"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/pubsub/v1"
	"google.golang.org/api/redis/v1"
	run "google.golang.org/api/run/v2"
	sqladmin "google.golang.org/api/sqladmin/v1beta4"
	"google.golang.org/api/storage/v1"

	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
)

// policyVersion is the IAM policy version requested: 3 returns the
// conditional bindings.
const policyVersion = 3

// inventory is what one crawl read.
type inventory struct {
	project         *crm.Project
	regions         []*compute.Region
	zones           []*compute.Zone
	networks        []*compute.Network
	subnetworks     []*compute.Subnetwork
	firewalls       []*compute.Firewall
	routes          []*compute.Route
	routers         []*compute.Router
	instances       []*compute.Instance
	nodeGroups      []*compute.NodeGroup
	disks           []*compute.Disk
	templates       []*compute.InstanceTemplate
	groups          []*compute.InstanceGroup
	managers        []*compute.InstanceGroupManager
	members         map[string][]string // instance group self link → instance URLs
	forwardingRules []*compute.ForwardingRule
	backendServices []*compute.BackendService
	urlMaps         []*compute.UrlMap
	targetProxies   []targetProxy
	clusters        []*container.Cluster
	sqlInstances    []*sqladmin.DatabaseInstance
	buckets         []*storage.Bucket
	bucketPolicies  map[string]*storage.Policy // bucket name → policy
	services        []*run.GoogleCloudRunV2Service
	servicePolicies map[string]*run.GoogleIamV1Policy // service name → policy
	topics          []*pubsub.Topic
	subscriptions   []*pubsub.Subscription
	redisInstances  []*redis.Instance
	serviceAccounts []*iam.ServiceAccount
	customRoles     []*iam.Role
	projectPolicy   *crm.Policy
}

// targetProxy is a target HTTP, HTTPS or TCP proxy: kind is the element
// type.
type targetProxy struct {
	kind, name, selfLink, region, urlMap, service string
	body                                          any
}

// read is one read of the crawl: one API list (every page), or one call
// per object of an earlier read. A read that fails keeps what its unit
// emitted last time; the others are emitted. Its error names the API, the
// call and, when Google refuses, the permissions it needs.
type read struct {
	// unit names what the read's entities are tracked under.
	unit string
	api  string
	call string
	// permissions are the IAM permissions the read needs; the README and
	// deploy/gcp/coordimap-role.yaml list them all (a test checks).
	permissions []string
	// phase orders the reads: a read of phase 2 uses what phase 1 read.
	phase int
	do    func(ctx context.Context, c *client, inv *inventory) error
}

func (rd read) err(err error) error {
	return gcpapi.ReadError(rd.api, rd.call, rd.permissions, err)
}

// reads are every read of a crawl but the project's (Resource Manager
// projects.get), which comes first and gives the scope.
var reads = []read{
	{unit: "regions", api: "compute", call: "regions.list", permissions: []string{"compute.regions.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Regions.List(c.project).Pages(ctx, func(p *compute.RegionList) error {
				inv.regions = append(inv.regions, p.Items...)
				return nil
			})
		}},
	{unit: "zones", api: "compute", call: "zones.list", permissions: []string{"compute.zones.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Zones.List(c.project).Pages(ctx, func(p *compute.ZoneList) error {
				inv.zones = append(inv.zones, p.Items...)
				return nil
			})
		}},
	{unit: "networks", api: "compute", call: "networks.list", permissions: []string{"compute.networks.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Networks.List(c.project).Pages(ctx, func(p *compute.NetworkList) error {
				inv.networks = append(inv.networks, p.Items...)
				return nil
			})
		}},
	{unit: "subnetworks", api: "compute", call: "subnetworks.aggregatedList", permissions: []string{"compute.subnetworks.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Subnetworks.AggregatedList(c.project).Pages(ctx, func(p *compute.SubnetworkAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.subnetworks = append(inv.subnetworks, p.Items[k].Subnetworks...)
				}
				return nil
			})
		}},
	{unit: "firewalls", api: "compute", call: "firewalls.list", permissions: []string{"compute.firewalls.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Firewalls.List(c.project).Pages(ctx, func(p *compute.FirewallList) error {
				inv.firewalls = append(inv.firewalls, p.Items...)
				return nil
			})
		}},
	{unit: "routes", api: "compute", call: "routes.list", permissions: []string{"compute.routes.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Routes.List(c.project).Pages(ctx, func(p *compute.RouteList) error {
				inv.routes = append(inv.routes, p.Items...)
				return nil
			})
		}},
	{unit: "routers", api: "compute", call: "routers.aggregatedList", permissions: []string{"compute.routers.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Routers.AggregatedList(c.project).Pages(ctx, func(p *compute.RouterAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.routers = append(inv.routers, p.Items[k].Routers...)
				}
				return nil
			})
		}},
	{unit: "instances", api: "compute", call: "instances.aggregatedList", permissions: []string{"compute.instances.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Instances.AggregatedList(c.project).Pages(ctx, func(p *compute.InstanceAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.instances = append(inv.instances, p.Items[k].Instances...)
				}
				return nil
			})
		}},
	{unit: "node_groups", api: "compute", call: "nodeGroups.aggregatedList", permissions: []string{"compute.nodeGroups.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.NodeGroups.AggregatedList(c.project).Pages(ctx, func(p *compute.NodeGroupAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.nodeGroups = append(inv.nodeGroups, p.Items[k].NodeGroups...)
				}
				return nil
			})
		}},
	{unit: "disks", api: "compute", call: "disks.aggregatedList", permissions: []string{"compute.disks.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.Disks.AggregatedList(c.project).Pages(ctx, func(p *compute.DiskAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.disks = append(inv.disks, p.Items[k].Disks...)
				}
				return nil
			})
		}},
	{unit: "instance_templates", api: "compute", call: "instanceTemplates.aggregatedList", permissions: []string{"compute.instanceTemplates.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.InstanceTemplates.AggregatedList(c.project).Pages(ctx, func(p *compute.InstanceTemplateAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.templates = append(inv.templates, p.Items[k].InstanceTemplates...)
				}
				return nil
			})
		}},
	{unit: "instance_groups", api: "compute", call: "instanceGroups.aggregatedList", permissions: []string{"compute.instanceGroups.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.InstanceGroups.AggregatedList(c.project).Pages(ctx, func(p *compute.InstanceGroupAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.groups = append(inv.groups, p.Items[k].InstanceGroups...)
				}
				return nil
			})
		}},
	{unit: "instance_group_managers", api: "compute", call: "instanceGroupManagers.aggregatedList", permissions: []string{"compute.instanceGroupManagers.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.InstanceGroupManagers.AggregatedList(c.project).Pages(ctx, func(p *compute.InstanceGroupManagerAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.managers = append(inv.managers, p.Items[k].InstanceGroupManagers...)
				}
				return nil
			})
		}},
	{unit: "forwarding_rules", api: "compute", call: "forwardingRules.aggregatedList", permissions: []string{"compute.forwardingRules.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.ForwardingRules.AggregatedList(c.project).Pages(ctx, func(p *compute.ForwardingRuleAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.forwardingRules = append(inv.forwardingRules, p.Items[k].ForwardingRules...)
				}
				return nil
			})
		}},
	{unit: "backend_services", api: "compute", call: "backendServices.aggregatedList", permissions: []string{"compute.backendServices.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.BackendServices.AggregatedList(c.project).Pages(ctx, func(p *compute.BackendServiceAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.backendServices = append(inv.backendServices, p.Items[k].BackendServices...)
				}
				return nil
			})
		}},
	{unit: "url_maps", api: "compute", call: "urlMaps.aggregatedList", permissions: []string{"compute.urlMaps.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.compute.UrlMaps.AggregatedList(c.project).Pages(ctx, func(p *compute.UrlMapsAggregatedList) error {
				for _, k := range sortedKeys(p.Items) {
					inv.urlMaps = append(inv.urlMaps, p.Items[k].UrlMaps...)
				}
				return nil
			})
		}},
	{unit: "target_proxies", api: "compute", call: "targetHttpProxies/targetHttpsProxies/targetTcpProxies.aggregatedList",
		permissions: []string{"compute.targetHttpProxies.list", "compute.targetHttpsProxies.list", "compute.targetTcpProxies.list"}, phase: 1,
		do: readTargetProxies},
	{unit: "gke", api: "container", call: "projects.locations.clusters.list", permissions: []string{"container.clusters.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			// The API answers every cluster at once (no pages).
			resp, err := c.container.Projects.Locations.Clusters.List(c.everyLocation()).Context(ctx).Do()
			if err != nil {
				return err
			}
			inv.clusters = resp.Clusters
			return nil
		}},
	{unit: "cloud_sql", api: "sqladmin", call: "instances.list", permissions: []string{"cloudsql.instances.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.sql.Instances.List(c.project).Pages(ctx, func(p *sqladmin.InstancesListResponse) error {
				inv.sqlInstances = append(inv.sqlInstances, p.Items...)
				return nil
			})
		}},
	{unit: "buckets", api: "storage", call: "buckets.list", permissions: []string{"storage.buckets.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.storage.Buckets.List(c.project).Pages(ctx, func(p *storage.Buckets) error {
				inv.buckets = append(inv.buckets, p.Items...)
				return nil
			})
		}},
	{unit: "cloud_run", api: "run", call: "projects.locations.services.list", permissions: []string{"run.services.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.run.Projects.Locations.Services.List(c.everyLocation()).Pages(ctx, func(p *run.GoogleCloudRunV2ListServicesResponse) error {
				inv.services = append(inv.services, p.Services...)
				return nil
			})
		}},
	{unit: "pubsub_topics", api: "pubsub", call: "projects.topics.list", permissions: []string{"pubsub.topics.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.pubsub.Projects.Topics.List(c.parent()).Pages(ctx, func(p *pubsub.ListTopicsResponse) error {
				inv.topics = append(inv.topics, p.Topics...)
				return nil
			})
		}},
	{unit: "pubsub_subscriptions", api: "pubsub", call: "projects.subscriptions.list", permissions: []string{"pubsub.subscriptions.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.pubsub.Projects.Subscriptions.List(c.parent()).Pages(ctx, func(p *pubsub.ListSubscriptionsResponse) error {
				inv.subscriptions = append(inv.subscriptions, p.Subscriptions...)
				return nil
			})
		}},
	{unit: "redis", api: "redis", call: "projects.locations.instances.list", permissions: []string{"redis.instances.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.redis.Projects.Locations.Instances.List(c.everyLocation()).Pages(ctx, func(p *redis.ListInstancesResponse) error {
				inv.redisInstances = append(inv.redisInstances, p.Instances...)
				return nil
			})
		}},
	{unit: "service_accounts", api: "iam", call: "projects.serviceAccounts.list", permissions: []string{"iam.serviceAccounts.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.iam.Projects.ServiceAccounts.List(c.parent()).Pages(ctx, func(p *iam.ListServiceAccountsResponse) error {
				inv.serviceAccounts = append(inv.serviceAccounts, p.Accounts...)
				return nil
			})
		}},
	{unit: "iam_roles", api: "iam", call: "projects.roles.list", permissions: []string{"iam.roles.list"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			return c.iam.Projects.Roles.List(c.parent()).Pages(ctx, func(p *iam.ListRolesResponse) error {
				inv.customRoles = append(inv.customRoles, p.Roles...)
				return nil
			})
		}},
	{unit: "project_iam", api: "cloudresourcemanager", call: "projects.getIamPolicy", permissions: []string{"resourcemanager.projects.getIamPolicy"}, phase: 1,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			p, err := c.crm.Projects.GetIamPolicy(c.project, &crm.GetIamPolicyRequest{Options: &crm.GetPolicyOptions{RequestedPolicyVersion: policyVersion}}).Context(ctx).Do()
			inv.projectPolicy = p
			return err
		}},
	// Phase 2: one call per object of phase 1.
	{unit: "instance_group_members", api: "compute", call: "instanceGroups/regionInstanceGroups.listInstances", permissions: []string{"compute.instanceGroups.get"}, phase: 2,
		do: readMembers},
	{unit: "bucket_iam", api: "storage", call: "buckets.getIamPolicy", permissions: []string{"storage.buckets.getIamPolicy"}, phase: 2,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			inv.bucketPolicies = map[string]*storage.Policy{}
			for _, b := range inv.buckets {
				p, err := c.storage.Buckets.GetIamPolicy(b.Name).OptionsRequestedPolicyVersion(policyVersion).Context(ctx).Do()
				if err != nil {
					return err
				}
				inv.bucketPolicies[b.Name] = p
			}
			return nil
		}},
	{unit: "cloud_run_iam", api: "run", call: "projects.locations.services.getIamPolicy", permissions: []string{"run.services.getIamPolicy"}, phase: 2,
		do: func(ctx context.Context, c *client, inv *inventory) error {
			inv.servicePolicies = map[string]*run.GoogleIamV1Policy{}
			for _, s := range inv.services {
				p, err := c.run.Projects.Locations.Services.GetIamPolicy(s.Name).OptionsRequestedPolicyVersion(policyVersion).Context(ctx).Do()
				if err != nil {
					return err
				}
				inv.servicePolicies[s.Name] = p
			}
			return nil
		}},
}

// needs says which phase-1 unit a phase-2 read lists its objects from: a
// phase-2 read whose list failed is skipped (its unit kept too).
var needs = map[string]string{"instance_group_members": "instance_groups", "bucket_iam": "buckets", "cloud_run_iam": "cloud_run"}

func readTargetProxies(ctx context.Context, c *client, inv *inventory) error {
	var out []targetProxy
	err := c.compute.TargetHttpProxies.AggregatedList(c.project).Pages(ctx, func(p *compute.TargetHttpProxyAggregatedList) error {
		for _, k := range sortedKeys(p.Items) {
			for _, t := range p.Items[k].TargetHttpProxies {
				out = append(out, targetProxy{kind: TypeTargetHTTPProxy, name: t.Name, selfLink: t.SelfLink, region: last(t.Region), urlMap: t.UrlMap, body: t})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = c.compute.TargetHttpsProxies.AggregatedList(c.project).Pages(ctx, func(p *compute.TargetHttpsProxyAggregatedList) error {
		for _, k := range sortedKeys(p.Items) {
			for _, t := range p.Items[k].TargetHttpsProxies {
				out = append(out, targetProxy{kind: TypeTargetHTTPSProxy, name: t.Name, selfLink: t.SelfLink, region: last(t.Region), urlMap: t.UrlMap, body: t})
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = c.compute.TargetTcpProxies.AggregatedList(c.project).Pages(ctx, func(p *compute.TargetTcpProxyAggregatedList) error {
		for _, k := range sortedKeys(p.Items) {
			for _, t := range p.Items[k].TargetTcpProxies {
				out = append(out, targetProxy{kind: TypeTargetTCPProxy, name: t.Name, selfLink: t.SelfLink, region: last(t.Region), service: t.Service, body: t})
			}
		}
		return nil
	})
	inv.targetProxies = out
	return err
}

// readMembers lists the instances of every instance group, zonal and
// regional, managed and unmanaged.
func readMembers(ctx context.Context, c *client, inv *inventory) error {
	inv.members = map[string][]string{}
	for _, g := range inv.groups {
		var urls []string
		collect := func(items []*compute.InstanceWithNamedPorts) {
			for _, it := range items {
				urls = append(urls, it.Instance)
			}
		}
		var err error
		if g.Zone != "" {
			err = c.compute.InstanceGroups.ListInstances(c.project, last(g.Zone), g.Name, &compute.InstanceGroupsListInstancesRequest{InstanceState: "ALL"}).
				Pages(ctx, func(p *compute.InstanceGroupsListInstances) error { collect(p.Items); return nil })
		} else {
			err = c.compute.RegionInstanceGroups.ListInstances(c.project, last(g.Region), g.Name, &compute.RegionInstanceGroupsListInstancesRequest{InstanceState: "ALL"}).
				Pages(ctx, func(p *compute.RegionInstanceGroupsListInstances) error { collect(p.Items); return nil })
		}
		if err != nil {
			return err
		}
		inv.members[g.SelfLink] = urls
	}
	return nil
}

// last is the last segment of a resource URL or name
// (…/zones/europe-west3-a → europe-west3-a).
func last(url string) string {
	if i := strings.LastIndexByte(url, '/'); i >= 0 {
		return url[i+1:]
	}
	return url
}

// segment is the path segment after key in a resource URL
// (…/regions/europe-west3/subnetworks/x, "regions" → europe-west3).
func segment(url, key string) string {
	parts := strings.Split(url, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == key {
			return parts[i+1]
		}
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
