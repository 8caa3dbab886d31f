package coordimapexporter

import (
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// benchLogs is n PostgreSQL tables of ten columns each, every one with an
// incoming schema edge and a foreign key: a realistic crawl record.
func benchLogs(b *testing.B, n int) plog.Logs {
	batch := entity.NewBatch(entity.Source{ScopeID: "7710", DataSourceType: "postgres", DataSourceID: "pg"})
	schema := internalid.PostgresSchema("7710", "app", "public")
	for i := range n {
		id := internalid.Postgres("7710", "app", "public", fmt.Sprintf("table_%05d", i))
		cols := make([]any, 10)
		for c := range cols {
			cols[c] = map[string]any{"name": fmt.Sprintf("col_%d", c), "type": "integer", "position": int64(c + 1), "table": id}
		}
		err := batch.AddState(time.Unix(1700000000, 0), entity.Entity{
			Ref: entity.Ref{Type: "postgres.table", InternalID: id}, Name: fmt.Sprintf("table_%05d", i), Partition: "app-public",
			Body: map[string]any{"name": fmt.Sprintf("table_%05d", i), "schema": "public", "columns": cols, "indexes": []any{"pk"}},
			Links: []entity.Link{
				{Type: entity.RelER, Direction: entity.Incoming, Target: entity.Ref{InternalID: schema}},
				{Type: entity.RelER, Target: entity.Ref{InternalID: internalid.Postgres("7710", "app", "public", "parent")}},
			},
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return batch.Logs()
}

// BenchmarkConvert measures entity records → hashed Coordimap elements →
// request bodies, the exporter's hot path. Each record gives 3 elements.
func BenchmarkConvert(b *testing.B) {
	const n = 10000
	ld := benchLogs(b, n)
	b.ReportAllocs()
	var elems int
	for b.Loop() {
		conv := convert(ld)
		elems = 0
		for _, k := range conv.order {
			p := conv.partitions[k]
			elems += len(p.elems)
			_ = encodeRequests(newEnvelope(p.source, p.name, time.Now()), p.elems, defaultMaxRequestBytes)
		}
	}
	b.ReportMetric(float64(elems)*float64(b.N)/b.Elapsed().Seconds(), "elements/s")
}

// BenchmarkGraphApply measures merging a crawl into the local graph.
func BenchmarkGraphApply(b *testing.B) {
	ld := benchLogs(b, 10000)
	g := newGraphStore(b.TempDir()+"/g.json", time.Hour)
	b.ReportAllocs()
	for b.Loop() {
		g.apply(ld)
	}
	b.ReportMetric(10000*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
