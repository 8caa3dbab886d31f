package coordimapconnector

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// pairKey is the call a span takes part in: the trace and the client
// span's ID (a client span's own ID, a server span's parent ID).
type pairKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

// half is a span waiting for its other end.
type half struct {
	svc    *service
	client bool
	// producer: a producer span, which may have several consumers;
	// matched: it has met one.
	producer, matched bool
	failed            bool
	dur               time.Duration
	end               time.Time
	peer              peerAttrs
	// seq matches the span's entry in the expiry queue.
	seq uint64
}

type queued struct {
	key      pairKey
	seq      uint64
	deadline time.Time
}

// pendingStore holds at most max spans for ttl each. Spans leave in the
// order they came (all wait the same ttl), so expiry reads a FIFO queue;
// entries of spans already paired are skipped there. The map holds slot
// numbers of a slab, not the spans, so that its rehashes under constant
// insert and delete move 32-byte entries.
type pendingStore struct {
	max   int
	ttl   time.Duration
	items map[pairKey]int32
	slab  []half
	free  []int32
	queue []queued
	head  int
	seq   uint64
}

func newPendingStore(max int, ttl time.Duration) *pendingStore {
	return &pendingStore{max: max, ttl: ttl, items: make(map[pairKey]int32)}
}

func (p *pendingStore) len() int { return len(p.items) }

// take removes and returns the span waiting under k, if any.
func (p *pendingStore) take(k pairKey) (half, bool) {
	i, ok := p.items[k]
	if !ok {
		return half{}, false
	}
	delete(p.items, k)
	return p.release(i), true
}

// release frees slot i and returns what it held.
func (p *pendingStore) release(i int32) half {
	h := p.slab[i]
	p.slab[i] = half{}
	p.free = append(p.free, i)
	return h
}

// live reports whether the queue entry q is still the span under its key.
func (p *pendingStore) live(q *queued) (int32, bool) {
	i, ok := p.items[q.key]
	return i, ok && p.slab[i].seq == q.seq
}

// put stores h under k; false when the store is full.
func (p *pendingStore) put(k pairKey, h half, now time.Time) bool {
	if len(p.items) >= p.max {
		return false
	}
	if len(p.queue)-p.head >= 2*p.max+1024 {
		p.compact()
	}
	p.seq++
	h.seq = p.seq
	var i int32
	if n := len(p.free); n > 0 {
		i = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		i = int32(len(p.slab))
		p.slab = append(p.slab, half{})
	}
	p.slab[i] = h
	p.items[k] = i
	p.queue = append(p.queue, queued{key: k, seq: h.seq, deadline: now.Add(p.ttl)})
	return true
}

// expire removes the spans whose ttl ran out by now and hands each to fn.
func (p *pendingStore) expire(now time.Time, fn func(half)) {
	for p.head < len(p.queue) {
		q := &p.queue[p.head]
		if q.deadline.After(now) {
			break
		}
		if i, ok := p.live(q); ok {
			delete(p.items, q.key)
			fn(p.release(i))
		}
		p.head++
	}
	// Reuse the queue's memory once most of it was read.
	if p.head > 1024 && p.head*2 > len(p.queue) {
		n := copy(p.queue, p.queue[p.head:])
		clear(p.queue[n:])
		p.queue = p.queue[:n]
		p.head = 0
	}
}

// compact drops the queue entries of spans that were paired: the queue
// then holds at most max entries, whatever the span rate.
func (p *pendingStore) compact() {
	live := p.queue[:0]
	for j := range p.queue[p.head:] {
		q := p.queue[p.head+j]
		if _, ok := p.live(&q); ok {
			live = append(live, q)
		}
	}
	clear(p.queue[len(live):])
	p.queue = live
	p.head = 0
}
