package metricrules

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// memEvaluator answers every rule with the same series, as a Prometheus
// answer decoded into samples would be.
type memEvaluator struct{ samples []Sample }

func (m memEvaluator) Evaluate(context.Context, *Resolved, time.Time) ([]Sample, error) {
	return m.samples, nil
}

// benchCycle evaluates 200 rules, each over the same `series` pod series of
// which 1% cross the threshold, and builds the trigger records.
func benchCycle(b *testing.B, series int) {
	samples := make([]Sample, series)
	for i := range samples {
		v := 0.0
		if i%100 == 0 {
			v = 5
		}
		samples[i] = Sample{Value: v, Labels: map[string]string{"namespace": fmt.Sprintf("ns-%d", i%50), "pod": fmt.Sprintf("pod-%d", i)}}
	}
	var rules []*Resolved
	for i := range 200 {
		rs, err := ResolveAll([]Rule{{ID: fmt.Sprintf("r%d", i), Provider: ProviderPrometheus, Mode: ModePredefined, DataSource: "k",
			Predefined: PredefinedConfig{Name: "kubernetes_pod_oom_events"}}})
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, &rs[0])
	}
	e := NewEngine(map[string]Evaluator{ProviderPrometheus: memEvaluator{samples}})
	ctx := &Context{ScopeID: "cluster-uid"}
	lookup := func(string) (*Context, DataSource, bool) { return ctx, DataSource{ID: "k", Type: "kubernetes"}, true }
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		out, failed, _ := e.Cycle(context.Background(), rules, at, lookup)
		if len(out) != 200 || len(failed) != 0 {
			b.Fatalf("%d triggers, %d failed", len(out), len(failed))
		}
		batch := entity.NewBatch(entity.Source{ScopeID: "cluster-uid", DataSourceID: "k", DataSourceType: "kubernetes"})
		for _, o := range out {
			if err := batch.AddState(at, o.Entity); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(200*series), "series/cycle")
}

func BenchmarkCycle200Rules50SeriesEach(b *testing.B)    { benchCycle(b, 50) }
func BenchmarkCycle200Rules10000SeriesEach(b *testing.B) { benchCycle(b, 10000) }
