package eventsextension

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// waitTimeout only bounds how long a broken test hangs; nothing asserts
// on durations.
const waitTimeout = 90 * time.Second

const testTopic = "coordimap.events"

// newCluster is an in-process Kafka cluster (the real wire protocol) with
// the test topic; it closes with the test.
func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(4, testTopic)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// host gives components the graph extension and records status events.
type host struct {
	*statustest.Host
	exts map[component.ID]component.Component
}

func (h *host) GetExtensions() map[component.ID]component.Component { return h.exts }

// statuses are the statuses reported so far.
func (h *host) statuses() []componentstatus.Status {
	var out []componentstatus.Status
	for _, ev := range h.Events() {
		out = append(out, ev.Status())
	}
	return out
}

// startGraph runs a coordimap_graph extension (no HTTP) on a SQLite file
// in dir; it stops with the test.
func startGraph(t testing.TB, dir string, edit func(*graphextension.Config)) (*graphextension.GraphExtension, *host) {
	t.Helper()
	f := graphextension.NewFactory()
	cfg := f.CreateDefaultConfig().(*graphextension.Config)
	cfg.ServerConfig.NetAddr.Endpoint = ""
	cfg.SQLite.Path = filepath.Join(dir, "graph.db")
	if edit != nil {
		edit(cfg)
	}
	require.NoError(t, cfg.Validate())
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	g := ext.(*graphextension.GraphExtension)
	require.NoError(t, g.Start(context.Background(), statustest.NewHost()))
	t.Cleanup(func() { require.NoError(t, g.Shutdown(context.Background())) })
	return g, &host{Host: statustest.NewHost(), exts: map[component.ID]component.Component{component.NewID(graphextension.Type): g}}
}

// running is a started publisher and what it committed.
type running struct {
	p       *publisher
	mu      sync.Mutex
	cond    *sync.Cond
	cursor  int64
	stopped bool
}

// startPublisher starts a coordimap_events extension on the cluster; it
// stops with the test (or with stop).
func startPublisher(t testing.TB, h *host, c *kfake.Cluster, edit func(*Config)) *running {
	t.Helper()
	return startPublisherNamed(t, h, c, "", edit)
}

// startPublisherNamed starts one with its own cursor name.
func startPublisherNamed(t testing.TB, h *host, c *kfake.Cluster, name string, edit func(*Config)) *running {
	t.Helper()
	f := NewFactory()
	cfg := f.CreateDefaultConfig().(*Config)
	cfg.Brokers = c.ListenAddrs()
	cfg.Linger = time.Millisecond
	cfg.DeliveryTimeout = 10 * time.Second
	cfg.PollInterval = 100 * time.Millisecond
	if edit != nil {
		edit(cfg)
	}
	require.NoError(t, cfg.Validate())
	set := extensiontest.NewNopSettings(f.Type())
	set.Logger = zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	set.ID = component.NewIDWithName(f.Type(), name) // the cursor's name: the same after a restart
	ext, err := f.Create(context.Background(), set, cfg)
	require.NoError(t, err)
	r := &running{p: ext.(*publisher)}
	r.cond = sync.NewCond(&r.mu)
	r.p.onCommit = func(seq int64) {
		r.mu.Lock()
		r.cursor = seq
		r.mu.Unlock()
		r.cond.Broadcast()
	}
	require.NoError(t, r.p.Start(context.Background(), h))
	t.Cleanup(func() { r.stop(t) })
	// A new publisher starts after a snapshot of the graph as it is: wait
	// for its position, so the changes a test writes next are published
	// as changes and not folded into that snapshot.
	if cfg.InitialSnapshot {
		require.Eventually(t, func() bool {
			_, ok, err := r.p.store.Cursor(context.Background(), r.p.name)
			return err == nil && ok
		}, waitTimeout, 10*time.Millisecond, "the publisher never took its starting position")
	}
	return r
}

func (r *running) stop(t testing.TB) {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		return
	}
	r.stopped = true
	r.mu.Unlock()
	require.NoError(t, r.p.Shutdown(context.Background()))
}

// waitCursor waits until the publisher committed seq.
func (r *running) waitCursor(t testing.TB, seq int64) {
	t.Helper()
	timer := time.AfterFunc(waitTimeout, r.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(waitTimeout)
	r.mu.Lock()
	defer r.mu.Unlock()
	for r.cursor < seq {
		if time.Now().After(deadline) {
			t.Fatalf("cursor %d, want %d", r.cursor, seq)
		}
		r.cond.Wait()
	}
}

// message is a consumed record.
type message struct {
	topic   string
	key     string
	value   []byte
	headers map[string]string
	ev      event
}

// consume reads n records from the start of the topics (JSON values are
// decoded into ev).
func consume(t testing.TB, c *kfake.Cluster, n int, topics ...string) []message {
	t.Helper()
	if len(topics) == 0 {
		topics = []string{testTopic}
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	var out []message
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d records, want %d", len(out), n)
		}
		for _, e := range fs.Errors() {
			t.Logf("fetch %s/%d: %v", e.Topic, e.Partition, e.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			m := message{topic: r.Topic, key: string(r.Key), value: r.Value, headers: map[string]string{}}
			for _, h := range r.Headers {
				m.headers[h.Key] = string(h.Value)
			}
			if m.headers[HeaderContentType] == "application/json" {
				_ = json.Unmarshal(r.Value, &m.ev)
			}
			out = append(out, m)
		})
	}
	return out
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// pod is a node state of entity i with data version v.
func pod(i, v int) graphstore.NodeState {
	id := fmt.Sprintf("s1-shop-kubernetes.pod-p%05d", i)
	return graphstore.NodeState{
		ScopeID: "s1", ID: id, Type: "kubernetes.pod", Name: fmt.Sprintf("p%05d", i), DataSourceID: "k8s",
		DataSourceType: "kubernetes", Partition: "shop.kubernetes.namespace",
		Data: []byte(fmt.Sprintf(`{"name":"p%05d","version":%d}`, i, v)), At: t0.Add(time.Duration(v) * time.Second),
		LinksKnown: true,
	}
}

// writeVersions writes entities [0,n) at versions [from,to), one batch per
// version; it returns the last sequence number.
func writeVersions(t testing.TB, g *graphextension.GraphExtension, n, from, to int) int64 {
	t.Helper()
	ctx := context.Background()
	for v := from; v < to; v++ {
		b := graphstore.Batch{}
		for i := range n {
			b.Nodes = append(b.Nodes, pod(i, v))
		}
		require.NoError(t, g.Write(ctx, b))
	}
	return lastSeq(t, g)
}

func lastSeq(t testing.TB, g *graphextension.GraphExtension) int64 {
	t.Helper()
	seq, err := g.Store().LastSeq(context.Background())
	require.NoError(t, err)
	return seq
}
