package graphstore

import (
	"encoding/json"
	"strings"
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

// A term that is a prefix of another of the node's terms is not written;
// every word that matched before still matches a kept term.
func TestNodeTermsDropPrefixes(t *testing.T) {
	st := &NodeState{ScopeID: "123456789012", ID: "123456789012@i-0042", Name: "web-42",
		Attributes: map[string]any{"vpc_id": "vpc-1", "private_ip": "10.0.0.42", "tags": []any{"web", "weba"}}}
	got := nodeTerms(st, "vpc-1")
	require.Equal(t, []string{"0042", "10.0.0.42", "123456789012@i-0042", "42", "vpc-1", "web-42", "weba"}, got)
	all := []string{"123456789012", "web", "vpc-1", "0042", "42", "web-42", "10.0.0.42", "123456789012@i-0042", "weba"}
	for _, word := range all {
		found := false
		for _, term := range got {
			found = found || strings.HasPrefix(term, word)
		}
		require.True(t, found, word)
	}
}
