package eventsextension

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// BenchmarkPublish measures changes published per second: 50,000 changes
// (5,000 entities, 10 versions) already in the feed are published by a
// new publisher (its own cursor) to an in-process Kafka, until the cursor
// passed the last one (every record acknowledged). changes/s is wall
// time (the machine's load shows in it); cpu-us/change is the process's
// CPU time (publisher, franz-go and the in-process broker together) per
// change, what the machine's load does not change.
func BenchmarkPublish(b *testing.B) {
	for _, bc := range []struct {
		name, enc string
		opts      []kfake.Opt
	}{
		{"json", EncodingJSON, nil},
		{"otlp_proto", EncodingOTLPProto, nil},
		// The broker acknowledges without storing: the publisher's side.
		{"json_blackhole", EncodingJSON, []kfake.Opt{kfake.BlackholeProduce()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := newCluster(b, append([]kfake.Opt{kfake.SeedTopics(8, "bench")}, bc.opts...)...)
			g, h := startGraph(b, b.TempDir(), nil)
			first := lastSeq(b, g)
			last := writeVersions(b, g, 5000, 0, 10)
			n := last - first
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := range b.N {
				r := startPublisherNamed(b, h, c, fmt.Sprintf("%s-%d", bc.name, i), func(cfg *Config) {
					cfg.Topic = "bench"
					cfg.Encoding = bc.enc
					cfg.InitialSnapshot = false
				})
				r.waitCursor(b, last)
				r.stop(b)
			}
			b.StopTimer()
			total := float64(n) * float64(b.N)
			b.ReportMetric(total/time.Since(start).Seconds(), "changes/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/total, "cpu-us/change")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
