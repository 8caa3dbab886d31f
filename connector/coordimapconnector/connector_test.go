package coordimapconnector

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/storagehost/storagehosttest"
)

func allLogs(sink *consumertest.LogsSink) plog.Logs {
	out := plog.NewLogs()
	for _, ld := range sink.AllLogs() {
		ld.ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
	}
	return out
}

// The traces and metrics instances of one configuration are one
// connector: a service seen in metrics and in traces is one service, and
// the flush loop runs once, until the last instance stops.
func TestSharedInstance(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	cfg := testConfig()
	sink := new(consumertest.LogsSink)
	set := connectortest.NewNopSettings(f.Type())
	tc, err := f.CreateTracesToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	mc, err := f.CreateMetricsToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	assert.Same(t, tc.(tracesConnector).coordimapConnector, mc.(metricsConnector).coordimapConnector)

	require.NoError(t, tc.Start(ctx, componenttest.NewNopHost()))
	require.NoError(t, mc.Start(ctx, componenttest.NewNopHost()))
	md := pmetric.NewMetrics()
	_ = md.ResourceMetrics().AppendEmpty().Resource().Attributes().FromRaw(svc("billing", "k8s.namespace.name", "shop", "k8s.pod.name", "billing-0"))
	require.NoError(t, mc.ConsumeMetrics(ctx, md))
	require.NoError(t, tc.ConsumeTraces(ctx, traces([]map[string]any{svc("billing")})))
	require.NoError(t, tc.Shutdown(ctx))
	assert.Zero(t, sink.LogRecordCount(), "the metrics instance still runs")
	require.NoError(t, mc.Shutdown(ctx))

	states, _, _ := records(allLogs(sink))
	require.Len(t, states, 1)
	st := states[internalid.OTelService("cluster-1", "shop", "billing")]
	require.Len(t, st.Links(), 1)
	assert.Equal(t, "cluster-1-shop-kubernetes.pod-billing-0", st.Links()[0].Target.InternalID)

	// A new pipeline (a reload) gets a new connector.
	tc2, err := f.CreateTracesToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	assert.NotSame(t, tc.(tracesConnector).coordimapConnector, tc2.(tracesConnector).coordimapConnector)
	require.NoError(t, tc2.Shutdown(ctx), "safe without Start")
	tc3, err := f.CreateTracesToLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	assert.NotSame(t, tc2.(tracesConnector).coordimapConnector, tc3.(tracesConnector).coordimapConnector, "released without Start too")
}

// With file_storage, services and edges survive a restart: the next
// connector emits them with their totals until edge_ttl runs out.
func TestStateSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	f := NewFactory()

	run := func(consume func(c *coordimapConnector)) plog.Logs {
		id, ext := storagehosttest.ID, storagehosttest.FileStorage(t, dir)
		defer func() { require.NoError(t, ext.Shutdown(ctx)) }()
		cfg := testConfig()
		cfg.Storage = &id
		sink := new(consumertest.LogsSink)
		set := connectortest.NewNopSettings(f.Type())
		set.ID = component.NewID(typeStr) // the storage key
		tc, err := f.CreateTracesToLogs(ctx, set, cfg, sink)
		require.NoError(t, err)
		c := tc.(tracesConnector).coordimapConnector
		c.now = func() time.Time { return t0 }
		require.NoError(t, tc.Start(ctx, storagehosttest.WithExtensions(map[component.ID]component.Component{id: ext})))
		consume(c)
		require.NoError(t, tc.Shutdown(ctx))
		return allLogs(sink)
	}

	run(func(c *coordimapConnector) {
		res := []map[string]any{svc("frontend", "k8s.namespace.name", "shop", "k8s.pod.name", "fe-1"), svc("api")}
		for i := range 3 {
			require.NoError(t, c.consumeTraces(ctx, traces(res,
				spanSpec{kind: ptrace.SpanKindClient, trace: byte(i + 1), id: 2, dur: 5 * time.Millisecond},
				spanSpec{kind: ptrace.SpanKindServer, trace: byte(i + 1), id: 3, parent: 2, resourceIndex: 1},
			)))
		}
	})
	ld := run(func(*coordimapConnector) {})
	states, obs, _ := records(ld)
	require.Contains(t, states, frontendID)
	assert.Equal(t, "cluster-1-shop-kubernetes.pod-fe-1", states[frontendID].Links()[0].Target.InternalID)
	o := obs[[2]string{frontendID, apiID}]
	assert.Equal(t, int64(3), o.Attributes[entity.AttrRelRequests])
	assert.Zero(t, o.Connections, "the calls were emitted before the restart")
	assert.Equal(t, entity.PairingPaired, o.Attributes[entity.AttrRelPairing])
	assert.InDelta(t, 5.0, o.Attributes[entity.AttrRelLatencyP95Ms], 5*0.125)
}

func TestStorageMissing(t *testing.T) {
	ctx := context.Background()
	f := NewFactory()
	cfg := testConfig()
	id := component.MustNewID("file_storage")
	cfg.Storage = &id
	set := connectortest.NewNopSettings(f.Type())
	set.ID = component.NewID(typeStr)
	tc, err := f.CreateTracesToLogs(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = tc.Start(ctx, componenttest.NewNopHost())
	require.EqualError(t, err, `coordimap: storage: extension "file_storage" not found`)
	require.NoError(t, tc.Shutdown(ctx))
}

// The store's counts reach the connector's own telemetry.
func TestTelemetry(t *testing.T) {
	ctx := context.Background()
	tel := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tel.Shutdown(ctx)) }()
	f := NewFactory()
	cfg := testConfig()
	cfg.Store.MaxItems = 1
	set := connectortest.NewNopSettings(f.Type())
	set.TelemetrySettings = tel.NewTelemetrySettings()
	tc, err := f.CreateTracesToLogs(ctx, set, cfg, consumertest.NewNop())
	require.NoError(t, err)
	c := tc.(tracesConnector).coordimapConnector
	clock := t0
	c.now = func() time.Time { return clock }
	res := []map[string]any{svc("frontend"), svc("api")}
	require.NoError(t, tc.ConsumeTraces(ctx, traces(res,
		spanSpec{kind: ptrace.SpanKindClient, trace: 1, id: 2},
		spanSpec{kind: ptrace.SpanKindServer, trace: 1, id: 3, parent: 2, resourceIndex: 1},
	)))
	require.NoError(t, tc.ConsumeTraces(ctx, traces(res,
		spanSpec{kind: ptrace.SpanKindClient, trace: 2, id: 2, attrs: map[string]any{"peer.service": "cart"}},
		spanSpec{kind: ptrace.SpanKindClient, trace: 3, id: 2, attrs: map[string]any{"peer.service": "cart"}},
	)))
	clock = t0.Add(cfg.Store.TTL)
	require.NoError(t, c.flush(ctx))

	value := func(name string, attr ...string) int64 {
		m, err := tel.GetMetric(name)
		require.NoError(t, err, name)
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			if len(attr) == 0 {
				return dp.Value
			}
			if v, _ := dp.Attributes.Value("pairing"); v.AsString() == attr[0] {
				return dp.Value
			}
		}
		return 0
	}
	assert.Equal(t, int64(1), value("otelcol_connector_coordimap_calls", "paired"))
	assert.Equal(t, int64(2), value("otelcol_connector_coordimap_calls", "inferred"))
	assert.Equal(t, int64(1), value("otelcol_connector_coordimap_store_dropped"))
	assert.Equal(t, int64(1), value("otelcol_connector_coordimap_store_expired"))
	assert.Equal(t, int64(0), value("otelcol_connector_coordimap_store_unpaired"))
}
