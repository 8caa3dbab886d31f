package crawl

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestSchedule drives the loop with a fake timer and checks the waits:
// interval after success, doubling backoff capped at the interval after
// failures, reset on success.
func TestSchedule(t *testing.T) {
	outcomes := []error{nil, errors.New("down"), errors.New("down"), errors.New("down"), errors.New("down"),
		errors.New("down"), errors.New("down"), nil, errors.New("down")}
	waits, reported := schedule(outcomes)
	assert.Equal(t, []time.Duration{
		10 * time.Second,                                                   // after success
		1 * time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, // backoff
		10 * time.Second, 10 * time.Second, // capped at the interval
		10 * time.Second, // success resets
	}, waits)
	assert.Len(t, reported, len(outcomes)-1, "the crawl cut short by cancel is not reported")
}

// schedule runs a loop over outcomes with a fake timer and returns the
// waits between crawls and what was reported.
func schedule(outcomes []error) (waits []time.Duration, reported []error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	l := Loop{Interval: 10 * time.Second, after: func(d time.Duration) <-chan time.Time {
		waits = append(waits, d)
		ch := make(chan time.Time, 1)
		ch <- time.Time{}
		return ch
	}}
	l.Run(ctx, func(context.Context) error {
		err := outcomes[calls]
		calls++
		if calls == len(outcomes) {
			cancel()
		}
		return err
	}, func(err error) { reported = append(reported, err) })
	return waits, reported
}

func TestTimeoutBoundsOneCrawl(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var deadline time.Duration
	l := Loop{Interval: time.Hour, Timeout: 50 * time.Millisecond}
	l.Run(ctx, func(c context.Context) error {
		d, ok := c.Deadline()
		assert.True(t, ok)
		deadline = time.Until(d)
		cancel()
		return nil
	}, func(error) {})
	assert.LessOrEqual(t, deadline, 50*time.Millisecond)
}

func TestStopsWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Loop{Interval: time.Hour}.Run(ctx, func(context.Context) error { return nil }, func(error) {})
		close(done)
	}()
	cancel()
	<-done
}
