package crawltest

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// BenchCrawl times crawl in b's loop and reports the peak live heap seen
// during the crawls as peak-heap-MB. The caller crawls once before, so
// that connecting and discovering the server stay outside the timing.
func BenchCrawl(b *testing.B, crawl func(context.Context) error) {
	b.Helper()
	ctx := context.Background()
	stop := watchHeap()
	for b.Loop() {
		if err := crawl(ctx); err != nil {
			stop()
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
}

// watchHeap samples the live heap every millisecond; the returned func
// stops sampling and gives the peak in bytes.
func watchHeap() func() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}
