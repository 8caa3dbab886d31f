package gcpreceiver

import (
	"strconv"
	"strings"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// clusterRegion is the region of a GKE cluster's location (a zone for a
// zonal cluster).
func clusterRegion(location string) string { return regionOf(location) }

func (b *builder) gkeEntities() []entity.Entity {
	var out []entity.Entity
	for _, c := range b.inv.clusters {
		if !b.keep(c.Location) {
			continue
		}
		region := clusterRegion(c.Location)
		// A zonal cluster belongs to its zone, a regional one to its
		// region (the agent gave every cluster a region parent named
		// after its zone).
		links := []entity.Link{b.locationParent(c.Location)}
		links = append(links, b.networkLink(c.Network)...)
		if c.Subnetwork != "" {
			links = append(links, parent(TypeSubnetwork, b.id(region, TypeSubnetwork, last(c.Subnetwork))))
		}
		if c.NodeConfig != nil {
			links = append(links, b.serviceAccountLink(c.NodeConfig.ServiceAccount)...)
		}
		var pool *entity.Entity
		if c.WorkloadIdentityConfig != nil && c.WorkloadIdentityConfig.WorkloadPool != "" {
			wp := c.WorkloadIdentityConfig.WorkloadPool
			p := b.ent(TypeWorkloadPool, "", wp, "", c.WorkloadIdentityConfig, parent(TypeProject, b.projectID()))
			pool = &p
			links = append(links, child(TypeWorkloadPool, p.InternalID))
		}
		cl := b.ent(TypeGKE, c.Location, c.Name, computeStatus(c.Status), c, links...)
		cl.Version = c.CurrentMasterVersion
		cl.NativeIDs = map[string]any{"k8s.cluster.name": c.Name}
		cl.Description["k8s.cluster.name"] = c.Name
		out = append(out, cl)
		if pool != nil {
			out = append(out, *pool)
		}
		for _, np := range c.NodePools {
			// Node pool names are unique per cluster only: the ID holds
			// the cluster (the agent's `<scope>--gcp.node_pool-<pool>`
			// collided across clusters).
			links := []entity.Link{parent(TypeGKE, cl.InternalID)}
			links = append(links, b.networkLink(c.Network)...)
			for _, url := range np.InstanceGroupUrls {
				// The URLs name the managed instance groups; the group of
				// the same name and zone holds the nodes.
				links = append(links, child(TypeInstanceGroup, b.groupID(strings.Replace(url, "/instanceGroupManagers/", "/instanceGroups/", 1))))
			}
			if np.Config != nil {
				links = append(links, b.serviceAccountLink(np.Config.ServiceAccount)...)
			}
			e := b.ent(TypeNodePool, c.Location, c.Name+"/"+np.Name, computeStatus(np.Status), np, links...)
			e.Name = np.Name
			e.Version = np.Version
			e.Description["k8s.cluster.name"] = c.Name
			out = append(out, e)
		}
	}
	return out
}

func (b *builder) sqlEntities() []entity.Entity {
	var out []entity.Entity
	for _, s := range b.inv.sqlInstances {
		if !b.keep(s.Region) {
			continue
		}
		status := computeStatus(s.State)
		if s.Settings != nil && status == statusGreen {
			if st := computeStatus(s.Settings.ActivationPolicy); st != statusGreen {
				status = st
			}
		}
		var links []entity.Link
		if s.GceZone != "" {
			links = append(links, b.locationParent(s.GceZone))
		} else if s.Region != "" {
			links = append(links, b.locationParent(s.Region))
		}
		if s.Settings != nil && s.Settings.IpConfiguration != nil {
			links = append(links, b.networkLink(s.Settings.IpConfiguration.PrivateNetwork)...)
		}
		var addrs []string
		for _, ip := range s.IpAddresses {
			if ip.Type == "OUTGOING" {
				continue // the instance's own egress address
			}
			addrs = appendNew(addrs, ip.IpAddress)
		}
		body := *s
		body.ServerCaCert = nil
		e := b.ent(TypeCloudSQL, s.GceZone, s.Name, status, &body, links...)
		if s.GceZone == "" {
			e.Description["cloud.region"] = s.Region
		}
		e.Version = cloudSQLVersion(s.DatabaseInstalledVersion)
		e.Description["db.system.name"] = dbSystem(s.DatabaseVersion)
		e.Description["database_version"] = s.DatabaseVersion
		e.Addresses = addrs
		out = append(out, e)
	}
	return out
}

// cloudSQLVersion is a Cloud SQL version as semver, as the agent made it
// (POSTGRES_15_4 → 15.4.0, MYSQL_8_0_31 → 8.0.31); empty when unknown.
func cloudSQLVersion(v string) string {
	var nums []string
	for _, p := range strings.Split(v, "_") {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			nums = append(nums, p)
		} else if len(nums) > 0 {
			break
		}
	}
	if len(nums) == 0 {
		return ""
	}
	for len(nums) < 3 {
		nums = append(nums, "0")
	}
	return strings.Join(nums[:3], ".")
}

func dbSystem(v string) string {
	switch {
	case strings.HasPrefix(v, "POSTGRES"):
		return "postgresql"
	case strings.HasPrefix(v, "MYSQL"):
		return "mysql"
	case strings.HasPrefix(v, "SQLSERVER"):
		return "microsoft.sql_server"
	}
	return ""
}

// bucketLocation is a bucket's location as the ID holds it (lowercase).
func bucketLocation(loc string) string { return strings.ToLower(loc) }

func (b *builder) bucketEntities() []entity.Entity {
	var out []entity.Entity
	for _, bk := range b.inv.buckets {
		loc := bucketLocation(bk.Location)
		if isRegionName(loc) && !b.keep(loc) {
			continue
		}
		// A multi-region (eu, us) or dual-region has no region element:
		// its parent is the project.
		link := parent(TypeProject, b.projectID())
		if isRegionName(loc) {
			link = parent(TypeRegion, b.id("", TypeRegion, loc))
		}
		e := b.ent(TypeBucket, loc, bk.Name, "", bk, link)
		e.Description["storage_class"] = bk.StorageClass
		e.Description["location_type"] = bk.LocationType
		out = append(out, e)
	}
	return out
}

// runRegion is a Cloud Run service's region, from its name
// (projects/p/locations/<region>/services/<name>).
func runRegion(name string) string { return segment(name, "locations") }

func (b *builder) runID(name string) string {
	return b.id(runRegion(name), TypeCloudRun, last(name))
}

func (b *builder) runEntities() []entity.Entity {
	var out []entity.Entity
	for _, s := range b.inv.services {
		region := runRegion(s.Name)
		if !b.keep(region) {
			continue
		}
		links := []entity.Link{b.locationParent(region)}
		body := *s
		if s.Template != nil {
			links = append(links, b.serviceAccountLink(s.Template.ServiceAccount)...)
			if s.Template.VpcAccess != nil {
				for _, ni := range s.Template.VpcAccess.NetworkInterfaces {
					links = append(links, b.networkLink(ni.Network)...)
				}
			}
			t := *s.Template
			t.Containers = nil
			for _, c := range s.Template.Containers {
				cc := *c
				cc.Env = nil
				for _, env := range c.Env {
					ev := *env
					ev.Value = "" // values may be secrets; names and secret references stay
					cc.Env = append(cc.Env, &ev)
				}
				t.Containers = append(t.Containers, &cc)
			}
			body.Template = &t
		}
		status := ""
		if s.TerminalCondition != nil {
			switch s.TerminalCondition.State {
			case "CONDITION_SUCCEEDED":
				status = statusGreen
			case "CONDITION_FAILED":
				status = statusRed
			case "CONDITION_PENDING", "CONDITION_RECONCILING":
				status = statusOrange
			}
		}
		e := b.ent(TypeCloudRun, region, last(s.Name), status, &body, links...)
		e.Version = strconv.FormatInt(s.Generation, 10)
		if s.Uri != "" {
			e.Description["url"] = s.Uri
		}
		out = append(out, e)
	}
	return out
}

func (b *builder) topicEntities() []entity.Entity {
	var out []entity.Entity
	for _, t := range b.inv.topics {
		if !b.ours(t.Name) {
			continue
		}
		out = append(out, b.ent(TypePubSubTopic, "", last(t.Name), "", t, parent(TypeProject, b.projectID())))
	}
	return out
}

func (b *builder) subscriptionEntities() []entity.Entity {
	var out []entity.Entity
	for _, s := range b.inv.subscriptions {
		var links []entity.Link
		// A subscription to another project's topic links nowhere; a
		// deleted topic reads _deleted-topic_.
		if s.Topic != "" && b.ours(s.Topic) && last(s.Topic) != "_deleted-topic_" {
			links = append(links, parent(TypePubSubTopic, b.id("", TypePubSubTopic, last(s.Topic))))
		} else {
			links = append(links, parent(TypeProject, b.projectID()))
		}
		status := ""
		switch s.State {
		case "ACTIVE":
			status = statusGreen
		case "RESOURCE_ERROR":
			status = statusRed
		}
		e := b.ent(TypePubSubSub, "", last(s.Name), status, s, links...)
		if s.PushConfig != nil && s.PushConfig.PushEndpoint != "" {
			e.Description["push_endpoint"] = s.PushConfig.PushEndpoint
		}
		out = append(out, e)
	}
	return out
}

func (b *builder) redisEntities() []entity.Entity {
	var out []entity.Entity
	for _, r := range b.inv.redisInstances {
		region := segment(r.Name, "locations")
		if !b.keep(region) {
			continue
		}
		links := append([]entity.Link{b.locationParent(region)}, b.networkLink(r.AuthorizedNetwork)...)
		status := ""
		switch r.State {
		case "READY":
			status = statusGreen
		case "CREATING", "UPDATING", "MAINTENANCE", "IMPORTING", "FAILING_OVER":
			status = statusOrange
		case "DELETING", "REPAIRING":
			status = statusRed
		}
		e := b.ent(TypeRedis, region, last(r.Name), status, r, links...)
		e.Version = r.RedisVersion
		if r.Host != "" {
			e.Addresses = []string{r.Host}
		}
		e.Description["db.system.name"] = "redis"
		out = append(out, e)
	}
	return out
}
