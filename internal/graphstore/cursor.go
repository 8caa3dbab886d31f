package graphstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The change feed's readers that publish it elsewhere (the coordimap_events
// extension) keep their position here, in the store the feed is in, so a
// restart resumes at the last change they had delivered.

// Resync markers: a change of kind partition, op resync, is appended when a
// data source's partition was crawled in full (after the deletes that crawl
// implied). Its ID is empty; DataSourceID and Partition name the partition.
const (
	OpResync      = "resync"
	KindPartition = "partition"
)

// eventMigrations add the publishers' tables (schema version 3).
func (d dialect) eventMigrations() [][]string {
	return [][]string{{
		`CREATE TABLE event_cursors (
			publisher TEXT NOT NULL PRIMARY KEY,
			seq BIGINT NOT NULL,
			updated_at BIGINT NOT NULL)`,
		// event_states is the entity data a publisher last published, the
		// "before" of its next update (only for publishers that send full
		// states).
		`CREATE TABLE event_states (
			publisher TEXT NOT NULL,
			scope_id TEXT NOT NULL,
			id TEXT NOT NULL,
			hash TEXT NOT NULL,
			data TEXT NOT NULL,
			PRIMARY KEY (publisher, scope_id, id))` + d.keyedTable,
	}}
}

func resyncChange(fc FullCrawl, now int64) Change {
	at := fc.At
	if at.IsZero() {
		at = fromNanos(now)
	}
	return Change{At: at, Op: OpResync, Kind: KindPartition, DataSourceID: fc.DataSourceID, Partition: fc.Partition}
}

// Cursor is the sequence number of the last change publisher delivered;
// ok is false when it has none yet.
func (s *Store) Cursor(ctx context.Context, publisher string) (seq int64, ok bool, err error) {
	err = s.r.QueryRowContext(ctx, s.q(`SELECT seq FROM event_cursors WHERE publisher = ?`), publisher).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("graph store: cursor %q: %w", publisher, err)
	}
	return seq, true, nil
}

// PublishedState is an entity's data as a publisher last sent it; empty
// Data (with Deleted) forgets the entity.
type PublishedState struct {
	ScopeID, ID string
	Hash        string
	Data        string
	Deleted     bool
}

// SetCursor records, in one transaction, that publisher delivered every
// change up to seq and the entity states it sent with them.
func (s *Store) SetCursor(ctx context.Context, publisher string, seq int64, states []PublishedState) error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("graph store: cursor %q: %w", publisher, err)
	}
	err = setCursor(ctx, tx, s, publisher, seq, states)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("graph store: cursor %q: %w", publisher, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("graph store: cursor %q: %w", publisher, err)
	}
	return nil
}

func setCursor(ctx context.Context, tx *sql.Tx, s *Store, publisher string, seq int64, states []PublishedState) error {
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO event_cursors (publisher, seq, updated_at) VALUES (?,?,?)
		ON CONFLICT (publisher) DO UPDATE SET seq = excluded.seq, updated_at = excluded.updated_at`),
		publisher, seq, time.Now().UnixNano()); err != nil {
		return err
	}
	if len(states) == 0 {
		return nil
	}
	put, err := tx.PrepareContext(ctx, s.q(`INSERT INTO event_states (publisher, scope_id, id, hash, data) VALUES (?,?,?,?,?)
		ON CONFLICT (publisher, scope_id, id) DO UPDATE SET hash = excluded.hash, data = excluded.data`))
	if err != nil {
		return err
	}
	defer put.Close()
	del, err := tx.PrepareContext(ctx, s.q(`DELETE FROM event_states WHERE publisher = ? AND scope_id = ? AND id = ?`))
	if err != nil {
		return err
	}
	defer del.Close()
	for _, st := range states {
		if st.Deleted {
			_, err = del.ExecContext(ctx, publisher, st.ScopeID, st.ID)
		} else {
			_, err = put.ExecContext(ctx, publisher, st.ScopeID, st.ID, st.Hash, st.Data)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// ResetCursor forgets publisher's position and published states (a new
// snapshot follows).
func (s *Store) ResetCursor(ctx context.Context, publisher string) error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	for _, q := range []string{`DELETE FROM event_cursors WHERE publisher = ?`, `DELETE FROM event_states WHERE publisher = ?`} {
		if _, err := s.w.ExecContext(ctx, s.q(q), publisher); err != nil {
			return fmt.Errorf("graph store: cursor %q: %w", publisher, err)
		}
	}
	return nil
}

// PublishedStates returns what publisher last sent of these entities
// (missing ones are absent).
func (s *Store) PublishedStates(ctx context.Context, publisher string, keys []PublishedState) (map[[2]string]PublishedState, error) {
	out := make(map[[2]string]PublishedState, len(keys))
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		args := []any{publisher}
		cond := ""
		for i, k := range part {
			if i > 0 {
				cond += " OR "
			}
			cond += "(scope_id = ? AND id = ?)"
			args = append(args, k.ScopeID, k.ID)
		}
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT scope_id, id, hash, data FROM event_states WHERE publisher = ? AND (`+cond+`)`), args...)
		if err != nil {
			return nil, fmt.Errorf("graph store: published states: %w", err)
		}
		for rows.Next() {
			var st PublishedState
			if err := rows.Scan(&st.ScopeID, &st.ID, &st.Hash, &st.Data); err != nil {
				rows.Close()
				return nil, fmt.Errorf("graph store: published states: %w", err)
			}
			out[[2]string{st.ScopeID, st.ID}] = st
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("graph store: published states: %w", err)
		}
	}
	return out, nil
}

// OldestSeq is the oldest change still in the feed (0 when it is empty). A
// reader whose cursor is below OldestSeq-1 missed changes that retention
// dropped.
func (s *Store) OldestSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT min(seq) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("graph store: %w", err)
	}
	return seq.Int64, nil
}
