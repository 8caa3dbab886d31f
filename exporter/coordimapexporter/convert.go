package coordimapexporter

import (
	"net/netip"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// partition is the elements of one data source that travel under one
// crawl_internal_id, each element once.
type partition struct {
	source entity.Source
	name   string
	elems  []*element
	index  map[string]int
}

func (p *partition) add(e *element) {
	if i, ok := p.index[e.id]; ok {
		p.elems[i] = e // a later state of the same element wins
		return
	}
	p.index[e.id] = len(p.elems)
	p.elems = append(p.elems, e)
}

type partitionKey struct{ dataSourceID, name string }

// conversion groups the entity records of one push into partitions.
type conversion struct {
	order      []partitionKey
	partitions map[partitionKey]*partition
	// deleted lists, per data source, the internal IDs of entity.delete
	// records, so incremental state forgets them.
	deleted map[string][]string
	// skipped counts records that cannot become elements.
	skipped int
	arena   arena
}

// convert turns entity records into Coordimap elements. Records without a
// data source ID, records that are not entity events and relationships to
// unresolved addresses are skipped: the API has no place for them.
func convert(ld plog.Logs) *conversion {
	c := &conversion{partitions: map[partitionKey]*partition{}, deleted: map[string][]string{}}
	for _, rl := range ld.ResourceLogs().All() {
		src := entity.ReadSource(rl.Resource())
		if src.DataSourceID == "" {
			for _, sl := range rl.ScopeLogs().All() {
				c.skipped += sl.LogRecords().Len()
			}
			continue
		}
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				switch rec.Kind() {
				case entity.KindState:
					c.addState(src, rec)
				case entity.KindDelete:
					c.deleted[src.DataSourceID] = append(c.deleted[src.DataSourceID], rec.InternalID())
				case entity.KindObservation:
					c.addObservation(src, rec)
				default:
					c.skipped++
				}
			}
		}
	}
	return c
}

func (c *conversion) partition(src entity.Source, name string) *partition {
	if name == "" {
		name = src.DataSourceID
	}
	key := partitionKey{src.DataSourceID, name}
	p, ok := c.partitions[key]
	if !ok {
		p = &partition{source: src, name: name, index: map[string]int{}}
		c.partitions[key] = p
		c.order = append(c.order, key)
	}
	return p
}

func (c *conversion) addState(src entity.Source, rec entity.Record) {
	id, typ := rec.InternalID(), rec.Type()
	if id == "" || typ == "" {
		c.skipped++
		return
	}
	data := c.arena.finish(rec.AppendBodyJSON(c.arena.start()))
	ts := rec.Time()
	p := c.partition(src, rec.Partition())
	p.add(newElement(ts, typ, id, rec.Name(), rec.Status(), rec.Version(), data))
	for _, l := range rec.Links() {
		if l.Target.InternalID == "" {
			continue // left unresolved by the processor
		}
		from, to, side := l.Ends(id)
		p.add(newRelationship(&c.arena, ts, from, to, l.Type, side))
	}
}

func (c *conversion) addObservation(src entity.Source, rec entity.Record) {
	o := rec.Observation()
	if o.SourceID == "" || o.DestinationID == "" || isAddress(o.SourceID) || isAddress(o.DestinationID) {
		c.skipped++
		return
	}
	kind := o.Type
	if _, ok := relationCodes[kind]; !ok {
		kind = entity.RelGenericFlow
	}
	ts := o.LastSeen
	if ts.IsZero() {
		ts = rec.Time()
	}
	c.partition(src, o.Partition).add(newRelationship(&c.arena, ts, o.SourceID, o.DestinationID, kind, o.External))
}

// isAddress reports whether an endpoint is a bare ip or ip:port, not an
// internal ID.
func isAddress(s string) bool {
	if _, err := netip.ParseAddr(s); err == nil {
		return true
	}
	_, err := netip.ParseAddrPort(s)
	return err == nil
}
