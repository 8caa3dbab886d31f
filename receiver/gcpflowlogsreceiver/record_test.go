package gcpflowlogsreceiver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRecord(t *testing.T) {
	tests := []struct {
		name, payload string
		wantErr       bool
	}{
		{"numbers as strings", `{"connection":{"src_ip":"10.0.0.1","src_port":40000,"dest_ip":"10.0.0.2","dest_port":443,"protocol":6},"reporter":"SRC","bytes_sent":"100","packets_sent":"2","start_time":"2026-12-07T10:00:00Z","end_time":"2026-12-07T10:00:01.5Z"}`, false},
		{"numbers as numbers", `{"connection":{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2"},"bytes_sent":100,"packets_sent":2,"start_time":"2026-12-07T10:00:00Z","end_time":"2026-12-07T10:00:00Z"}`, false},
		{"no connection", `{"bytes_sent":"1","start_time":"2026-12-07T10:00:00Z","end_time":"2026-12-07T10:00:00Z"}`, true},
		{"bad count", `{"connection":{"src_ip":"a","dest_ip":"b"},"bytes_sent":"x","start_time":"2026-12-07T10:00:00Z","end_time":"2026-12-07T10:00:00Z"}`, true},
		{"negative count", `{"connection":{"src_ip":"a","dest_ip":"b"},"bytes_sent":"-5","start_time":"2026-12-07T10:00:00Z","end_time":"2026-12-07T10:00:00Z"}`, true},
		{"bad time", `{"connection":{"src_ip":"a","dest_ip":"b"},"start_time":"yesterday","end_time":"2026-12-07T10:00:00Z"}`, true},
		{"not an object", `[1,2]`, true},
		{"truncated", `{"connection":{"src_ip":"10.`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r record
			err := parseRecord([]byte(tt.payload), &r)
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.EqualValues(t, 100, r.BytesSent)
			assert.False(t, r.end.Before(r.start))
		})
	}
}

// FuzzParseRecord: any payload is read or refused, never a panic; a read
// record has both addresses, ordered times and counts that are not
// negative, and aggregates without a panic.
func FuzzParseRecord(f *testing.F) {
	raw, err := os.ReadFile(filepath.Join("testdata", "entries.json"))
	require.NoError(f, err)
	var rec struct {
		Entries []struct {
			JSONPayload json.RawMessage `json:"jsonPayload"`
		} `json:"entries"`
	}
	require.NoError(f, json.Unmarshal(raw, &rec))
	for _, e := range rec.Entries {
		f.Add([]byte(e.JSONPayload))
	}
	f.Add([]byte(`{"connection":{"src_ip":"::1","dest_ip":"::2","src_port":-1,"dest_port":99999999999},"start_time":"2026-12-07T10:00:00Z","end_time":"2025-01-01T00:00:00Z"}`))
	agg := newAggregator("1", testProject, nil)
	f.Fuzz(func(t *testing.T, payload []byte) {
		var r record
		if err := parseRecord(payload, &r); err != nil {
			return
		}
		if r.Connection.SrcIP == "" || r.Connection.DstIP == "" || r.end.Before(r.start) || r.BytesSent < 0 || r.PacketsSent < 0 {
			t.Fatalf("accepted an invalid record: %+v", r)
		}
		agg.add(&r)
		_ = agg.observations()
	})
}
