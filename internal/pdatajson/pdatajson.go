// Package pdatajson writes pdata values as JSON with sorted map keys, so the
// same object always gives the same bytes (and the same element hash).
package pdatajson

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// AppendValue appends v as JSON. Map keys are sorted, so the same object
// always gives the same bytes and the same element hash, whatever order a
// receiver inserted its fields in. Strings are escaped as encoding/json
// escapes them.
func AppendValue(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return AppendString(b, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return appendFloat(b, v.Double())
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeMap:
		return AppendMap(b, v.Map())
	case pcommon.ValueTypeSlice:
		return appendSlice(b, v.Slice(), AppendValue)
	case pcommon.ValueTypeBytes:
		raw := v.Bytes().AsRaw()
		if len(raw) == 0 {
			// pdata keeps no difference between empty and nil bytes;
			// encoding/json writes AsRaw's nil as null.
			return append(b, "null"...)
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw)
		return append(b, '"')
	}
	return append(b, "null"...)
}

func AppendMap(b []byte, m pcommon.Map) []byte {
	n := m.Len()
	if n == 0 {
		return append(b, "{}"...)
	}
	var stack [16]string
	keys := stack[:0]
	for k := range m.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendString(b, k)
		b = append(b, ':')
		v, _ := m.Get(k)
		b = AppendValue(b, v)
	}
	return append(b, '}')
}

// AppendMapInOrder appends m as JSON with keys in m's order, at every
// level: for payloads whose field order is fixed by the original agent's
// structs (Go's encoder writes struct fields in declaration order).
func AppendMapInOrder(b []byte, m pcommon.Map) []byte {
	if m.Len() == 0 {
		return append(b, "{}"...)
	}
	b = append(b, '{')
	i := 0
	for k, v := range m.All() {
		if i > 0 {
			b = append(b, ',')
		}
		i++
		b = AppendString(b, k)
		b = append(b, ':')
		b = appendValueInOrder(b, v)
	}
	return append(b, '}')
}

func appendValueInOrder(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		return AppendMapInOrder(b, v.Map())
	case pcommon.ValueTypeSlice:
		return appendSlice(b, v.Slice(), appendValueInOrder)
	}
	return AppendValue(b, v)
}

func appendSlice(b []byte, s pcommon.Slice, elem func([]byte, pcommon.Value) []byte) []byte {
	b = append(b, '[')
	for i := 0; i < s.Len(); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		b = elem(b, s.At(i))
	}
	return append(b, ']')
}

// appendFloat formats as encoding/json does; NaN and infinities, which JSON
// cannot carry, become null.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9, as encoding/json does
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendString writes s as a JSON string. Plain ASCII takes the fast path;
// anything that needs escaping goes through encoding/json so the bytes are
// the ones the original agent's encoder would produce.
func AppendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf {
			enc, err := json.Marshal(s)
			if err != nil {
				return append(b, `""`...)
			}
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
