package gcpflowlogsreceiver

import (
	"net/netip"
	"sort"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const (
	typeVM  = "gcp.vm_instance"
	typePod = "kubernetes.pod"
)

// end is one end of a flow: an internal ID (a VM, a pod of a mapped GKE
// cluster) or, unresolved, the address, which the processor resolves
// (Cloud SQL, forwarding rules, other data sources' hosts).
type end struct {
	id       string
	external bool
}

type edgeKey struct {
	client, server string
	port, proto    int64
}

type connKey struct {
	clientIP, serverIP string
	clientPort         int64
}

// counters are what one reporter (the client's end or the server's)
// logged of an edge.
type counters struct {
	bytesSent, packetsSent, bytesReceived, packetsReceived int64
}

type edge struct {
	clientExternal, serverExternal bool
	// by holds the counters per reporting end: 0 the client's, 1 the
	// server's. Both ends of one connection log it when both have flow
	// logs on; each counts it once, so the edge takes the larger.
	by          [2]counters
	conns       map[connKey]struct{}
	first, last time.Time
}

// aggregator folds flow records into client → server edges.
type aggregator struct {
	scope, project string
	clusters       *mapping.Table
	// sql maps the Cloud SQL instances' addresses to their IDs.
	sql     map[string]string
	edges   map[edgeKey]*edge
	records int64
	// ids caches the ends resolved so far: building an ID allocates, a
	// lookup does not.
	ids map[endKey]end
}

type endKey struct {
	ip, vm, zone, project, cluster, location, namespace, pod string
}

func newAggregator(scope, project string, clusters *mapping.Table) *aggregator {
	return &aggregator{scope: scope, project: project, clusters: clusters, edges: map[edgeKey]*edge{}, ids: map[endKey]end{}}
}

// resolve is one end of a record: the pod when GKE names one of a mapped
// cluster, else the VM when the instance is in the project, else the
// address.
func (a *aggregator) resolve(ip string, in *instance, g *gke) end {
	k := endKey{vm: in.VMName, zone: in.Zone, project: in.ProjectID, cluster: g.Cluster.Name, location: g.Cluster.Location, namespace: g.Pod.Namespace, pod: g.Pod.Name}
	if k == (endKey{}) {
		if id, ok := a.sql[ip]; ok {
			return end{id: id}
		}
		return end{id: ip}
	}
	k.ip = ip
	if e, ok := a.ids[k]; ok {
		return e
	}
	e := a.resolveNew(ip, in, g)
	a.ids[k] = e
	return e
}

func (a *aggregator) resolveNew(ip string, in *instance, g *gke) end {
	if g.Pod.Name != "" && g.Pod.Namespace != "" && a.clusters != nil {
		if uid, ok := a.clusters.Lookup(g.Cluster.Location + "-" + g.Cluster.Name); ok {
			return end{id: internalid.Kubernetes(uid, g.Pod.Namespace, typePod, g.Pod.Name), external: true}
		}
	}
	if in.VMName != "" && in.Zone != "" && (in.ProjectID == "" || in.ProjectID == a.project) {
		return end{id: internalid.GCP(a.scope, in.Zone, typeVM, in.VMName)}
	}
	if id, ok := a.sql[ip]; ok {
		return end{id: id}
	}
	return end{id: ip}
}

// add folds one record in.
func (a *aggregator) add(r *record) {
	a.records++
	c := &r.Connection
	srcIsClient := isClient(c.SrcPort, c.DstPort, c.SrcIP, c.DstIP)
	src := a.resolve(c.SrcIP, &r.SrcInstance, &r.SrcGKE)
	dst := a.resolve(c.DstIP, &r.DstInstance, &r.DstGKE)
	client, server := src, dst
	conn := connKey{clientIP: c.SrcIP, serverIP: c.DstIP, clientPort: c.SrcPort}
	port := c.DstPort
	if !srcIsClient {
		client, server = dst, src
		conn = connKey{clientIP: c.DstIP, serverIP: c.SrcIP, clientPort: c.DstPort}
		port = c.SrcPort
	}
	k := edgeKey{client: client.id, server: server.id, port: port, proto: c.Protocol}
	e := a.edges[k]
	if e == nil {
		e = &edge{clientExternal: client.external, serverExternal: server.external, conns: map[connKey]struct{}{}, first: r.start, last: r.end}
		a.edges[k] = e
	}
	// The reporting end, as client (0) or server (1).
	reporter := 0
	if (r.Reporter == "SRC") != srcIsClient {
		reporter = 1
	}
	ct := &e.by[reporter]
	if srcIsClient {
		ct.bytesSent += int64(r.BytesSent)
		ct.packetsSent += int64(r.PacketsSent)
	} else {
		ct.bytesReceived += int64(r.BytesSent)
		ct.packetsReceived += int64(r.PacketsSent)
	}
	e.conns[conn] = struct{}{}
	if r.start.Before(e.first) {
		e.first = r.start
	}
	if r.end.After(e.last) {
		e.last = r.end
	}
}

// isClient reports whether the record's source opened the connection:
// a well-known port (below 1024) is the server's rather than a registered
// one (below 32768), a registered one rather than an ephemeral one;
// between ports of one class the lower; without ports that differ (ICMP),
// the lower address is the server's, so both directions make one edge.
func isClient(srcPort, dstPort int64, srcIP, dstIP string) bool {
	if srcPort > 0 && dstPort > 0 && srcPort != dstPort {
		if cs, cd := portClass(srcPort), portClass(dstPort); cs != cd {
			return cd < cs
		}
		return dstPort < srcPort
	}
	sa, errS := netip.ParseAddr(srcIP)
	da, errD := netip.ParseAddr(dstIP)
	if errS != nil || errD != nil {
		return srcIP > dstIP
	}
	return da.Compare(sa) < 0
}

func portClass(p int64) int {
	switch {
	case p < 1024:
		return 0
	case p < 32768:
		return 1
	}
	return 2
}

// observations are the edges, in a stable order (client, server, port).
func (a *aggregator) observations() []entity.Observation {
	keys := make([]edgeKey, 0, len(a.edges))
	for k := range a.edges {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		x, y := keys[i], keys[j]
		if x.client != y.client {
			return x.client < y.client
		}
		if x.server != y.server {
			return x.server < y.server
		}
		if x.port != y.port {
			return x.port < y.port
		}
		return x.proto < y.proto
	})
	out := make([]entity.Observation, 0, len(keys))
	for _, k := range keys {
		e := a.edges[k]
		side := entity.NotExternal
		switch {
		case e.clientExternal && e.serverExternal:
			side = entity.ExternalBothSides
		case e.clientExternal:
			side = entity.ExternalSource
		case e.serverExternal:
			side = entity.ExternalDestination
		}
		c, s := e.by[0], e.by[1]
		out = append(out, entity.Observation{
			Type:            entity.RelGCPNetworkFlow,
			External:        side,
			SourceID:        k.client,
			DestinationID:   k.server,
			DestinationPort: k.port,
			Connections:     int64(len(e.conns)),
			BytesSent:       max(c.bytesSent, s.bytesSent),
			PacketsSent:     max(c.packetsSent, s.packetsSent),
			BytesReceived:   max(c.bytesReceived, s.bytesReceived),
			PacketsReceived: max(c.packetsReceived, s.packetsReceived),
			FirstSeen:       e.first,
			LastSeen:        e.last,
			Attributes:      map[string]any{"network.transport": transport(k.proto)},
		})
	}
	return out
}

func transport(proto int64) string {
	switch proto {
	case 6:
		return "tcp"
	case 17:
		return "udp"
	case 1:
		return "icmp"
	}
	return "ip"
}
