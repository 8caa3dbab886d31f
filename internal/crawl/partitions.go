package crawl

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/collector/consumer"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// Partitions is the emit cycle of a receiver that crawls a source in
// partitions (the databases of a server, the schemas of MariaDB): one batch
// per partition and crawl, holding the deletes of what the partition had at
// its last emit and no longer has, then its states, then its clients; and
// the deletes of everything a partition had once it is no longer crawled.
// What a partition emitted is remembered only once the next consumer took
// the batch, so refused deletes are sent again. Only the crawl loop uses it.
type Partitions struct {
	// Kind names a partition in errors and logs ("database", "schema").
	Kind string
	// Source says whose partitions they are in logs ("PostgreSQL").
	Source string
	Next   consumer.Logs
	Logger *zap.Logger

	// seen holds, per partition, what its last accepted batch emitted.
	seen map[string]entity.Set
}

// Partition is what one crawl found in one partition.
type Partition struct {
	Name string
	// Keys is every entity found, for the deletes of the next crawl.
	Keys entity.Set
	// Entities streams the states, so that each entity's maps are garbage
	// as soon as they are in the batch.
	Entities func(yield func(entity.Entity) error) error
	// Observations are the partition's clients.
	Observations []entity.Observation
}

// Emit sends p's batch for source and returns how many states and deletes
// it held. Deletes go first, so that an object that changed type (a view
// replaced by a table of the same name) ends with its new state.
func (ps *Partitions) Emit(ctx context.Context, source entity.Source, now time.Time, p Partition) (states, deletes int, err error) {
	batch := entity.NewBatch(source)
	deletes = batch.AddDeletes(now, ps.seen[p.Name], p.Keys)
	if err := p.Entities(func(e entity.Entity) error {
		states++
		if err := batch.AddState(now, e); err != nil {
			return fmt.Errorf("%s %q: %s %q: %w", ps.Kind, p.Name, e.Type, e.InternalID, err)
		}
		return nil
	}); err != nil {
		return 0, 0, err
	}
	for _, o := range p.Observations {
		if err := batch.AddObservation(now, o); err != nil {
			return 0, 0, fmt.Errorf("%s %q: client %s: %w", ps.Kind, p.Name, o.SourceID, err)
		}
	}
	if err := ps.Next.ConsumeLogs(ctx, batch.Logs()); err != nil {
		// Keep the previous set so the deletes are sent again next time.
		return 0, 0, fmt.Errorf("%s %q: next consumer: %w", ps.Kind, p.Name, err)
	}
	if ps.seen == nil {
		ps.seen = map[string]entity.Set{}
	}
	ps.seen[p.Name] = p.Keys
	return states, deletes, nil
}

// Gone deletes everything partition name emitted and forgets it: it is no
// longer crawled (dropped, or no longer allowed).
func (ps *Partitions) Gone(ctx context.Context, source entity.Source, now time.Time, name string) error {
	batch := entity.NewBatch(source)
	batch.AddDeletes(now, ps.seen[name], nil)
	if batch.Len() > 0 {
		if err := ps.Next.ConsumeLogs(ctx, batch.Logs()); err != nil {
			return fmt.Errorf("%s %q (gone): next consumer: %w", ps.Kind, name, err)
		}
	}
	ps.Logger.Info(ps.Source+" "+ps.Kind+" no longer crawled", zap.String(ps.Kind, name))
	delete(ps.seen, name)
	return nil
}

// GoneExcept deletes, with Gone, every partition emitted before that is not
// in current, in name order.
func (ps *Partitions) GoneExcept(ctx context.Context, source entity.Source, now time.Time, current []string) []error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(ps.seen)) {
		if !slices.Contains(current, name) {
			if err := ps.Gone(ctx, source, now, name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errs
}

// Seen is what partition name's last accepted batch emitted.
func (ps *Partitions) Seen(name string) entity.Set { return ps.seen[name] }

// Names are the partitions emitted and not gone, in name order.
func (ps *Partitions) Names() []string { return slices.Sorted(maps.Keys(ps.seen)) }
