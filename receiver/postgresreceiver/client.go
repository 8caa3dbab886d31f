package postgresreceiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/coordimap/otelcol-coordimap/internal/loopback"
)

// applicationName marks the receiver's own sessions in pg_stat_activity so
// that it does not report itself as a client.
const applicationName = "otelcol-coordimap"

// connectTimeout bounds the TCP connect and authentication.
const connectTimeout = 10 * time.Second

// schemaFilter keeps user schemas: no pg_catalog, pg_toast*, pg_temp*
// (every pg_ prefix is reserved), information_schema, nor TimescaleDB's
// internal schemas (the original agent skipped those too).
const schemaFilter = `n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  AND n.nspname NOT IN ('_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_internal',
                        '_timescaledb_config', 'timescaledb_experimental', 'timescaledb_information')`

// Server-wide queries.
const (
	sqlSystemIdentifier = `SELECT system_identifier::text FROM pg_catalog.pg_control_system()`

	sqlDatabases = `SELECT datname FROM pg_catalog.pg_database
WHERE NOT datistemplate AND datallowconn AND pg_catalog.has_database_privilege(oid, 'CONNECT')
ORDER BY datname`

	// Clients over TCP, grouped per database and address; unix-socket
	// sessions have no client_addr and are skipped.
	sqlActivity = `SELECT datname, pg_catalog.host(client_addr), count(*)
FROM pg_catalog.pg_stat_activity
WHERE client_addr IS NOT NULL AND datname IS NOT NULL
  AND application_name IS DISTINCT FROM '` + applicationName + `'
GROUP BY 1, 2 ORDER BY 1, 2`
)

// Per-database catalog queries: a constant number per database whatever its
// size, run as one pipelined batch in one read-only snapshot.
const (
	sqlDatabase = `SELECT pg_catalog.pg_get_userbyid(d.datdba), pg_catalog.pg_encoding_to_char(d.encoding),
  pg_catalog.current_setting('server_version')
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()`

	sqlSchemas = `SELECT n.nspname, pg_catalog.pg_get_userbyid(n.nspowner)
FROM pg_catalog.pg_namespace n
WHERE ` + schemaFilter + `
ORDER BY n.nspname`

	// Tables, partitioned tables, partitions, foreign tables, views,
	// materialized views and sequences, with the partition parent, the view
	// definition and the column a sequence is owned by.
	sqlRelations = `SELECT c.oid, n.nspname, c.relname, c.relkind::text, pg_catalog.pg_get_userbyid(c.relowner),
  pn.nspname, pc.relname,
  CASE WHEN c.relispartition THEN pg_catalog.pg_get_expr(c.relpartbound, c.oid) END,
  CASE c.relkind WHEN 'p' THEN pg_catalog.pg_get_partkeydef(c.oid) END,
  CASE WHEN c.relkind IN ('v', 'm') THEN pg_catalog.pg_get_viewdef(c.oid) END,
  pg_catalog.format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
  dn.nspname, dc.relname, da.attname
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_inherits i ON c.relispartition AND i.inhrelid = c.oid
LEFT JOIN pg_catalog.pg_class pc ON pc.oid = i.inhparent
LEFT JOIN pg_catalog.pg_namespace pn ON pn.oid = pc.relnamespace
LEFT JOIN pg_catalog.pg_sequence s ON c.relkind = 'S' AND s.seqrelid = c.oid
LEFT JOIN pg_catalog.pg_depend d ON c.relkind = 'S' AND d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND d.objid = c.oid AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
  AND d.refobjsubid > 0 AND d.deptype IN ('a', 'i')
LEFT JOIN pg_catalog.pg_class dc ON dc.oid = d.refobjid
LEFT JOIN pg_catalog.pg_namespace dn ON dn.oid = dc.relnamespace
LEFT JOIN pg_catalog.pg_attribute da ON da.attrelid = d.refobjid AND da.attnum = d.refobjsubid
WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND ` + schemaFilter + `
ORDER BY n.nspname, c.relname`

	// Columns of every table and view, in one ordered scan.
	sqlColumns = `SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnum, a.attnotnull
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'p', 'f', 'v', 'm') AND ` + schemaFilter + `
ORDER BY a.attrelid, a.attnum`

	// Primary keys, foreign keys, unique, check and exclusion constraints.
	// Column numbers are resolved to names from sqlColumns; only check and
	// exclusion constraints need their text (pg_get_constraintdef is slow).
	// A foreign key to a partitioned table has hidden clones on the same
	// referencing table (one per referenced partition); they are skipped.
	sqlConstraints = `SELECT con.conrelid, con.conname, con.contype::text, COALESCE(con.conkey, '{}'),
  con.confrelid, fn.nspname, fc.relname, COALESCE(con.confkey, '{}'),
  con.confupdtype::text, con.confdeltype::text,
  CASE WHEN con.contype IN ('c', 'x') THEN pg_catalog.pg_get_constraintdef(con.oid) END
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
LEFT JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
LEFT JOIN pg_catalog.pg_constraint pcon ON pcon.oid = con.conparentid
WHERE con.contype IN ('p', 'f', 'u', 'c', 'x') AND ` + schemaFilter + `
  AND (pcon.oid IS NULL OR pcon.conrelid <> con.conrelid)
ORDER BY con.conrelid, con.conname`

	// Indexes of tables, partitioned tables and materialized views. Key
	// columns come as column numbers (0 for an expression); expressions and
	// partial-index predicates are rendered only for the indexes that have
	// them (pg_get_indexdef is slow).
	sqlIndexes = `SELECT i.indrelid, ic.relname, am.amname, i.indisunique, i.indisprimary, i.indkey::pg_catalog.int2[],
  CASE WHEN i.indexprs IS NOT NULL THEN
    ARRAY(SELECT pg_catalog.pg_get_indexdef(i.indexrelid, k, true) FROM pg_catalog.generate_series(1, i.indnatts) k ORDER BY k)
  END,
  CASE WHEN i.indpred IS NOT NULL THEN pg_catalog.pg_get_expr(i.indpred, i.indrelid, true) END
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_am am ON am.oid = ic.relam
WHERE c.relkind IN ('r', 'p', 'm') AND ` + schemaFilter + `
ORDER BY i.indrelid, ic.relname`

	// Functions, procedures, aggregates and window functions, without the
	// ones extensions install.
	sqlFunctions = `SELECT n.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes),
  pg_catalog.pg_get_function_identity_arguments(p.oid), COALESCE(pg_catalog.pg_get_function_result(p.oid), ''),
  p.prokind::text, l.lanname, pg_catalog.pg_get_userbyid(p.proowner)
FROM pg_catalog.pg_proc p
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE ` + schemaFilter + `
  AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d
                  WHERE d.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2, 3`
)

// catalogQueries is the number of catalog queries run per database.
const catalogQueries = 7

// catalog is what one database's crawl reads.
type catalog struct {
	Owner, Encoding, ServerVersion string
	Schemas                        []schemaRow
	Relations                      []relationRow
	Columns                        []columnRow
	Constraints                    []constraintRow
	Indexes                        []indexRow
	Functions                      []functionRow
}

type schemaRow struct{ Name, Owner string }

type relationRow struct {
	OID                  uint32
	Schema, Name, Kind   string
	Owner                string
	ParentSchema, Parent *string
	PartitionBound       *string
	PartitionKey         *string
	Definition           *string
	// Sequences only.
	SeqType                     *string
	SeqStart, SeqIncrement      *int64
	SeqMin, SeqMax, SeqCache    *int64
	SeqCycle                    *bool
	OwnedBySchema, OwnedByTable *string
	OwnedByColumn               *string
}

type columnRow struct {
	RelOID   uint32
	Name     string
	Type     string
	Position int16
	NotNull  bool
}

type constraintRow struct {
	RelOID             uint32
	Name, Kind         string
	Keys               []int16
	RefOID             uint32
	RefSchema, RefName *string
	RefKeys            []int16
	// OnUpdate and OnDelete are foreign key actions (a, r, c, n, d).
	OnUpdate, OnDelete string
	Definition         *string
}

type indexRow struct {
	RelOID          uint32
	Name, Method    string
	Unique, Primary bool
	// Keys are column numbers, 0 for an expression; Expressions holds
	// every key rendered, only when the index has expressions.
	Keys        []int16
	Expressions []string
	Predicate   *string
}

type functionRow struct {
	Schema, Name, ArgTypes, Arguments, Result, Kind, Language, Owner string
}

// activityRow is the number of TCP sessions from one address to one
// database.
type activityRow struct {
	Database, Address string
	Sessions          int64
}

// client holds the connection to one database, re-established when it
// breaks; the receiver keeps the server-wide database's across crawls and
// closes the others' after each crawl. Only the crawl loop uses it.
type client struct {
	cfg  *pgx.ConnConfig
	conn *pgx.Conn
	// broken are replaced connections whose background cleanup (pgx sends
	// a cancel request and closes the socket) close waits for.
	broken []*pgx.Conn
}

func newClient(cfg *pgx.ConnConfig) *client { return &client{cfg: cfg} }

// do runs fn on the connection, connecting first when needed. When a kept
// connection turns out to be broken (server restarted, idle timeout), it
// reconnects and tries once more.
func (c *client) do(ctx context.Context, fn func(*pgx.Conn) error) error {
	fresh := false
	if c.conn == nil || c.conn.IsClosed() {
		if err := c.connect(ctx); err != nil {
			return err
		}
		fresh = true
	}
	err := fn(c.conn)
	if err == nil || fresh || !c.conn.IsClosed() || ctx.Err() != nil {
		return err
	}
	if cerr := c.connect(ctx); cerr != nil {
		return errors.Join(err, cerr)
	}
	return fn(c.conn)
}

func (c *client) connect(ctx context.Context) error {
	if c.conn != nil {
		c.broken = append(c.broken, c.conn)
		c.conn = nil
	}
	c.reap()
	conn, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil && plaintextOnLoopback(c.cfg, err) {
		plain := c.cfg.Copy()
		plain.TLSConfig = nil
		conn, err = pgx.ConnectConfig(ctx, plain)
	}
	if err != nil {
		return &connectError{endpoint: fmt.Sprintf("%s:%d", c.cfg.Host, c.cfg.Port), user: c.cfg.User, database: c.cfg.Database, err: err}
	}
	c.conn = conn
	return nil
}

// close closes the connection and waits, until ctx ends, for the cleanup
// of every connection this client opened.
func (c *client) close(ctx context.Context) {
	if c.conn != nil {
		_ = c.conn.Close(ctx)
		c.broken = append(c.broken, c.conn)
		c.conn = nil
	}
	for _, conn := range c.broken {
		select {
		case <-conn.PgConn().CleanupDone():
		case <-ctx.Done():
			return
		}
	}
	c.broken = nil
}

// reap forgets the broken connections whose cleanup is over.
func (c *client) reap() {
	c.broken = slices.DeleteFunc(c.broken, func(conn *pgx.Conn) bool {
		select {
		case <-conn.PgConn().CleanupDone():
			return true
		default:
			return false
		}
	})
}

// connectError says where the receiver failed to connect; it never holds
// the password (pgx's own message names only user and database).
type connectError struct {
	endpoint, user, database string
	err                      error
}

func (e *connectError) Error() string {
	msg := fmt.Sprintf("cannot connect to %s as user %q (database %q): %v", e.endpoint, e.user, e.database, e.err)
	var certErr *tls.CertificateVerificationError
	if errors.As(e.err, &certErr) {
		// Debian's packages, for one, turn ssl on with a self-signed
		// ("snakeoil") certificate.
		msg += "; the server's certificate is not trusted: name its CA in tls.ca_file (PGSSLROOTCERT in the default configuration), or set tls.insecure_skip_verify"
	}
	return msg
}

func (e *connectError) Unwrap() error { return e.err }

func (c *client) systemIdentifier(ctx context.Context) (string, error) {
	var id string
	err := c.do(ctx, func(conn *pgx.Conn) error {
		return conn.QueryRow(ctx, sqlSystemIdentifier).Scan(&id)
	})
	if err != nil {
		return "", fmt.Errorf("reading system_identifier: %w", err)
	}
	return id, nil
}

func (c *client) databases(ctx context.Context) ([]string, error) {
	var dbs []string
	err := c.do(ctx, func(conn *pgx.Conn) error {
		rows, _ := conn.Query(ctx, sqlDatabases)
		var err error
		dbs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing databases: %w", err)
	}
	return dbs, nil
}

func (c *client) activity(ctx context.Context) ([]activityRow, error) {
	var out []activityRow
	err := c.do(ctx, func(conn *pgx.Conn) error {
		rows, _ := conn.Query(ctx, sqlActivity)
		var err error
		out, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (activityRow, error) {
			var a activityRow
			err := row.Scan(&a.Database, &a.Address, &a.Sessions)
			return a, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading pg_stat_activity: %w", err)
	}
	return out, nil
}

// catalog reads the database's structure: catalogQueries queries sent as
// one pipelined batch in a read-only repeatable-read transaction, so that
// all of them see the same snapshot.
func (c *client) catalog(ctx context.Context) (*catalog, error) {
	var cat *catalog
	err := c.do(ctx, func(conn *pgx.Conn) error {
		cat = &catalog{}
		return pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			return tx.SendBatch(ctx, cat.batch()).Close()
		})
	})
	if err != nil {
		return nil, fmt.Errorf("reading the catalog of database %q: %w", c.cfg.Database, err)
	}
	return cat, nil
}

// batch queues the catalog queries; each fills its part of cat.
func (cat *catalog) batch() *pgx.Batch {
	b := &pgx.Batch{}
	// pg_get_*def qualify every name that is not on the search_path.
	b.Queue(`SET LOCAL search_path TO ''`)
	b.Queue(sqlDatabase).QueryRow(func(row pgx.Row) error {
		return row.Scan(&cat.Owner, &cat.Encoding, &cat.ServerVersion)
	})
	b.Queue(sqlSchemas).Query(collectInto(&cat.Schemas, func(row pgx.CollectableRow, s *schemaRow) error {
		return row.Scan(&s.Name, &s.Owner)
	}))
	b.Queue(sqlRelations).Query(collectInto(&cat.Relations, func(row pgx.CollectableRow, r *relationRow) error {
		return row.Scan(&r.OID, &r.Schema, &r.Name, &r.Kind, &r.Owner, &r.ParentSchema, &r.Parent,
			&r.PartitionBound, &r.PartitionKey, &r.Definition,
			&r.SeqType, &r.SeqStart, &r.SeqIncrement, &r.SeqMin, &r.SeqMax, &r.SeqCache, &r.SeqCycle,
			&r.OwnedBySchema, &r.OwnedByTable, &r.OwnedByColumn)
	}))
	b.Queue(sqlColumns).Query(collectInto(&cat.Columns, func(row pgx.CollectableRow, c *columnRow) error {
		return row.Scan(&c.RelOID, &c.Name, &c.Type, &c.Position, &c.NotNull)
	}))
	b.Queue(sqlConstraints).Query(collectInto(&cat.Constraints, func(row pgx.CollectableRow, c *constraintRow) error {
		return row.Scan(&c.RelOID, &c.Name, &c.Kind, &c.Keys, &c.RefOID, &c.RefSchema, &c.RefName, &c.RefKeys,
			&c.OnUpdate, &c.OnDelete, &c.Definition)
	}))
	b.Queue(sqlIndexes).Query(collectInto(&cat.Indexes, func(row pgx.CollectableRow, i *indexRow) error {
		return row.Scan(&i.RelOID, &i.Name, &i.Method, &i.Unique, &i.Primary, &i.Keys, &i.Expressions, &i.Predicate)
	}))
	b.Queue(sqlFunctions).Query(collectInto(&cat.Functions, func(row pgx.CollectableRow, f *functionRow) error {
		return row.Scan(&f.Schema, &f.Name, &f.ArgTypes, &f.Arguments, &f.Result, &f.Kind, &f.Language, &f.Owner)
	}))
	return b
}

// collectInto returns a batch callback that appends every row to dst.
func collectInto[T any](dst *[]T, scan func(pgx.CollectableRow, *T) error) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var err error
		*dst, err = pgx.AppendRows(*dst, rows, func(row pgx.CollectableRow) (T, error) {
			var v T
			err := scan(row, &v)
			return v, err
		})
		return err
	}
}

// plaintextOnLoopback tells whether a connection that failed because the
// server offers no TLS at all may be made again without TLS: only to a
// server on this machine (127.0.0.1, ::1, localhost, a Unix socket), where
// nothing crosses the network, so `make run` works against a local
// PostgreSQL set up without certificates. A certificate that fails
// verification is never retried in clear, on any host.
func plaintextOnLoopback(cfg *pgx.ConnConfig, err error) bool {
	return cfg.TLSConfig != nil && loopback.Is(cfg.Host) && strings.Contains(err.Error(), "server refused TLS connection")
}
