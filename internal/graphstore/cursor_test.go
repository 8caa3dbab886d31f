package graphstore

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCursorAndPublishedStates(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		_, ok, err := s.Cursor(ctx, "events")
		require.NoError(t, err)
		assert.False(t, ok, "no cursor before the first SetCursor")

		require.NoError(t, s.SetCursor(ctx, "events", 7, []PublishedState{
			{ScopeID: "s1", ID: "a", Hash: "h1", Data: `{"v":1}`},
			{ScopeID: "s1", ID: "b", Hash: "h2", Data: `{"v":2}`},
		}))
		require.NoError(t, s.SetCursor(ctx, "other", 3, nil))
		require.NoError(t, s.SetCursor(ctx, "events", 9, []PublishedState{
			{ScopeID: "s1", ID: "a", Hash: "h3", Data: `{"v":3}`},
			{ScopeID: "s1", ID: "b", Deleted: true},
		}))
		seq, ok, err := s.Cursor(ctx, "events")
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, int64(9), seq)
		seq, _, err = s.Cursor(ctx, "other")
		require.NoError(t, err)
		assert.Equal(t, int64(3), seq, "cursors are per publisher")

		got, err := s.PublishedStates(ctx, "events", []PublishedState{{ScopeID: "s1", ID: "a"}, {ScopeID: "s1", ID: "b"}, {ScopeID: "s2", ID: "a"}})
		require.NoError(t, err)
		assert.Equal(t, map[[2]string]PublishedState{{"s1", "a"}: {ScopeID: "s1", ID: "a", Hash: "h3", Data: `{"v":3}`}}, got)

		require.NoError(t, s.ResetCursor(ctx, "events"))
		_, ok, err = s.Cursor(ctx, "events")
		require.NoError(t, err)
		assert.False(t, ok)
		got, err = s.PublishedStates(ctx, "events", []PublishedState{{ScopeID: "s1", ID: "a"}})
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

func TestOldestSeqAfterPruning(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := b.open(t, Options{MaxChanges: 3})
			oldest, err := s.OldestSeq(ctx)
			require.NoError(t, err)
			assert.Zero(t, oldest, "empty feed")
			for i := range 6 {
				require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{node("n", "t", "n", t0.Add(time.Duration(i)*time.Minute),
					map[string]any{"i": i})}}))
			}
			first, err := s.ChangesSince(ctx, 0, 1)
			require.NoError(t, err)
			last, err := s.LastSeq(ctx)
			require.NoError(t, err)
			require.NoError(t, s.Maintain(ctx, time.Now()))
			oldest, err = s.OldestSeq(ctx)
			require.NoError(t, err)
			assert.Equal(t, last-2, oldest, "three changes kept")
			assert.Greater(t, oldest, first[0].Seq+1, "a reader at the first change has a gap")
		})
	}
}

func TestFullCrawlAppendsAResyncMarker(t *testing.T) {
	each(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t1 := crawlDroppingB(t, s)
		cs, err := s.ChangesSince(ctx, 0, 10)
		require.NoError(t, err)
		assert.Equal(t, []string{"created node a", "created node b", "deleted node b", "resync partition "}, changeOps(cs))
		m := cs[len(cs)-1]
		assert.Equal(t, "ds1", m.DataSourceID)
		assert.Equal(t, "shop.kubernetes.namespace", m.Partition)
		assert.Equal(t, t1, m.At)
		d, err := s.Diff(ctx, t0.Add(-time.Minute), t1, 0)
		require.NoError(t, err)
		assert.Len(t, d.Created, 1, "a resync marker is no element of a diff")
		assert.Empty(t, d.Updated)
	})
}

// crawlDroppingB stores a and b, then a full crawl at t1 that reports only
// a; it returns t1.
func crawlDroppingB(t *testing.T, s *Store) time.Time {
	ctx := context.Background()
	require.NoError(t, s.Apply(ctx, Batch{Nodes: []NodeState{node("a", "t", "a", t0, nil), node("b", "t", "b", t0, nil)}}))
	t1 := t0.Add(time.Minute)
	require.NoError(t, s.Apply(ctx, Batch{
		Nodes:      []NodeState{node("a", "t", "a", t1, nil)},
		FullCrawls: []FullCrawl{{DataSourceID: "ds1", Partition: "shop.kubernetes.namespace", Since: t1, At: t1}},
	}))
	return t1
}
