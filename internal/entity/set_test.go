package entity

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/plog"
)

func TestAddDeletes(t *testing.T) {
	prev, cur := Set{}, Set{}
	for _, r := range []Ref{{Type: "t", InternalID: "c"}, {Type: "t", InternalID: "a"}, {Type: "u", InternalID: "a"}, {Type: "t", InternalID: "b"}} {
		prev.Add(r)
	}
	cur.Add(Ref{Type: "t", InternalID: "b"})
	cur.Add(Ref{Type: "new", InternalID: "z"})

	b := NewBatch(src)
	assert.Equal(t, 3, b.AddDeletes(time.Now(), prev, cur))
	var got []Key
	for _, lr := range b.Logs().ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
		rec := View(lr)
		assert.Equal(t, KindDelete, rec.Kind())
		got = append(got, Key{rec.Type(), rec.InternalID()})
	}
	assert.Equal(t, []Key{{"t", "a"}, {"u", "a"}, {"t", "c"}}, got)

	assert.Equal(t, 4, NewBatch(src).AddDeletes(time.Now(), prev, nil), "nil cur deletes everything")
}

func TestLogRecordsYieldsEveryRecordAndStops(t *testing.T) {
	ld := plog.NewLogs()
	for range 2 {
		sls := ld.ResourceLogs().AppendEmpty().ScopeLogs()
		for range 2 {
			lrs := sls.AppendEmpty().LogRecords()
			lrs.AppendEmpty().SetEventName(EventState)
			lrs.AppendEmpty().SetEventName(EventDelete)
		}
	}
	n := 0
	for lr := range LogRecords(ld) {
		assert.NotEmpty(t, lr.EventName())
		n++
	}
	assert.Equal(t, 8, n)
	n = 0
	for range LogRecords(ld) {
		n++
		if n == 3 {
			break
		}
	}
	assert.Equal(t, 3, n)
}

func TestSetOf(t *testing.T) {
	s := SetOf([]Entity{{Ref: Ref{Type: "t", InternalID: "a"}}, {Ref: Ref{Type: "u", InternalID: "a"}}, {Ref: Ref{Type: "t", InternalID: "a"}}})
	assert.Equal(t, Set{{"t", "a"}: {}, {"u", "a"}: {}}, s)
	assert.Empty(t, SetOf(nil))
}
