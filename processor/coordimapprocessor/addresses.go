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
// An address expires ttl after the last state event that announced it; an
// entity.delete drops its addresses at once. It is safe for concurrent use.
type addressIndex struct {
	ttl time.Duration

	mu sync.RWMutex
	// byAddr keys bare ips with port 0.
	byAddr map[netip.AddrPort]addressOwner
	// byID is the reverse map: the addresses each entity holds in byAddr.
	byID      map[string][]netip.AddrPort
	lastSweep time.Time
}

type addressOwner struct {
	id         string
	dataSource string
	seen       time.Time
}

func newAddressIndex(ttl time.Duration) *addressIndex {
	return &addressIndex{
		ttl:    ttl,
		byAddr: make(map[netip.AddrPort]addressOwner),
		byID:   make(map[string][]netip.AddrPort),
	}
}

// learn records that entity id answers on addrs as of now, replacing what
// it announced before. An address another entity held moves to id.
func (x *addressIndex) learn(id, dataSource string, addrs []netip.AddrPort, now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if now.Sub(x.lastSweep) >= x.ttl {
		x.sweepLocked(now)
	}
	for _, a := range x.byID[id] {
		if !slices.Contains(addrs, a) {
			delete(x.byAddr, a)
		}
	}
	held := make([]netip.AddrPort, 0, len(addrs))
	for _, a := range addrs {
		if slices.Contains(held, a) {
			continue
		}
		if prev, ok := x.byAddr[a]; ok && prev.id != id {
			x.dropLocked(prev.id, a)
		}
		x.byAddr[a] = addressOwner{id: id, dataSource: dataSource, seen: now}
		held = append(held, a)
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
		delete(x.byAddr, a)
	}
	delete(x.byID, id)
}

// lookup returns the entity that holds a, unless it expired.
func (x *addressIndex) lookup(a netip.AddrPort, now time.Time) (addressOwner, bool) {
	x.mu.RLock()
	o, ok := x.byAddr[a]
	x.mu.RUnlock()
	if !ok || now.Sub(o.seen) > x.ttl {
		return addressOwner{}, false
	}
	return o, true
}

// len is the number of addresses held, expired or not.
func (x *addressIndex) len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.byAddr)
}

// sweepLocked removes expired addresses, so that the index holds what was
// announced within the last two TTLs at most.
func (x *addressIndex) sweepLocked(now time.Time) {
	x.lastSweep = now
	for a, o := range x.byAddr {
		if now.Sub(o.seen) > x.ttl {
			delete(x.byAddr, a)
			x.dropLocked(o.id, a)
		}
	}
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
