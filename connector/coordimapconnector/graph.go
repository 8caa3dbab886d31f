package coordimapconnector

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// graph is the connector's state: services, edges and the spans waiting
// for their other end. It is not safe for concurrent use.
type graph struct {
	cfg          *Config
	dataSourceID string
	services     map[serviceKey]*service
	byID         map[string]*service
	edges        map[edgeKey]*edge
	pending      *pendingStore
}

func newGraph(cfg *Config, dataSourceID string) *graph {
	return &graph{
		cfg:          cfg,
		dataSourceID: dataSourceID,
		services:     map[serviceKey]*service{},
		byID:         map[string]*service{},
		edges:        map[edgeKey]*edge{},
		pending:      newPendingStore(cfg.Store.MaxItems, cfg.Store.TTL),
	}
}

// stats counts what one call did, for the connector's telemetry.
type stats struct {
	spans, paired, inferred, expired, dropped int64
	// unpaired is the change of the store's size.
	unpaired int64
}

// addTraces reads every span: client and producer spans wait for the
// server or consumer span whose parent they are (or the reverse); a
// database call, a span that finds the store full and a span whose ttl
// runs out become one-sided edges to the peer the client named.
func (g *graph) addTraces(td ptrace.Traces, now time.Time, st *stats) {
	before := g.pending.len()
	g.pending.expire(now, func(h half) { g.expired(h, now, st) })
	for _, rs := range td.ResourceSpans().All() {
		svc := g.service(rs.Resource(), now)
		for _, ss := range rs.ScopeSpans().All() {
			spans := ss.Spans()
			for i := 0; i < spans.Len(); i++ {
				g.addSpan(svc, spans.At(i), now, st)
			}
		}
	}
	st.unpaired += int64(g.pending.len() - before)
}

func (g *graph) addSpan(svc *service, span ptrace.Span, now time.Time, st *stats) {
	st.spans++
	var client bool
	var key pairKey
	switch span.Kind() {
	case ptrace.SpanKindClient, ptrace.SpanKindProducer:
		client = true
		key = pairKey{span.TraceID(), span.SpanID()}
	case ptrace.SpanKindServer, ptrace.SpanKindConsumer:
		parent := span.ParentSpanID()
		if parent.IsEmpty() {
			return // a root span: nobody instrumented called it
		}
		key = pairKey{span.TraceID(), parent}
	default:
		return
	}
	start, end := span.StartTimestamp(), span.EndTimestamp()
	h := half{
		svc:    svc,
		client: client,
		failed: span.Status().Code() == ptrace.StatusCodeError,
		end:    end.AsTime(),
	}
	if end > start {
		h.dur = time.Duration(end - start)
	}
	h.producer = span.Kind() == ptrace.SpanKindProducer
	if other, ok := g.pending.take(key); ok {
		if other.client != client {
			g.pair(h, other, now, st)
			// A message has as many consumers as subscribers: the
			// producer waits for the others, already paired.
			for _, p := range [...]half{h, other} {
				if p.producer {
					p.matched = true
					g.pending.put(key, p, now)
				}
			}
			return
		}
		// Two spans of one side under one key (a retry reusing an ID):
		// keep the new one waiting, the old one is one-sided unless it
		// was paired already.
		if !other.matched {
			g.expired(other, now, st)
		}
	}
	if client {
		h.peer = readPeer(span.Attributes())
		if h.peer.isDatabase() {
			g.oneSided(h, now, st)
			return
		}
	}
	if !g.pending.put(key, h, now) {
		st.dropped++
		g.oneSided(h, now, st)
	}
}

// pair counts a call both ends reported, client → server, with the
// client's duration (it includes the network) when there is one.
func (g *graph) pair(a, b half, now time.Time, st *stats) {
	c, s := a, b
	if !a.client {
		c, s = b, a
	}
	st.paired++
	if c.svc == s.svc {
		return
	}
	e := g.edge(edgeKey{src: c.svc.id, dst: s.svc.id})
	e.paired = true
	e.record(c.dur, c.failed || s.failed, c.end, now)
}

// expired handles a span whose other end did not come in time; a producer
// that met a consumer already just leaves.
func (g *graph) expired(h half, now time.Time, st *stats) {
	if h.matched {
		return
	}
	st.expired++
	g.oneSided(h, now, st)
}

// oneSided counts a client span's call to the peer it names; a server
// span alone names no caller worth an edge (the caller is not
// instrumented, or was not sampled).
func (g *graph) oneSided(h half, now time.Time, st *stats) {
	if !h.client {
		return
	}
	end, ok := h.peer.resolve(h.svc)
	if !ok {
		return
	}
	if end.virtual {
		if end.key == h.svc.key {
			return
		}
		g.virtualService(end.key).lastSeen = now
	}
	st.inferred++
	k := edgeKey{h.svc.id, end.id, end.name}
	e := g.edges[k]
	if e == nil {
		k.dst, k.name = strings.Clone(k.dst), strings.Clone(k.name)
		e = g.edge(k)
		e.port, e.external, e.peer = end.port, end.external, strings.Clone(end.label)
	}
	e.record(h.dur, h.failed, h.end, now)
}

func (g *graph) edge(k edgeKey) *edge {
	e := g.edges[k]
	if e == nil {
		e = &edge{}
		g.edges[k] = e
	}
	return e
}
