package graphstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", no cgo
)

// dialect is what differs between the backends.
type dialect struct {
	name string
	// dollar placeholders ($1, $2 …) instead of ?.
	dollar bool
	// seqColumn declares the change feed's sequence column.
	seqColumn string
	// lock serialises writers across processes (PostgreSQL), run first in
	// every write transaction; empty when the database does it.
	lock string
	// keyedTable ends a CREATE TABLE whose primary key is the row's
	// identity (SQLite: no separate rowid b-tree holding the key twice).
	keyedTable string
	// binaryCollation makes a column compare bytes, so a prefix is a range.
	binaryCollation string
	// contains is the SQL of "column contains ?" (case-sensitive; the
	// search column is lower-cased).
	contains string
	// batchTouch updates unchanged nodes many per statement (a statement
	// is a round trip) rather than one prepared statement per node.
	batchTouch bool
}

var (
	sqliteDialect = dialect{
		name:       "sqlite",
		seqColumn:  "seq INTEGER PRIMARY KEY AUTOINCREMENT",
		keyedTable: " WITHOUT ROWID",
		contains:   "instr(search, ?) > 0",
	}
	postgresDialect = dialect{
		name:            "postgresql",
		dollar:          true,
		seqColumn:       "seq BIGSERIAL PRIMARY KEY",
		binaryCollation: ` COLLATE "C"`,
		// One writer at a time, so change sequence numbers become visible
		// in order (a reader of the feed never skips a late commit).
		lock:       "SELECT pg_advisory_xact_lock(7438190021)",
		contains:   "strpos(search, ?) > 0",
		batchTouch: true,
	}
)

func (d dialect) rebind(q string) string {
	if !d.dollar || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// migrations are the schema's versions, in order; a store records the last
// one applied. Never edit a released step: add one.
func (d dialect) migrations() [][]string {
	return append([][]string{{
		`CREATE TABLE nodes (
			scope_id TEXT NOT NULL,
			id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT NOT NULL,
			status TEXT NOT NULL,
			version TEXT NOT NULL,
			grp TEXT NOT NULL,
			data_source_id TEXT NOT NULL,
			data_source_type TEXT NOT NULL,
			data_sources TEXT NOT NULL,
			partition_name TEXT NOT NULL,
			attributes TEXT NOT NULL,
			data TEXT NOT NULL,
			hash TEXT NOT NULL,
			state_hash TEXT NOT NULL,
			links_hash TEXT NOT NULL,
			search TEXT NOT NULL,
			report_interval BIGINT NOT NULL,
			first_seen BIGINT NOT NULL,
			last_seen BIGINT NOT NULL,
			deleted_at BIGINT,
			PRIMARY KEY (scope_id, id))` + d.keyedTable,
		`CREATE INDEX nodes_by_id ON nodes (id)`,
		`CREATE INDEX nodes_by_type ON nodes (type)`,
		`CREATE INDEX nodes_by_partition ON nodes (data_source_id, partition_name)`,
		`CREATE TABLE edges (
			source_id TEXT NOT NULL,
			destination_id TEXT NOT NULL,
			type TEXT NOT NULL,
			relation_type INTEGER NOT NULL,
			external TEXT NOT NULL,
			owner TEXT NOT NULL,
			observed INTEGER NOT NULL,
			data_source_id TEXT NOT NULL,
			scope_id TEXT NOT NULL,
			connections BIGINT NOT NULL,
			failed_connections BIGINT NOT NULL,
			bytes_sent BIGINT NOT NULL,
			bytes_received BIGINT NOT NULL,
			attributes TEXT NOT NULL,
			first_seen BIGINT NOT NULL,
			last_seen BIGINT NOT NULL,
			deleted_at BIGINT,
			PRIMARY KEY (source_id, destination_id, type))` + d.keyedTable,
		`CREATE INDEX edges_by_destination ON edges (destination_id)`,
		`CREATE INDEX edges_by_owner ON edges (owner)`,
		`CREATE TABLE changes (
			` + d.seqColumn + `,
			at BIGINT NOT NULL,
			op TEXT NOT NULL,
			kind TEXT NOT NULL,
			scope_id TEXT NOT NULL,
			id TEXT NOT NULL,
			type TEXT NOT NULL,
			name TEXT NOT NULL,
			data_source_id TEXT NOT NULL,
			partition_name TEXT NOT NULL,
			source_id TEXT NOT NULL,
			destination_id TEXT NOT NULL,
			before_hash TEXT NOT NULL,
			after_hash TEXT NOT NULL,
			fields TEXT NOT NULL)`,
		`CREATE INDEX changes_by_time ON changes (at)`,
		`CREATE INDEX changes_by_id ON changes (id)`,
		`CREATE TABLE node_terms (
			term TEXT` + d.binaryCollation + ` NOT NULL,
			scope_id TEXT NOT NULL,
			id TEXT NOT NULL,
			PRIMARY KEY (term, scope_id, id))` + d.keyedTable,
		`CREATE INDEX node_terms_by_node ON node_terms (scope_id, id)`,
		`CREATE TABLE crawls (
			data_source_id TEXT NOT NULL,
			partition_name TEXT NOT NULL,
			crawled_at BIGINT NOT NULL,
			PRIMARY KEY (data_source_id, partition_name))`,
	}, {
		// A walk or path reading the edges that end at a node filters on
		// deleted_at: with it in the index the lookup never visits the
		// table (a covering index for the keys).
		`DROP INDEX edges_by_destination`,
		`CREATE INDEX edges_by_destination ON edges (destination_id, deleted_at)`,
	}}, d.eventMigrations()...)
}

// OpenSQLite opens (creating it if needed) the SQLite store at path: WAL,
// a busy timeout, one writer connection and a pool of readers. The WAL is
// checkpointed every 8,192 pages (32 MiB) rather than SQLite's 1,000: a bulk
// write dirties the same index pages commit after commit, and each
// checkpoint copies a page once however often it changed.
func OpenSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(0)", "temp_store(MEMORY)", "cache_size(-65536)", "wal_autocheckpoint(8192)"}
	dsn := func(mode string) string {
		v := url.Values{}
		for _, p := range pragmas {
			v.Add("_pragma", p)
		}
		v.Set("_txlock", "immediate")
		if mode != "" {
			v.Set("mode", mode)
		}
		return "file:" + path + "?" + v.Encode()
	}
	var w *sql.DB
	if !opts.ReadOnly {
		var err error
		w, err = sql.Open("sqlite", dsn("rwc"))
		if err != nil {
			return nil, fmt.Errorf("graph store %s: %w", path, err)
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		if err := w.PingContext(ctx); err != nil {
			w.Close()
			return nil, fmt.Errorf("graph store %s: %w", path, err)
		}
	}
	r, err := sql.Open("sqlite", dsn("ro"))
	if err != nil {
		if w != nil {
			w.Close()
		}
		return nil, fmt.Errorf("graph store %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		if w != nil {
			w.Close()
		}
		return nil, fmt.Errorf("graph store %s: %w", path, err)
	}
	if w == nil {
		w = r
	}
	return newStore(ctx, sqliteDialect, w, r, opts)
}

// OpenPostgres opens the store in the PostgreSQL database dsn names (a
// libpq URL or key=value string), creating its tables if needed.
func OpenPostgres(ctx context.Context, dsn string, maxConns int, opts Options) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("graph store: postgresql: %w", err)
	}
	if maxConns <= 0 {
		maxConns = 8
	}
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(maxConns)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("graph store: postgresql: %w", err)
	}
	return newStore(ctx, postgresDialect, db, db, opts)
}
