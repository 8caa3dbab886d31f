package apiservertest

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/coordimap/otelcol-coordimap/extension/eventsextension"
	"github.com/coordimap/otelcol-coordimap/extension/graphextension"
	"github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
)

const eventsTopic = "coordimap.events"

// extHost gives the events extension the graph extension.
type extHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h *extHost) GetExtensions() map[component.ID]component.Component { return h.exts }

// eventsPipeline is the receiver's records written into a local graph
// whose changes a coordimap_events extension publishes to a kfake cluster.
type eventsPipeline struct {
	cluster *kfake.Cluster
	graph   *graphextension.GraphExtension
	rcv     *running
}

func startEventsPipeline(t testing.TB, srv *Server, ns string) *eventsPipeline {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, eventsTopic))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)

	gf := graphextension.NewFactory()
	gcfg := gf.CreateDefaultConfig().(*graphextension.Config)
	gcfg.ServerConfig.NetAddr.Endpoint = ""
	gcfg.SQLite.Path = filepath.Join(t.TempDir(), "graph.db")
	g := startExt(t, gf, gcfg, componenttest.NewNopHost()).(*graphextension.GraphExtension)

	ef := eventsextension.NewFactory()
	ecfg := ef.CreateDefaultConfig().(*eventsextension.Config)
	ecfg.Brokers = cluster.ListenAddrs()
	ecfg.Topic = eventsTopic
	ecfg.Linger = 0
	ecfg.PollInterval = time.Second
	startExt(t, ef, ecfg, &extHost{Host: componenttest.NewNopHost(),
		exts: map[component.ID]component.Component{component.NewID(graphextension.Type): g}})

	r := startReceiverWith(t, srv.Kubeconfig, func(cfg *kubernetesreceiver.Config) {
		cfg.ScopeID = "s"
		cfg.Namespaces = []string{ns}
		cfg.Resources = []string{"pods"}
	}, func(next consumer.Logs) consumer.Logs {
		return toGraph{g: g, next: next}
	})
	r.waitSnapshot(t)
	return &eventsPipeline{cluster: cluster, graph: g, rcv: r}
}

func startExt(t testing.TB, f extension.Factory, cfg component.Config, host component.Host) extension.Extension {
	t.Helper()
	require.NoError(t, cfg.(interface{ Validate() error }).Validate())
	set := extensiontest.NewNopSettings(f.Type())
	set.ID = component.NewID(f.Type())
	ext, err := f.Create(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext
}

// toGraph writes records into the local graph (as the coordimap exporter
// does), then passes them on.
type toGraph struct {
	g    *graphextension.GraphExtension
	next consumer.Logs
}

func (c toGraph) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c toGraph) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if err := c.g.WriteEntities(ctx, ld); err != nil {
		return err
	}
	return c.next.ConsumeLogs(ctx, ld)
}

// kafkaEvent is a consumed message, its JSON value decoded.
type kafkaEvent struct {
	key     string
	headers map[string]string
	at      time.Time // the record's time: when it was produced
	Type    string    `json:"type"`
	Seq     int64     `json:"seq"`
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Fields  []string  `json:"changed_fields"`
	Before  string    `json:"before_hash"`
	After   string    `json:"after_hash"`
}

// consumer reads the events topic from the start.
func newEventsConsumer(t testing.TB, c *kfake.Cluster) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(eventsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// pollUntil consumes until done says so (or fails after waitTimeout).
func pollUntil(t testing.TB, cl *kgo.Client, done func(kafkaEvent) bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatal("the awaited event never arrived")
		}
		stop := false
		fs.EachRecord(func(r *kgo.Record) {
			ev := kafkaEvent{key: string(r.Key), headers: map[string]string{}, at: r.Timestamp}
			for _, h := range r.Headers {
				ev.headers[h.Key] = string(h.Value)
			}
			require.NoError(t, json.Unmarshal(r.Value, &ev))
			stop = done(ev) || stop
		})
		if stop {
			return
		}
	}
}

// TestPodEventsOnKafka: a pod created, updated and deleted on the API
// server arrives on Kafka as three events keyed by its internal ID, in
// order.
func TestPodEventsOnKafka(t *testing.T) {
	srv := Start(t)
	ctx := context.Background()
	const ns = "events"
	must(srv.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: meta("", ns, nil)}, metav1.CreateOptions{}))(t)
	p := startEventsPipeline(t, srv, ns)
	cl := newEventsConsumer(t, p.cluster)

	const podID = "s-events-kubernetes.pod-web"
	must(srv.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: meta(ns, "web", map[string]string{"app": "web"}),
		Spec: podSpec("nginx:1.27")}, metav1.CreateOptions{}))(t)
	var got []kafkaEvent
	collect := func(want string) func(kafkaEvent) bool {
		return func(ev kafkaEvent) bool {
			if ev.key == podID {
				got = append(got, ev)
			}
			return ev.key == podID && ev.Type == want
		}
	}
	pollUntil(t, cl, collect("entity.created"))
	patch := []byte(`{"metadata":{"labels":{"app":"web-canary"}}}`)
	must(srv.Client.CoreV1().Pods(ns).Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{}))(t)
	pollUntil(t, cl, collect("entity.updated"))
	require.NoError(t, srv.Client.CoreV1().Pods(ns).Delete(ctx, "web", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}))
	pollUntil(t, cl, collect("entity.deleted"))

	require.Len(t, got, 3, "%+v", got)
	for i, want := range []string{"entity.created", "entity.updated", "entity.deleted"} {
		ev := got[i]
		assert.Equal(t, want, ev.Type)
		assert.Equal(t, podID, ev.ID)
		assert.Equal(t, want, ev.headers["type"])
		assert.Equal(t, "s", ev.headers["scope"])
		assert.Equal(t, "kubernetes.pod", ev.headers["entity_type"])
		assert.NotEmpty(t, ev.headers["data_source"])
		if i > 0 {
			assert.Greater(t, ev.Seq, got[i-1].Seq)
		}
	}
	assert.Contains(t, got[1].Fields, "data.metadata")
	assert.Equal(t, got[0].After, got[1].Before)
	assert.Equal(t, got[1].After, got[2].Before)
}

// BenchmarkPodUpdateToKafka measures the lag from a pod update on the API
// server to its event on Kafka (the broker's append time minus the time
// the update was sent; the record's time is when the publisher produced
// it), p50 and p99 over b.N updates.
func BenchmarkPodUpdateToKafka(b *testing.B) {
	srv := Start(b)
	ctx := context.Background()
	const ns = "lag"
	must(srv.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: meta("", ns, nil)}, metav1.CreateOptions{}))(b)
	must(srv.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: meta(ns, "web", nil), Spec: podSpec("nginx:1.27")},
		metav1.CreateOptions{}))(b)
	p := startEventsPipeline(b, srv, ns)
	cl := newEventsConsumer(b, p.cluster)
	const podID = "s-lag-kubernetes.pod-web"
	pollUntil(b, cl, func(ev kafkaEvent) bool { return ev.key == podID })
	lags := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		patch := []byte(`{"metadata":{"labels":{"round":"` + strconv.Itoa(i) + `"}}}`)
		sent := time.Now()
		must(srv.Client.CoreV1().Pods(ns).Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{}))(b)
		pollUntil(b, cl, func(ev kafkaEvent) bool {
			if ev.key == podID && ev.Type == "entity.updated" {
				lags = append(lags, ev.at.Sub(sent))
				return true
			}
			return false
		})
	}
	b.StopTimer()
	sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lags[min(len(lags)-1, len(lags)*99/100)].Microseconds())/1000, "p99-ms")
}
