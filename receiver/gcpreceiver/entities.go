package gcpreceiver

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"google.golang.org/api/compute/v1"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// Element types, as coordimap-agent's pkg/domain/gcp where it had them.
const (
	TypeProject          = "gcp.project"
	TypeRegion           = "gcp.region"
	TypeZone             = "gcp.zone"
	TypeNetwork          = "gcp.network"
	TypeSubnetwork       = "gcp.subnetwork"
	TypeVM               = "gcp.vm_instance"
	TypeDisk             = "gcp.disk"
	TypeInstanceGroup    = "gcp.instance_group"
	TypeInstanceTemplate = "gcp.instance_template"
	TypeGKE              = "gcp.gke"
	TypeNodePool         = "gcp.node_pool"
	TypeCloudSQL         = internalid.TypeGCPCloudSQL
	TypeBucket           = "gcp.bucket"
	TypeCloudRun         = "gcp.cloud_run"
	TypeServiceAccount   = "gcp.service_account"
	TypeIAMRole          = "gcp.iam_role"
	TypeIAMBinding       = internalid.TypeGCPIAMBinding
	TypePrincipalUser    = "gcp.iam_principal_user"
	TypePrincipalGroup   = "gcp.iam_principal_group"
	TypePrincipalDomain  = "gcp.iam_principal_domain"
	TypePrincipalPublic  = "gcp.iam_principal_public"
	TypeWorkloadPool     = "gcp.workload_identity_pool"
	TypeNodeGroup        = "gcp.node_group"
	// New: the agent did not crawl these.
	TypeFirewall         = "gcp.firewall"
	TypeRoute            = "gcp.route"
	TypeRouter           = "gcp.router"
	TypeCloudNAT         = "gcp.cloud_nat"
	TypeForwardingRule   = "gcp.forwarding_rule"
	TypeBackendService   = "gcp.backend_service"
	TypeURLMap           = "gcp.url_map"
	TypeTargetHTTPProxy  = "gcp.target_http_proxy"
	TypeTargetHTTPSProxy = "gcp.target_https_proxy"
	TypeTargetTCPProxy   = "gcp.target_tcp_proxy"
	TypePubSubTopic      = "gcp.pubsub_topic"
	TypePubSubSub        = "gcp.pubsub_subscription"
	TypeRedis            = "gcp.redis"
)

const (
	statusGreen  = "Green"
	statusOrange = "Orange"
	statusRed    = "Red"
)

// builder turns an inventory into entities.
type builder struct {
	scope   string
	project string
	inv     *inventory
	// regions, when set, keeps only the regional and zonal objects of
	// those regions.
	regions  map[string]bool
	interval time.Duration
	// roles are the predefined roles the bindings name, read once and
	// kept (roles.get).
	roles map[string]any
	// clusters maps a GKE cluster (<location>-<name>) to the UID of its
	// Kubernetes cluster (external_mappings).
	clusters *mapping.Table
}

func (b *builder) id(location, typ, name string) string {
	return internalid.GCP(b.scope, location, typ, name)
}

func (b *builder) projectID() string { return b.id("", TypeProject, b.project) }

// keep says whether an object of location (a region or a zone; empty for
// global) is crawled.
func (b *builder) keep(location string) bool {
	return b.regions == nil || location == "" || b.regions[regionOf(location)]
}

// regionOf is a zone's region (europe-west3-a → europe-west3); a region
// is its own.
func regionOf(location string) string {
	if i := strings.LastIndexByte(location, '-'); i > 0 && len(location)-i == 2 {
		return location[:i]
	}
	return location
}

// isZone says whether location is a zone (europe-west3-a) rather than a
// region.
func isZone(location string) bool { return regionOf(location) != location }

// locationParent is the zone or region element an object of location
// belongs to.
func (b *builder) locationParent(location string) entity.Link {
	if isZone(location) {
		return parent(TypeZone, b.id("", TypeZone, location))
	}
	return parent(TypeRegion, b.id("", TypeRegion, location))
}

func (b *builder) ent(typ, location, name string, status string, body any, links ...entity.Link) entity.Entity {
	desc := map[string]any{}
	if location != "" {
		desc["cloud.region"] = regionOf(location)
		if isZone(location) {
			desc["cloud.availability_zone"] = location
		}
	}
	return entity.Entity{
		Ref:            entity.Ref{Type: typ, InternalID: b.id(location, typ, name)},
		Name:           name,
		Status:         status,
		Description:    desc,
		Links:          links,
		Body:           toMap(body),
		ReportInterval: b.interval,
	}
}

func (b *builder) projectEntity() entity.Entity {
	p := b.inv.project
	name := p.Name
	if name == "" {
		name = b.project
	}
	e := b.ent(TypeProject, "", b.project, lifecycle(p.LifecycleState), p)
	e.Name = name
	e.NativeIDs = map[string]any{"cloud.account.id": b.project}
	return e
}

func (b *builder) regionEntities() []entity.Entity {
	var out []entity.Entity
	for _, r := range b.inv.regions {
		if !b.keep(r.Name) {
			continue
		}
		e := b.ent(TypeRegion, "", r.Name, computeStatus(r.Status), r)
		e.Description["cloud.region"] = r.Name
		out = append(out, e)
	}
	return out
}

func (b *builder) zoneEntities() []entity.Entity {
	var out []entity.Entity
	for _, z := range b.inv.zones {
		if !b.keep(z.Name) {
			continue
		}
		e := b.ent(TypeZone, "", z.Name, computeStatus(z.Status), z, parent(TypeRegion, b.id("", TypeRegion, last(z.Region))))
		e.Description["cloud.region"], e.Description["cloud.availability_zone"] = last(z.Region), z.Name
		out = append(out, e)
	}
	return out
}

func (b *builder) networkEntities() []entity.Entity {
	var out []entity.Entity
	for _, n := range b.inv.networks {
		e := b.ent(TypeNetwork, "", n.Name, "", n, parent(TypeProject, b.projectID()))
		e.Description["routing_mode"] = routingMode(n)
		e.Description["auto_create_subnetworks"] = n.AutoCreateSubnetworks
		out = append(out, e)
	}
	return out
}

func routingMode(n *compute.Network) string {
	if n.RoutingConfig == nil {
		return ""
	}
	return n.RoutingConfig.RoutingMode
}

// networkLink is an object's parent network, by URL; none when the URL
// names another project's network (a shared VPC host).
func (b *builder) networkLink(url string) []entity.Link {
	if url == "" || !b.ours(url) {
		return nil
	}
	return []entity.Link{parent(TypeNetwork, b.id("", TypeNetwork, last(url)))}
}

// subnetworkLink is an object's parent subnetwork, by URL.
func (b *builder) subnetworkLink(url string) []entity.Link {
	if url == "" || !b.ours(url) {
		return nil
	}
	return []entity.Link{parent(TypeSubnetwork, b.id(segment(url, "regions"), TypeSubnetwork, last(url)))}
}

// ours says whether a resource URL or name is in the crawled project (a
// bare name is).
func (b *builder) ours(url string) bool {
	p := segment(url, "projects")
	return p == "" || p == b.project
}

func (b *builder) subnetworkEntities() []entity.Entity {
	var out []entity.Entity
	for _, s := range b.inv.subnetworks {
		region := last(s.Region)
		if !b.keep(region) {
			continue
		}
		links := append([]entity.Link{b.locationParent(region)}, b.networkLink(s.Network)...)
		e := b.ent(TypeSubnetwork, region, s.Name, computeStatus(s.State), s, links...)
		e.Description["ip_cidr_range"] = s.IpCidrRange
		out = append(out, e)
	}
	return out
}

func (b *builder) firewallEntities() []entity.Entity {
	var out []entity.Entity
	for _, f := range b.inv.firewalls {
		status := ""
		if f.Disabled {
			status = statusRed
		}
		e := b.ent(TypeFirewall, "", f.Name, status, f, b.networkLink(f.Network)...)
		e.Description["direction"], e.Description["priority"] = f.Direction, f.Priority
		out = append(out, e)
	}
	return out
}

func (b *builder) routeEntities() []entity.Entity {
	var out []entity.Entity
	for _, r := range b.inv.routes {
		e := b.ent(TypeRoute, "", r.Name, "", r, b.networkLink(r.Network)...)
		e.Description["dest_range"] = r.DestRange
		out = append(out, e)
	}
	return out
}

func (b *builder) routerEntities() []entity.Entity {
	var out []entity.Entity
	for _, r := range b.inv.routers {
		region := last(r.Region)
		if !b.keep(region) {
			continue
		}
		links := append([]entity.Link{b.locationParent(region)}, b.networkLink(r.Network)...)
		router := b.ent(TypeRouter, region, r.Name, "", r, links...)
		out = append(out, router)
		for _, nat := range r.Nats {
			// NAT names are unique per router only.
			e := b.ent(TypeCloudNAT, region, r.Name+"/"+nat.Name, "", nat, parent(TypeRouter, router.InternalID))
			e.Name = nat.Name
			out = append(out, e)
		}
	}
	return out
}

func (b *builder) instanceEntities() []entity.Entity {
	var out []entity.Entity
	for _, in := range b.inv.instances {
		zone := last(in.Zone)
		if !b.keep(zone) {
			continue
		}
		links := []entity.Link{b.locationParent(zone)}
		var addrs []string
		for _, ni := range in.NetworkInterfaces {
			links = append(links, b.networkLink(ni.Network)...)
			links = append(links, b.subnetworkLink(ni.Subnetwork)...)
			addrs = appendNew(addrs, ni.NetworkIP)
			for _, ac := range ni.AccessConfigs {
				addrs = appendNew(addrs, ac.NatIP)
			}
			addrs = appendNew(addrs, ni.Ipv6Address)
		}
		for _, d := range in.Disks {
			if d.Source == "" || !b.ours(d.Source) {
				continue
			}
			// A regional disk's URL names its region.
			loc := segment(d.Source, "zones")
			if loc == "" {
				loc = segment(d.Source, "regions")
			}
			links = append(links, child(TypeDisk, b.id(loc, TypeDisk, last(d.Source))))
		}
		for _, sa := range in.ServiceAccounts {
			links = append(links, b.serviceAccountLink(sa.Email)...)
		}
		links = append(links, b.nodeLink(in)...)
		e := b.ent(TypeVM, zone, in.Name, computeStatus(in.Status), redactInstance(in), links...)
		e.NativeIDs = map[string]any{"host.id": in.Id}
		e.Description["host.type"] = last(in.MachineType)
		e.Addresses = addrs
		out = append(out, e)
	}
	return out
}

// nodeLink is a GKE node's VM → its Kubernetes node (named after the VM),
// when external_mappings maps the VM's cluster (the labels GKE sets); the
// coordimap_kubernetes receiver lists the same edge from the node.
func (b *builder) nodeLink(in *compute.Instance) []entity.Link {
	name, loc := in.Labels["goog-k8s-cluster-name"], in.Labels["goog-k8s-cluster-location"]
	if b.clusters == nil || name == "" || loc == "" {
		return nil
	}
	uid, ok := b.clusters.Lookup(loc + "-" + name)
	if !ok {
		return nil
	}
	return []entity.Link{{Type: entity.RelParentChild, Direction: entity.Outgoing, External: true,
		Target: entity.Ref{Type: typeKubernetesNode, InternalID: internalid.Kubernetes(uid, "", typeKubernetesNode, in.Name)}}}
}

// typeKubernetesNode is the coordimap_kubernetes receiver's node type.
const typeKubernetesNode = "kubernetes.node"

// redactInstance drops the metadata values (startup scripts, keys): only
// their keys are emitted.
func redactInstance(in *compute.Instance) any {
	if in.Metadata == nil {
		return in
	}
	c := *in
	c.Metadata = redactMetadata(in.Metadata)
	return &c
}

func redactMetadata(m *compute.Metadata) *compute.Metadata {
	out := &compute.Metadata{Kind: m.Kind}
	for _, it := range m.Items {
		out.Items = append(out.Items, &compute.MetadataItems{Key: it.Key})
	}
	return out
}

func (b *builder) serviceAccountLink(email string) []entity.Link {
	if email == "" || email == "default" {
		return nil
	}
	return []entity.Link{child(TypeServiceAccount, b.id("", TypeServiceAccount, email))}
}

// nodeGroupEntities are the sole-tenant node groups.
func (b *builder) nodeGroupEntities() []entity.Entity {
	var out []entity.Entity
	for _, g := range b.inv.nodeGroups {
		zone := last(g.Zone)
		if !b.keep(zone) {
			continue
		}
		e := b.ent(TypeNodeGroup, zone, g.Name, computeStatus(g.Status), g, b.locationParent(zone))
		e.Description["size"] = g.Size
		out = append(out, e)
	}
	return out
}

func (b *builder) diskEntities() []entity.Entity {
	var out []entity.Entity
	for _, d := range b.inv.disks {
		loc := last(d.Zone)
		if loc == "" {
			loc = last(d.Region)
		}
		if !b.keep(loc) {
			continue
		}
		e := b.ent(TypeDisk, loc, d.Name, computeStatus(d.Status), d, b.locationParent(loc))
		e.Description["size_gb"] = d.SizeGb
		out = append(out, e)
	}
	return out
}

func (b *builder) templateEntities() []entity.Entity {
	var out []entity.Entity
	for _, t := range b.inv.templates {
		region := last(t.Region)
		if !b.keep(region) {
			continue
		}
		var links []entity.Link
		if region != "" {
			links = append(links, b.locationParent(region))
		} else {
			links = append(links, parent(TypeProject, b.projectID()))
		}
		body := t
		if t.Properties != nil {
			c, p := *t, *t.Properties
			if p.Metadata != nil {
				p.Metadata = redactMetadata(p.Metadata)
			}
			c.Properties = &p
			body = &c
			for _, ni := range p.NetworkInterfaces {
				links = append(links, b.networkLink(ni.Network)...)
			}
			for _, sa := range p.ServiceAccounts {
				links = append(links, b.serviceAccountLink(sa.Email)...)
			}
		}
		out = append(out, b.ent(TypeInstanceTemplate, region, t.Name, "", body, links...))
	}
	return out
}

// groupID is an instance group's ID from its URL (zonal or regional).
func (b *builder) groupID(url string) string {
	loc := segment(url, "zones")
	if loc == "" {
		loc = segment(url, "regions")
	}
	return b.id(loc, TypeInstanceGroup, last(url))
}

// instanceID is a VM's ID from its URL.
func (b *builder) instanceID(url string) string {
	return b.id(segment(url, "zones"), TypeVM, last(url))
}

func (b *builder) groupEntities() []entity.Entity {
	managers := map[string]*compute.InstanceGroupManager{}
	for _, m := range b.inv.managers {
		managers[m.InstanceGroup] = m
	}
	var out []entity.Entity
	for _, g := range b.inv.groups {
		loc := last(g.Zone)
		if loc == "" {
			loc = last(g.Region)
		}
		if !b.keep(loc) {
			continue
		}
		links := append([]entity.Link{b.locationParent(loc)}, b.networkLink(g.Network)...)
		links = append(links, b.subnetworkLink(g.Subnetwork)...)
		e := b.ent(TypeInstanceGroup, loc, g.Name, "", g, links...)
		e.Description["size"] = g.Size
		e.Description["managed"] = false
		if m := managers[g.SelfLink]; m != nil {
			e.Description["managed"] = true
			e.Body["manager"] = toMap(m)
			if m.InstanceTemplate != "" {
				e.Links = append(e.Links, child(TypeInstanceTemplate, b.templateID(m.InstanceTemplate)))
			}
			if m.Status != nil && !m.Status.IsStable {
				e.Status = statusOrange
			} else if m.Status != nil {
				e.Status = statusGreen
			}
		}
		out = append(out, e)
	}
	return out
}

func (b *builder) templateID(url string) string {
	return b.id(segment(url, "regions"), TypeInstanceTemplate, last(url))
}

// memberEntities are the groups' links to their instances, emitted as
// links of the groups: the members read stands alone, so its links ride on
// a copy of each group's entity only when both reads succeeded (see
// receiver.go).
func (b *builder) memberLinks() map[string][]entity.Link {
	out := map[string][]entity.Link{}
	for _, g := range b.inv.groups {
		for _, url := range b.inv.members[g.SelfLink] {
			out[b.groupID(g.SelfLink)] = append(out[b.groupID(g.SelfLink)], child(TypeVM, b.instanceID(url)))
		}
	}
	return out
}

func (b *builder) forwardingRuleEntities() []entity.Entity {
	var out []entity.Entity
	for _, f := range b.inv.forwardingRules {
		region := last(f.Region)
		if !b.keep(region) {
			continue
		}
		var links []entity.Link
		if region != "" {
			links = append(links, b.locationParent(region))
		}
		links = append(links, b.networkLink(f.Network)...)
		links = append(links, b.subnetworkLink(f.Subnetwork)...)
		if t := b.targetLink(f.Target); t != nil {
			links = append(links, *t)
		}
		if f.BackendService != "" && b.ours(f.BackendService) {
			links = append(links, child(TypeBackendService, b.id(segment(f.BackendService, "regions"), TypeBackendService, last(f.BackendService))))
		}
		e := b.ent(TypeForwardingRule, region, f.Name, "", f, links...)
		e.Description["load_balancing_scheme"] = f.LoadBalancingScheme
		if f.IPAddress != "" {
			e.Addresses = []string{f.IPAddress}
		}
		out = append(out, e)
	}
	return out
}

// targetLink is a forwarding rule's link to its target proxy.
func (b *builder) targetLink(url string) *entity.Link {
	if url == "" || !b.ours(url) {
		return nil
	}
	var typ string
	switch {
	case strings.Contains(url, "/targetHttpProxies/"):
		typ = TypeTargetHTTPProxy
	case strings.Contains(url, "/targetHttpsProxies/"):
		typ = TypeTargetHTTPSProxy
	case strings.Contains(url, "/targetTcpProxies/"):
		typ = TypeTargetTCPProxy
	default:
		return nil
	}
	l := child(typ, b.id(segment(url, "regions"), typ, last(url)))
	return &l
}

func (b *builder) proxyEntities() []entity.Entity {
	var out []entity.Entity
	for _, t := range b.inv.targetProxies {
		if !b.keep(t.region) {
			continue
		}
		var links []entity.Link
		if t.urlMap != "" && b.ours(t.urlMap) {
			links = append(links, child(TypeURLMap, b.id(segment(t.urlMap, "regions"), TypeURLMap, last(t.urlMap))))
		}
		if t.service != "" && b.ours(t.service) {
			links = append(links, child(TypeBackendService, b.id(segment(t.service, "regions"), TypeBackendService, last(t.service))))
		}
		out = append(out, b.ent(t.kind, t.region, t.name, "", t.body, links...))
	}
	return out
}

func (b *builder) urlMapEntities() []entity.Entity {
	var out []entity.Entity
	for _, u := range b.inv.urlMaps {
		region := last(u.Region)
		if !b.keep(region) {
			continue
		}
		var services []string
		add := func(url string) {
			if url != "" && b.ours(url) && strings.Contains(url, "/backendServices/") && !slices.Contains(services, url) {
				services = append(services, url)
			}
		}
		add(u.DefaultService)
		for _, pm := range u.PathMatchers {
			add(pm.DefaultService)
			for _, pr := range pm.PathRules {
				add(pr.Service)
			}
			for _, rr := range pm.RouteRules {
				add(rr.Service)
			}
		}
		var links []entity.Link
		for _, s := range services {
			links = append(links, child(TypeBackendService, b.id(segment(s, "regions"), TypeBackendService, last(s))))
		}
		out = append(out, b.ent(TypeURLMap, region, u.Name, "", u, links...))
	}
	return out
}

func (b *builder) backendServiceEntities() []entity.Entity {
	var out []entity.Entity
	for _, s := range b.inv.backendServices {
		region := last(s.Region)
		if !b.keep(region) {
			continue
		}
		var links []entity.Link
		for _, be := range s.Backends {
			// Network endpoint groups are not crawled.
			if strings.Contains(be.Group, "/instanceGroups/") && b.ours(be.Group) {
				links = append(links, child(TypeInstanceGroup, b.groupID(be.Group)))
			}
		}
		e := b.ent(TypeBackendService, region, s.Name, "", s, links...)
		e.Description["load_balancing_scheme"] = s.LoadBalancingScheme
		e.Description["protocol"] = s.Protocol
		out = append(out, e)
	}
	return out
}

// appendNew appends a non-empty address once.
func appendNew(addrs []string, a string) []string {
	if a == "" || slices.Contains(addrs, a) {
		return addrs
	}
	return append(addrs, a)
}

// parent is the structural edge a child lists to its parent.
func parent(typ, id string) entity.Link {
	return entity.Link{Type: entity.RelParentChild, Direction: entity.Incoming, Target: entity.Ref{Type: typ, InternalID: id}}
}

// child is the structural edge an object lists to what it uses.
func child(typ, id string) entity.Link {
	return entity.Link{Type: entity.RelParentChild, Direction: entity.Outgoing, Target: entity.Ref{Type: typ, InternalID: id}}
}

// toMap is an API object as the JSON the API sent (the element's data).
func toMap(v any) map[string]any {
	raw, err := json.Marshal(v)
	if err != nil {
		return map[string]any{}
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return map[string]any{}
	}
	return m
}

// computeStatus maps the states of GCP objects to the element status, as
// the agent did.
func computeStatus(s string) string {
	switch s {
	case "RUNNING", "READY", "RUNNABLE", "ALWAYS", "UP", "ACTIVE":
		return statusGreen
	case "DEPROVISIONING", "STOPPED", "STOPPING", "SUSPENDED", "SUSPENDING", "TERMINATED", "INVALID", "DRAINING", "ERROR", "FAILED",
		"UNAVAILABLE", "MAINTENANCE", "NEVER", "DOWN":
		return statusRed
	case "PROVISIONING", "STAGING", "REPAIRING", "DELETING", "CREATING", "RECONCILING", "DEGRADED", "RUNNING_WITH_ERROR",
		"PENDING_DELETE", "PENDING_CREATE", "ON_DEMAND", "UPDATING", "RESTARTING":
		return statusOrange
	}
	return ""
}

func lifecycle(s string) string {
	switch s {
	case "ACTIVE":
		return statusGreen
	case "DELETE_REQUESTED", "DELETE_IN_PROGRESS":
		return statusRed
	}
	return ""
}

// isRegionName says whether a bucket location names a region (not a
// multi-region such as EU or a dual-region).
func isRegionName(loc string) bool { return gcpapi.IsRegion(loc) }
