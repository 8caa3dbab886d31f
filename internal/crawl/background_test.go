package crawl

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBackground(t *testing.T) {
	var b Background
	assert.False(t, b.Stop(), "Stop without Go")
	stopped := false
	b.Go(func(ctx context.Context) {
		<-ctx.Done()
		stopped = true
	})
	assert.True(t, b.Stop())
	assert.True(t, stopped, "Stop waits for the goroutine")
	assert.False(t, b.Stop(), "a second Stop")
}
