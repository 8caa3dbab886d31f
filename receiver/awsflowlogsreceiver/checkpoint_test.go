package awsflowlogsreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCheckpoint(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	obj := func(key string, minutes int) object {
		return object{Key: key, LastModified: t0.Add(time.Duration(minutes) * time.Minute)}
	}
	c := newCheckpoint()
	listing := []object{obj("a", 0), obj("b", 10), obj("c", 30)}
	assert.Equal(t, listing, c.pending(listing), "a new checkpoint reads everything")

	for _, o := range listing {
		c.markDone(o)
	}
	c.advance(listing)
	assert.Equal(t, t0.Add(15*time.Minute), c.Horizon, "settleTime before the newest")
	assert.Equal(t, map[string]time.Time{"c": t0.Add(30 * time.Minute)}, c.Done, "what lies before the horizon is forgotten")

	// A late object modified after the horizon is still read; one before
	// it was read already.
	next := []object{obj("a", 0), obj("b", 10), obj("late", 20), obj("c", 30), obj("d", 31)}
	assert.Equal(t, []object{obj("late", 20), obj("d", 31)}, c.pending(next))

	// The horizon never moves back.
	c.advance([]object{obj("a", 0)})
	assert.Equal(t, t0.Add(15*time.Minute), c.Horizon)
	c.advance(nil)
	assert.Equal(t, t0.Add(15*time.Minute), c.Horizon)
}

func TestOldest(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	cfg := createDefaultConfig().(*Config)
	assert.Equal(t, now.Add(-24*time.Hour), cfg.oldest(now), "max_age defaults to 24h")
	cfg.MaxAge = 0
	assert.True(t, cfg.oldest(now).IsZero(), "max_age 0: any age")
	cfg.StartFrom = "2026-01-02T03:04:05Z"
	assert.Equal(t, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), cfg.oldest(now), "start_from replaces max_age")

	c := newCheckpoint()
	c.markDone(object{Key: "a", LastModified: now.Add(-2 * time.Hour)})
	c.markDone(object{Key: "b", LastModified: now})
	c.raise(now.Add(-time.Hour))
	assert.Equal(t, now.Add(-time.Hour), c.Horizon)
	assert.Equal(t, map[string]time.Time{"b": now}, c.Done)
	c.raise(now.Add(-3 * time.Hour))
	assert.Equal(t, now.Add(-time.Hour), c.Horizon, "the horizon never moves back")
}
