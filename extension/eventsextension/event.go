package eventsextension

import (
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// Event types (docs/events.md).
const (
	EntityCreated       = "entity.created"
	EntityUpdated       = "entity.updated"
	EntityDeleted       = "entity.deleted"
	RelationshipCreated = "relationship.created"
	RelationshipUpdated = "relationship.updated"
	RelationshipDeleted = "relationship.deleted"
	ResyncCompleted     = "resync.completed"
)

// Record headers.
const (
	HeaderType        = "type"
	HeaderScope       = "scope"
	HeaderDataSource  = "data_source"
	HeaderEntityType  = "entity_type"
	HeaderSeq         = "seq"
	HeaderContentType = "content-type"
)

// event is one message: the JSON encoding is this struct (docs/events.md
// is its schema).
type event struct {
	Type             string          `json:"type"`
	Seq              int64           `json:"seq"`
	Time             time.Time       `json:"time"`
	ScopeID          string          `json:"scope_id,omitempty"`
	ID               string          `json:"id,omitempty"`
	EntityType       string          `json:"entity_type,omitempty"`
	RelationshipType string          `json:"relationship_type,omitempty"`
	Name             string          `json:"name,omitempty"`
	DataSourceID     string          `json:"data_source_id,omitempty"`
	Partition        string          `json:"partition,omitempty"`
	Source           string          `json:"source,omitempty"`
	Destination      string          `json:"destination,omitempty"`
	BeforeHash       string          `json:"before_hash,omitempty"`
	AfterHash        string          `json:"after_hash,omitempty"`
	ChangedFields    []string        `json:"changed_fields,omitempty"`
	Before           json.RawMessage `json:"before,omitempty"`
	After            json.RawMessage `json:"after,omitempty"`
	Snapshot         bool            `json:"snapshot,omitempty"`
	StatesOmitted    bool            `json:"states_omitted,omitempty"`
}

// fromChange is the event of one change of the feed.
func fromChange(c *graphstore.Change) event {
	ev := event{
		Seq: c.Seq, Time: c.At, ScopeID: c.ScopeID, ID: c.ID, Name: c.Name, DataSourceID: c.DataSourceID,
		Partition: c.Partition, BeforeHash: c.BeforeHash, AfterHash: c.AfterHash, ChangedFields: c.Fields,
	}
	switch c.Kind {
	case graphstore.KindNode:
		ev.EntityType = c.Type
		ev.Type = "entity." + c.Op
	case graphstore.KindEdge:
		ev.RelationshipType = c.Type
		ev.Source, ev.Destination = c.Source, c.Destination
		ev.Type = "relationship." + c.Op
	case graphstore.KindPartition:
		ev.Type = ResyncCompleted
		ev.ID = ""
	default:
		ev.Type = c.Kind + "." + c.Op
	}
	return ev
}

func (ev *event) kind() string {
	switch {
	case ev.Type == ResyncCompleted:
		return "resync"
	case ev.RelationshipType != "" || ev.Source != "":
		return "relationship"
	default:
		return "entity"
	}
}

// key is the record key: the internal ID (a relationship's is
// <source>.<destination>), or <data source>/<partition> for a resync.
func (ev *event) key() string {
	if ev.Type == ResyncCompleted {
		return ev.DataSourceID + "/" + ev.Partition
	}
	return ev.ID
}

// encoder turns an event into a record value.
type encoder struct {
	encoding    string
	contentType string
}

func newEncoder(encoding string) encoder {
	switch encoding {
	case EncodingOTLPProto:
		return encoder{encoding: encoding, contentType: "application/x-protobuf"}
	default:
		return encoder{encoding: encoding, contentType: "application/json"}
	}
}

func (e encoder) encode(ev *event) ([]byte, error) {
	switch e.encoding {
	case EncodingOTLPJSON:
		return (&plog.JSONMarshaler{}).MarshalLogs(ev.logs())
	case EncodingOTLPProto:
		return (&plog.ProtoMarshaler{}).MarshalLogs(ev.logs())
	default:
		return json.Marshal(ev)
	}
}

// scopeName is the instrumentation scope of the OTLP encodings.
const scopeName = "github.com/coordimap/otelcol-coordimap/extension/eventsextension"

// logs is the event as OTLP logs: one record whose event name is the
// event type and whose body is the JSON encoding's object; the resource
// carries the scope and data source like entity records do.
func (ev *event) logs() plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	if ev.ScopeID != "" {
		rl.Resource().Attributes().PutStr(entity.AttrScopeID, ev.ScopeID)
	}
	if ev.DataSourceID != "" {
		rl.Resource().Attributes().PutStr(entity.AttrDataSourceID, ev.DataSourceID)
	}
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(scopeName)
	lr := sl.LogRecords().AppendEmpty()
	lr.SetEventName(ev.Type)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(ev.Time))
	lr.Attributes().PutInt("coordimap.event.seq", ev.Seq)
	if k := ev.key(); k != "" {
		lr.Attributes().PutStr("coordimap.event.key", k)
	}
	body := lr.Body().SetEmptyMap()
	put := func(k, v string) {
		if v != "" {
			body.PutStr(k, v)
		}
	}
	put("type", ev.Type)
	body.PutInt("seq", ev.Seq)
	put("time", ev.Time.UTC().Format(time.RFC3339Nano))
	put("scope_id", ev.ScopeID)
	put("id", ev.ID)
	put("entity_type", ev.EntityType)
	put("relationship_type", ev.RelationshipType)
	put("name", ev.Name)
	put("data_source_id", ev.DataSourceID)
	put("partition", ev.Partition)
	put("source", ev.Source)
	put("destination", ev.Destination)
	put("before_hash", ev.BeforeHash)
	put("after_hash", ev.AfterHash)
	if len(ev.ChangedFields) > 0 {
		s := body.PutEmptySlice("changed_fields")
		for _, f := range ev.ChangedFields {
			s.AppendEmpty().SetStr(f)
		}
	}
	for _, st := range []struct {
		k   string
		raw json.RawMessage
	}{{"before", ev.Before}, {"after", ev.After}} {
		k, raw := st.k, st.raw
		if len(raw) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			put(k, string(raw))
			continue
		}
		if err := body.PutEmpty(k).FromRaw(v); err != nil {
			put(k, fmt.Sprint(v))
		}
	}
	if ev.Snapshot {
		body.PutBool("snapshot", true)
	}
	if ev.StatesOmitted {
		body.PutBool("states_omitted", true)
	}
	return ld
}
