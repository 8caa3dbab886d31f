package mariadbreceiver

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/go-sql-driver/mysql"
)

// catalog is what one crawl reads from information_schema, for every
// crawled schema at once.
type catalog struct {
	Schemas     []schemaRow
	Tables      []tableRow
	Columns     []columnRow
	Indexes     []indexRow
	KeyColumns  []keyColumnRow
	Referential []referentialRow
	Checks      []checkRow
	Views       []viewRow
	Routines    []routineRow
	Parameters  []parameterRow
	Triggers    []triggerRow
}

type schemaRow struct{ Name, Charset, Collation string }

type tableRow struct {
	Schema, Name, Type       string
	Engine, Collation, Notes string
}

type columnRow struct {
	Schema, Table, Name string
	Position            int64
	Type                string
	Nullable            string
	Default             sql.NullString
	Extra, Comment      string
}

// indexRow is one key part of an index.
type indexRow struct {
	Schema, Table, Name string
	NonUnique           int64
	Seq                 int64
	Column              string
	SubPart             sql.NullInt64
	Method, Comment     string
}

// keyColumnRow is one column of a primary, unique or foreign key.
type keyColumnRow struct {
	Schema, Table, Constraint, Column string
	Position                          int64
	RefSchema, RefTable, RefColumn    sql.NullString
}

type referentialRow struct{ Schema, Table, Constraint, OnUpdate, OnDelete string }

type checkRow struct{ Schema, Table, Name, Clause string }

type viewRow struct {
	Schema, Name, Definition, CheckOption, Updatable, Definer, Security string
}

type routineRow struct {
	Schema, Name, Type, Returns, Language                 string
	Deterministic, DataAccess, Security, Definer, Comment string
}

type parameterRow struct {
	Schema, Routine, RoutineType string
	Position                     int64
	Mode, Name, Type             string
}

type triggerRow struct {
	Schema, Name, Event, Table string
	Order                      int64
	Timing, Statement, Definer string
}

// sessionRow is one session of the process list.
type sessionRow struct {
	Host string
	DB   sql.NullString
}

// client is the seam over database/sql: one connection, kept between
// crawls and replaced when it breaks (the driver checks a pooled
// connection before reusing it). Only the crawl loop uses it.
type client struct {
	db             *sql.DB
	endpoint, user string
}

// newClient prepares the connection pool; nothing goes over the network
// until the first crawl.
func newClient(cfg *mysql.Config) (*client, error) {
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	// One connection: the process list query excludes it by its ID, and
	// a crawl is sequential anyway.
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	return &client{db: db, endpoint: cfg.Addr, user: cfg.User}, nil
}

func (c *client) close() error { return c.db.Close() }

// session runs fn on the connection, connecting first when needed. Its
// errors name the server.
func (c *client) session(ctx context.Context, fn func(*sql.Conn) error) error {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return &connectError{endpoint: c.endpoint, user: c.user, err: err}
	}
	defer conn.Close()
	if err := fn(conn); err != nil {
		return fmt.Errorf("server %s: %w", c.endpoint, err)
	}
	return nil
}

// connectError says where the receiver failed to connect. It never holds
// the password: the driver's messages name only the user and whether a
// password was used.
type connectError struct {
	endpoint, user string
	err            error
}

func (e *connectError) Error() string {
	return fmt.Sprintf("cannot connect to %s as user %q: %v", e.endpoint, e.user, e.err)
}

func (e *connectError) Unwrap() error { return e.err }

// serverInfoOf reads the server's flavor, version and identity.
func serverInfoOf(ctx context.Context, conn *sql.Conn) (serverInfo, error) {
	type variable struct{ name, value string }
	vars, err := collect(ctx, conn, sqlServerVariables, nil, func(r *sql.Rows, v *variable) error {
		return r.Scan(&v.name, &v.value)
	})
	if err != nil {
		return serverInfo{}, fmt.Errorf("reading server variables: %w", err)
	}
	m := make(map[string]string, len(vars))
	for _, v := range vars {
		m[v.name] = v.value
	}
	return parseServerInfo(m), nil
}

// readCatalog runs the catalog queries, each restricted to the crawled
// schemas; a query the server does not support is empty and skipped.
func readCatalog(ctx context.Context, conn *sql.Conn, q queries, f schemaFilter) (*catalog, error) {
	cat := &catalog{}
	steps := []struct {
		table, sql string
		read       func(query string) error
	}{
		{"SCHEMATA", q.Schemata, func(query string) (err error) {
			cat.Schemas, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, s *schemaRow) error {
				return r.Scan(&s.Name, &s.Charset, &s.Collation)
			})
			return err
		}},
		{"TABLES", q.Tables, func(query string) (err error) {
			cat.Tables, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, t *tableRow) error {
				return r.Scan(&t.Schema, &t.Name, &t.Type, &t.Engine, &t.Collation, &t.Notes)
			})
			return err
		}},
		{"COLUMNS", q.Columns, func(query string) (err error) {
			cat.Columns, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, c *columnRow) error {
				return r.Scan(&c.Schema, &c.Table, &c.Name, &c.Position, &c.Type, &c.Nullable, &c.Default, &c.Extra, &c.Comment)
			})
			return err
		}},
		{"STATISTICS", q.Statistics, func(query string) (err error) {
			cat.Indexes, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, i *indexRow) error {
				return r.Scan(&i.Schema, &i.Table, &i.Name, &i.NonUnique, &i.Seq, &i.Column, &i.SubPart, &i.Method, &i.Comment)
			})
			return err
		}},
		{"KEY_COLUMN_USAGE", q.KeyColumns, func(query string) (err error) {
			cat.KeyColumns, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, k *keyColumnRow) error {
				return r.Scan(&k.Schema, &k.Table, &k.Constraint, &k.Column, &k.Position, &k.RefSchema, &k.RefTable, &k.RefColumn)
			})
			return err
		}},
		{"REFERENTIAL_CONSTRAINTS", q.Referential, func(query string) (err error) {
			cat.Referential, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, rc *referentialRow) error {
				return r.Scan(&rc.Schema, &rc.Table, &rc.Constraint, &rc.OnUpdate, &rc.OnDelete)
			})
			return err
		}},
		{"CHECK_CONSTRAINTS", q.Checks, func(query string) (err error) {
			cat.Checks, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, c *checkRow) error {
				return r.Scan(&c.Schema, &c.Table, &c.Name, &c.Clause)
			})
			return err
		}},
		{"VIEWS", q.Views, func(query string) (err error) {
			cat.Views, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, v *viewRow) error {
				return r.Scan(&v.Schema, &v.Name, &v.Definition, &v.CheckOption, &v.Updatable, &v.Definer, &v.Security)
			})
			return err
		}},
		{"ROUTINES", q.Routines, func(query string) (err error) {
			cat.Routines, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, rt *routineRow) error {
				return r.Scan(&rt.Schema, &rt.Name, &rt.Type, &rt.Returns, &rt.Language,
					&rt.Deterministic, &rt.DataAccess, &rt.Security, &rt.Definer, &rt.Comment)
			})
			return err
		}},
		{"PARAMETERS", q.Parameters, func(query string) (err error) {
			cat.Parameters, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, p *parameterRow) error {
				return r.Scan(&p.Schema, &p.Routine, &p.RoutineType, &p.Position, &p.Mode, &p.Name, &p.Type)
			})
			return err
		}},
		{"TRIGGERS", q.Triggers, func(query string) (err error) {
			cat.Triggers, err = collect(ctx, conn, query, f.args, func(r *sql.Rows, t *triggerRow) error {
				return r.Scan(&t.Schema, &t.Name, &t.Event, &t.Table, &t.Order, &t.Timing, &t.Statement, &t.Definer)
			})
			return err
		}},
	}
	for _, s := range steps {
		if s.sql == "" {
			continue
		}
		if err := s.read(f.apply(s.sql)); err != nil {
			return nil, fmt.Errorf("reading information_schema.%s: %w", s.table, err)
		}
	}
	return cat, nil
}

// processList reads the sessions of every user (with the PROCESS
// privilege; without it, only the crawler's own user's).
func processList(ctx context.Context, conn *sql.Conn) ([]sessionRow, error) {
	out, err := collect(ctx, conn, sqlProcessList, nil, func(r *sql.Rows, s *sessionRow) error {
		return r.Scan(&s.Host, &s.DB)
	})
	if err != nil {
		return nil, fmt.Errorf("reading information_schema.PROCESSLIST: %w", err)
	}
	return out, nil
}

// collect runs a query and scans every row into a T.
func collect[T any](ctx context.Context, conn *sql.Conn, query string, args []any, scan func(*sql.Rows, *T) error) ([]T, error) {
	rows, err := conn.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := scan(rows, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
