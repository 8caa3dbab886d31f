package entity

import (
	"iter"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/pdatajson"
)

// Kind tells which of the three record shapes a log record is.
type Kind int

const (
	KindUnknown Kind = iota
	KindState
	KindDelete
	KindObservation
)

// ReadSource reads the data source a resource describes.
func ReadSource(res pcommon.Resource) Source {
	attrs := res.Attributes()
	src := Source{
		ScopeID:        str(attrs, AttrScopeID),
		DataSourceType: str(attrs, AttrDataSourceType),
		DataSourceID:   str(attrs, AttrDataSourceID),
		Name:           str(attrs, AttrDataSourceName),
		Description:    str(attrs, AttrDataSourceDesc),
		MetricRules:    str(attrs, AttrDataSourceMetricRules),
	}
	if v, ok := attrs.Get(AttrDataSourceConfig); ok && v.Type() == pcommon.ValueTypeMap {
		src.Config = make(map[string]string, v.Map().Len())
		for k, val := range v.Map().All() {
			src.Config[k] = val.AsString()
		}
	}
	return src
}

// Record is a read and write view of one entity event record.
type Record struct {
	lr plog.LogRecord
}

// LogRecords yields every log record of ld, resource by resource, scope by
// scope.
func LogRecords(ld plog.Logs) iter.Seq[plog.LogRecord] {
	return func(yield func(plog.LogRecord) bool) {
		rls := ld.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				lrs := sls.At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					if !yield(lrs.At(k)) {
						return
					}
				}
			}
		}
	}
}

// View wraps a log record.
func View(lr plog.LogRecord) Record { return Record{lr: lr} }

// Kind reports the record's shape from its event name.
func (r Record) Kind() Kind {
	switch r.lr.EventName() {
	case EventState:
		return KindState
	case EventDelete:
		return KindDelete
	case EventRelationship:
		return KindObservation
	}
	return KindUnknown
}

// Time is the record's timestamp (observed timestamp when unset).
func (r Record) Time() time.Time {
	if ts := r.lr.Timestamp(); ts != 0 {
		return ts.AsTime()
	}
	return r.lr.ObservedTimestamp().AsTime()
}

// Type is entity.type.
func (r Record) Type() string { return str(r.lr.Attributes(), AttrEntityType) }

// InternalID is entity.id[coordimap.internal_id].
func (r Record) InternalID() string {
	if v, ok := r.lr.Attributes().Get(AttrEntityID); ok && v.Type() == pcommon.ValueTypeMap {
		return str(v.Map(), KeyInternalID)
	}
	return ""
}

// Name is entity.description[coordimap.name].
func (r Record) Name() string { return str(r.Description(), KeyName) }

// Status is entity.description[coordimap.status].
func (r Record) Status() string { return str(r.Description(), KeyStatus) }

// Version is entity.description[coordimap.version].
func (r Record) Version() string { return str(r.Description(), KeyVersion) }

// Description is the entity.description map (empty when absent).
func (r Record) Description() pcommon.Map {
	if v, ok := r.lr.Attributes().Get(AttrEntityDescription); ok && v.Type() == pcommon.ValueTypeMap {
		return v.Map()
	}
	return pcommon.NewMap()
}

// Addresses lists entity.description[coordimap.addresses].
func (r Record) Addresses() []string {
	v, ok := r.Description().Get(KeyAddresses)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return nil
	}
	out := make([]string, 0, v.Slice().Len())
	for _, a := range v.Slice().All() {
		out = append(out, a.AsString())
	}
	return out
}

// Partition is the crawl_internal_id, or "" for the data source default.
func (r Record) Partition() string { return str(r.lr.Attributes(), AttrPartition) }

// ReportInterval is entity.report.interval.
func (r Record) ReportInterval() time.Duration {
	if v, ok := r.lr.Attributes().Get(AttrReportInterval); ok {
		return time.Duration(v.Int()) * time.Second
	}
	return 0
}

// Body is the source object.
func (r Record) Body() pcommon.Map {
	if r.lr.Body().Type() == pcommon.ValueTypeMap {
		return r.lr.Body().Map()
	}
	return pcommon.NewMap()
}

// AppendBodyJSON appends the body as the element's JSON data: keys sorted
// (see pdatajson), or in the order written when the record says its body is
// ordered (Entity.OrderedBody).
func (r Record) AppendBodyJSON(b []byte) []byte {
	if v, ok := r.lr.Attributes().Get(AttrBodyOrdered); ok && v.Type() == pcommon.ValueTypeBool && v.Bool() {
		return pdatajson.AppendMapInOrder(b, r.Body())
	}
	return pdatajson.AppendMap(b, r.Body())
}

// RawBody is the record body as it is, whatever its type.
func (r Record) RawBody() pcommon.Value { return r.lr.Body() }

func (r Record) links() (pcommon.Slice, bool) {
	v, ok := r.lr.Attributes().Get(AttrRelationships)
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return pcommon.Slice{}, false
	}
	return v.Slice(), true
}

// Links reads entity.relationships.
func (r Record) Links() []Link {
	s, ok := r.links()
	if !ok {
		return nil
	}
	out := make([]Link, 0, s.Len())
	for _, v := range s.All() {
		if v.Type() != pcommon.ValueTypeMap {
			continue
		}
		m := v.Map()
		l := Link{
			Type:      str(m, KeyRelationshipType),
			Direction: Direction(str(m, KeyRelationshipDirection)),
			Target:    Ref{Type: str(m, AttrEntityType)},
		}
		if l.Direction == "" {
			l.Direction = Outgoing
		}
		if ext, ok := m.Get(KeyRelationshipExternal); ok {
			l.External = ext.Bool()
		}
		if id, ok := m.Get(AttrEntityID); ok && id.Type() == pcommon.ValueTypeMap {
			l.Target.InternalID = str(id.Map(), KeyInternalID)
			l.MappingKey = str(id.Map(), KeyMappingKey)
			l.IDTemplate = str(id.Map(), KeyIDTemplate)
		}
		out = append(out, l)
	}
	return out
}

// ResolveLink sets the internal ID of the i-th entry of entity.relationships
// (as numbered by Links) and drops its mapping key.
func (r Record) ResolveLink(i int, internalID string) {
	s, ok := r.links()
	if !ok || i < 0 {
		return
	}
	// i counts map entries only, as Links does.
	var m pcommon.Map
	found := false
	for _, v := range s.All() {
		if v.Type() != pcommon.ValueTypeMap {
			continue
		}
		if i == 0 {
			m, found = v.Map(), true
			break
		}
		i--
	}
	if !found {
		return
	}
	id, ok := m.Get(AttrEntityID)
	if !ok || id.Type() != pcommon.ValueTypeMap {
		id = m.PutEmpty(AttrEntityID)
		id.SetEmptyMap()
	}
	id.Map().PutStr(KeyInternalID, internalID)
	id.Map().Remove(KeyMappingKey)
	id.Map().Remove(KeyIDTemplate)
}

// AddLink appends an entry to entity.relationships.
func (r Record) AddLink(l Link) {
	s, ok := r.links()
	if !ok {
		s = r.lr.Attributes().PutEmptySlice(AttrRelationships)
	}
	putLink(s.AppendEmpty().SetEmptyMap(), l)
}

// SetObservationExternal marks which ends of a coordimap.relationship record
// belong to another data source.
func (r Record) SetObservationExternal(side ExternalSide) {
	if side == NotExternal {
		r.lr.Attributes().Remove(AttrRelExternal)
		return
	}
	r.lr.Attributes().PutStr(AttrRelExternal, string(side))
}

// Observation reads a coordimap.relationship record.
func (r Record) Observation() Observation {
	attrs := r.lr.Attributes()
	o := Observation{
		Type:              str(attrs, AttrRelType),
		External:          ExternalSide(str(attrs, AttrRelExternal)),
		SourceID:          str(attrs, AttrRelSource),
		DestinationID:     str(attrs, AttrRelDestination),
		DestinationPort:   integer(attrs, AttrRelDestinationPort),
		DestinationName:   str(attrs, AttrRelDestinationName),
		Partition:         str(attrs, AttrPartition),
		Connections:       integer(attrs, AttrRelConnections),
		FailedConnections: integer(attrs, AttrRelFailed),
		BytesSent:         integer(attrs, AttrRelBytesSent),
		BytesReceived:     integer(attrs, AttrRelBytesReceived),
		PacketsSent:       integer(attrs, AttrRelPacketsSent),
		PacketsReceived:   integer(attrs, AttrRelPacketsReceived),
		RejectedPackets:   integer(attrs, AttrRelRejectedPackets),
		RejectedBytes:     integer(attrs, AttrRelRejectedBytes),
	}
	for k, v := range attrs.All() {
		if !observationKeys[k] {
			if o.Attributes == nil {
				o.Attributes = map[string]any{}
			}
			o.Attributes[k] = v.AsRaw()
		}
	}
	if ns := integer(attrs, AttrRelFirstSeen); ns != 0 {
		o.FirstSeen = time.Unix(0, ns).UTC()
	}
	if ns := integer(attrs, AttrRelLastSeen); ns != 0 {
		o.LastSeen = time.Unix(0, ns).UTC()
	}
	return o
}

// observationKeys are the attributes Observation reads into its own fields.
var observationKeys = map[string]bool{
	AttrRelType: true, AttrRelExternal: true, AttrRelSource: true, AttrRelDestination: true,
	AttrRelDestinationPort: true, AttrRelDestinationName: true, AttrPartition: true, AttrRelConnections: true, AttrRelFailed: true,
	AttrRelBytesSent: true, AttrRelBytesReceived: true, AttrRelFirstSeen: true, AttrRelLastSeen: true,
	AttrRelPacketsSent: true, AttrRelPacketsReceived: true, AttrRelRejectedPackets: true, AttrRelRejectedBytes: true,
}

// ObservationEndpoints reads only the source and destination of a
// coordimap.relationship record.
func (r Record) ObservationEndpoints() (sourceID, destinationID string) {
	attrs := r.lr.Attributes()
	return str(attrs, AttrRelSource), str(attrs, AttrRelDestination)
}

// SetObservationEndpoints rewrites the source and destination of a
// coordimap.relationship record.
func (r Record) SetObservationEndpoints(sourceID, destinationID string) {
	r.lr.Attributes().PutStr(AttrRelSource, sourceID)
	r.lr.Attributes().PutStr(AttrRelDestination, destinationID)
}

func str(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok {
		return v.Str()
	}
	return ""
}

func integer(m pcommon.Map, key string) int64 {
	if v, ok := m.Get(key); ok {
		return v.Int()
	}
	return 0
}
