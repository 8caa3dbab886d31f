package graphstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
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

// An unchanged node reported again (by another data source, with a report
// interval) moves its last-seen time and takes the reporter, in batches of
// more than one statement's rows, and adds no change.
func TestUnchangedNodesTouched(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		states := func(ds string, at time.Time, ri time.Duration) Batch {
			var b Batch
			for i := range rowsPerInsert + 44 {
				st := node(fmt.Sprintf("n%03d", i), "k8s.pod", fmt.Sprintf("pod-%d", i), at, map[string]any{"k8s.namespace.name": "shop"})
				st.DataSourceID, st.ReportInterval = ds, ri
				b.Nodes = append(b.Nodes, st)
			}
			return b
		}
		require.NoError(t, s.Apply(ctx, states("a", t0, 0)))
		seq, err := s.LastSeq(ctx)
		require.NoError(t, err)
		require.NoError(t, s.Apply(ctx, states("b", t0.Add(time.Minute), time.Minute)))
		last, err := s.LastSeq(ctx)
		require.NoError(t, err)
		assert.Equal(t, seq, last, "no change")
		page, err := s.Nodes(ctx, NodeFilter{Limit: 1000})
		require.NoError(t, err)
		require.Len(t, page.Nodes, rowsPerInsert+44)
		for _, n := range page.Nodes {
			assert.Equal(t, []string{"a", "b"}, n.DataSources, n.ID)
			assert.Equal(t, "b", n.DataSourceID, n.ID)
			assert.Equal(t, int64(60), n.ReportInterval, n.ID)
			assert.Equal(t, t0, n.FirstSeen, n.ID)
			assert.Equal(t, t0.Add(time.Minute), n.LastSeen, n.ID)
		}
		// An older report does not move last seen back.
		require.NoError(t, s.Apply(ctx, states("b", t0, time.Minute)))
		n, err := s.Node(ctx, "", "n000")
		require.NoError(t, err)
		assert.Equal(t, t0.Add(time.Minute), n.LastSeen)
	})
}
