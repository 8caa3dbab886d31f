package pdatajson

import (
	"encoding/json"
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// FuzzAppendMapMatchesEncodingJSON: whatever the strings (escapes, invalid
// UTF-8, HTML characters, line separators), numbers and nesting, AppendMap
// writes the bytes encoding/json writes for the same map.
func FuzzAppendMapMatchesEncodingJSON(f *testing.F) {
	f.Add("name", "plain", int64(1), 1.5, true, []byte("raw"))
	f.Add("a\"<>&", "needs \"escaping\" <&> \u2028 é \x01", int64(-7), 1e-9, false, []byte{})
	f.Add("\xff", "\xfe\xff invalid", int64(math.MaxInt64), 1e22, true, []byte{0, 1, 2})
	f.Add("", "", int64(math.MinInt64), math.Copysign(0, -1), false, []byte(nil))
	f.Add("k", "\u2029\t\n\r\\", int64(0), 123456789.125, true, []byte("x"))
	f.Fuzz(func(t *testing.T, key, s string, i int64, d float64, flag bool, raw []byte) {
		if math.IsNaN(d) || math.IsInf(d, 0) {
			d = 0 // encoding/json refuses them; AppendValue writes null
		}
		obj := map[string]any{
			key: s, "s" + key: []any{s, i, d, flag, map[string]any{key: s}},
			"i": i, "d": d, "b": flag, "raw": raw, "nil": nil, "empty": map[string]any{},
		}
		m := pcommon.NewMap()
		if err := m.FromRaw(obj); err != nil {
			t.Skip(err)
		}
		want, err := json.Marshal(m.AsRaw())
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendMap(nil, m); string(got) != string(want) {
			t.Fatalf("AppendMap differs from encoding/json\n got: %s\nwant: %s", got, want)
		}
	})
}

// BenchmarkAppendMap and BenchmarkEncodingJSON encode the same element
// body: the first is what the exporter uses, the second the plain
// encoding/json baseline (also with sorted keys) it is measured against.
func BenchmarkAppendMap(b *testing.B) {
	m := benchBody(b)
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = AppendMap(buf[:0], m)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkEncodingJSON(b *testing.B) {
	raw := benchBody(b).AsRaw()
	b.ReportAllocs()
	var n int
	for b.Loop() {
		out, err := json.Marshal(raw)
		if err != nil {
			b.Fatal(err)
		}
		n = len(out)
	}
	b.SetBytes(int64(n))
}

// benchBody is a table element's body: ten columns, two indexes.
func benchBody(b *testing.B) pcommon.Map {
	cols := make([]any, 10)
	for c := range cols {
		cols[c] = map[string]any{"name": "col_" + string(rune('a'+c)), "type": "integer", "position": int64(c + 1), "nullable": c%2 == 0, "default": nil}
	}
	m := pcommon.NewMap()
	if err := m.FromRaw(map[string]any{
		"name": "orders", "schema": "public", "columns": cols, "indexes": []any{"orders_pkey", "orders_customer_idx"},
		"rows": int64(123456), "size_bytes": 8.5e6, "comment": "Customer orders <do not drop> & friends",
	}); err != nil {
		b.Fatal(err)
	}
	return m
}
