package eventsextension

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOrderPerKey: 10,000 changes (500 entities, 20 versions each) arrive
// once each, keyed by internal ID, in order per key.
func TestOrderPerKey(t *testing.T) {
	c := newCluster(t)
	g, h := startGraph(t, t.TempDir(), nil)
	base := lastSeq(t, g) // the collector's own entity: one snapshot event
	r := startPublisher(t, h, c, func(cfg *Config) { cfg.BatchSize = 700 })
	last := writeVersions(t, g, 500, 0, 20)
	require.Equal(t, base+10_000, last)
	r.waitCursor(t, last)

	msgs := consume(t, c, 10_000+int(base))
	seen := map[int64]bool{}
	perKey := map[string][]message{}
	for _, m := range msgs {
		if m.ev.Snapshot {
			continue
		}
		require.False(t, seen[m.ev.Seq], "seq %d twice", m.ev.Seq)
		seen[m.ev.Seq] = true
		assert.Equal(t, m.ev.ID, m.key)
		assert.Equal(t, m.ev.Type, m.headers[HeaderType])
		assert.Equal(t, "s1", m.headers[HeaderScope])
		assert.Equal(t, "k8s", m.headers[HeaderDataSource])
		perKey[m.key] = append(perKey[m.key], m)
	}
	require.Len(t, perKey, 500)
	for key, ms := range perKey {
		require.Len(t, ms, 20, key)
		assert.Equal(t, EntityCreated, ms[0].ev.Type, key)
		for i := 1; i < len(ms); i++ {
			assert.Greater(t, ms[i].ev.Seq, ms[i-1].ev.Seq, "%s out of order", key)
			assert.Equal(t, EntityUpdated, ms[i].ev.Type, key)
			assert.Equal(t, ms[i-1].ev.AfterHash, ms[i].ev.BeforeHash, key)
			assert.Equal(t, []string{"data.version"}, ms[i].ev.ChangedFields, key)
		}
	}
}
