package entity

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Key identifies an emitted entity: its element type and internal ID.
type Key struct{ Type, InternalID string }

// Set is the entities one crawl emitted, so the next crawl can tell which
// disappeared.
type Set map[Key]struct{}

// Add puts r in the set.
func (s Set) Add(r Ref) { s[Key{r.Type, r.InternalID}] = struct{}{} }

// SetOf is the set of ents' references.
func SetOf(ents []Entity) Set {
	s := make(Set, len(ents))
	for _, e := range ents {
		s.Add(e.Ref)
	}
	return s
}

// AddDeletes appends an entity.delete for every entity of prev that cur
// lacks, in a stable order (by internal ID, then type), and returns how
// many. A nil cur deletes all of prev.
func (b *Batch) AddDeletes(ts time.Time, prev, cur Set) int {
	var gone []Key
	for k := range prev {
		if _, ok := cur[k]; !ok {
			gone = append(gone, k)
		}
	}
	slices.SortFunc(gone, func(a, b Key) int {
		return cmp.Or(strings.Compare(a.InternalID, b.InternalID), strings.Compare(a.Type, b.Type))
	})
	for _, k := range gone {
		b.AddDelete(ts, Ref{Type: k.Type, InternalID: k.InternalID})
	}
	return len(gone)
}
