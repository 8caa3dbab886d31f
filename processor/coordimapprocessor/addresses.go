package coordimapprocessor

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// parseAddress reads an endpoint or an announced address: "ip", "ip:port" or
// "[ipv6]:port". A bare ip has port 0. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) are unmapped, so both spellings find the same entity.
func parseAddress(s string) (netip.AddrPort, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.AddrPortFrom(a.Unmap(), 0), true
	}
	return netip.AddrPort{}, false
}

// addressIndex maps the addresses entities announce to their internal IDs.
// Several live entities may announce one address: a pod of the Amazon VPC
// CNI takes a secondary address of its node's network interface, which the
// AWS inventory announces for the instance; a node is announced both as a
// Kubernetes node and as a cloud instance. The address then resolves to
// the most specific entity (a pod, see rank), and among equally specific
// ones to the newest holder (the last to start announcing it, so a reused
// address goes to its new holder before the old one's delete arrives, and
// two that keep announcing do not alternate). An announcement expires ttl,
// or three of the record's entity.report.interval when that is longer, after
// the last state event that made it (so an entity re-reported less often
// than ttl, such as a quiet pod or a cloud inventory polled every 30 min,
// keeps its addresses between reports); an entity.delete drops the entity's
// at once. It is safe for concurrent use.
type addressIndex struct {
	ttl time.Duration

	mu sync.RWMutex
	// byAddr keys bare ips with port 0; each address has its announcers.
	byAddr map[netip.AddrPort][]addressOwner
	// byID is the reverse map: the addresses each entity holds in byAddr.
	byID      map[string][]netip.AddrPort
	lastSweep time.Time
	// announced numbers first announcements, so the newest holder is
	// known even within one clock tick.
	announced uint64
}

type addressOwner struct {
	id         string
	dataSource string
	// name is the entity's name (coordimap.name): a destination that
	// names the entity it wants (relationship.destination.name, a
	// database's name) picks it among the announcers of one address.
	name string
	// rank orders announcers of one address: lower is more specific.
	rank int
	// since numbers the entity's first announcement of the address (the
	// index's announced counter); seen is its last announcement.
	since uint64
	seen  time.Time
	// keep is how long after seen the announcement holds.
	keep time.Duration
}

// expired reports whether o's announcement no longer holds at now.
func (o addressOwner) expired(now time.Time) bool { return now.Sub(o.seen) > o.keep }

// reportIntervalsKept is how many of an entity's report intervals its
// announcement outlives: two missed reports do not drop it.
const reportIntervalsKept = 3

// Ranks of announcers: a workload sharing its machine's addresses is more
// specific than the machine.
const (
	rankWorkload = iota
	rankOther
)

// workloadTypes announce addresses that their machine announces too.
var workloadTypes = map[string]bool{"kubernetes.pod": true}

// rank is the rank of an announcer of element type typ.
func rank(typ string) int {
	if workloadTypes[typ] {
		return rankWorkload
	}
	return rankOther
}

func newAddressIndex(ttl time.Duration) *addressIndex {
	return &addressIndex{
		ttl:    ttl,
		byAddr: make(map[netip.AddrPort][]addressOwner),
		byID:   make(map[string][]netip.AddrPort),
	}
}

// learn records that entity id (of element type typ, next reported within
// reportInterval, 0 when unknown) answers on addrs as of now, replacing what
// it announced before.
func (x *addressIndex) learn(id, typ, name, dataSource string, addrs []netip.AddrPort, reportInterval time.Duration, now time.Time) {
	keep := max(x.ttl, reportIntervalsKept*reportInterval)
	x.mu.Lock()
	defer x.mu.Unlock()
	if now.Sub(x.lastSweep) >= x.ttl {
		x.sweepLocked(now)
	}
	for _, a := range x.byID[id] {
		if !slices.Contains(addrs, a) {
			x.dropOwnerLocked(a, id)
		}
	}
	held := make([]netip.AddrPort, 0, len(addrs))
	for _, a := range addrs {
		if slices.Contains(held, a) {
			continue
		}
		held = append(held, a)
		owners := x.byAddr[a]
		if i := slices.IndexFunc(owners, func(o addressOwner) bool { return o.id == id }); i >= 0 {
			owners[i].seen, owners[i].keep, owners[i].dataSource, owners[i].rank, owners[i].name = now, keep, dataSource, rank(typ), name
			continue
		}
		x.announced++
		x.byAddr[a] = append(owners, addressOwner{id: id, dataSource: dataSource, name: name, rank: rank(typ), since: x.announced, seen: now, keep: keep})
	}
	if len(held) == 0 {
		delete(x.byID, id)
		return
	}
	x.byID[id] = held
}

// forget drops every address entity id holds.
func (x *addressIndex) forget(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, a := range x.byID[id] {
		x.dropOwnerLocked(a, id)
	}
	delete(x.byID, id)
}

// lookup returns the entity a resolves to among those whose announcement
// has not expired: the lowest rank, then the newest holder.
func (x *addressIndex) lookup(a netip.AddrPort, name string, now time.Time) (addressOwner, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var best addressOwner
	found := false
	for _, o := range x.byAddr[a] {
		if o.expired(now) {
			continue
		}
		if !found || better(o, best, name) {
			best, found = o, true
		}
	}
	return best, found
}

// better reports whether announcer o beats best: the one named name when
// name is set, then the lowest rank, then the newest holder.
func better(o, best addressOwner, name string) bool {
	if name != "" && (o.name == name) != (best.name == name) {
		return o.name == name
	}
	return o.rank < best.rank || (o.rank == best.rank && o.since > best.since)
}

// len is the number of addresses held, expired or not.
func (x *addressIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byAddr)
}

// sweepLocked removes expired announcements, so that the index holds what
// was announced within the last ttl (or the announcement's longer keep)
// plus one ttl at most.
func (x *addressIndex) sweepLocked(now time.Time) {
	x.lastSweep = now
	for a, owners := range x.byAddr {
		// Compacting owners while ranging over it would skip the owner
		// after each one dropped: filter it in one pass instead.
		kept := slices.DeleteFunc(owners, func(o addressOwner) bool {
			if o.expired(now) {
				x.dropLocked(o.id, a)
				return true
			}
			return false
		})
		if len(kept) == 0 {
			delete(x.byAddr, a)
			continue
		}
		x.byAddr[a] = kept
	}
}

// dropOwnerLocked removes id from a's announcers.
func (x *addressIndex) dropOwnerLocked(a netip.AddrPort, id string) {
	owners := slices.DeleteFunc(x.byAddr[a], func(o addressOwner) bool { return o.id == id })
	if len(owners) == 0 {
		delete(x.byAddr, a)
		return
	}
	x.byAddr[a] = owners
}

// dropLocked removes a from id's reverse entry.
func (x *addressIndex) dropLocked(id string, a netip.AddrPort) {
	held := slices.DeleteFunc(x.byID[id], func(b netip.AddrPort) bool { return b == a })
	if len(held) == 0 {
		delete(x.byID, id)
		return
	}
	x.byID[id] = held
}

// holds reports whether entity id holds any address.
func (x *addressIndex) holds(id string) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byID[id]) > 0
}
