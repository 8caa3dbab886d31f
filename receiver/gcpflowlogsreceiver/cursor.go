package gcpflowlogsreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

const cursorKey = "cursor"

// cursor is where the next window starts: every entry timestamped before
// At was emitted, and of those at At, the ones whose insert IDs are in
// Seen. Windows run from At to their end, both included, so none leaves a
// gap; Seen keeps the entries at the boundary from being counted twice.
type cursor struct {
	At   time.Time `json:"at"`
	Seen []string  `json:"seen,omitempty"`
}

// skip says whether an entry of the window was emitted before.
func (c *cursor) skip(ts time.Time, insertID string) bool {
	return ts.Before(c.At) || (ts.Equal(c.At) && slices.Contains(c.Seen, insertID))
}

// advance moves the cursor to a window's end once its entries are
// emitted: at is the end, seenAt the insert IDs of its entries timestamped
// exactly at the end.
func (c *cursor) advance(at time.Time, seenAt []string) {
	if at.Equal(c.At) {
		c.Seen = append(c.Seen, seenAt...)
		return
	}
	c.At, c.Seen = at, seenAt
}

// cursorStore keeps the cursor in a storage extension, or only in memory
// (client nil).
type cursorStore struct{ client storage.Client }

// load returns the stored cursor, or ok false without one.
func (s cursorStore) load(ctx context.Context) (c cursor, ok bool, err error) {
	if s.client == nil {
		return c, false, nil
	}
	b, err := s.client.Get(ctx, cursorKey)
	if err != nil {
		return c, false, fmt.Errorf("storage: load cursor: %w", err)
	}
	if b == nil {
		return c, false, nil
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, false, fmt.Errorf("storage: cursor is not valid: %w", err)
	}
	return c, true, nil
}

func (s cursorStore) save(ctx context.Context, c cursor) error {
	if s.client == nil {
		return nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("storage: encode cursor: %w", err)
	}
	if err := s.client.Set(ctx, cursorKey, b); err != nil {
		return fmt.Errorf("storage: save cursor: %w", err)
	}
	return nil
}

func (s cursorStore) close(ctx context.Context) error {
	if s.client == nil {
		return nil
	}
	return s.client.Close(ctx)
}
