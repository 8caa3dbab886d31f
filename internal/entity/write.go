package entity

import (
	"fmt"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// ScopeName is the instrumentation scope of every record built here.
const ScopeName = "github.com/coordimap/otelcol-coordimap"

// Batch accumulates the records of one data source instance.
type Batch struct {
	logs    plog.Logs
	records plog.LogRecordSlice
}

// NewBatch starts an empty batch whose resource describes src.
func NewBatch(src Source) *Batch {
	logs := plog.NewLogs()
	rl := logs.ResourceLogs().AppendEmpty()
	putSource(rl.Resource().Attributes(), src)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(ScopeName)
	return &Batch{logs: logs, records: sl.LogRecords()}
}

func putSource(attrs pcommon.Map, src Source) {
	attrs.PutStr(AttrScopeID, src.ScopeID)
	attrs.PutStr(AttrDataSourceType, src.DataSourceType)
	attrs.PutStr(AttrDataSourceID, src.DataSourceID)
	if src.Name != "" {
		attrs.PutStr(AttrDataSourceName, src.Name)
	}
	if src.Description != "" {
		attrs.PutStr(AttrDataSourceDesc, src.Description)
	}
	if len(src.Config) > 0 {
		cfg := attrs.PutEmptyMap(AttrDataSourceConfig)
		for _, k := range sortedKeys(src.Config) {
			cfg.PutStr(k, src.Config[k])
		}
	}
	if src.MetricRules != "" {
		attrs.PutStr(AttrDataSourceMetricRules, src.MetricRules)
	}
	for _, k := range sortedKeys(src.Attributes) {
		attrs.PutStr(k, src.Attributes[k])
	}
}

// Len is the number of records in the batch.
func (b *Batch) Len() int { return b.records.Len() }

// Logs returns the records built so far. The batch must not be used after.
func (b *Batch) Logs() plog.Logs { return b.logs }

func (b *Batch) newRecord(ts time.Time, event string) plog.LogRecord {
	lr := b.records.AppendEmpty()
	lr.SetEventName(event)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ts))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(ts))
	return lr
}

// AddState appends an entity.state record.
func (b *Batch) AddState(ts time.Time, e Entity) error {
	lr := b.newRecord(ts, EventState)
	attrs := lr.Attributes()
	putRef(attrs, e.Ref)
	if e.Partition != "" {
		attrs.PutStr(AttrPartition, e.Partition)
	}
	desc := attrs.PutEmptyMap(AttrEntityDescription)
	if err := putSorted(desc, e.Description); err != nil {
		return err
	}
	desc.PutStr(KeyName, e.Name)
	if e.Status != "" {
		desc.PutStr(KeyStatus, e.Status)
	}
	if e.Version != "" {
		desc.PutStr(KeyVersion, e.Version)
	}
	if len(e.Addresses) > 0 {
		addrs := desc.PutEmptySlice(KeyAddresses)
		addrs.EnsureCapacity(len(e.Addresses))
		for _, a := range e.Addresses {
			addrs.AppendEmpty().SetStr(a)
		}
	}
	if len(e.Links) > 0 {
		links := attrs.PutEmptySlice(AttrRelationships)
		links.EnsureCapacity(len(e.Links))
		for _, l := range e.Links {
			putLink(links.AppendEmpty().SetEmptyMap(), l)
		}
	}
	if e.ReportInterval > 0 {
		attrs.PutInt(AttrReportInterval, int64(e.ReportInterval/time.Second))
	}
	if e.OrderedBody != nil {
		attrs.PutBool(AttrBodyOrdered, true)
		return putOrdered(lr.Body().SetEmptyMap(), e.OrderedBody)
	}
	return putSorted(lr.Body().SetEmptyMap(), e.Body)
}

// putOrdered fills m from o in o's order.
func putOrdered(m pcommon.Map, o Ordered) error {
	m.EnsureCapacity(len(o))
	for _, f := range o {
		if err := putValue(m.PutEmpty(f.Key), f.Value); err != nil {
			return fmt.Errorf("%s: %w", f.Key, err)
		}
	}
	return nil
}

// putSorted fills m from raw with keys in sorted order at every level, so
// the same object always gives the same record (and golden files do not
// churn with Go's random map order).
func putSorted(m pcommon.Map, raw map[string]any) error {
	m.EnsureCapacity(len(raw))
	for _, k := range sortedKeys(raw) {
		if err := putValue(m.PutEmpty(k), raw[k]); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
	}
	return nil
}

func putValue(v pcommon.Value, raw any) error {
	switch x := raw.(type) {
	case map[string]any:
		return putSorted(v.SetEmptyMap(), x)
	case Ordered:
		return putOrdered(v.SetEmptyMap(), x)
	case []Ordered:
		s := v.SetEmptySlice()
		s.EnsureCapacity(len(x))
		for i, e := range x {
			if err := putOrdered(s.AppendEmpty().SetEmptyMap(), e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	case map[string]string:
		m := v.SetEmptyMap()
		m.EnsureCapacity(len(x))
		for _, k := range sortedKeys(x) {
			m.PutStr(k, x[k])
		}
		return nil
	case []any:
		s := v.SetEmptySlice()
		s.EnsureCapacity(len(x))
		for i, e := range x {
			if err := putValue(s.AppendEmpty(), e); err != nil {
				return fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return nil
	}
	return v.FromRaw(raw)
}

// putLink writes one entry of entity.relationships.
func putLink(m pcommon.Map, l Link) {
	m.PutStr(KeyRelationshipType, l.Type)
	dir := l.Direction
	if dir == "" {
		dir = Outgoing
	}
	m.PutStr(KeyRelationshipDirection, string(dir))
	if l.External {
		m.PutBool(KeyRelationshipExternal, true)
	}
	m.PutStr(AttrEntityType, l.Target.Type)
	id := m.PutEmptyMap(AttrEntityID)
	if l.Target.InternalID != "" {
		id.PutStr(KeyInternalID, l.Target.InternalID)
	}
	if l.MappingKey != "" {
		id.PutStr(KeyMappingKey, l.MappingKey)
		id.PutStr(KeyIDTemplate, l.IDTemplate)
	}
}

// AddDelete appends an entity.delete record.
func (b *Batch) AddDelete(ts time.Time, r Ref) {
	lr := b.newRecord(ts, EventDelete)
	putRef(lr.Attributes(), r)
}

func putRef(attrs pcommon.Map, r Ref) {
	attrs.PutStr(AttrEntityType, r.Type)
	id := attrs.PutEmptyMap(AttrEntityID)
	id.PutStr(KeyInternalID, r.InternalID)
	for _, k := range sortedKeys(r.NativeIDs) {
		_ = id.PutEmpty(k).FromRaw(r.NativeIDs[k])
	}
}

// AddObservation appends a coordimap.relationship record.
func (b *Batch) AddObservation(ts time.Time, o Observation) error {
	lr := b.newRecord(ts, EventRelationship)
	attrs := lr.Attributes()
	if err := putSorted(attrs, o.Attributes); err != nil {
		return err
	}
	attrs.PutStr(AttrRelType, o.Type)
	if o.External != NotExternal {
		attrs.PutStr(AttrRelExternal, string(o.External))
	}
	attrs.PutStr(AttrRelSource, o.SourceID)
	attrs.PutStr(AttrRelDestination, o.DestinationID)
	if o.DestinationPort != 0 {
		attrs.PutInt(AttrRelDestinationPort, o.DestinationPort)
	}
	if o.DestinationName != "" {
		attrs.PutStr(AttrRelDestinationName, o.DestinationName)
	}
	if o.Partition != "" {
		attrs.PutStr(AttrPartition, o.Partition)
	}
	attrs.PutInt(AttrRelConnections, o.Connections)
	attrs.PutInt(AttrRelFailed, o.FailedConnections)
	attrs.PutInt(AttrRelBytesSent, o.BytesSent)
	attrs.PutInt(AttrRelBytesReceived, o.BytesReceived)
	for _, c := range [...]struct {
		key string
		v   int64
	}{
		{AttrRelPacketsSent, o.PacketsSent}, {AttrRelPacketsReceived, o.PacketsReceived},
		{AttrRelRejectedPackets, o.RejectedPackets}, {AttrRelRejectedBytes, o.RejectedBytes},
	} {
		if c.v != 0 {
			attrs.PutInt(c.key, c.v)
		}
	}
	if !o.FirstSeen.IsZero() {
		attrs.PutInt(AttrRelFirstSeen, o.FirstSeen.UnixNano())
	}
	if !o.LastSeen.IsZero() {
		attrs.PutInt(AttrRelLastSeen, o.LastSeen.UnixNano())
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
