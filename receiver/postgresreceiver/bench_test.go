package postgresreceiver

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

const (
	benchDB      = "bench10k"
	benchTables  = 10_000
	benchFKs     = 5_000
	benchPerExec = 500
)

var (
	benchOnce sync.Once
	benchErr  error
)

// createBenchSchema fills database bench10k with 10,000 tables of 6 columns,
// 20,000 indexes (primary key and one secondary index each) and 5,000
// foreign keys, once per test binary. The script runs in transactions of
// 500 tables: one transaction for all of it would need more locks than the
// server's lock table holds (max_locks_per_transaction × max_connections).
func createBenchSchema(s *pgtest.Server) error {
	ctx := context.Background()
	if err := adminExec(ctx, s, "postgres", "CREATE DATABASE "+benchDB); err != nil {
		return err
	}
	if err := adminExec(ctx, s, benchDB, "CREATE SCHEMA bench"); err != nil {
		return err
	}
	// Referenced tables (i >= benchFKs) are created before the tables that
	// reference them.
	var sb strings.Builder
	for i := benchTables - 1; i >= 0; i-- {
		fk := ""
		if i < benchFKs {
			fk = fmt.Sprintf(" REFERENCES bench.t%05d (id)", i+benchFKs)
		}
		fmt.Fprintf(&sb, `CREATE TABLE bench.t%05d (
  id bigint PRIMARY KEY, ref_id bigint%s, name text NOT NULL, amount numeric(12, 2),
  created_at timestamptz NOT NULL DEFAULT now(), flags integer[]);
CREATE INDEX t%05d_name_idx ON bench.t%05d (name, created_at);
`, i, fk, i, i)
		if i%benchPerExec == 0 {
			if err := adminExec(ctx, s, benchDB, sb.String()); err != nil {
				return err
			}
			sb.Reset()
		}
	}
	return adminExec(ctx, s, benchDB, "ANALYZE")
}

// BenchmarkCrawl10kTables times one full crawl of a database with 10,000
// tables, 20,000 indexes and 5,000 foreign keys: the catalog queries, the
// entities and the pdata batch handed to the next consumer. It reports the
// peak live heap seen during the crawls.
func BenchmarkCrawl10kTables(b *testing.B) {
	s := testServer(b)
	benchOnce.Do(func() {
		start := time.Now()
		benchErr = createBenchSchema(s)
		b.Logf("generated %d tables in %s", benchTables, time.Since(start).Round(time.Millisecond))
	})
	require.NoError(b, benchErr)

	cfg := testConfig(s, benchDB)
	cfg.ScopeID = "bench"
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), consumertest.NewNop())
	connCfg, err := r.connConfig(context.Background())
	require.NoError(b, err)
	r.connCfg = connCfg
	defer r.closeClients()
	require.NoError(b, r.crawl(context.Background())) // connect and prepare outside the timing
	crawltest.BenchCrawl(b, r.crawl)
	b.ReportMetric(float64(len(r.parts.Seen(benchDB))), "entities/op")
}
