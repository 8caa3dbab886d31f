package mariadbreceiver

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/mariadbtest"
)

const (
	benchSchema  = "bench5k"
	benchTables  = 5_000
	benchFKs     = 2_500
	benchPerExec = 250
)

var (
	benchOnce sync.Once
	benchErr  error
)

// createBenchSchema fills schema bench5k with 5,000 tables of 6 columns,
// 10,000 indexes (primary key and one secondary index each; the 2,500
// foreign keys get their own index too) and 2,500 foreign keys, once per
// test binary.
func createBenchSchema(s *mariadbtest.Server) error {
	ctx := context.Background()
	if err := s.Exec(ctx, "", "CREATE DATABASE "+benchSchema); err != nil {
		return err
	}
	var sb strings.Builder
	for i := range benchTables {
		if sb.Len() == 0 {
			sb.WriteString("SET foreign_key_checks = 0;\n")
		}
		fk := ""
		if i < benchFKs {
			fk = fmt.Sprintf(",\n  CONSTRAINT t%05d_ref FOREIGN KEY (ref_id) REFERENCES t%05d (id)", i, i+benchFKs)
		}
		fmt.Fprintf(&sb, `CREATE TABLE t%05d (
  id BIGINT NOT NULL PRIMARY KEY, ref_id BIGINT NULL, name VARCHAR(100) NOT NULL, amount DECIMAL(12,2),
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP, flags INT NOT NULL DEFAULT 0,
  INDEX t%05d_name_idx (name, created_at)%s);
`, i, i, fk)
		if (i+1)%benchPerExec == 0 {
			if err := s.Exec(ctx, benchSchema, sb.String()); err != nil {
				return err
			}
			sb.Reset()
		}
	}
	return nil
}

// newDirectReceiver is a receiver whose crawl the test calls itself.
func newDirectReceiver(tb testing.TB, cfg *Config) *mariaReceiver {
	tb.Helper()
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), consumertest.NewNop())
	mc, err := r.driverConfig(context.Background())
	require.NoError(tb, err)
	r.client, err = newClient(mc)
	require.NoError(tb, err)
	tb.Cleanup(func() { r.client.close() })
	return r
}

// BenchmarkCrawl5kTables times one full crawl of a schema with 5,000
// tables, 12,500 indexes and 2,500 foreign keys: the information_schema
// queries, the entities and the pdata batch handed to the next consumer.
// It reports the peak live heap seen during the crawls.
func BenchmarkCrawl5kTables(b *testing.B) {
	s := testServer(b)
	benchOnce.Do(func() {
		start := time.Now()
		benchErr = createBenchSchema(s)
		b.Logf("generated %d tables in %s", benchTables, time.Since(start).Round(time.Millisecond))
	})
	require.NoError(b, benchErr)

	cfg := testConfig(s, benchSchema)
	cfg.ScopeID = "bench"
	r := newDirectReceiver(b, cfg)
	require.NoError(b, r.crawl(context.Background())) // connect and discover outside the timing
	crawltest.BenchCrawl(b, r.crawl)
	b.ReportMetric(float64(len(r.parts.Seen(benchSchema))), "entities/op")
}

// TestConstantQueries: a crawl sends the same number of statements to the
// server whatever the number of schemas and tables: the catalog queries
// and the process list.
func TestConstantQueries(t *testing.T) {
	s := testServer(t)
	questions := func() int {
		n, err := strconv.Atoi(adminQueryString(t, s,
			"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'QUESTIONS'"))
		require.NoError(t, err)
		return n
	}
	perCrawl := func(dbs ...string) int {
		cfg := testConfig(s, dbs...)
		cfg.ScopeID = "s1"
		r := newDirectReceiver(t, cfg)
		ctx := context.Background()
		require.NoError(t, r.crawl(ctx)) // the first crawl also reads the server's variables
		before := questions()
		require.NoError(t, r.crawl(ctx))
		return questions() - before - 1 // the second questions() query counts itself
	}
	want := queriesFor(serverInfo{Flavor: flavorMariaDB, Major: 10, Minor: 11}).count() + 1 // + PROCESSLIST
	assert.Equal(t, want, perCrawl("catalog"))
	assert.Equal(t, want, perCrawl("shop", "catalog", "archive"))
	assert.Equal(t, want, perCrawl())
}
