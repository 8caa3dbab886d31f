package graphstore

import (
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// FromLogs turns entity records into a batch. Records that are not entity
// events, and ends left empty, are skipped; ends that are still addresses
// are kept (the map shows them as unresolved).
func FromLogs(ld plog.Logs) Batch {
	var b Batch
	for _, rl := range ld.ResourceLogs().All() {
		src := entity.ReadSource(rl.Resource())
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				switch rec.Kind() {
				case entity.KindState:
					if st, ok := nodeState(src, rec); ok {
						b.Nodes = append(b.Nodes, st)
					}
				case entity.KindDelete:
					if id := rec.InternalID(); id != "" {
						b.Deletes = append(b.Deletes, NodeDelete{ScopeID: src.ScopeID, ID: id, At: rec.Time()})
					}
				case entity.KindObservation:
					if e, ok := observation(src, rec); ok {
						b.Observations = append(b.Observations, e)
					}
				}
			}
		}
	}
	return b
}

func partitionOf(src entity.Source, p string) string {
	if p == "" {
		return src.DataSourceID
	}
	return p
}

func nodeState(src entity.Source, rec entity.Record) (NodeState, bool) {
	id, typ := rec.InternalID(), rec.Type()
	if id == "" || typ == "" {
		return NodeState{}, false
	}
	attrs := rec.Description().AsRaw()
	for _, k := range []string{entity.KeyName, entity.KeyStatus, entity.KeyVersion} {
		delete(attrs, k)
	}
	ts := rec.Time()
	st := NodeState{
		ScopeID:        src.ScopeID,
		ID:             id,
		Type:           typ,
		Name:           rec.Name(),
		Status:         rec.Status(),
		Version:        rec.Version(),
		DataSourceID:   src.DataSourceID,
		DataSourceType: src.DataSourceType,
		Partition:      partitionOf(src, rec.Partition()),
		Attributes:     attrs,
		Data:           rec.AppendBodyJSON(nil),
		ReportInterval: rec.ReportInterval(),
		At:             ts,
		LinksKnown:     true,
	}
	for _, l := range rec.Links() {
		if l.Target.InternalID == "" {
			continue // left unresolved by the processor
		}
		from, to, side := l.Ends(id)
		st.Links = append(st.Links, Edge{
			Source:       from,
			Destination:  to,
			Type:         l.Type,
			RelationType: entity.RelationCode(l.Type, entity.RelationCodeParentChild),
			External:     string(side),
			FirstSeen:    ts,
			LastSeen:     ts,
		})
	}
	return st, true
}

func observation(src entity.Source, rec entity.Record) (Edge, bool) {
	o := rec.Observation()
	if o.SourceID == "" || o.DestinationID == "" {
		return Edge{}, false
	}
	last := o.LastSeen
	if last.IsZero() {
		last = rec.Time()
	}
	first := o.FirstSeen
	if first.IsZero() {
		first = last
	}
	attrs := o.Attributes
	if o.DestinationPort != 0 {
		if attrs == nil {
			attrs = map[string]any{}
		}
		attrs["destination_port"] = o.DestinationPort
	}
	return Edge{
		Source:            o.SourceID,
		Destination:       o.DestinationID,
		Type:              o.Type,
		RelationType:      entity.RelationCode(o.Type, entity.RelationCodeGenericFlow),
		External:          string(o.External),
		Observed:          true,
		DataSourceID:      src.DataSourceID,
		ScopeID:           src.ScopeID,
		Connections:       o.Connections,
		FailedConnections: o.FailedConnections,
		BytesSent:         o.BytesSent,
		BytesReceived:     o.BytesReceived,
		Attributes:        attrs,
		FirstSeen:         first,
		LastSeen:          last,
	}, true
}
