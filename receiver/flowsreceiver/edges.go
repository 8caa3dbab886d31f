package flowsreceiver

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// expireAfter is how many collections an edge without traffic and without
// open connections is kept (its metrics keep being reported) before it is
// forgotten.
const expireAfter = 10

// endpoint is one end of an edge: an internal ID, or an address (ip or
// ip:port) left for the processor to resolve.
type endpoint struct {
	id string
	// external: the entity belongs to another data source (a pod of the
	// coordimap_kubernetes receiver).
	external bool
	// process: a coordimap.process of this host.
	process bool
}

// edgeKey is what an edge is reported by: its ends, as resolved, and the
// attributes of its metric points.
type edgeKey struct {
	side           side
	client, server netip.Addr
	port           uint16
	source         endpoint
	destination    endpoint
	process        string // executable name of the local end
	container      string // container ID of the local end
	// hidden edges are counted in the metrics but not sent as records:
	// the server end of a flow whose client end is on this host too (that
	// end reports it), self-loops, and host → own process.
	hidden bool
}

// edge is what the receiver knows of one edge.
type edge struct {
	key edgeKey
	// start is when the receiver first counted the edge: the start of its
	// cumulative metrics.
	start time.Time
	// lastSeen is the kernel's last update of any of its flows.
	lastSeen time.Time
	// total is counted since start; delta in the last collection.
	total, delta counters
	// active is the number of open connections at the last collection.
	active uint64
	// idle is how many collections in a row had no traffic and no open
	// connection.
	idle int
	// attrs caches the metric point attributes (see pointAttributes).
	attrs *pcommon.Map
}

// edges turns the kernel's cumulative counters into per-edge totals and
// per-collection deltas.
type edges struct {
	// last holds each kernel entry's counters at the previous read.
	last  map[flowKey]counters
	byKey map[edgeKey]*edge
}

func newEdges() *edges {
	return &edges{last: map[flowKey]counters{}, byKey: map[edgeKey]*edge{}}
}

// update applies one read of the kernel map: resolve gives the edge of an
// entry. Entries that left the map (LRU eviction) are forgotten, so if they
// come back everything they hold is new.
func (s *edges) update(entries []flowEntry, now time.Time, resolve func(*flowEntry) edgeKey) {
	for _, e := range s.byKey {
		e.delta, e.active = counters{}, 0
	}
	present := make(map[flowKey]struct{}, len(entries))
	for i := range entries {
		fe := &entries[i]
		present[fe.key] = struct{}{}
		prev, known := s.last[fe.key]
		s.last[fe.key] = fe.counters
		d := fe.counters.since(prev)
		active := uint64(0)
		if fe.opened > fe.closed {
			active = fe.opened - fe.closed
		}
		if known && d.isZero() && active == 0 {
			continue
		}
		if !known && fe.counters.isZero() {
			continue
		}
		k := resolve(fe)
		e := s.byKey[k]
		if e == nil {
			e = &edge{key: k, start: now}
			s.byKey[k] = e
		}
		e.delta = e.delta.add(d)
		e.total = e.total.add(d)
		e.active += active
		if fe.last.After(e.lastSeen) {
			e.lastSeen = fe.last
		}
	}
	for k := range s.last {
		if _, ok := present[k]; !ok {
			delete(s.last, k)
		}
	}
	for k, e := range s.byKey {
		if e.delta.isZero() && e.active == 0 {
			e.idle++
			if e.idle > expireAfter {
				delete(s.byKey, k)
			}
			continue
		}
		e.idle = 0
	}
}

// live reports whether a kernel entry changed since the last update or has
// open connections.
func (s *edges) live(e *flowEntry) bool {
	prev, known := s.last[e.key]
	return !known || prev != e.counters || e.opened > e.closed
}

// sorted lists the edges in a stable order (for records and tests).
func (s *edges) sorted() []*edge {
	out := make([]*edge, 0, len(s.byKey))
	for _, e := range s.byKey {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *edge) int {
		return cmp.Or(
			cmp.Compare(a.key.source.id, b.key.source.id),
			cmp.Compare(a.key.destination.id, b.key.destination.id),
			cmp.Compare(a.key.port, b.key.port),
			cmp.Compare(a.key.side, b.key.side),
			a.key.client.Compare(b.key.client),
			a.key.server.Compare(b.key.server),
			cmp.Compare(a.key.process, b.key.process),
			cmp.Compare(a.key.container, b.key.container),
		)
	})
	return out
}

// current reports whether the edge had traffic or open connections in the
// last collection.
func (e *edge) current() bool { return !e.delta.isZero() || e.active > 0 }
