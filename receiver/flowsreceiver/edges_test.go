package flowsreceiver

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEdgesDeltasAndTotals(t *testing.T) {
	s := newEdges()
	key := flowKey{client: netip.MustParseAddr("10.0.0.2"), server: netip.MustParseAddr("10.0.0.1"), port: 80, side: sideClient}
	resolve := func(e *flowEntry) edgeKey {
		return edgeKey{side: e.key.side, port: e.key.port, source: endpoint{id: "p"}, destination: endpoint{id: "10.0.0.1:80"}}
	}
	t0 := time.Unix(1000, 0)
	read := func(c counters, at time.Time) *edge {
		s.update([]flowEntry{{key: key, counters: c}}, at, resolve)
		require.Len(t, s.byKey, 1)
		for _, e := range s.byKey {
			return e
		}
		return nil
	}

	e := read(counters{opened: 3, closed: 1, bytesSent: 100}, t0)
	assert.Equal(t, counters{opened: 3, closed: 1, bytesSent: 100}, e.delta)
	assert.Equal(t, uint64(2), e.active)
	assert.Equal(t, t0, e.start)

	e = read(counters{opened: 5, closed: 5, bytesSent: 300, failed: 1}, t0.Add(time.Second))
	assert.Equal(t, counters{opened: 2, closed: 4, bytesSent: 200, failed: 1}, e.delta)
	assert.Equal(t, counters{opened: 5, closed: 5, bytesSent: 300, failed: 1}, e.total)
	assert.Zero(t, e.active)
	assert.True(t, e.current())

	// Nothing new: no delta, totals kept.
	e = read(counters{opened: 5, closed: 5, bytesSent: 300, failed: 1}, t0.Add(2*time.Second))
	assert.False(t, e.current())
	assert.Equal(t, uint64(5), e.total.opened)

	// The kernel entry was evicted and came back: all of it is new.
	e = read(counters{opened: 1, closed: 1}, t0.Add(3*time.Second))
	assert.Equal(t, counters{opened: 1, closed: 1}, e.delta)
	assert.Equal(t, uint64(6), e.total.opened)
	assert.Equal(t, t0, e.start, "the cumulative series goes on")

	// Gone from the map, then idle: forgotten after expireAfter collections.
	for i := range expireAfter {
		s.update(nil, t0.Add(time.Duration(4+i)*time.Second), resolve)
		require.Len(t, s.byKey, 1, "collection %d", i)
	}
	s.update(nil, t0.Add(time.Minute), resolve)
	assert.Empty(t, s.byKey)
	assert.Empty(t, s.last)
}

func TestCountersSince(t *testing.T) {
	prev := counters{opened: 10, bytesSent: 1000}
	assert.Equal(t, counters{opened: 2, bytesSent: 24}, counters{opened: 12, bytesSent: 1024}.since(prev))
	assert.Equal(t, counters{opened: 1, bytesSent: 5}, counters{opened: 1, bytesSent: 5}.since(prev), "reset")
}
