// Package crawl runs a polling receiver's crawl loop: the first crawl at
// once, then one every interval; after a failure the next attempt comes
// sooner, with exponential backoff from one second up to the interval, so a
// source that comes back is seen quickly without hammering one that stays
// down. A partial failure (PartialError) waits the whole interval.
package crawl

import (
	"context"
	"time"
)

// DefaultInitialBackoff is the wait after the first failure.
const DefaultInitialBackoff = time.Second

// Loop is the schedule of one receiver's crawls.
type Loop struct {
	// Interval between two successful crawls (collection_interval).
	Interval time.Duration
	// Timeout bounds one crawl; 0 means Interval.
	Timeout time.Duration
	// InitialBackoff is the wait after the first failure in a row; it
	// doubles with each further failure, up to Interval. 0 means
	// DefaultInitialBackoff.
	InitialBackoff time.Duration

	// after is time.After; tests replace it.
	after func(time.Duration) <-chan time.Time
}

// Run crawls until ctx ends, handing each outcome to report (nil on
// success). It returns when ctx is done; a crawl cut short by ctx is not
// reported.
func (l Loop) Run(ctx context.Context, crawl func(context.Context) error, report func(error)) {
	after := l.after
	if after == nil {
		after = time.After
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = l.Interval
	}
	backoff := l.InitialBackoff
	if backoff <= 0 {
		backoff = DefaultInitialBackoff
	}
	failures := 0
	for {
		runCtx, cancel := context.WithTimeout(ctx, timeout)
		err := crawl(runCtx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		report(err)
		wait := l.Interval
		if err != nil && !IsPartial(err) {
			wait = min(backoff<<min(failures, 30), l.Interval)
			failures++
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-after(wait):
		}
	}
}
