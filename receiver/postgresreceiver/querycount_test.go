package postgresreceiver

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingTracer counts the statements a connection sends, batched or not.
type countingTracer struct{ n atomic.Int64 }

func (c *countingTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *countingTracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *countingTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (c *countingTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {
	c.n.Add(1)
}
func (c *countingTracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TestCatalogQueriesDoNotGrowWithTables: reading a database's catalog sends
// the same number of statements whatever its size (no query per table).
func TestCatalogQueriesDoNotGrowWithTables(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	require.NoError(t, adminExec(ctx, s, "postgres", "CREATE DATABASE sizes"))
	count := func() (int64, int) {
		cfg, err := pgx.ParseConfig(s.DSN("sizes"))
		require.NoError(t, err)
		tr := &countingTracer{}
		cfg.Tracer = tr
		c := newClient(cfg)
		defer c.close(ctx)
		cat, err := c.catalog(ctx)
		require.NoError(t, err)
		return tr.n.Load(), len(cat.Relations)
	}
	small, smallRels := count()

	var script strings.Builder
	for i := range 200 {
		fmt.Fprintf(&script, "CREATE TABLE t%d (id int PRIMARY KEY, ref int REFERENCES t%d(id)); CREATE INDEX t%d_ref ON t%d(ref);\n", i, max(i-1, 0), i, i)
	}
	script.WriteString("CREATE SCHEMA extra; CREATE VIEW extra.v AS SELECT 1 AS x; CREATE FUNCTION extra.f() RETURNS int LANGUAGE sql AS 'SELECT 1';")
	require.NoError(t, adminExec(ctx, s, "sizes", script.String()))
	large, largeRels := count()

	assert.GreaterOrEqual(t, largeRels, smallRels+201, "the second catalog has 200 more tables and a view")
	assert.Equal(t, small, large, "statements sent")
	// BEGIN, SET LOCAL, the catalog queries, COMMIT
	assert.Equal(t, int64(catalogQueries+3), large)
}
