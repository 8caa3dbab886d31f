package graphstore

import (
	"context"
	"fmt"
	"time"
)

// NodesByID returns the nodes alive at asOf (now when zero) that hold
// these IDs, keyed by ID; an ID held in several scopes maps to the one
// seen last. IDs no live node holds are absent from the map. Data is left
// out, as in lists.
func (s *Store) NodesByID(ctx context.Context, ids []string, asOf time.Time) (map[string]*Node, error) {
	nodes, err := s.nodesByID(ctx, ids, asOf)
	if err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	return nodes, nil
}
