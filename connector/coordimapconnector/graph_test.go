package coordimapconnector

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

var (
	frontendID = internalid.OTelService("cluster-1", "shop", "frontend")
	apiID      = internalid.OTelService("cluster-1", "shop", "api")
)

// A client span and the server span whose parent it is make one paired
// edge client → server, whichever arrives first, counted once, with the
// client's duration.
func TestPairing(t *testing.T) {
	for _, order := range []string{"client first", "server first", "one batch"} {
		t.Run(order, func(t *testing.T) {
			g := newGraph(testConfig(), "otel")
			res := []map[string]any{svc("frontend"), svc("api")}
			client := spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2, parent: 1, dur: 40 * time.Millisecond, resourceIndex: 0}
			server := spanSpec{kind: ptrace.SpanKindServer, trace: 1, id: 3, parent: 2, dur: 30 * time.Millisecond, failed: true, resourceIndex: 1}
			var st stats
			switch order {
			case "client first":
				g.addTraces(traces(res, client), t0, &st)
				g.addTraces(traces(res, server), t0, &st)
			case "server first":
				g.addTraces(traces(res, server), t0, &st)
				g.addTraces(traces(res, client), t0, &st)
			default:
				g.addTraces(traces(res, client, server), t0, &st)
			}
			assert.Equal(t, int64(1), st.paired)
			assert.Zero(t, g.pending.len())
			assert.Zero(t, st.unpaired)

			ld, _ := mustFlush(t, g, t0.Add(time.Second))
			states, obs, _ := records(ld)
			require.Contains(t, states, frontendID)
			require.Contains(t, states, apiID)
			require.Len(t, obs, 1)
			o := obs[[2]string{frontendID, apiID}]
			assert.Equal(t, entity.RelOTelFlow, o.Type)
			assert.Equal(t, int64(1), o.Connections)
			assert.Equal(t, int64(1), o.FailedConnections, "the server failed")
			assert.Equal(t, entity.PairingPaired, o.Attributes[entity.AttrRelPairing])
			assert.InDelta(t, 40.0, o.Attributes[entity.AttrRelLatencyP50Ms], 40*0.125, "client duration")
			assert.Equal(t, entity.NotExternal, o.External)
		})
	}
}

// A span ID reused by a second client span does not pair two clients:
// the first becomes one-sided.
func TestSameSideTwice(t *testing.T) {
	g := newGraph(testConfig(), "otel")
	res := []map[string]any{svc("frontend")}
	c := spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2, attrs: map[string]any{"peer.service": "api"}}
	var st stats
	g.addTraces(traces(res, c, c), t0, &st)
	assert.Zero(t, st.paired)
	assert.Equal(t, int64(1), st.expired)
	assert.Equal(t, 1, g.pending.len())
}

// One end only: the client's peer attributes name the destination, in the
// documented order.
func TestOneSided(t *testing.T) {
	tests := []struct {
		name     string
		attrs    map[string]any
		dst      string
		port     int64
		external bool
		virtual  bool
	}{
		{name: "peer.service", attrs: map[string]any{"peer.service": "api", "server.address": "10.0.0.7"}, dst: apiID, virtual: true},
		{name: "server.address ip", attrs: map[string]any{"server.address": "10.0.0.7", "server.port": int64(8080), "network.peer.address": "10.9.9.9"}, dst: "10.0.0.7:8080", port: 8080},
		{name: "ipv4-mapped", attrs: map[string]any{"server.address": "::ffff:10.0.0.7"}, dst: "10.0.0.7"},
		{name: "network.peer.address", attrs: map[string]any{"server.address": "api.shop.svc", "network.peer.address": "10.0.0.8", "network.peer.port": int64(443)}, dst: "10.0.0.8:443", port: 443},
		{name: "server.address name", attrs: map[string]any{"server.address": "api.shop.svc", "server.port": int64(443)}, dst: internalid.OTelService("cluster-1", "", "api.shop.svc:443"), virtual: true},
		{name: "rpc.service", attrs: map[string]any{"rpc.service": "shop.Cart"}, dst: internalid.OTelService("cluster-1", "", "shop.Cart"), virtual: true},
		{name: "messaging", attrs: map[string]any{"messaging.destination.name": "orders"}, dst: internalid.OTelService("cluster-1", "", "orders"), virtual: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			g := newGraph(cfg, "otel")
			var st stats
			g.addTraces(traces([]map[string]any{svc("frontend")},
				spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2, dur: time.Millisecond, attrs: tt.attrs}), t0, &st)
			ld, fst := mustFlush(t, g, t0.Add(cfg.Store.TTL))
			assert.Equal(t, int64(1), fst.expired)
			assert.Equal(t, int64(1), fst.inferred)
			assert.Equal(t, int64(-1), fst.unpaired)
			states, obs, _ := records(ld)
			require.Len(t, obs, 1, "%v", obs)
			o, ok := obs[[2]string{frontendID, tt.dst}]
			require.True(t, ok, "%v", obs)
			assert.Equal(t, entity.PairingInferred, o.Attributes[entity.AttrRelPairing])
			assert.Equal(t, tt.port, o.DestinationPort)
			if tt.virtual {
				require.Contains(t, states, tt.dst)
				v, _ := states[tt.dst].Body().Get("virtual")
				assert.True(t, v.Bool())
			} else {
				assert.NotContains(t, states, tt.dst)
			}
		})
	}
}

// A database call is one-sided at once (databases send no server spans);
// with db.postgresql.system_identifier it names the database element.
func TestDatabaseCall(t *testing.T) {
	g := newGraph(testConfig(), "otel")
	var st stats
	g.addTraces(traces([]map[string]any{svc("api")},
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2, dur: 2 * time.Millisecond, attrs: map[string]any{
			"db.system.name": "postgresql", "db.namespace": "app", "db.postgresql.system_identifier": "7710",
			"server.address": "10.0.0.5", "server.port": int64(5432),
		}},
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 3, dur: 2 * time.Millisecond, failed: true, attrs: map[string]any{
			"db.system.name": "postgresql", "db.namespace": "app", "server.address": "10.0.0.5", "server.port": int64(5432),
		}},
	), t0, &st)
	g.addTraces(traces([]map[string]any{svc("api")},
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 4, attrs: map[string]any{
			"db.system.name": "postgresql", "db.namespace": "billing", "server.address": "10.0.0.5", "server.port": int64(5432),
		}},
	), t0, &st)
	assert.Zero(t, g.pending.len())
	assert.Equal(t, int64(3), st.inferred)
	// One server, two databases: two edges, each naming its database for
	// the processor (relationship.destination.name).
	assert.Contains(t, g.edges, edgeKey{apiID, "10.0.0.5:5432", "app"})
	assert.Contains(t, g.edges, edgeKey{apiID, "10.0.0.5:5432", "billing"})
	ld, _ := mustFlush(t, g, t0)
	_, obs, _ := records(ld)
	exact := obs[[2]string{apiID, internalid.PostgresDatabase("7710", "app")}]
	assert.Equal(t, int64(1), exact.Connections)
	assert.Equal(t, entity.ExternalDestination, exact.External)
	byAddr := map[string]entity.Observation{}
	for lr := range entity.LogRecords(ld) {
		if o := entity.View(lr).Observation(); o.DestinationID == "10.0.0.5:5432" {
			byAddr[o.DestinationName] = o
		}
	}
	require.Len(t, byAddr, 2)
	assert.Equal(t, int64(1), byAddr["app"].FailedConnections)
	assert.Equal(t, int64(5432), byAddr["app"].DestinationPort)
	assert.Equal(t, "10.0.0.5", byAddr["app"].Attributes[entity.AttrRelPeer])
	assert.Equal(t, int64(1), byAddr["billing"].Connections)
	assert.Zero(t, byAddr["billing"].FailedConnections)
}

func TestScope(t *testing.T) {
	tests := []struct {
		name  string
		cfg   string
		attrs map[string]any
		want  string
	}{
		{"coordimap.scope_id first", "conf", map[string]any{"coordimap.scope_id": "s", "k8s.cluster.uid": "k", "cloud.account.id": "a"}, "s"},
		{"cluster uid", "conf", map[string]any{"k8s.cluster.uid": "k", "cloud.account.id": "a"}, "k"},
		{"aws account", "conf", map[string]any{"cloud.provider": "aws", "cloud.account.id": "123", "cloud.project.number": "9"}, "123"},
		{"gcp project number before the project id", "conf", map[string]any{"cloud.provider": "gcp", "cloud.account.id": "my-proj", "cloud.project.number": "9"}, "9"},
		{"project number", "conf", map[string]any{"cloud.project.number": "9", "db.postgresql.system_identifier": "77"}, "9"},
		{"postgres", "conf", map[string]any{"db.postgresql.system_identifier": "77"}, "77"},
		{"a number", "conf", map[string]any{"cloud.project.number": int64(9)}, "9"},
		{"configured", "conf", map[string]any{}, "conf"},
		{"data source id", "", map[string]any{}, "otel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.ScopeID = tt.cfg
			g := newGraph(cfg, "otel")
			td := traces([]map[string]any{tt.attrs})
			assert.Equal(t, tt.want, g.service(td.ResourceSpans().At(0).Resource(), t0).key.scope)
		})
	}
}

// Resources name the infrastructure: the links carry the IDs the
// Kubernetes, AWS and GCP receivers emit.
func TestInfrastructureLinks(t *testing.T) {
	cfg := testConfig()
	cfg.ScopeID = ""
	g := newGraph(cfg, "otel")
	var st stats
	g.addTraces(traces([]map[string]any{
		svc("api", "k8s.cluster.uid", "uid1", "k8s.namespace.name", "shop", "k8s.pod.name", "api-7c9f", "k8s.deployment.name", "api",
			"k8s.replicaset.name", "api-7c", "k8s.node.name", "n1", "service.instance.id", "i1", "service.version", "1.4", "telemetry.sdk.language", "go"),
		svc("api", "k8s.cluster.uid", "uid1", "k8s.namespace.name", "shop", "k8s.pod.name", "api-8d0a", "k8s.node.name", "n2", "service.instance.id", "i2"),
		svc("batch", "cloud.provider", "aws", "cloud.account.id", "123456789012", "host.id", "i-0abc"),
		svc("vm", "cloud.provider", "gcp", "cloud.account.id", "proj", "cloud.project.number", "42", "cloud.availability_zone", "europe-west1-b", "host.name", "vm1"),
		svc("worker", "k8s.namespace.name", "jobs", "k8s.job.name", "nightly", "k8s.statefulset.name", "db", "k8s.daemonset.name", "agent", "k8s.cronjob.name", "nightly"),
	}), t0, &st)
	ld, _ := mustFlush(t, g, t0)
	states, _, _ := records(ld)
	links := func(id string) []string {
		var out []string
		for _, l := range states[id].Links() {
			from, to, side := l.Ends(id)
			assert.Equal(t, id, from)
			assert.Equal(t, entity.ExternalDestination, side)
			out = append(out, l.Target.Type+" "+to)
		}
		return out
	}
	api := internalid.OTelService("uid1", "shop", "api")
	assert.ElementsMatch(t, []string{
		"kubernetes.pod uid1-shop-kubernetes.pod-api-7c9f",
		"kubernetes.pod uid1-shop-kubernetes.pod-api-8d0a",
		"kubernetes.deployment uid1-shop-kubernetes.deployment-api",
		"kubernetes.replica_set uid1-shop-kubernetes.replica_set-api-7c",
		"kubernetes.node uid1--kubernetes.node-n1",
		"kubernetes.node uid1--kubernetes.node-n2",
	}, links(api))
	assert.Equal(t, "1.4", states[api].Version())
	n, _ := states[api].Body().Get("instance_count")
	assert.Equal(t, int64(2), n.Int())
	lang, _ := states[api].Body().Get("sdk_language")
	assert.Equal(t, "go", lang.Str())
	assert.Equal(t, []string{"aws.instance 123456789012@i-0abc"}, links(internalid.OTelService("123456789012", "shop", "batch")))
	assert.Equal(t, []string{"gcp.vm_instance 42-europe-west1-b-gcp.vm_instance-vm1"}, links(internalid.OTelService("42", "shop", "vm")))
	// No cluster UID and no scope_id: no Kubernetes links (their IDs need the cluster).
	assert.Empty(t, links(internalid.OTelService("otel", "shop", "worker")))

	cfg.ScopeID = "uid2"
	g = newGraph(cfg, "otel")
	g.addTraces(traces([]map[string]any{svc("worker", "k8s.namespace.name", "jobs", "k8s.job.name", "nightly", "k8s.statefulset.name", "db", "k8s.daemonset.name", "agent", "k8s.cronjob.name", "nightly")}), t0, &st)
	ld, _ = mustFlush(t, g, t0)
	states, _, _ = records(ld)
	assert.ElementsMatch(t, []string{
		"kubernetes.job uid2-jobs-kubernetes.job-nightly",
		"kubernetes.cronjob uid2-jobs-kubernetes.cronjob-nightly",
		"kubernetes.stateful_set uid2-jobs-kubernetes.stateful_set-db",
		"kubernetes.daemon_set uid2-jobs-kubernetes.daemon_set-agent",
	}, links(internalid.OTelService("uid2", "shop", "worker")))
}

// A full store pairs nothing more: the span is dropped from pairing and
// counted, and a client span still becomes a one-sided edge.
func TestStoreFull(t *testing.T) {
	cfg := testConfig()
	cfg.Store.MaxItems = 1
	g := newGraph(cfg, "otel")
	var st stats
	res := []map[string]any{svc("frontend")}
	g.addTraces(traces(res,
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2, attrs: map[string]any{"peer.service": "api"}},
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 3, attrs: map[string]any{"peer.service": "cart"}},
		spanSpec{kind: ptrace.SpanKindServer, trace: 1, id: 4, parent: 9},
	), t0, &st)
	assert.Equal(t, int64(2), st.dropped)
	assert.Equal(t, int64(1), st.inferred)
	assert.Equal(t, int64(1), st.unpaired)
	assert.Equal(t, 1, g.pending.len())
}

// Spans wait store.ttl; services and edges live edge_ttl after their last
// call, then the service is deleted and the edge no longer sent. Counters
// on the records are the calls since the previous flush.
func TestExpiry(t *testing.T) {
	cfg := testConfig()
	g := newGraph(cfg, "otel")
	var st stats
	res := []map[string]any{svc("frontend"), svc("api")}
	g.addTraces(traces(res,
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2},
		spanSpec{kind: ptrace.SpanKindServer, trace: 1, id: 3, parent: 2, resourceIndex: 1},
		spanSpec{kind: ptrace.SpanKindServer, trace: 2, id: 5, parent: 4, resourceIndex: 1},
	), t0, &st)
	assert.Equal(t, 1, g.pending.len())

	_, fst := mustFlush(t, g, t0.Add(cfg.Store.TTL-time.Nanosecond))
	assert.Zero(t, fst.expired)
	ld, fst := mustFlush(t, g, t0.Add(cfg.Store.TTL))
	assert.Equal(t, int64(1), fst.expired)
	assert.Zero(t, fst.inferred, "a server span alone names no caller")
	_, obs, _ := records(ld)
	assert.Zero(t, obs[[2]string{frontendID, apiID}].Connections, "counted by the first flush")
	assert.Equal(t, int64(1), obs[[2]string{frontendID, apiID}].Attributes[entity.AttrRelRequests])

	ld, _ = mustFlush(t, g, t0.Add(cfg.EdgeTTL))
	states, obs, deletes := records(ld)
	assert.Len(t, states, 2)
	assert.Len(t, obs, 1)
	assert.Empty(t, deletes)

	ld, _ = mustFlush(t, g, t0.Add(cfg.EdgeTTL+time.Second))
	states, obs, deletes = records(ld)
	assert.Empty(t, states)
	assert.Empty(t, obs)
	assert.ElementsMatch(t, []string{apiID, frontendID}, deletes)
	assert.Empty(t, g.services)
	assert.Empty(t, g.edges)
}

// Paired spans leave their expiry entries behind; the queue is compacted
// so it stays within the store's bound whatever the span rate.
func TestQueueBounded(t *testing.T) {
	cfg := testConfig()
	cfg.Store.MaxItems = 10
	g := newGraph(cfg, "otel")
	var st stats
	res := []map[string]any{svc("frontend"), svc("api")}
	for i := range 5000 {
		tr := byte(i % 250)
		g.addTraces(traces(res,
			spanSpec{kind: ptrace.SpanKindClient, trace: tr, id: 2},
			spanSpec{kind: ptrace.SpanKindServer, trace: tr, id: 3, parent: 2, resourceIndex: 1},
		), t0, &st)
	}
	assert.Equal(t, int64(5000), st.paired)
	assert.LessOrEqual(t, len(g.pending.queue)-g.pending.head, 2*cfg.Store.MaxItems+1024)
}

func TestHistogram(t *testing.T) {
	for _, us := range []uint64{0, 1, 3, 4, 5, 7, 8, 100, 1000, 12345, 1 << 20, 1<<34 - 1} {
		b := bucketOf(us)
		mid := bucketMid(b)
		assert.InDelta(t, float64(us), mid, float64(us)*0.125+0.5, "us=%d bucket=%d", us, b)
	}
	assert.Equal(t, histBuckets-1, bucketOf(1<<40))
	var h histogram
	assert.Zero(t, h.quantile(0.5))
	for i := 1; i <= 100; i++ {
		h.add(time.Duration(i) * time.Millisecond)
	}
	assert.InDelta(t, 50, h.quantile(0.5), 50*0.125)
	assert.InDelta(t, 95, h.quantile(0.95), 95*0.125)
}

// The flush of a small graph, as a golden file: services with links,
// virtual peers, paired and inferred edges.
func TestFlushGolden(t *testing.T) {
	g := newGraph(testConfig(), "otel")
	var st stats
	g.addTraces(traces([]map[string]any{
		svc("frontend", "k8s.namespace.name", "shop", "k8s.pod.name", "frontend-1", "telemetry.sdk.language", "nodejs"),
		svc("api", "k8s.namespace.name", "shop", "k8s.pod.name", "api-1", "service.version", "2.0"),
	},
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2, dur: 12 * time.Millisecond},
		spanSpec{kind: ptrace.SpanKindServer, trace: 1, id: 3, parent: 2, dur: 10 * time.Millisecond, resourceIndex: 1},
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 4, parent: 3, dur: 3 * time.Millisecond, resourceIndex: 1,
			attrs: map[string]any{"db.system.name": "postgresql", "db.namespace": "app", "server.address": "10.0.0.5", "server.port": int64(5432)}},
		spanSpec{kind: ptrace.SpanKindProducer, trace: 1, id: 5, parent: 3, dur: time.Millisecond, resourceIndex: 1,
			attrs: map[string]any{"messaging.destination.name": "orders"}},
	), t0, &st)
	ld, _ := mustFlush(t, g, t0.Add(time.Minute))
	crawltest.Golden{KeepObservations: true}.Check(t, filepath.Join("testdata", "flush.yaml"), ld)
}

// A message consumed by two services pairs its producer with both; the
// producer then leaves the store without a one-sided edge.
func TestProducerWithTwoConsumers(t *testing.T) {
	cfg := testConfig()
	g := newGraph(cfg, "otel")
	var st stats
	res := []map[string]any{svc("orders"), svc("billing"), svc("shipping")}
	g.addTraces(traces(res,
		spanSpec{kind: ptrace.SpanKindConsumer, trace: 1, id: 3, parent: 2, resourceIndex: 1},
	), t0, &st)
	g.addTraces(traces(res,
		spanSpec{kind: ptrace.SpanKindProducer, trace: 1, id: 2, attrs: map[string]any{"messaging.destination.name": "orders"}},
		spanSpec{kind: ptrace.SpanKindConsumer, trace: 1, id: 4, parent: 2, resourceIndex: 2},
	), t0, &st)
	assert.Equal(t, int64(2), st.paired)
	ld, fst := mustFlush(t, g, t0.Add(cfg.Store.TTL))
	assert.Zero(t, fst.expired)
	assert.Zero(t, fst.inferred)
	assert.Zero(t, g.pending.len())
	_, obs, _ := records(ld)
	orders := internalid.OTelService("cluster-1", "shop", "orders")
	assert.Len(t, obs, 2)
	for _, to := range []string{"billing", "shipping"} {
		o := obs[[2]string{orders, internalid.OTelService("cluster-1", "shop", to)}]
		assert.Equal(t, int64(1), o.Connections, to)
		assert.Equal(t, entity.PairingPaired, o.Attributes[entity.AttrRelPairing], to)
	}
}
