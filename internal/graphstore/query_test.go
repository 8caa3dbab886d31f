package graphstore

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// decodeSources reads what json.Marshal wrote, the same as the decoder.
func TestDecodeSources(t *testing.T) {
	for _, in := range [][]string{
		{}, {""}, {"aws"}, {"aws", "k8s"}, {`a","b`}, {`back\slash`}, {"<html>&"}, {"ü", "日本"}, {"a,b", `"`},
	} {
		raw, err := json.Marshal(in)
		require.NoError(t, err)
		var want []string
		require.NoError(t, json.Unmarshal(raw, &want))
		require.Equal(t, want, decodeSources(string(raw)), string(raw))
	}
	require.Nil(t, decodeSources("not json"))
}
