package coordimapprocessor

import (
	"errors"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Defaults of external_peers.
const (
	defaultMaxExternalAddresses = 256
	defaultExternalPrefixV4     = 24
	defaultExternalPrefixV6     = 48
)

var (
	errMaxAddresses = errors.New("external_peers.max_addresses: must not be negative")
	errPrefixV4     = errors.New("external_peers.network_prefix_ipv4: must be 0 (the default, 24) or 8–32")
	errPrefixV6     = errors.New("external_peers.network_prefix_ipv6: must be 0 (the default, 48) or 16–128")
)

// ExternalPeersConfig makes elements of the public addresses that a
// coordimap.relationship record still has as an end after resolution (a
// client on the internet, an API the workload calls), so that the edge
// reaches the Coordimap API, which drops edges to bare addresses.
type ExternalPeersConfig struct {
	// Disabled leaves such ends as addresses (the exporter then sends
	// the edge to the local graph only).
	Disabled bool `mapstructure:"disabled"`
	// MaxAddresses bounds the addresses that get an element of their own,
	// per data source, among those seen within address_ttl; further
	// addresses are counted in the element of their network. 0 means 256.
	MaxAddresses int `mapstructure:"max_addresses"`
	// NetworkPrefixIPv4 and NetworkPrefixIPv6 are the networks addresses
	// beyond MaxAddresses are counted in. 0 means 24 and 48.
	NetworkPrefixIPv4 int `mapstructure:"network_prefix_ipv4"`
	NetworkPrefixIPv6 int `mapstructure:"network_prefix_ipv6"`

	_ struct{}
}

func (c ExternalPeersConfig) validate() []error {
	var errs []error
	if c.MaxAddresses < 0 {
		errs = append(errs, errMaxAddresses)
	}
	if c.NetworkPrefixIPv4 != 0 && (c.NetworkPrefixIPv4 < 8 || c.NetworkPrefixIPv4 > 32) {
		errs = append(errs, errPrefixV4)
	}
	if c.NetworkPrefixIPv6 != 0 && (c.NetworkPrefixIPv6 < 16 || c.NetworkPrefixIPv6 > 128) {
		errs = append(errs, errPrefixV6)
	}
	return errs
}

// Element types of external peers.
const (
	TypeExternalIP      = "coordimap.external_ip"
	TypeExternalNetwork = "coordimap.external_network"
)

// externalPeers turns the public address ends left after resolution into
// elements of their own. It remembers, per data source, which addresses
// have an element of their own (at most max, each for ttl after it was
// last seen), so that an address keeps its element from batch to batch.
// It is safe for concurrent use.
type externalPeers struct {
	cfg ExternalPeersConfig
	ttl time.Duration

	mu sync.Mutex
	// own: data source ID → address → last seen.
	own map[string]map[netip.Addr]time.Time
}

func newExternalPeers(cfg ExternalPeersConfig, ttl time.Duration) *externalPeers {
	if cfg.MaxAddresses == 0 {
		cfg.MaxAddresses = defaultMaxExternalAddresses
	}
	if cfg.NetworkPrefixIPv4 == 0 {
		cfg.NetworkPrefixIPv4 = defaultExternalPrefixV4
	}
	if cfg.NetworkPrefixIPv6 == 0 {
		cfg.NetworkPrefixIPv6 = defaultExternalPrefixV6
	}
	return &externalPeers{cfg: cfg, ttl: ttl, own: map[string]map[netip.Addr]time.Time{}}
}

// peer is one external element of a batch and the traffic it took part in.
type peer struct {
	id, name, network string
	addr              netip.Addr // zero for a network
	addrs             []string   // a network's addresses seen, bounded
	partition         string
	c                 peerCounters
	first, last       time.Time
}

type peerCounters struct {
	flows, asSource, asDestination int64
	connections, failed            int64
	bytesSent, bytesReceived       int64
	packetsSent, packetsReceived   int64
	rejectedPackets, rejectedBytes int64
	relationshipTypes              []string
}

// maxNetworkAddresses bounds the addresses a network element lists.
const maxNetworkAddresses = 32

// apply rewrites, resource by resource, every coordimap.relationship end
// that is still a public address to its external element's ID, and adds
// one entity.state record per such element to the resource, its body the
// traffic of the batch it took part in (accepted and rejected apart).
// Private and other non-public addresses are left as they are.
func (x *externalPeers) apply(ld plog.Logs, now time.Time) int {
	if x.cfg.Disabled {
		return 0
	}
	made := 0
	for _, rl := range ld.ResourceLogs().All() {
		src := entity.ReadSource(rl.Resource())
		peers := map[string]*peer{}
		var order []string
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				if rec.Kind() != entity.KindObservation {
					continue
				}
				s, d := rec.ObservationEndpoints()
				srcPeer := x.peerOf(src.DataSourceID, s, now, peers, &order)
				dstPeer := x.peerOf(src.DataSourceID, d, now, peers, &order)
				if srcPeer == nil && dstPeer == nil {
					continue
				}
				o := rec.Observation()
				if srcPeer != nil {
					s = srcPeer.id
					srcPeer.add(&o, true, rec.Time())
				}
				if dstPeer != nil {
					d = dstPeer.id
					dstPeer.add(&o, false, rec.Time())
				}
				rec.SetObservationEndpoints(s, d)
			}
		}
		if len(order) == 0 {
			continue
		}
		b := entity.NewBatch(src)
		for _, id := range order {
			_ = b.AddState(now, peers[id].entity()) // the body holds only strings, ints and lists of them
		}
		made += b.Len()
		b.Logs().ResourceLogs().At(0).ScopeLogs().MoveAndAppendTo(rl.ScopeLogs())
	}
	return made
}

// peerOf returns the batch's external element for end, creating it, or
// nil when end is not a public address.
func (x *externalPeers) peerOf(dataSource, end string, now time.Time, peers map[string]*peer, order *[]string) *peer {
	if !maybeAddress(end) {
		return nil
	}
	ap, ok := parseAddress(end)
	if !ok || !isPublic(ap.Addr()) {
		return nil
	}
	a := ap.Addr()
	var id, name, network string
	if x.ownElement(dataSource, a, now) {
		id, name = internalid.ExternalIP(a.String()), a.String()
	} else {
		bits := x.cfg.NetworkPrefixIPv4
		if a.Is6() {
			bits = x.cfg.NetworkPrefixIPv6
		}
		pfx, _ := a.Prefix(bits)
		network = pfx.String()
		id, name = internalid.ExternalNetwork(network), network
	}
	p, ok := peers[id]
	if !ok {
		p = &peer{id: id, name: name, network: network}
		if network == "" {
			p.addr = a
		}
		peers[id] = p
		*order = append(*order, id)
	}
	if network != "" && len(p.addrs) < maxNetworkAddresses && !slices.Contains(p.addrs, a.String()) {
		p.addrs = append(p.addrs, a.String())
	}
	return p
}

// ownElement reports whether a has (or now gets) an element of its own
// for dataSource.
func (x *externalPeers) ownElement(dataSource string, a netip.Addr, now time.Time) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	seen := x.own[dataSource]
	if seen == nil {
		seen = map[netip.Addr]time.Time{}
		x.own[dataSource] = seen
	}
	if _, ok := seen[a]; ok {
		seen[a] = now
		return true
	}
	if len(seen) >= x.cfg.MaxAddresses {
		maps.DeleteFunc(seen, func(_ netip.Addr, last time.Time) bool { return now.Sub(last) > x.ttl })
		if len(seen) >= x.cfg.MaxAddresses {
			return false
		}
	}
	seen[a] = now
	return true
}

func (p *peer) add(o *entity.Observation, asSource bool, recTime time.Time) {
	c := &p.c
	c.flows++
	if asSource {
		c.asSource++
	} else {
		c.asDestination++
	}
	c.connections += o.Connections
	c.failed += o.FailedConnections
	c.bytesSent += o.BytesSent
	c.bytesReceived += o.BytesReceived
	c.packetsSent += o.PacketsSent
	c.packetsReceived += o.PacketsReceived
	c.rejectedPackets += o.RejectedPackets
	c.rejectedBytes += o.RejectedBytes
	if !slices.Contains(c.relationshipTypes, o.Type) {
		c.relationshipTypes = append(c.relationshipTypes, o.Type)
	}
	if p.partition == "" {
		p.partition = o.Partition
	}
	first, last := o.FirstSeen, o.LastSeen
	if last.IsZero() {
		last = recTime
	}
	if first.IsZero() {
		first = last
	}
	if p.first.IsZero() || first.Before(p.first) {
		p.first = first
	}
	if last.After(p.last) {
		p.last = last
	}
}

// entity is the peer's state: its traffic in the batch, as the flows'
// source (the peer as client) and destination (as server) counted
// together. bytes_sent and packets_sent run client → server.
func (p *peer) entity() entity.Entity {
	c := &p.c
	types := slices.Clone(c.relationshipTypes)
	slices.Sort(types)
	body := map[string]any{
		"flows":                c.flows,
		"flows_as_source":      c.asSource,
		"flows_as_destination": c.asDestination,
		"accepted": map[string]any{
			"connections":      c.connections,
			"bytes_sent":       c.bytesSent,
			"bytes_received":   c.bytesReceived,
			"packets_sent":     c.packetsSent,
			"packets_received": c.packetsReceived,
		},
		"rejected": map[string]any{
			"attempts": c.failed,
			"packets":  c.rejectedPackets,
			"bytes":    c.rejectedBytes,
		},
		"relationship_types": anyStrings(types),
		"first_seen":         p.first.UTC().Format(time.RFC3339),
		"last_seen":          p.last.UTC().Format(time.RFC3339),
	}
	e := entity.Entity{
		Name:      p.name,
		Partition: p.partition,
		Body:      body,
	}
	if p.network == "" {
		e.Ref = entity.Ref{Type: TypeExternalIP, InternalID: p.id, NativeIDs: map[string]any{"network.peer.address": p.addr.String()}}
		body["address"] = p.addr.String()
	} else {
		e.Ref = entity.Ref{Type: TypeExternalNetwork, InternalID: p.id, NativeIDs: map[string]any{"network.peer.network": p.network}}
		body["network"] = p.network
		addrs := slices.Clone(p.addrs)
		slices.Sort(addrs)
		body["addresses"] = anyStrings(addrs)
	}
	return e
}

func anyStrings(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// maybeAddress reports whether s could be an ip, ip:port or [ipv6]:port
// (hex digits, '.', ':', brackets, an IPv6 zone after '%'), so that
// internal IDs are told apart without the error parsing them would
// allocate.
func maybeAddress(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			return true
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F', c == '.', c == ':', c == '[', c == ']':
		default:
			return false
		}
	}
	return true
}

// sharedAddressSpace is RFC 6598's carrier-grade NAT range: not routed on
// the internet, so not a public peer.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

// isPublic reports whether a is a globally routed unicast address: not
// private (RFC 1918, RFC 4193), loopback, link-local, multicast,
// unspecified or carrier-grade NAT.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !sharedAddressSpace.Contains(a)
}
