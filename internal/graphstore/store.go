// Package graphstore is the local graph: nodes (one per scope and internal
// ID), edges, and a change feed, in SQLite (embedded) or PostgreSQL (shared
// by several collectors). Both backends run the same SQL, schema and tests;
// what differs between them is in dialect.go.
package graphstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Options tune a store.
type Options struct {
	// FlowTTL is how long an observed edge lives after it was last seen.
	FlowTTL time.Duration
	// HistoryRetention is how long changes, and deleted nodes and edges,
	// are kept.
	HistoryRetention time.Duration
	// MaxChanges bounds the change feed's rows (oldest go first); 0 is no
	// bound beyond retention.
	MaxChanges int64
	// ReadOnly opens the store for reading only (coordimap-mcp).
	ReadOnly bool
}

// Defaults for Options.
const (
	DefaultFlowTTL          = time.Hour
	DefaultHistoryRetention = 7 * 24 * time.Hour
	DefaultMaxChanges       = 10_000_000
)

func (o *Options) fill() {
	if o.FlowTTL <= 0 {
		o.FlowTTL = DefaultFlowTTL
	}
	if o.HistoryRetention <= 0 {
		o.HistoryRetention = DefaultHistoryRetention
	}
}

// Store is the graph store. It is safe for concurrent use: writes are
// serialised (one writer), reads run in parallel.
type Store struct {
	d    dialect
	w    *sql.DB // the writer (SQLite: one connection)
	r    *sql.DB // readers
	opts Options

	writeMu sync.Mutex

	subMu sync.Mutex
	subs  map[chan struct{}]struct{}
}

// ErrReadOnly is returned by writes to a read-only store.
var ErrReadOnly = errors.New("graph store is read-only")

// ErrNotFound is returned for an unknown node.
var ErrNotFound = errors.New("not found")

func newStore(ctx context.Context, d dialect, w, r *sql.DB, opts Options) (*Store, error) {
	opts.fill()
	s := &Store{d: d, w: w, r: r, opts: opts, subs: map[chan struct{}]struct{}{}}
	if !opts.ReadOnly {
		if err := s.migrate(ctx); err != nil {
			s.Close()
			return nil, err
		}
	} else if err := s.checkVersion(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Backend names the store's database ("sqlite" or "postgresql").
func (s *Store) Backend() string { return s.d.name }

// Close closes the database handles.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	var errs []error
	if s.r != nil && s.r != s.w {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	return errors.Join(errs...)
}

// Subscribe returns a channel that receives (without blocking the writer;
// notifications coalesce) after every write that added changes, and a
// function that ends the subscription.
func (s *Store) Subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	s.subMu.Lock()
	s.subs[ch] = struct{}{}
	s.subMu.Unlock()
	return ch, func() {
		s.subMu.Lock()
		delete(s.subs, ch)
		s.subMu.Unlock()
	}
}

func (s *Store) notify() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for ch := range s.subs {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// q rewrites a query written with ? placeholders for the backend.
func (s *Store) q(query string) string { return s.d.rebind(query) }

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS graph_schema (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("graph store: schema: %w", err)
	}
	var v int
	err := s.w.QueryRowContext(ctx, `SELECT version FROM graph_schema`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.w.ExecContext(ctx, `INSERT INTO graph_schema (version) VALUES (0)`); err != nil {
			return fmt.Errorf("graph store: schema: %w", err)
		}
	} else if err != nil {
		return fmt.Errorf("graph store: schema: %w", err)
	}
	migrations := s.d.migrations()
	if v > len(migrations) {
		return fmt.Errorf("graph store: schema version %d is newer than this build knows (%d)", v, len(migrations))
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("graph store: migration %d: %w", i+1, err)
		}
		for _, stmt := range migrations[i] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				tx.Rollback()
				return fmt.Errorf("graph store: migration %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE graph_schema SET version = ?`), i+1); err != nil {
			tx.Rollback()
			return fmt.Errorf("graph store: migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("graph store: migration %d: %w", i+1, err)
		}
	}
	return nil
}

func (s *Store) checkVersion(ctx context.Context) error {
	var v int
	if err := s.r.QueryRowContext(ctx, `SELECT version FROM graph_schema`).Scan(&v); err != nil {
		return fmt.Errorf("graph store: not a graph store (no schema version): %w", err)
	}
	if v != len(s.d.migrations()) {
		return fmt.Errorf("graph store: schema version %d, this build reads %d", v, len(s.d.migrations()))
	}
	return nil
}

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func fromNullNanos(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromNanos(n.Int64)
	return &t
}
