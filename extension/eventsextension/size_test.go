package eventsextension

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// TestMessageSizeLimit: with full states, 300 events of ~1 KiB go to a
// broker that takes at most 16 KiB per batch (so they are split over many
// batches), and the one event whose states alone exceed the limit is sent
// without them, marked states_omitted; nothing is refused or lost.
func TestMessageSizeLimit(t *testing.T) {
	const limit = 16 << 10
	c := newCluster(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": fmt.Sprint(limit)}))
	g, h := startGraph(t, t.TempDir(), nil)
	base := lastSeq(t, g)
	r := startPublisher(t, h, c, func(cfg *Config) {
		cfg.MaxMessageBytes = limit
		cfg.IncludeState = true
		cfg.Compression = "none"
	})
	b := graphstore.Batch{}
	for i := range 301 {
		st := pod(i, 0)
		pad := 1000
		if i == 300 {
			pad = 3 * limit
		}
		st.Data = []byte(fmt.Sprintf(`{"name":"p%05d","pad":%q}`, i, strings.Repeat("x", pad)))
		b.Nodes = append(b.Nodes, st)
	}
	require.NoError(t, g.Write(context.Background(), b))
	last := lastSeq(t, g)
	r.waitCursor(t, last)

	msgs := consume(t, c, int(last))
	total := 0
	omitted := map[string]bool{}
	for _, m := range msgs {
		if m.ev.Snapshot {
			continue
		}
		total += len(m.value)
		assert.Less(t, len(m.value), limit, m.key)
		omitted[m.key] = m.ev.StatesOmitted
		if !m.ev.StatesOmitted {
			var after graphstore.Node
			require.NoError(t, json.Unmarshal(m.ev.After, &after), m.key)
			assert.Equal(t, m.ev.AfterHash, after.Hash, m.key)
			assert.Contains(t, string(after.Data), `"pad":"xxx`, m.key)
		}
	}
	requireAll(t, seqs(msgs), base, last)
	assert.Greater(t, total, 10*limit, "the events needed many batches")
	assert.True(t, omitted["s1-shop-kubernetes.pod-p00300"], "the oversized event goes without its states")
	delete(omitted, "s1-shop-kubernetes.pod-p00300")
	assert.Len(t, omitted, 300)
	for k, o := range omitted {
		assert.False(t, o, k)
	}
}
