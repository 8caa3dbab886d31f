package crawl

import (
	"context"
	"sync"
)

// Background is the one goroutine a receiver runs between Start and
// Shutdown.
type Background struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// Go starts run with a context that Stop cancels.
func (b *Background) Go(run func(context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		run(ctx)
	}()
}

// Stop cancels the goroutine and waits for it to return. It reports whether
// one was running: false without Go (Shutdown without Start) or after an
// earlier Stop.
func (b *Background) Stop() bool {
	if b.cancel == nil {
		return false
	}
	b.cancel()
	b.wg.Wait()
	b.cancel = nil
	return true
}
