package coordimapconnector

import (
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

const (
	benchServices  = 200
	benchPairs     = 10_000 // live service pairs (edges)
	benchBatchCall = 500    // calls per batch: client + server span each
)

// benchBatches builds batches in which every call of benchPairs service
// pairs appears once: the client span under the caller's resource, the
// server span under the callee's, 1 call in 10 also querying a database.
// The server side of a call goes shift batches after its client side
// (cyclically), as when the two services' exporters flush apart.
func benchBatches(shift int) []ptrace.Traces {
	n := (benchPairs + benchBatchCall - 1) / benchBatchCall
	tds := make([]ptrace.Traces, n)
	spans := make([]map[int]ptrace.SpanSlice, n)
	for i := range tds {
		tds[i], spans[i] = ptrace.NewTraces(), map[int]ptrace.SpanSlice{}
	}
	of := func(batch, s int) ptrace.SpanSlice {
		if ss, ok := spans[batch][s]; ok {
			return ss
		}
		rs := tds[batch].ResourceSpans().AppendEmpty()
		a := rs.Resource().Attributes()
		a.PutStr("service.name", fmt.Sprintf("svc-%03d", s))
		a.PutStr("service.namespace", "bench")
		a.PutStr("service.instance.id", fmt.Sprintf("svc-%03d-0", s))
		a.PutStr("k8s.cluster.uid", "uid")
		a.PutStr("k8s.namespace.name", "bench")
		a.PutStr("k8s.pod.name", fmt.Sprintf("svc-%03d-0", s))
		a.PutStr("k8s.node.name", "n1")
		a.PutStr("telemetry.sdk.language", "go")
		ss := rs.ScopeSpans().AppendEmpty().Spans()
		spans[batch][s] = ss
		return ss
	}
	for p := range benchPairs {
		cb := p / benchBatchCall
		sb := (cb + shift) % n
		caller, callee := p%benchServices, (p/benchServices+1+p%benchServices)%benchServices
		var tid pcommon.TraceID
		tid[0], tid[1], tid[2] = byte(p), byte(p>>8), byte(p>>16)
		end := pcommon.NewTimestampFromTime(t0)
		start := pcommon.NewTimestampFromTime(t0.Add(-time.Duration(1+p%50) * time.Millisecond))
		c := benchSpan(of(cb, caller), ptrace.SpanKindClient, tid, 1, 9, start, end)
		c.Attributes().PutStr("http.request.method", "GET")
		c.Attributes().PutStr("server.address", fmt.Sprintf("svc-%03d.bench.svc", callee))
		c.Attributes().PutInt("server.port", 8080)
		s := benchSpan(of(sb, callee), ptrace.SpanKindServer, tid, 2, 1, start, end)
		s.Attributes().PutStr("http.request.method", "GET")
		s.Attributes().PutStr("http.route", "/api")
		if p%10 == 0 {
			d := benchSpan(of(sb, callee), ptrace.SpanKindClient, tid, 3, 2, start, end)
			d.Attributes().PutStr("db.system.name", "postgresql")
			d.Attributes().PutStr("db.namespace", "app")
			d.Attributes().PutStr("server.address", "10.0.0.5")
			d.Attributes().PutInt("server.port", 5432)
		}
	}
	return tds
}

func benchSpan(ss ptrace.SpanSlice, kind ptrace.SpanKind, tid pcommon.TraceID, id, parent byte, start, end pcommon.Timestamp) ptrace.Span {
	sp := ss.AppendEmpty()
	sp.SetKind(kind)
	sp.SetTraceID(tid)
	sp.SetSpanID(pcommon.SpanID{id})
	sp.SetParentSpanID(pcommon.SpanID{parent})
	sp.SetStartTimestamp(start)
	sp.SetEndTimestamp(end)
	return sp
}

// BenchmarkConsumeTraces: spans through the connector's graph with 10,000
// live service pairs, one core (the graph is behind one lock), the two
// spans of a call in one batch (same) or in consecutive batches (split:
// the store then holds 500 calls in flight). Reports spans/s (wall and per
// CPU second) and the peak heap in use, sampled every 64 batches.
func BenchmarkConsumeTraces(b *testing.B) {
	b.Run("same", func(b *testing.B) { benchConsume(b, 0) })
	b.Run("split", func(b *testing.B) { benchConsume(b, 1) })
}

func benchConsume(b *testing.B, shift int) {
	batches := benchBatches(shift)
	g := newGraph(testConfig(), "otel")
	var st stats
	for _, td := range batches { // warm: every pair and service exists
		g.addTraces(td, t0, &st)
	}
	if len(g.edges) < benchPairs {
		b.Fatalf("%d edges, want at least %d", len(g.edges), benchPairs)
	}
	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	spans := 0
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		td := batches[i%len(batches)]
		g.addTraces(td, t0, &st)
		spans += td.SpanCount()
		if i%64 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(spans)/b.Elapsed().Seconds(), "spans/s")
	// On a shared machine the wall clock counts other processes' time:
	// spans per second of this process's CPU time is the per-core figure.
	b.ReportMetric(float64(spans)/(cpuTime(b)-cpu0).Seconds(), "spans/cpu-s")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(len(g.edges)), "edges")
	b.ReportMetric(0, "ns/op")
	if st.paired == 0 || st.dropped > 0 {
		b.Fatalf("paired %d, dropped %d", st.paired, st.dropped)
	}
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFlush: one emission of 10,000 edges and their services.
func BenchmarkFlush(b *testing.B) {
	g := newGraph(testConfig(), "otel")
	var st stats
	for _, td := range benchBatches(0) {
		g.addTraces(td, t0, &st)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ld := g.flush(t0, &st)
		if ld.LogRecordCount() < benchPairs {
			b.Fatalf("%d records", ld.LogRecordCount())
		}
	}
}
