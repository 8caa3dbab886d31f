package graphstore

import (
	"context"
	"database/sql"
	"strings"
)

// rowsPerInsert is how many rows one multi-row INSERT carries: per-row
// statement overhead dominates SQLite's (and PostgreSQL's round trips')
// cost of a bulk write.
const rowsPerInsert = 256

// multiInsert writes rows of one shape with multi-row INSERTs:
// `head VALUES (…),(…) tail`.
type multiInsert struct {
	w          *writer
	head, tail string
	cols       int
	full       *sql.Stmt // the statement for rowsPerInsert rows
	args       []any
	n          int
}

func (w *writer) newMultiInsert(head string, cols int, tail string) *multiInsert {
	return &multiInsert{w: w, head: head, tail: tail, cols: cols}
}

func (m *multiInsert) sql(rows int) string {
	tuple := "(" + placeholders(m.cols) + ")"
	var b strings.Builder
	b.WriteString(m.head)
	b.WriteString(" VALUES ")
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(tuple)
	}
	b.WriteByte(' ')
	b.WriteString(m.tail)
	return m.w.s.q(b.String())
}

// add appends a row; onRows, when set, reads what a RETURNING tail gives
// for each statement run.
func (m *multiInsert) add(ctx context.Context, onRows func(*sql.Rows) error, row ...any) error {
	m.args = append(m.args, row...)
	m.n++
	if m.n == rowsPerInsert {
		return m.flush(ctx, onRows)
	}
	return nil
}

func (m *multiInsert) flush(ctx context.Context, onRows func(*sql.Rows) error) error {
	if m.n == 0 {
		return nil
	}
	defer func() { m.args, m.n = m.args[:0], 0 }()
	var st *sql.Stmt
	if m.n == rowsPerInsert {
		if m.full == nil {
			var err error
			if m.full, err = m.w.tx.PrepareContext(ctx, m.sql(rowsPerInsert)); err != nil {
				return err
			}
			m.w.extra = append(m.w.extra, m.full)
		}
		st = m.full
	}
	if onRows == nil {
		var err error
		if st != nil {
			_, err = st.ExecContext(ctx, m.args...)
		} else {
			_, err = m.w.tx.ExecContext(ctx, m.sql(m.n), m.args...)
		}
		return err
	}
	var rows *sql.Rows
	var err error
	if st != nil {
		rows, err = st.QueryContext(ctx, m.args...)
	} else {
		rows, err = m.w.tx.QueryContext(ctx, m.sql(m.n), m.args...)
	}
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := onRows(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
