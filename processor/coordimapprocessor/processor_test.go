package coordimapprocessor

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

var (
	k8s   = entity.Source{ScopeID: "cluster-uid", DataSourceType: "kubernetes", DataSourceID: "k8s"}
	flows = entity.Source{ScopeID: "cluster-uid", DataSourceType: "flows", DataSourceID: "ebpf"}
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// harness runs the processor as the collector does, through processorhelper,
// into a sink, with a fake clock.
type harness struct {
	t     testing.TB
	clock *fakeClock
	sink  *consumertest.LogsSink
	proc  *coordimapProcessor
	logs  processor.Logs
	tel   *componenttest.Telemetry
}

func newHarness(t testing.TB, mappings ...string) *harness {
	t.Helper()
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.ExternalMappings = mappings
	require.NoError(t, cfg.Validate())

	h := &harness{t: t, clock: &fakeClock{now: t0}, sink: new(consumertest.LogsSink), tel: componenttest.NewTelemetry()}
	t.Cleanup(func() { require.NoError(t, h.tel.Shutdown(context.Background())) })
	set := processortest.NewNopSettings(Type)
	set.TelemetrySettings = h.tel.NewTelemetrySettings()

	var err error
	h.proc, err = newProcessor(set, cfg)
	require.NoError(t, err)
	h.proc.now = h.clock.Now
	h.logs, err = h.proc.logs(context.Background(), set, cfg, h.sink)
	require.NoError(t, err)
	require.NoError(t, h.logs.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, h.logs.Shutdown(context.Background())) })
	return h
}

// consume sends what build adds to a batch of src and returns the records
// that came out.
func (h *harness) consume(src entity.Source, build func(b *entity.Batch)) []entity.Record {
	h.t.Helper()
	b := entity.NewBatch(src)
	build(b)
	h.sink.Reset()
	require.NoError(h.t, h.logs.ConsumeLogs(context.Background(), b.Logs()))
	all := h.sink.AllLogs()
	require.Len(h.t, all, 1)
	return records(all[0])
}

func records(ld plog.Logs) []entity.Record {
	var out []entity.Record
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				out = append(out, entity.View(lr))
			}
		}
	}
	return out
}

// counter returns the value of the processor's counter name for outcome.
func (h *harness) counter(name, outcome string) int64 {
	h.t.Helper()
	m, err := h.tel.GetMetric(name)
	if err != nil {
		return 0
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		if v, _ := dp.Attributes.Value("outcome"); v.AsString() == outcome {
			return dp.Value
		}
	}
	return 0
}

func addState(t testing.TB, b *entity.Batch, e entity.Entity) {
	t.Helper()
	require.NoError(t, b.AddState(t0, e))
}

func addFlow(t testing.TB, b *entity.Batch, src, dst string) {
	t.Helper()
	require.NoError(t, b.AddObservation(t0, entity.Observation{
		Type: entity.RelEBPFFlow, SourceID: src, DestinationID: dst, Connections: 1,
	}))
}

// endpoints resolves one flow from src to dst and returns what came out.
func (h *harness) endpoints(src, dst string) (string, string) {
	h.t.Helper()
	recs := h.consume(flows, func(b *entity.Batch) { addFlow(h.t, b, src, dst) })
	o := recs[0].Observation()
	return o.SourceID, o.DestinationID
}

func pod(id string, addrs ...string) entity.Entity {
	return entity.Entity{
		Ref:       entity.Ref{Type: "kubernetes.pod", InternalID: id},
		Name:      id,
		Addresses: addrs,
	}
}

func TestResolveLinks(t *testing.T) {
	h := newHarness(t,
		"us-central1-gke-prod@gcp-project-1",
		"*.iam.gserviceaccount.com@123456789012",
	)
	recs := h.consume(k8s, func(b *entity.Batch) {
		addState(t, b, entity.Entity{
			Ref:  entity.Ref{Type: "kubernetes.serviceaccount", InternalID: "cluster-uid-shop-kubernetes.serviceaccount-api"},
			Name: "api",
			Links: []entity.Link{
				// exact key
				{Type: entity.RelParentChild, External: true, Target: entity.Ref{Type: "gcp.gke_cluster"},
					MappingKey: "us-central1-gke-prod", IDTemplate: "{scope}-us-central1-gcp.gke_cluster-gke-prod"},
				// glob key matching an e-mail
				{Type: entity.RelParentChild, External: true, Target: entity.Ref{Type: "gcp.service_account"},
					MappingKey: "api@my-project.iam.gserviceaccount.com", IDTemplate: "{scope}--gcp.service_account-api@my-project.iam.gserviceaccount.com"},
				// no mapping for the key: left alone
				{Type: entity.RelParentChild, External: true, Target: entity.Ref{Type: "aws.instance"},
					MappingKey: "i-unknown", IDTemplate: "{scope}@i-unknown"},
				// no template: cannot be built, left alone
				{Type: entity.RelParentChild, External: true, Target: entity.Ref{Type: "gcp.gke_cluster"},
					MappingKey: "us-central1-gke-prod"},
				// already resolved: untouched
				{Type: entity.RelParentChild, Direction: entity.Incoming, Target: entity.Ref{Type: "kubernetes.namespace", InternalID: "cluster-uid-shop-kubernetes.namespace-"}},
			},
		})
	})
	require.Len(t, recs, 1)
	links := recs[0].Links()
	require.Len(t, links, 5)

	assert.Equal(t, "gcp-project-1-us-central1-gcp.gke_cluster-gke-prod", links[0].Target.InternalID)
	assert.Empty(t, links[0].MappingKey)
	assert.Empty(t, links[0].IDTemplate)
	assert.True(t, links[0].External)

	assert.Equal(t, "123456789012--gcp.service_account-api@my-project.iam.gserviceaccount.com", links[1].Target.InternalID)

	assert.Empty(t, links[2].Target.InternalID)
	assert.Equal(t, "i-unknown", links[2].MappingKey)
	assert.Equal(t, "{scope}@i-unknown", links[2].IDTemplate)

	assert.Empty(t, links[3].Target.InternalID)
	assert.Equal(t, "us-central1-gke-prod", links[3].MappingKey)

	assert.Equal(t, "cluster-uid-shop-kubernetes.namespace-", links[4].Target.InternalID)
	assert.Equal(t, entity.Incoming, links[4].Direction)

	assert.Equal(t, int64(2), h.counter("otelcol_processor_coordimap_links", "resolved"))
	assert.Equal(t, int64(2), h.counter("otelcol_processor_coordimap_links", "unresolved"))
}

func TestResolveEndpointsThroughMappings(t *testing.T) {
	h := newHarness(t,
		"10.0.0.5:5432@7710/app-@",     // exact ip:port; the value keeps its '@'
		"10.0.0.5@7710/app-sales@",     // exact ip
		"10.1.0.*@123456789012@i-0abc", // glob over bare ips
		"[fd00::7]:80@ipv6-service",
		"fd00::8@ipv6-host",
	)
	tests := []struct {
		dst, want string
	}{
		{"10.0.0.5:5432", "7710/app-@"},
		{"10.0.0.5:9999", "7710/app-sales@"}, // falls back to the bare ip
		{"10.0.0.5", "7710/app-sales@"},
		{"10.1.0.7:443", "123456789012@i-0abc"},
		{"[fd00::7]:80", "ipv6-service"},
		{"[FD00:0:0::7]:80", "ipv6-service"}, // canonical form
		{"[fd00::8]:22", "ipv6-host"},
		{"fd00::8", "ipv6-host"},
		{"[::ffff:10.0.0.5]:5432", "7710/app-@"},                                       // IPv4-mapped
		{"10.2.0.1:80", "10.2.0.1:80"},                                                 // nothing matches: left alone
		{"cluster-uid-shop-kubernetes.pod-api", "cluster-uid-shop-kubernetes.pod-api"}, // not an address
		{"123456789012@i-0def", "123456789012@i-0def"},                                 // not an address
	}
	for _, tt := range tests {
		src, dst := h.endpoints("10.9.9.9:40000", tt.dst)
		assert.Equal(t, "10.9.9.9:40000", src)
		assert.Equal(t, tt.want, dst, "destination %q", tt.dst)
	}
	assert.Equal(t, int64(9), h.counter("otelcol_processor_coordimap_endpoints", "mapping"))
	// every source, plus 10.2.0.1:80
	assert.Equal(t, int64(len(tests)+1), h.counter("otelcol_processor_coordimap_endpoints", "unresolved"))
}

func TestResolveEndpointsThroughAddresses(t *testing.T) {
	h := newHarness(t)
	h.consume(k8s, func(b *entity.Batch) {
		addState(t, b, pod("pod-db", "10.0.0.5:5432"))
		addState(t, b, pod("pod-web", "10.0.0.6"))
		addState(t, b, pod("pod-v6", "[fd00::5]:8080", "fd00::6"))
		addState(t, b, pod("pod-junk", "not-an-address", "10.0.0.7"))
	})
	tests := []struct {
		src, dst, wantSrc, wantDst string
	}{
		{"10.0.0.6:40000", "10.0.0.5:5432", "pod-web", "pod-db"},
		{"10.0.0.6", "10.0.0.5:5433", "pod-web", "10.0.0.5:5433"}, // 10.0.0.5 only answers on 5432
		{"10.0.0.9:1", "10.0.0.7:80", "10.0.0.9:1", "pod-junk"},
		{"[fd00::6]:40000", "[fd00::5]:8080", "pod-v6", "pod-v6"},
		{"[fd00:0::6]:1", "[FD00::5]:8080", "pod-v6", "pod-v6"},
		{"::ffff:10.0.0.6", "[::ffff:10.0.0.5]:5432", "pod-web", "pod-db"},
	}
	for _, tt := range tests {
		src, dst := h.endpoints(tt.src, tt.dst)
		assert.Equal(t, tt.wantSrc, src, "source %q", tt.src)
		assert.Equal(t, tt.wantDst, dst, "destination %q", tt.dst)
	}
	assert.Equal(t, int64(10), h.counter("otelcol_processor_coordimap_endpoints", "address_index"))
}

func TestMappingsBeforeAddresses(t *testing.T) {
	h := newHarness(t, "10.0.0.5@mapped")
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-db", "10.0.0.5:5432")) })
	// The bare-ip mapping wins over the ip:port the index knows.
	_, dst := h.endpoints("x", "10.0.0.5:5432")
	assert.Equal(t, "mapped", dst)
}

func TestDestinationPort(t *testing.T) {
	h := newHarness(t, "10.0.0.8:443@mapped-443")
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-db", "10.0.0.5:5432")) })
	recs := h.consume(flows, func(b *entity.Batch) {
		for _, dst := range []string{"10.0.0.5", "10.0.0.8"} {
			require.NoError(t, b.AddObservation(t0, entity.Observation{
				Type: entity.RelAWSNetworkFlow, SourceID: "10.0.0.9", DestinationID: dst,
				DestinationPort: map[string]int64{"10.0.0.5": 5432, "10.0.0.8": 443}[dst],
			}))
		}
	})
	assert.Equal(t, "pod-db", recs[0].Observation().DestinationID)
	assert.Equal(t, "mapped-443", recs[1].Observation().DestinationID)
	assert.Equal(t, "10.0.0.9", recs[1].Observation().SourceID)
}

func TestAddressExpiry(t *testing.T) {
	h := newHarness(t)
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-a", "10.0.0.1")) })

	h.clock.Advance(defaultAddressTTL)
	_, dst := h.endpoints("x", "10.0.0.1:80")
	assert.Equal(t, "pod-a", dst, "still valid at exactly the TTL")

	h.clock.Advance(time.Second)
	_, dst = h.endpoints("x", "10.0.0.1:80")
	assert.Equal(t, "10.0.0.1:80", dst, "expired")

	// A new state event announces it again.
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-a", "10.0.0.1")) })
	_, dst = h.endpoints("x", "10.0.0.1:80")
	assert.Equal(t, "pod-a", dst)

	// Expired addresses are swept out when the index learns, at most once
	// per TTL.
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-b", "10.0.0.2")) })
	assert.Equal(t, 2, h.proc.index.len())
	h.clock.Advance(defaultAddressTTL + time.Second)
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-c", "10.0.0.3")) })
	assert.Equal(t, 1, h.proc.index.len())
	assert.False(t, h.proc.index.holds("pod-a"))
}

func TestDeleteForgetsAddresses(t *testing.T) {
	h := newHarness(t)
	h.consume(k8s, func(b *entity.Batch) {
		addState(t, b, pod("pod-a", "10.0.0.1", "10.0.0.1:8080"))
		addState(t, b, pod("pod-b", "10.0.0.2"))
	})
	recs := h.consume(k8s, func(b *entity.Batch) {
		b.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: "pod-a"})
		addFlow(t, b, "10.0.0.1:8080", "10.0.0.2:80")
	})
	require.Len(t, recs, 2)
	assert.Equal(t, entity.KindDelete, recs[0].Kind())
	o := recs[1].Observation()
	assert.Equal(t, "10.0.0.1:8080", o.SourceID)
	assert.Equal(t, "pod-b", o.DestinationID)
	assert.Equal(t, 1, h.proc.index.len())
}

func TestAddressesReplaced(t *testing.T) {
	h := newHarness(t)
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-a", "10.0.0.1", "10.0.0.9")) })
	// pod-a now answers on 10.0.0.2 only; 10.0.0.9 moves to pod-b.
	h.consume(k8s, func(b *entity.Batch) {
		addState(t, b, pod("pod-a", "10.0.0.2"))
		addState(t, b, pod("pod-b", "10.0.0.9"))
	})
	for addr, want := range map[string]string{"10.0.0.1": "10.0.0.1", "10.0.0.2": "pod-a", "10.0.0.9": "pod-b"} {
		_, dst := h.endpoints("x", addr)
		assert.Equal(t, want, dst, addr)
	}
	// pod-b goes away, which must not take pod-a's addresses with it; a
	// state without addresses clears pod-a's.
	h.consume(k8s, func(b *entity.Batch) {
		b.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: "pod-b"})
	})
	_, dst := h.endpoints("x", "10.0.0.2")
	assert.Equal(t, "pod-a", dst)
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-a")) })
	assert.Equal(t, 0, h.proc.index.len())
}

func TestAddressMovesBetweenEntities(t *testing.T) {
	h := newHarness(t)
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-old", "10.0.0.1")) })
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-new", "10.0.0.1")) })
	_, dst := h.endpoints("x", "10.0.0.1")
	assert.Equal(t, "pod-new", dst)
	// Deleting the old owner leaves the new owner's address.
	h.consume(k8s, func(b *entity.Batch) { b.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: "pod-old"}) })
	_, dst = h.endpoints("x", "10.0.0.1")
	assert.Equal(t, "pod-new", dst)
}

var awsInventory = entity.Source{ScopeID: "123456789012", DataSourceType: "aws", DataSourceID: "aws"}

func instance(id string, addrs ...string) entity.Entity {
	return entity.Entity{Ref: entity.Ref{Type: "aws.instance", InternalID: id}, Name: id, Addresses: addrs}
}

// A pod of the Amazon VPC CNI has a secondary address of its node's
// interface, which the AWS inventory announces for the instance: the pod
// wins whichever announces first and however often the instance does; when
// the pod goes, the address is the instance's again.
func TestPodAddressBeatsItsInstance(t *testing.T) {
	for _, podFirst := range []bool{true, false} {
		h := newHarness(t)
		announcePod := func() { h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-a", "10.0.1.6")) }) }
		announceInstance := func() {
			h.consume(awsInventory, func(b *entity.Batch) { addState(t, b, instance("i-node", "10.0.1.5", "10.0.1.6")) })
		}
		if podFirst {
			announcePod()
			announceInstance()
		} else {
			announceInstance()
			announcePod()
		}
		announceInstance()
		_, dst := h.endpoints("x", "10.0.1.6:80")
		assert.Equal(t, "pod-a", dst, "pod first: %v", podFirst)
		_, dst = h.endpoints("x", "10.0.1.5:80")
		assert.Equal(t, "i-node", dst)

		h.consume(k8s, func(b *entity.Batch) { b.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: "pod-a"}) })
		_, dst = h.endpoints("x", "10.0.1.6:80")
		assert.Equal(t, "i-node", dst, "the instance still announces it")
	}
}

// A machine announced twice (a Kubernetes node and its cloud instance, or
// a host of the flows receiver) resolves to the newest holder, and stays
// there while both keep announcing: no alternating between them.
func TestEqualAnnouncersDoNotAlternate(t *testing.T) {
	h := newHarness(t)
	node := entity.Entity{Ref: entity.Ref{Type: "kubernetes.node", InternalID: "node-a"}, Name: "node-a", Addresses: []string{"10.0.1.5"}}
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, node) })
	h.consume(awsInventory, func(b *entity.Batch) { addState(t, b, instance("i-node", "10.0.1.5")) })
	for range 3 {
		h.clock.Advance(time.Minute)
		h.consume(k8s, func(b *entity.Batch) { addState(t, b, node) })
		_, dst := h.endpoints("x", "10.0.1.5:80")
		assert.Equal(t, "i-node", dst)
	}
	// The instance stops announcing: once its announcement expires, the
	// node, which kept announcing, has the address.
	h.clock.Advance(defaultAddressTTL - time.Minute)
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, node) })
	_, dst := h.endpoints("x", "10.0.1.5:80")
	assert.Equal(t, "node-a", dst)
}

func TestStateAndFlowInOneBatch(t *testing.T) {
	h := newHarness(t)
	recs := h.consume(k8s, func(b *entity.Batch) {
		addFlow(t, b, "10.0.0.2", "10.0.0.1") // before the state: not known yet
		addState(t, b, pod("pod-a", "10.0.0.1"))
		addFlow(t, b, "10.0.0.2", "10.0.0.1")
	})
	assert.Equal(t, "10.0.0.1", recs[0].Observation().DestinationID)
	assert.Equal(t, "pod-a", recs[2].Observation().DestinationID)
}

func TestPassThrough(t *testing.T) {
	h := newHarness(t, "*@everything")
	in := plog.NewLogs()
	sl := in.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	lr := sl.LogRecords().AppendEmpty()
	lr.Body().SetStr("10.0.0.1")
	lr.Attributes().PutStr("relationship.source.id", "10.0.0.1") // no event name
	other := sl.LogRecords().AppendEmpty()
	other.SetEventName("something.else")
	other.Attributes().PutStr("relationship.destination.id", "10.0.0.1")

	want := plog.NewLogs()
	in.CopyTo(want)
	require.NoError(t, h.logs.ConsumeLogs(context.Background(), in))
	require.Len(t, h.sink.AllLogs(), 1)
	require.NoError(t, plogtest.CompareLogs(want, h.sink.AllLogs()[0]))
}

func TestConcurrentConsume(t *testing.T) {
	h := newHarness(t, "10.1.*@mapped")
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 50 {
				b := entity.NewBatch(k8s)
				id := fmt.Sprintf("pod-%d-%d", w, i)
				addr := fmt.Sprintf("10.0.%d.%d", w, i)
				addState(t, b, pod(id, addr))
				addFlow(t, b, "10.1.0.1", addr)
				if i%2 == 0 {
					b.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: id})
				}
				require.NoError(t, h.logs.ConsumeLogs(context.Background(), b.Logs()))
			}
		})
	}
	wg.Wait()
	assert.Len(t, h.sink.AllLogs(), 200)
	for _, ld := range h.sink.AllLogs() {
		o := records(ld)[1].Observation()
		assert.Equal(t, "mapped", o.SourceID)
		assert.Contains(t, o.DestinationID, "pod-")
	}
	assert.Equal(t, 100, h.proc.index.len())
}

// TestGolden runs one representative batch: a GKE node state whose cluster
// link resolves through external_mappings and which announces its address,
// a pod, a deleted pod, and flows resolved through mappings, through the
// address index, and not at all. Run with -update to rewrite the file.
func TestGolden(t *testing.T) {
	h := newHarness(t,
		"europe-west3-gke-prod@8a6e-cluster-uid",
		"10.200.*@aws-account-1@i-0abc",
	)
	b := entity.NewBatch(k8s)
	addState(t, b, entity.Entity{
		Ref:            entity.Ref{Type: "kubernetes.node", InternalID: "cluster-uid--kubernetes.node-n1", NativeIDs: map[string]any{"k8s.node.uid": "n1-uid"}},
		Name:           "n1",
		Description:    map[string]any{"zone": "europe-west3-a"},
		Addresses:      []string{"10.0.0.10"},
		ReportInterval: time.Minute,
		Links: []entity.Link{{
			Type: entity.RelParentChild, Direction: entity.Incoming, External: true,
			Target:     entity.Ref{Type: "gcp.gke_cluster"},
			MappingKey: "europe-west3-gke-prod", IDTemplate: "{scope}-europe-west3-gcp.gke_cluster-gke-prod",
		}},
		Body: map[string]any{"metadata": map[string]any{"name": "n1"}},
	})
	addState(t, b, entity.Entity{
		Ref:       entity.Ref{Type: "kubernetes.pod", InternalID: "cluster-uid-shop-kubernetes.pod-api-7c9f"},
		Name:      "api-7c9f",
		Addresses: []string{"10.4.0.7", "10.4.0.7:8080"},
		Links: []entity.Link{{
			Type: entity.RelParentChild, Direction: entity.Incoming,
			Target: entity.Ref{Type: "kubernetes.node", InternalID: "cluster-uid--kubernetes.node-n1"},
		}},
		Body: map[string]any{"metadata": map[string]any{"name": "api-7c9f"}},
	})
	b.AddDelete(t0, entity.Ref{Type: "kubernetes.pod", InternalID: "cluster-uid-shop-kubernetes.pod-gone"})
	require.NoError(t, b.AddObservation(t0, entity.Observation{
		Type: entity.RelEBPFFlow, SourceID: "10.4.0.7:51234", DestinationID: "10.200.3.4:5432",
		Connections: 3, BytesSent: 1200, BytesReceived: 64000, FirstSeen: t0.Add(-time.Minute), LastSeen: t0,
		Attributes: map[string]any{"process.executable.name": "api"},
	}))
	require.NoError(t, b.AddObservation(t0, entity.Observation{
		Type: entity.RelEBPFFlow, SourceID: "10.0.0.10:40000", DestinationID: "10.4.0.7:8080", Connections: 1,
	}))
	require.NoError(t, b.AddObservation(t0, entity.Observation{
		Type: entity.RelEBPFFlow, SourceID: "192.168.1.1:3333", DestinationID: "10.4.0.7:8080", Connections: 1, FailedConnections: 1,
	}))

	require.NoError(t, h.logs.ConsumeLogs(context.Background(), b.Logs()))
	require.Len(t, h.sink.AllLogs(), 1)
	got := h.sink.AllLogs()[0]

	// crawltest.Golden compares the record kinds too, which CompareLogs
	// alone ignores; observations are what the processor resolves.
	crawltest.Golden{KeepObservations: true}.Check(t, filepath.Join("testdata", "golden", "batch.yaml"), got)
}

// BenchmarkProcessObservations resolves 10,000 flow records per call
// against 1,000 announced addresses and 100 mappings: a third resolve
// through external_mappings, a third through the address index, a third
// not at all.
func BenchmarkProcessObservations(b *testing.B) {
	var mappings []string
	for i := range 100 {
		mappings = append(mappings, fmt.Sprintf("10.200.%d.*@aws-1@i-%04d", i, i))
	}
	h := newHarness(b, mappings...)
	states := entity.NewBatch(k8s)
	for i := range 1000 {
		addState(b, states, pod(fmt.Sprintf("pod-%d", i), fmt.Sprintf("10.4.%d.%d", i/250, i%250)))
	}
	_, err := h.proc.processLogs(context.Background(), states.Logs())
	require.NoError(b, err)

	batch := entity.NewBatch(flows)
	for i := range 10000 {
		var dst string
		switch i % 3 {
		case 0:
			dst = fmt.Sprintf("10.200.%d.%d:443", i%100, i%250)
		case 1:
			dst = fmt.Sprintf("10.4.%d.%d:8080", i%4, i%250)
		default:
			dst = fmt.Sprintf("172.16.%d.%d:80", i%256, i%250)
		}
		addFlow(b, batch, fmt.Sprintf("10.4.%d.%d:%d", i%4, i%250, 30000+i%1000), dst)
	}
	in := batch.Logs()
	work := plog.NewLogs()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		in.CopyTo(work)
		b.StartTimer()
		if _, err := h.proc.processLogs(context.Background(), work); err != nil {
			b.Fatal(err)
		}
	}
}

// TestResolvedEndsAreMarkedExternal: an end resolved through
// external_mappings, or to an entity of another data source, becomes the
// wire's coordimap.relationship.external.*_side; one of the same data source
// stays internal.
func TestResolvedEndsAreMarkedExternal(t *testing.T) {
	h := newHarness(t, "10.9.9.9:5432@7710/app-@")
	h.consume(k8s, func(b *entity.Batch) {
		addState(t, b, pod("pod-a", "10.0.0.1"))
		addState(t, b, pod("pod-b", "10.0.0.2"))
	})
	side := func(src entity.Source, from, to string) entity.ExternalSide {
		recs := h.consume(src, func(b *entity.Batch) { addFlow(t, b, from, to) })
		return recs[0].Observation().External
	}
	assert.Equal(t, entity.NotExternal, side(k8s, "10.0.0.1:1", "10.0.0.2:80"), "same data source")
	assert.Equal(t, entity.ExternalBothSides, side(flows, "10.0.0.1:1", "10.0.0.2:80"), "entities of another data source")
	assert.Equal(t, entity.ExternalDestination, side(k8s, "10.0.0.1:1", "10.9.9.9:5432"), "mapped destination")
	assert.Equal(t, entity.ExternalSource, side(k8s, "10.9.9.9:5432", "10.0.0.2:80"), "mapped source")
	assert.Equal(t, entity.NotExternal, side(k8s, "10.3.3.3:1", "10.4.4.4:2"), "nothing resolved, nothing changed")
}
