package coordimapconnector

import (
	"math/bits"
	"time"
)

// edgeKey identifies an edge: the caller's service ID and the
// destination (a service ID, another internal ID or an address, with the
// name of the database meant when several share it).
type edgeKey struct{ src, dst, name string }

// edge is one otel_flow relationship with its counters. Requests and
// errors count since first seen; the d* counters since the last flush.
type edge struct {
	port      int64
	external  bool
	paired    bool
	peer      string
	requests  int64
	errors    int64
	dRequests int64
	dErrors   int64
	latency   histogram
	firstSeen time.Time
	lastSeen  time.Time
	// touched is the clock time of the last call, for edge_ttl.
	touched time.Time
}

// record counts one call of duration d that ended at end.
func (e *edge) record(d time.Duration, failed bool, end, now time.Time) {
	e.requests++
	e.dRequests++
	if failed {
		e.errors++
		e.dErrors++
	}
	e.latency.add(d)
	if e.firstSeen.IsZero() || end.Before(e.firstSeen) {
		e.firstSeen = end
	}
	if end.After(e.lastSeen) {
		e.lastSeen = end
	}
	e.touched = now
}

// histogram counts latencies in buckets a quarter of a power of two wide
// (relative error under 12.5% around the bucket's middle), from 1 µs to
// about 4.8 hours; longer calls land in the last bucket.
type histogram [histBuckets]uint32

const (
	histSubBits   = 2
	histMaxBits   = 34
	histBuckets   = (histMaxBits-histSubBits)<<histSubBits + 1<<histSubBits
	histSubPerOct = 1 << histSubBits
)

// bucketOf is the bucket of a latency of us microseconds.
func bucketOf(us uint64) int {
	if us < histSubPerOct {
		return int(us)
	}
	n := bits.Len64(us)
	if n > histMaxBits {
		return histBuckets - 1
	}
	sub := (us >> (n - 1 - histSubBits)) & (histSubPerOct - 1)
	return (n-histSubBits)<<histSubBits + int(sub)
}

// bucketMid is the middle of bucket b, in microseconds.
func bucketMid(b int) float64 {
	if b < histSubPerOct {
		return float64(b)
	}
	n := b>>histSubBits + histSubBits
	sub := uint64(b & (histSubPerOct - 1))
	width := uint64(1) << (n - 1 - histSubBits)
	low := (histSubPerOct + sub) * width
	return float64(low) + float64(width)/2
}

func (h *histogram) add(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	if b := bucketOf(uint64(us)); h[b] < ^uint32(0) {
		h[b]++
	}
}

// quantile is the q-quantile in milliseconds, 0 when empty.
func (h *histogram) quantile(q float64) float64 {
	var total uint64
	for _, c := range h {
		total += uint64(c)
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.999999)
	if rank == 0 {
		rank = 1
	}
	var seen uint64
	for b, c := range h {
		seen += uint64(c)
		if seen >= rank {
			return bucketMid(b) / 1000
		}
	}
	return bucketMid(histBuckets-1) / 1000
}
