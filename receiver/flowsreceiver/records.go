package flowsreceiver

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// Attributes of coordimap.relationship records and metric points besides
// the entity package's.
const (
	// attrSide is which end of the connection this host is: "client" or
	// "server"; a flow between two hosts that both run the receiver is
	// reported by both, each with its side.
	attrSide          = "coordimap.flow.side"
	attrActive        = "coordimap.flow.active_connections"
	attrRetransmits   = "coordimap.flow.retransmits"
	attrProcess       = "process.executable.name"
	attrContainer     = "container.id"
	attrClientAddress = "client.address"
	attrServerAddress = "server.address"
	attrServerPort    = "server.port"
	attrHostName      = "host.name"
	attrClusterUID    = "k8s.cluster.uid"
)

// observation is the coordimap.relationship record of an edge for one
// collection: the counts are those of the collection (deltas).
func observation(e *edge, partition string) entity.Observation {
	attrs := map[string]any{
		attrSide:          e.key.side.String(),
		attrActive:        int64(e.active),
		attrRetransmits:   int64(e.delta.retransmits),
		attrClientAddress: e.key.client.String(),
		attrServerAddress: e.key.server.String(),
	}
	if e.key.process != "" {
		attrs[attrProcess] = e.key.process
	}
	if e.key.container != "" {
		attrs[attrContainer] = e.key.container
	}
	ext := entity.NotExternal
	switch {
	case e.key.source.external && e.key.destination.external:
		ext = entity.ExternalBothSides
	case e.key.source.external:
		ext = entity.ExternalSource
	case e.key.destination.external:
		ext = entity.ExternalDestination
	}
	return entity.Observation{
		Type:              entity.RelEBPFFlow,
		External:          ext,
		SourceID:          e.key.source.id,
		DestinationID:     e.key.destination.id,
		DestinationPort:   int64(e.key.port),
		Partition:         partition,
		Connections:       int64(e.delta.opened),
		FailedConnections: int64(e.delta.failed),
		BytesSent:         int64(e.delta.bytesSent),
		BytesReceived:     int64(e.delta.bytesReceived),
		FirstSeen:         e.start,
		LastSeen:          e.lastSeen,
		Attributes:        attrs,
	}
}

// Metric names and what they count, per edge.
var metricDefs = []struct {
	name, unit, desc string
	monotonic        bool
	value            func(*edge) int64
}{
	{"coordimap.flow.connections.opened", "{connection}", "TCP connections established, client to server.", true,
		func(e *edge) int64 { return int64(e.total.opened) }},
	{"coordimap.flow.connections.failed", "{connection}", "TCP connects that failed (refused, timed out, unreachable, abandoned).", true,
		func(e *edge) int64 { return int64(e.total.failed) }},
	{"coordimap.flow.connections.active", "{connection}", "TCP connections open at the time of the collection.", false,
		func(e *edge) int64 { return int64(e.active) }},
	{"coordimap.flow.retransmits", "{segment}", "TCP segments retransmitted.", true,
		func(e *edge) int64 { return int64(e.total.retransmits) }},
	{"coordimap.flow.bytes.sent", "By", "Bytes the client sent and the server acknowledged, counted when connections close.", true,
		func(e *edge) int64 { return int64(e.total.bytesSent) }},
	{"coordimap.flow.bytes.received", "By", "Bytes the server sent and the client acknowledged, counted when connections close.", true,
		func(e *edge) int64 { return int64(e.total.bytesReceived) }},
}

// buildMetrics reports every edge the receiver holds as cumulative sums.
func buildMetrics(resource map[string]string, list []*edge, now time.Time) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	for _, k := range sortedKeys(resource) {
		rm.Resource().Attributes().PutStr(k, resource[k])
	}
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(entity.ScopeName)
	ts := pcommon.NewTimestampFromTime(now)
	for _, def := range metricDefs {
		m := sm.Metrics().AppendEmpty()
		m.SetName(def.name)
		m.SetUnit(def.unit)
		m.SetDescription(def.desc)
		sum := m.SetEmptySum()
		sum.SetIsMonotonic(def.monotonic)
		sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dps := sum.DataPoints()
		dps.EnsureCapacity(len(list))
		for _, e := range list {
			dp := dps.AppendEmpty()
			dp.SetStartTimestamp(pcommon.NewTimestampFromTime(e.start))
			dp.SetTimestamp(ts)
			dp.SetIntValue(def.value(e))
			pointAttributes(e).CopyTo(dp.Attributes())
		}
	}
	return md
}

// pointAttributes are the attributes of an edge's metric points; they only
// depend on its key, so they are built once per edge.
func pointAttributes(e *edge) pcommon.Map {
	if e.attrs != nil {
		return *e.attrs
	}
	a := pcommon.NewMap()
	a.EnsureCapacity(8)
	a.PutStr(entity.AttrRelSource, e.key.source.id)
	a.PutStr(entity.AttrRelDestination, e.key.destination.id)
	a.PutStr(attrClientAddress, e.key.client.String())
	a.PutStr(attrServerAddress, e.key.server.String())
	a.PutInt(attrServerPort, int64(e.key.port))
	a.PutStr(attrSide, e.key.side.String())
	if e.key.process != "" {
		a.PutStr(attrProcess, e.key.process)
	}
	if e.key.container != "" {
		a.PutStr(attrContainer, e.key.container)
	}
	e.attrs = &a
	return a
}
