package pdatajson

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestBodyEncodingMatchesEncodingJSON(t *testing.T) {
	raw := map[string]any{
		"z": "plain", "a": "needs \"escaping\" <&> \u2028 é \x01", "n": int64(-7), "f": 1.5, "tiny": 1e-9, "huge": 1e22,
		"b": true, "nil": nil, "list": []any{int64(1), "x", map[string]any{"k": false}}, "empty": map[string]any{},
	}
	m := pcommon.NewMap()
	require.NoError(t, m.FromRaw(raw))
	got := AppendMap(nil, m)
	want, err := json.Marshal(raw) // encoding/json sorts map keys too
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}
