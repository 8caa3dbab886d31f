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
