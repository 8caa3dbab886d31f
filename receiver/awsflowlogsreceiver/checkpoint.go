package awsflowlogsreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// settleTime is how far before the newest LastModified seen the horizon
// stays: an object S3 lists late (eventual listing, a slow delivery) is
// still at or after the horizon and therefore still read.
const settleTime = 15 * time.Minute

const checkpointKey = "checkpoint"

// checkpoint says which objects were read and emitted. Every object last
// modified before Horizon was read; Done lists the ones read at or after
// it. Done is pruned as the horizon moves, so it stays the size of a few
// intervals' worth of objects.
type checkpoint struct {
	Horizon time.Time            `json:"horizon"`
	Done    map[string]time.Time `json:"done"`
}

func newCheckpoint() *checkpoint { return &checkpoint{Done: map[string]time.Time{}} }

// pending returns the listed objects still to read, in list (key) order.
func (c *checkpoint) pending(objs []object) []object {
	var out []object
	for _, o := range objs {
		if o.LastModified.Before(c.Horizon) {
			continue
		}
		if _, done := c.Done[o.Key]; done {
			continue
		}
		out = append(out, o)
	}
	return out
}

func (c *checkpoint) markDone(o object) { c.Done[o.Key] = o.LastModified }

// raise moves the horizon to t when t is later (max_age, start_from), and
// forgets what lies before it.
func (c *checkpoint) raise(t time.Time) {
	if !t.After(c.Horizon) {
		return
	}
	c.Horizon = t
	for k, d := range c.Done {
		if d.Before(t) {
			delete(c.Done, k)
		}
	}
}

// advance moves the horizon to settleTime before the newest object of a
// listing whose objects were all read, and forgets what lies before it.
func (c *checkpoint) advance(objs []object) {
	var newest time.Time
	for _, o := range objs {
		if o.LastModified.After(newest) {
			newest = o.LastModified
		}
	}
	if newest.IsZero() {
		return
	}
	c.raise(newest.Add(-settleTime))
}

// checkpointStore keeps the checkpoint in a storage extension, or only in
// memory when no storage is configured (client nil).
type checkpointStore struct {
	client storage.Client
}

func (s checkpointStore) load(ctx context.Context) (*checkpoint, error) {
	c := newCheckpoint()
	if s.client == nil {
		return c, nil
	}
	b, err := s.client.Get(ctx, checkpointKey)
	if err != nil {
		return nil, fmt.Errorf("storage: load checkpoint: %w", err)
	}
	if b == nil {
		return c, nil
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("storage: checkpoint is not valid: %w", err)
	}
	if c.Done == nil {
		c.Done = map[string]time.Time{}
	}
	return c, nil
}

func (s checkpointStore) save(ctx context.Context, c *checkpoint) error {
	if s.client == nil {
		return nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("storage: encode checkpoint: %w", err)
	}
	if err := s.client.Set(ctx, checkpointKey, b); err != nil {
		return fmt.Errorf("storage: save checkpoint: %w", err)
	}
	return nil
}

func (s checkpointStore) close(ctx context.Context) error {
	if s.client == nil {
		return nil
	}
	return s.client.Close(ctx)
}
