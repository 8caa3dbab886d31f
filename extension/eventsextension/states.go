package eventsextension

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// states gives one batch's events their full before/after entity states
// (include_state): "after" is the entity as the store holds it when its
// hash is the change's, "before" what this publisher last published of
// it.
type states struct {
	last    map[[2]string]graphstore.PublishedState
	changed []graphstore.PublishedState
}

func (p *publisher) loadStates(ctx context.Context, changes []graphstore.Change) (*states, error) {
	var keys []graphstore.PublishedState
	for i := range changes {
		if c := &changes[i]; c.Kind == graphstore.KindNode {
			keys = append(keys, graphstore.PublishedState{ScopeID: c.ScopeID, ID: c.ID})
		}
	}
	last, err := p.store.PublishedStates(ctx, p.name, keys)
	if err != nil {
		return nil, err
	}
	return &states{last: last}, nil
}

func (s *states) fill(ctx context.Context, store *graphstore.Store, ev *event, c *graphstore.Change) error {
	k := [2]string{c.ScopeID, c.ID}
	if prev, ok := s.last[k]; ok && c.Op != graphstore.OpCreated && prev.Hash == c.BeforeHash {
		ev.Before = json.RawMessage(prev.Data)
	}
	if c.Op == graphstore.OpDeleted {
		s.put(k, graphstore.PublishedState{ScopeID: c.ScopeID, ID: c.ID, Deleted: true})
		return nil
	}
	n, err := store.Node(ctx, c.ScopeID, c.ID)
	if graphstore.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if n.Hash != c.AfterHash || n.DeletedAt != nil {
		// A later change superseded this one: its state is not known any
		// more (the later change's event carries it).
		s.put(k, graphstore.PublishedState{ScopeID: c.ScopeID, ID: c.ID, Deleted: true})
		return nil
	}
	raw, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("state of %s: %w", c.ID, err)
	}
	ev.After = raw
	s.put(k, graphstore.PublishedState{ScopeID: c.ScopeID, ID: c.ID, Hash: n.Hash, Data: string(raw)})
	return nil
}

func (s *states) put(k [2]string, st graphstore.PublishedState) {
	s.last[k] = st
	s.changed = append(s.changed, st)
}
