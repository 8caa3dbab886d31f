package crawl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// The cycle: a partition's deletes are what it had and no longer has; a
// refused batch leaves them to be sent again; a gone partition deletes
// everything it had.
func TestPartitionsEmitCycle(t *testing.T) {
	now := time.Unix(1700000000, 0)
	src := entity.Source{ScopeID: "s", DataSourceType: "fake", DataSourceID: "fake"}
	sink := new(consumertest.LogsSink)
	ps := &Partitions{Kind: "database", Source: "Fake", Next: sink, Logger: zap.NewNop()}
	ref := func(name string) entity.Ref { return entity.Ref{Type: "fake.table", InternalID: "s/app@" + name} }
	part := func(names ...string) Partition {
		keys := entity.Set{}
		for _, n := range names {
			keys.Add(ref(n))
		}
		return Partition{Name: "app", Keys: keys, Entities: func(yield func(entity.Entity) error) error {
			for _, n := range names {
				if err := yield(entity.Entity{Ref: ref(n), Name: n}); err != nil {
					return err
				}
			}
			return nil
		}}
	}
	states, deletes, err := ps.Emit(context.Background(), src, now, part("a", "b"))
	require.NoError(t, err)
	assert.Equal(t, [2]int{2, 0}, [2]int{states, deletes})

	// b goes, but the consumer refuses: the next accepted batch deletes it.
	ps.Next = consumertest.NewErr(errors.New("queue full"))
	_, _, err = ps.Emit(context.Background(), src, now, part("a"))
	require.ErrorContains(t, err, `database "app": next consumer: queue full`)
	ps.Next = sink
	states, deletes, err = ps.Emit(context.Background(), src, now, part("a"))
	require.NoError(t, err)
	assert.Equal(t, [2]int{1, 1}, [2]int{states, deletes})
	assert.Equal(t, []string{"app"}, ps.Names())

	sink.Reset()
	assert.Empty(t, ps.GoneExcept(context.Background(), src, now, []string{"app"}))
	assert.Zero(t, sink.LogRecordCount(), "app is still crawled")
	assert.Empty(t, ps.GoneExcept(context.Background(), src, now, nil))
	assert.Equal(t, 1, sink.LogRecordCount(), "a deleted")
	assert.Empty(t, ps.Names())
}
