package apiservertest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
)

// waitTimeout only bounds how long a broken test hangs; nothing asserts on
// durations.
const waitTimeout = 60 * time.Second

// running is a started receiver with what it sends, logs and reports.
type running struct {
	rcv  receiver.Logs
	sink *consumertest.LogsSink
	logs *observer.ObservedLogs
	host *statusHost
}

// startReceiver starts a coordimap_kubernetes receiver on a kubeconfig;
// it stops with the test.
func startReceiver(t testing.TB, kubeconfig string, modify func(*kubernetesreceiver.Config)) *running {
	t.Helper()
	return startReceiverWith(t, kubeconfig, modify, nil)
}

// startReceiverWith puts wrap (if not nil) between the receiver and the
// sink.
func startReceiverWith(t testing.TB, kubeconfig string, modify func(*kubernetesreceiver.Config), wrap func(consumer.Logs) consumer.Logs) *running {
	t.Helper()
	f := kubernetesreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*kubernetesreceiver.Config)
	cfg.AuthType = kubernetesreceiver.AuthKubeConfig
	cfg.KubeconfigPath = kubeconfig
	if modify != nil {
		modify(cfg)
	}
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zapcore.InfoLevel)
	set := receivertest.NewNopSettings(f.Type())
	set.ID = component.NewIDWithName(f.Type(), strings.ReplaceAll(t.Name(), "/", "_"))
	set.Logger = zap.New(core)
	sink := new(consumertest.LogsSink)
	var next consumer.Logs = sink
	if wrap != nil {
		next = wrap(sink)
	}
	rcv, err := f.CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	host := &statusHost{Host: componenttest.NewNopHost()}
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return &running{rcv: rcv, sink: sink, logs: logs, host: host}
}

// waitSnapshot waits for the initial snapshot and returns how many
// ConsumeLogs calls it took.
func (r *running) waitSnapshot(t testing.TB) int {
	t.Helper()
	require.Eventually(t, func() bool {
		return r.logs.FilterMessage("Kubernetes snapshot sent").Len() > 0
	}, waitTimeout, 10*time.Millisecond, "no snapshot")
	return len(r.sink.AllLogs())
}

// waitFor waits until the records sent after the first `from` calls
// satisfy cond, and returns them rendered by events.
func (r *running) waitFor(t testing.TB, from int, cond func(events []string) bool) []string {
	t.Helper()
	var evs []string
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if evs = events(r.sink.AllLogs()[from:]); cond(evs) {
			return evs
		}
	}
	require.FailNow(t, "condition never satisfied", "events: %v", evs)
	return nil
}

// events renders records as "state <id>" and "delete <id>", in order.
func events(lds []plog.Logs) []string {
	var out []string
	forRecords(lds, func(rec entity.Record) {
		switch rec.Kind() {
		case entity.KindState:
			out = append(out, "state "+rec.InternalID())
		case entity.KindDelete:
			out = append(out, "delete "+rec.InternalID())
		}
	})
	return out
}

func forRecords(lds []plog.Logs, fn func(entity.Record)) {
	forLogRecords(lds, func(lr plog.LogRecord) { fn(entity.View(lr)) })
}

func forLogRecords(lds []plog.Logs, fn func(plog.LogRecord)) {
	for _, ld := range lds {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					fn(lr)
				}
			}
		}
	}
}

// count is how many of events equal e.
func count(events []string, e string) int {
	n := 0
	for _, x := range events {
		if x == e {
			n++
		}
	}
	return n
}

func has(e string) func([]string) bool {
	return func(evs []string) bool { return slices.Contains(evs, e) }
}

// view is the graph the records describe: each entity's last state.
type view struct {
	states map[string]plog.LogRecord
}

func newView(lds []plog.Logs) *view {
	v := &view{states: map[string]plog.LogRecord{}}
	forLogRecords(lds, func(lr plog.LogRecord) {
		rec := entity.View(lr)
		switch rec.Kind() {
		case entity.KindState:
			kept := plog.NewLogRecord()
			lr.CopyTo(kept)
			v.states[rec.InternalID()] = kept
		case entity.KindDelete:
			delete(v.states, rec.InternalID())
		}
	})
	return v
}

func (v *view) get(t testing.TB, id string) entity.Record {
	t.Helper()
	lr, ok := v.states[id]
	require.True(t, ok, "no entity %s", id)
	return entity.View(lr)
}

// ids lists the entities whose ID contains s.
func (v *view) ids(s string) []string {
	var out []string
	for id := range v.states {
		if strings.Contains(id, s) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// listing renders the graph for a golden file: one "<type> <id>
// [<partition>]" line per entity, then one "<from> -> <to> (<type>)" line
// per relationship, sorted. Unresolved external ends show their mapping
// key and ID template.
func (v *view) listing() string {
	var ents, rels []string
	for id, lr := range v.states {
		rec := entity.View(lr)
		ents = append(ents, fmt.Sprintf("%s %s [%s]", rec.Type(), id, rec.Partition()))
		for _, l := range rec.Links() {
			if l.MappingKey != "" {
				l.Target.InternalID = "{" + l.MappingKey + " => " + l.IDTemplate + "}"
			}
			from, to, side := l.Ends(id)
			kind := l.Type
			if side != "" {
				kind += ", external " + string(side)
			}
			rels = append(rels, fmt.Sprintf("%s -> %s (%s)", from, to, kind))
		}
	}
	slices.Sort(ents)
	slices.Sort(rels)
	return "# entities: " + fmt.Sprint(len(ents)) + "\n" + strings.Join(ents, "\n") +
		"\n\n# relationships: " + fmt.Sprint(len(rels)) + "\n" + strings.Join(rels, "\n") + "\n"
}

// allText renders every value of every record (resource, attributes,
// bodies) so that a test can look for a string anywhere in what was sent.
func allText(lds []plog.Logs) string {
	var b strings.Builder
	var walk func(v pcommon.Value)
	walk = func(v pcommon.Value) {
		switch v.Type() {
		case pcommon.ValueTypeMap:
			for k, x := range v.Map().All() {
				b.WriteString(k)
				b.WriteByte('\n')
				walk(x)
			}
		case pcommon.ValueTypeSlice:
			for _, x := range v.Slice().All() {
				walk(x)
			}
		case pcommon.ValueTypeBytes:
			b.Write(v.Bytes().AsRaw())
			b.WriteByte('\n')
		default:
			b.WriteString(v.AsString())
			b.WriteByte('\n')
		}
	}
	walkMap := func(m pcommon.Map) {
		v := pcommon.NewValueMap()
		m.CopyTo(v.Map())
		walk(v)
	}
	for _, ld := range lds {
		for _, rl := range ld.ResourceLogs().All() {
			walkMap(rl.Resource().Attributes())
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					walkMap(lr.Attributes())
					walk(lr.Body())
				}
			}
		}
	}
	return b.String()
}

type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []componentstatus.Status
	for _, ev := range h.events {
		out = append(out, ev.Status())
	}
	return out
}
