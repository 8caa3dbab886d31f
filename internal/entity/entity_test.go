package entity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var src = Source{
	ScopeID:        "7710",
	DataSourceType: "postgres",
	DataSourceID:   "pg1",
	Name:           "orders db",
	Config:         map[string]string{"db_host": "127.0.0.1:5432"},
	Attributes:     map[string]string{"db.system.name": "postgresql"},
}

func TestRoundTrip(t *testing.T) {
	ts := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	b := NewBatch(src)
	in := Entity{
		Ref:         Ref{Type: "postgres.table", InternalID: "7710/app-sales@orders", NativeIDs: map[string]any{"postgres.oid": int64(16384)}},
		Name:        "orders",
		Status:      "Green",
		Version:     "1.2",
		Partition:   "sales",
		Description: map[string]any{"schema": "sales"},
		Addresses:   []string{"10.0.0.1:5432"},
		Links: []Link{
			{Type: RelParentChild, Direction: Incoming, Target: Ref{Type: "postgres.schema", InternalID: "7710/app-sales@"}},
			{Type: RelParentChild, Direction: Incoming, External: true, Target: Ref{Type: "gcp.cloud_sql"}, MappingKey: "db-1", IDTemplate: "{scope}-europe-west3-gcp.sql-db-1"},
		},
		Body:           map[string]any{"name": "orders", "columns": []any{map[string]any{"name": "id"}}},
		ReportInterval: time.Minute,
	}
	require.NoError(t, b.AddState(ts, in))
	b.AddDelete(ts, Ref{Type: "postgres.table", InternalID: "7710/app-sales@gone"})
	require.NoError(t, b.AddObservation(ts, Observation{
		Type: RelGenericFlow, External: ExternalDestination, SourceID: "10.0.0.9", DestinationID: "7710/app-@", DestinationPort: 5432, DestinationName: "app",
		Connections: 3, FirstSeen: ts, LastSeen: ts.Add(time.Second), Attributes: map[string]any{"process": "psql"},
	}))
	require.Equal(t, 3, b.Len())

	logs := b.Logs()
	rl := logs.ResourceLogs().At(0)
	got := ReadSource(rl.Resource())
	assert.Equal(t, src.ScopeID, got.ScopeID)
	assert.Equal(t, src.DataSourceID, got.DataSourceID)
	assert.Equal(t, src.Name, got.Name)
	assert.Equal(t, src.Config, got.Config)
	v, ok := rl.Resource().Attributes().Get("db.system.name")
	require.True(t, ok)
	assert.Equal(t, "postgresql", v.Str())

	recs := rl.ScopeLogs().At(0).LogRecords()
	st := View(recs.At(0))
	assert.Equal(t, KindState, st.Kind())
	assert.Equal(t, ts, st.Time())
	assert.Equal(t, "postgres.table", st.Type())
	assert.Equal(t, "7710/app-sales@orders", st.InternalID())
	assert.Equal(t, "orders", st.Name())
	assert.Equal(t, "Green", st.Status())
	assert.Equal(t, "1.2", st.Version())
	assert.Equal(t, "sales", st.Partition())
	assert.Equal(t, time.Minute, st.ReportInterval())
	assert.Equal(t, []string{"10.0.0.1:5432"}, st.Addresses())
	assert.Equal(t, in.Links, st.Links())
	assert.Equal(t, in.Body, st.Body().AsRaw())

	st.ResolveLink(1, "123-europe-west3-gcp.sql-db-1")
	links := st.Links()
	assert.Equal(t, "123-europe-west3-gcp.sql-db-1", links[1].Target.InternalID)
	assert.Empty(t, links[1].MappingKey)
	st.AddLink(Link{Type: RelER, External: true, Target: Ref{Type: "x", InternalID: "y"}})
	assert.Len(t, st.Links(), 3)

	del := View(recs.At(1))
	assert.Equal(t, KindDelete, del.Kind())
	assert.Equal(t, "7710/app-sales@gone", del.InternalID())

	obs := View(recs.At(2))
	require.Equal(t, KindObservation, obs.Kind())
	o := obs.Observation()
	assert.Equal(t, int64(3), o.Connections)
	assert.Equal(t, ExternalDestination, o.External)
	assert.Equal(t, map[string]any{"process": "psql"}, o.Attributes)
	assert.Equal(t, int64(5432), o.DestinationPort)
	assert.Equal(t, "app", o.DestinationName)
	assert.Equal(t, ts, o.FirstSeen)
	assert.Equal(t, ts.Add(time.Second), o.LastSeen)
	obs.SetObservationExternal(ExternalBothSides)
	assert.Equal(t, ExternalBothSides, obs.Observation().External)
	obs.SetObservationExternal(NotExternal)
	assert.Equal(t, NotExternal, obs.Observation().External)
	obs.SetObservationEndpoints("a", "b")
	assert.Equal(t, "a", obs.Observation().SourceID)
	assert.Equal(t, "b", obs.Observation().DestinationID)
}

func TestAddStateRejectsUnsupportedBody(t *testing.T) {
	b := NewBatch(src)
	err := b.AddState(time.Now(), Entity{Ref: Ref{Type: "t", InternalID: "i"}, Body: map[string]any{"bad": []string{"x"}}})
	assert.Error(t, err)
}

func TestResolveLinkCountsMapEntriesOnly(t *testing.T) {
	b := NewBatch(src)
	require.NoError(t, b.AddState(time.Now(), Entity{Ref: Ref{Type: "t", InternalID: "i"}, Links: []Link{
		{Type: RelER, Target: Ref{Type: "a"}, MappingKey: "k", IDTemplate: "{scope}-a"},
	}}))
	rec := View(b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0))
	// a foreign producer (OTLP) put a non-map entry first
	s, _ := rec.links()
	raw := s.AsRaw()
	require.NoError(t, s.FromRaw(append([]any{"junk"}, raw...)))
	require.Len(t, rec.Links(), 1)
	rec.ResolveLink(0, "resolved")
	assert.Equal(t, "resolved", rec.Links()[0].Target.InternalID)
}

func TestBodyKeysAreSorted(t *testing.T) {
	b := NewBatch(src)
	require.NoError(t, b.AddState(time.Now(), Entity{Ref: Ref{Type: "t", InternalID: "i"}, Body: map[string]any{
		"z": int64(1), "a": map[string]any{"y": true, "b": []any{map[string]any{"q": 1.5, "c": "x"}}}, "m": nil,
	}}))
	body := View(b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0)).Body()
	var keys []string
	for k := range body.All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"a", "m", "z"}, keys)
	inner, _ := body.Get("a")
	keys = nil
	for k := range inner.Map().All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"b", "y"}, keys)
	list, _ := inner.Map().Get("b")
	keys = nil
	for k := range list.Slice().At(0).Map().All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"c", "q"}, keys)
}

// The traffic counters round-trip; the packet and rejected ones are
// written only when not 0.
func TestObservationCounters(t *testing.T) {
	ts := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	want := Observation{
		Type: RelAWSNetworkFlow, SourceID: "s@i-1", DestinationID: "s@db", Connections: 2, FailedConnections: 1,
		BytesSent: 10, BytesReceived: 20, PacketsSent: 3, PacketsReceived: 4, RejectedPackets: 5, RejectedBytes: 6,
		FirstSeen: ts, LastSeen: ts,
	}
	b := NewBatch(Source{ScopeID: "s", DataSourceType: "aws_flow_logs", DataSourceID: "f"})
	require.NoError(t, b.AddObservation(ts, want))
	require.NoError(t, b.AddObservation(ts, Observation{Type: RelAWSNetworkFlow, SourceID: "a", DestinationID: "b"}))
	var got []Observation
	var keys []int
	for lr := range LogRecords(b.Logs()) {
		got = append(got, View(lr).Observation())
		keys = append(keys, lr.Attributes().Len())
	}
	assert.Equal(t, want, got[0])
	assert.Equal(t, keys[0]-6, keys[1], "4 counters, first and last seen left out when 0")
	_, ok := b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(1).Attributes().Get(AttrRelRejectedBytes)
	assert.False(t, ok)
}
