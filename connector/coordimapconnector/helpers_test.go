package coordimapconnector

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// t0 is the tests' clock start.
var t0 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ScopeID = "cluster-1"
	return cfg
}

// spanSpec is one span of a test trace.
type spanSpec struct {
	kind          ptrace.SpanKind
	trace         byte
	id, parent    byte
	dur           time.Duration
	failed        bool
	attrs         map[string]any
	end           time.Time
	resourceIndex int
}

// traces builds one ResourceSpans per resource (attribute maps), the spans
// under the resource they name.
func traces(resources []map[string]any, spans ...spanSpec) ptrace.Traces {
	td := ptrace.NewTraces()
	var scopes []ptrace.SpanSlice
	for _, r := range resources {
		rs := td.ResourceSpans().AppendEmpty()
		_ = rs.Resource().Attributes().FromRaw(r)
		scopes = append(scopes, rs.ScopeSpans().AppendEmpty().Spans())
	}
	for _, s := range spans {
		sp := scopes[s.resourceIndex].AppendEmpty()
		sp.SetKind(s.kind)
		sp.SetTraceID(pcommon.TraceID{s.trace, 1})
		sp.SetSpanID(pcommon.SpanID{s.id, 1})
		if s.parent != 0 {
			sp.SetParentSpanID(pcommon.SpanID{s.parent, 1})
		}
		end := s.end
		if end.IsZero() {
			end = t0
		}
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(end.Add(-s.dur)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
		if s.failed {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		_ = sp.Attributes().FromRaw(s.attrs)
	}
	return td
}

func svc(name string, extra ...string) map[string]any {
	m := map[string]any{"service.name": name, "service.namespace": "shop"}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

// records reads the states and observations of ld.
func records(ld plog.Logs) (states map[string]entity.Record, obs map[[2]string]entity.Observation, deletes []string) {
	states, obs = map[string]entity.Record{}, map[[2]string]entity.Observation{}
	for lr := range entity.LogRecords(ld) {
		r := entity.View(lr)
		switch r.Kind() {
		case entity.KindState:
			states[r.InternalID()] = r
		case entity.KindObservation:
			o := r.Observation()
			obs[[2]string{o.SourceID, o.DestinationID}] = o
		case entity.KindDelete:
			deletes = append(deletes, r.InternalID())
		}
	}
	return states, obs, deletes
}

func mustFlush(t *testing.T, g *graph, now time.Time) (plog.Logs, stats) {
	t.Helper()
	var st stats
	return g.flush(now, &st), st
}
