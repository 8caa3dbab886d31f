package graphstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

const edgeColumns = `source_id, destination_id, type, relation_type, external, owner, observed, data_source_id, scope_id,
	connections, failed_connections, bytes_sent, bytes_received, attributes, first_seen, last_seen, deleted_at`

const nodeReadColumns = `scope_id, id, type, name, status, version, grp, data_source_id, data_source_type, data_sources,
	partition_name, attributes, data, hash, report_interval, first_seen, last_seen, deleted_at`

// nodeListColumns are nodeReadColumns without the data (lists and walks
// do not return it: not reading it saves copying every node's object).
var nodeListColumns = strings.Replace(nodeReadColumns, " data,", " '' AS data,", 1)

// decodeSources reads a data source list as the store writes it (a JSON
// array of strings); the common case, no escapes, without the JSON decoder.
func decodeSources(raw string) []string {
	if !strings.HasPrefix(raw, `["`) || !strings.HasSuffix(raw, `"]`) || len(raw) < 4 || strings.ContainsRune(raw, '\\') {
		var out []string
		if raw == "[]" {
			return []string{}
		}
		_ = json.Unmarshal([]byte(raw), &out)
		return out
	}
	return strings.Split(raw[2:len(raw)-2], `","`)
}

func scanEdges(rows *sql.Rows) ([]*Edge, error) {
	defer rows.Close()
	var out []*Edge
	for rows.Next() {
		e := &Edge{}
		var observed int
		var attrs string
		var first, last int64
		var deleted sql.NullInt64
		if err := rows.Scan(&e.Source, &e.Destination, &e.Type, &e.RelationType, &e.External, &e.Owner, &observed,
			&e.DataSourceID, &e.ScopeID, &e.Connections, &e.FailedConnections, &e.BytesSent, &e.BytesReceived, &attrs,
			&first, &last, &deleted); err != nil {
			return nil, err
		}
		e.Observed = observed != 0
		if attrs != "" && attrs != "{}" {
			_ = json.Unmarshal([]byte(attrs), &e.Attributes)
		}
		e.FirstSeen, e.LastSeen, e.DeletedAt = fromNanos(first), fromNanos(last), fromNullNanos(deleted)
		out = append(out, e)
	}
	return out, rows.Err()
}

func scanEdgeKeys(rows *sql.Rows) ([]*Edge, error) {
	defer rows.Close()
	var out []*Edge
	for rows.Next() {
		e := &Edge{}
		if err := rows.Scan(&e.Source, &e.Destination, &e.Type); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// edgesByKey reads whole edges by their keys, in the keys' order.
func (s *Store) edgesByKey(ctx context.Context, keys []EdgeKey) ([]*Edge, error) {
	byKey := map[EdgeKey]*Edge{}
	for start := 0; start < len(keys); start += readChunk {
		part := keys[start:min(start+readChunk, len(keys))]
		var q strings.Builder
		q.WriteString(`SELECT ` + edgeColumns + ` FROM edges WHERE (source_id, destination_id, type) IN (`)
		args := make([]any, 0, 3*len(part))
		for i, k := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?)")
			args = append(args, k.Source, k.Destination, k.Type)
		}
		q.WriteByte(')')
		rows, err := s.r.QueryContext(ctx, s.q(q.String()), args...)
		if err != nil {
			return nil, err
		}
		edges, err := scanEdges(rows)
		if err != nil {
			return nil, err
		}
		for _, e := range edges {
			byKey[e.Key()] = e
		}
	}
	out := make([]*Edge, 0, len(keys))
	for _, k := range keys {
		if e, ok := byKey[k]; ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// scanNodes reads nodes; withData false leaves Data out (lists).
func scanNodes(rows *sql.Rows, withData bool) ([]*Node, error) {
	defer rows.Close()
	var out []*Node
	for rows.Next() {
		n := &Node{}
		var sources, attrs, data string
		var first, last int64
		var deleted sql.NullInt64
		if err := rows.Scan(&n.ScopeID, &n.ID, &n.Type, &n.Name, &n.Status, &n.Version, &n.Group, &n.DataSourceID,
			&n.DataSourceType, &sources, &n.Partition, &attrs, &data, &n.Hash, &n.ReportInterval, &first, &last,
			&deleted); err != nil {
			return nil, err
		}
		n.DataSources = decodeSources(sources)
		if attrs != "" && attrs != "{}" {
			_ = json.Unmarshal([]byte(attrs), &n.Attributes)
		}
		if withData && data != "" {
			n.Data = json.RawMessage(data)
		}
		n.FirstSeen, n.LastSeen, n.DeletedAt = fromNanos(first), fromNanos(last), fromNullNanos(deleted)
		out = append(out, n)
	}
	return out, rows.Err()
}

// aliveAt is the condition "exists at asOf" (now when zero) on a table.
func aliveAt(asOf time.Time) (string, []any) {
	if asOf.IsZero() {
		return "deleted_at IS NULL", nil
	}
	t := nanos(asOf)
	return "first_seen <= ? AND (deleted_at IS NULL OR deleted_at > ?)", []any{t, t}
}

// maxLimit caps every list.
const maxLimit = 10000

func clampLimit(n, def int) int {
	if n <= 0 {
		return def
	}
	return min(n, maxLimit)
}

// cursor encodes a (scope, id) paging position.
func cursor(n *Node) string { return n.ScopeID + "\x1f" + n.ID }

func parseCursor(c string) (scope, id string, ok bool) {
	scope, id, ok = strings.Cut(c, "\x1f")
	return
}

func (f *NodeFilter) where() (string, []any) {
	var conds []string
	var args []any
	if !f.IncludeDeleted {
		c, a := aliveAt(f.AsOf)
		conds, args = append(conds, c), append(args, a...)
	} else if !f.AsOf.IsZero() {
		conds, args = append(conds, "first_seen <= ?"), append(args, nanos(f.AsOf))
	}
	if len(f.Types) > 0 {
		conds = append(conds, "type IN ("+placeholders(len(f.Types))+")")
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	for _, eq := range []struct{ col, v string }{
		{"data_source_id", f.DataSourceID}, {"scope_id", f.ScopeID}, {"grp", f.Group}, {"status", f.Status},
	} {
		if eq.v != "" {
			conds, args = append(conds, eq.col+" = ?"), append(args, eq.v)
		}
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// Nodes lists nodes matching f, ordered by (scope, id), a page at a time.
func (s *Store) Nodes(ctx context.Context, f NodeFilter) (NodePage, error) {
	return s.nodesPage(ctx, f, clampLimit(f.Limit, 100))
}

// nodesUnclamped is Nodes with the caller's limit as it is.
func (s *Store) nodesUnclamped(ctx context.Context, f NodeFilter) (NodePage, error) {
	return s.nodesPage(ctx, f, f.Limit)
}

func (s *Store) nodesPage(ctx context.Context, f NodeFilter, limit int) (NodePage, error) {
	where, args := f.where()
	if q := strings.TrimSpace(strings.ToLower(f.Query)); q != "" {
		tw, targs := termCondition(q)
		page, err := s.nodesWhere(ctx, where+" AND "+tw, append(slices.Clone(args), targs...), f.After, limit)
		if err != nil || page.Total > 0 {
			return page, err
		}
		// No term starts with it: a substring of anything, data included.
		where += " AND " + s.d.contains
		args = append(args, q)
	}
	return s.nodesWhere(ctx, where, args, f.After, limit)
}

func (s *Store) nodesWhere(ctx context.Context, where string, args []any, after string, limit int) (NodePage, error) {
	var total int
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT count(*) FROM nodes WHERE `+where), args...).Scan(&total); err != nil {
		return NodePage{}, fmt.Errorf("graph store: %w", err)
	}
	if scope, id, ok := parseCursor(after); ok {
		where += " AND (scope_id > ? OR (scope_id = ? AND id > ?))"
		args = append(args, scope, scope, id)
	}
	args = append(args, limit+1)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+nodeListColumns+` FROM nodes WHERE `+where+
		` ORDER BY scope_id, id LIMIT ?`), args...)
	if err != nil {
		return NodePage{}, fmt.Errorf("graph store: %w", err)
	}
	nodes, err := scanNodes(rows, false)
	if err != nil {
		return NodePage{}, fmt.Errorf("graph store: %w", err)
	}
	page := NodePage{Nodes: nodes, Total: total}
	if len(nodes) > limit {
		page.Nodes = nodes[:limit]
		page.Next = cursor(nodes[limit-1])
	}
	if page.Nodes == nil {
		page.Nodes = []*Node{}
	}
	return page, nil
}

// Node returns one node with its data. An empty scope takes the ID's
// live holder (the newest one when several scopes hold it).
func (s *Store) Node(ctx context.Context, scope, id string) (*Node, error) {
	q := `SELECT ` + nodeReadColumns + ` FROM nodes WHERE id = ?`
	args := []any{id}
	if scope != "" {
		q += ` AND scope_id = ?`
		args = append(args, scope)
	}
	q += ` ORDER BY CASE WHEN deleted_at IS NULL THEN 0 ELSE 1 END, last_seen DESC LIMIT 1`
	rows, err := s.r.QueryContext(ctx, s.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	nodes, err := scanNodes(rows, true)
	if err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("node %q: %w", id, ErrNotFound)
	}
	return nodes[0], nil
}

// nodesByID returns the live (at asOf) nodes holding these IDs.
func (s *Store) nodesByID(ctx context.Context, ids []string, asOf time.Time) (map[string]*Node, error) {
	out := make(map[string]*Node, len(ids))
	alive, aargs := aliveAt(asOf)
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := make([]any, 0, len(part)+2)
		for _, id := range part {
			args = append(args, id)
		}
		args = append(args, aargs...)
		rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+nodeListColumns+` FROM nodes WHERE id IN (`+placeholders(len(part))+
			`) AND `+alive), args...)
		if err != nil {
			return nil, err
		}
		nodes, err := scanNodes(rows, false)
		if err != nil {
			return nil, err
		}
		for _, n := range nodes {
			if o, ok := out[n.ID]; !ok || n.LastSeen.After(o.LastSeen) {
				out[n.ID] = n
			}
		}
	}
	return out, nil
}

// EdgesOf returns the live (at asOf) edges with an end in ids, in the
// given direction, limited to relation types when any are given.
func (s *Store) EdgesOf(ctx context.Context, ids []string, dir Direction, types []string, asOf time.Time) ([]*Edge, error) {
	return s.edgesOf(ctx, ids, dir, types, asOf, false)
}

// readChunk is how many IDs go into one IN (…) of a read.
const readChunk = 500

// edgesOf is EdgesOf; keysOnly reads only the edges' ends and types, and
// lists an edge twice when both its ends are in ids (a
// walk that needs no more).
func (s *Store) edgesOf(ctx context.Context, ids []string, dir Direction, types []string, asOf time.Time, keysOnly bool) ([]*Edge, error) {
	var out []*Edge
	alive, aargs := aliveAt(asOf)
	typeCond := ""
	var targs []any
	if len(types) > 0 {
		typeCond = " AND type IN (" + placeholders(len(types)) + ")"
		for _, t := range types {
			targs = append(targs, t)
		}
	}
	var cols []string
	switch dir {
	case Downstream:
		cols = []string{"source_id"}
	case Upstream:
		cols = []string{"destination_id"}
	default:
		cols = []string{"source_id", "destination_id"}
	}
	seen := map[EdgeKey]bool{}
	columns := edgeColumns
	if keysOnly {
		columns = "source_id, destination_id, type"
	}
	for start := 0; start < len(ids); start += readChunk {
		part := ids[start:min(start+readChunk, len(ids))]
		for _, col := range cols {
			args := make([]any, 0, len(part)+len(aargs)+len(targs))
			for _, id := range part {
				args = append(args, id)
			}
			args = append(args, aargs...)
			args = append(args, targs...)
			rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+columns+` FROM edges WHERE `+col+` IN (`+
				placeholders(len(part))+`) AND `+alive+typeCond), args...)
			if err != nil {
				return nil, fmt.Errorf("graph store: %w", err)
			}
			var edges []*Edge
			if keysOnly {
				edges, err = scanEdgeKeys(rows)
			} else {
				edges, err = scanEdges(rows)
			}
			if err != nil {
				return nil, fmt.Errorf("graph store: %w", err)
			}
			if keysOnly {
				// A walk tolerates an edge listed twice (both its ends in
				// ids): no set to build.
				out = append(out, edges...)
				continue
			}
			for _, e := range edges {
				if !seen[e.Key()] {
					seen[e.Key()] = true
					out = append(out, e)
				}
			}
		}
	}
	return out, nil
}

// ChangesSince returns up to limit changes with a sequence above seq.
func (s *Store) ChangesSince(ctx context.Context, seq int64, limit int) ([]Change, error) {
	return s.changes(ctx, `seq > ?`, []any{seq}, clampLimit(limit, 1000))
}

// ChangesSinceTime returns up to limit changes at or after t.
func (s *Store) ChangesSinceTime(ctx context.Context, t time.Time, limit int) ([]Change, error) {
	return s.changes(ctx, `at >= ?`, []any{nanos(t)}, clampLimit(limit, 1000))
}

// History returns the changes of one node (newest last).
func (s *Store) History(ctx context.Context, id string, limit int) ([]Change, error) {
	limit = clampLimit(limit, 100)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+changeColumns+` FROM (SELECT `+changeColumns+` FROM changes WHERE id = ?
		ORDER BY seq DESC LIMIT ?) h ORDER BY seq`), id, limit)
	if err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	return scanChanges(rows)
}

const changeColumns = `seq, at, op, kind, scope_id, id, type, name, data_source_id, partition_name, source_id, destination_id,
	before_hash, after_hash, fields`

func (s *Store) changes(ctx context.Context, cond string, args []any, limit int) ([]Change, error) {
	args = append(args, limit)
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+changeColumns+` FROM changes WHERE `+cond+` ORDER BY seq LIMIT ?`), args...)
	if err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	return scanChanges(rows)
}

func scanChanges(rows *sql.Rows) ([]Change, error) {
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var at int64
		var fields string
		if err := rows.Scan(&c.Seq, &at, &c.Op, &c.Kind, &c.ScopeID, &c.ID, &c.Type, &c.Name, &c.DataSourceID, &c.Partition,
			&c.Source, &c.Destination, &c.BeforeHash, &c.AfterHash, &fields); err != nil {
			return nil, fmt.Errorf("graph store: %w", err)
		}
		c.At = fromNanos(at)
		if c.Kind == KindEdge && c.ID == "" {
			c.ID = c.Source + "." + c.Destination
		}
		if fields != "" {
			_ = json.Unmarshal([]byte(fields), &c.Fields)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	return out, nil
}

// LastSeq is the newest change's sequence number (0 when none).
func (s *Store) LastSeq(ctx context.Context) (int64, error) {
	var seq sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT max(seq) FROM changes`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("graph store: %w", err)
	}
	return seq.Int64, nil
}

// Diff collapses the changes in (from, to] per element: created then
// deleted in the window is left out; created then updated is created.
func (s *Store) Diff(ctx context.Context, from, to time.Time, limit int) (Diff, error) {
	if to.IsZero() {
		to = time.Now()
	}
	limit = clampLimit(limit, maxLimit)
	d := Diff{From: from.UTC(), To: to.UTC(), Created: []Change{}, Updated: []Change{}, Deleted: []Change{}}
	rows, err := s.r.QueryContext(ctx, s.q(`SELECT `+changeColumns+` FROM changes WHERE at > ? AND at <= ? ORDER BY seq`),
		nanos(from), nanos(to))
	if err != nil {
		return d, fmt.Errorf("graph store: %w", err)
	}
	all, err := scanChanges(rows)
	if err != nil {
		return d, err
	}
	type span struct{ first, last Change }
	order := []string{}
	spans := map[string]*span{}
	for _, c := range all {
		if c.Kind == KindPartition {
			continue // a resync marker changes no element
		}
		k := c.Kind + "\x00" + c.ScopeID + "\x00" + c.ID + "\x00" + c.Type
		sp, ok := spans[k]
		if !ok {
			spans[k] = &span{first: c, last: c}
			order = append(order, k)
			continue
		}
		fields := sp.last.Fields
		sp.last = c
		if c.Op == OpUpdated {
			sp.last.Fields = mergeFields(fields, c.Fields)
		}
	}
	for _, k := range order {
		sp := spans[k]
		c := sp.last
		switch {
		case sp.first.Op == OpCreated && c.Op == OpDeleted:
			continue
		case sp.first.Op == OpCreated:
			c.Op = OpCreated
			c.BeforeHash = ""
			d.Created = append(d.Created, c)
		case c.Op == OpDeleted:
			d.Deleted = append(d.Deleted, c)
		default:
			c.Op = OpUpdated
			c.BeforeHash = sp.first.BeforeHash
			d.Updated = append(d.Updated, c)
		}
	}
	for _, l := range []*[]Change{&d.Created, &d.Updated, &d.Deleted} {
		if len(*l) > limit {
			*l = (*l)[:limit]
		}
	}
	return d, nil
}

func mergeFields(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range append(append([]string{}, a...), b...) {
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// Summary counts the live graph.
func (s *Store) Summary(ctx context.Context) (Summary, error) { return s.summary(ctx, "") }

// SummaryOf counts what one data source reported to the live graph (the
// nodes it reported last, the edges it declared or observed, its changes).
func (s *Store) SummaryOf(ctx context.Context, dataSourceID string) (Summary, error) {
	return s.summary(ctx, dataSourceID)
}

// summary counts the live graph, or one data source's part when ds is set.
func (s *Store) summary(ctx context.Context, ds string) (Summary, error) {
	cond, args := "", []any(nil)
	if ds != "" {
		cond, args = " AND data_source_id = ?", []any{ds}
	}
	sum := Summary{ByType: map[string]int{}, ByDataSource: map[string]int{}, ByScope: map[string]int{}, ByRelation: map[string]int{}}
	for _, g := range []struct {
		q string
		m map[string]int
	}{
		{`SELECT type, count(*) FROM nodes WHERE deleted_at IS NULL` + cond + ` GROUP BY type`, sum.ByType},
		{`SELECT data_source_id, count(*) FROM nodes WHERE deleted_at IS NULL` + cond + ` GROUP BY data_source_id`, sum.ByDataSource},
		{`SELECT scope_id, count(*) FROM nodes WHERE deleted_at IS NULL` + cond + ` GROUP BY scope_id`, sum.ByScope},
		{`SELECT type, count(*) FROM edges WHERE deleted_at IS NULL` + cond + ` GROUP BY type`, sum.ByRelation},
	} {
		rows, err := s.r.QueryContext(ctx, s.q(g.q), args...)
		if err != nil {
			return sum, fmt.Errorf("graph store: %w", err)
		}
		for rows.Next() {
			var k string
			var n int
			if err := rows.Scan(&k, &n); err != nil {
				rows.Close()
				return sum, fmt.Errorf("graph store: %w", err)
			}
			g.m[k] = n
		}
		if err := rows.Close(); err != nil {
			return sum, fmt.Errorf("graph store: %w", err)
		}
	}
	for _, n := range sum.ByType {
		sum.Nodes += n
	}
	for _, n := range sum.ByRelation {
		sum.Edges += n
	}
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT count(*) FROM nodes WHERE deleted_at IS NOT NULL`+cond), args...).Scan(&sum.DeletedNodes); err != nil {
		return sum, fmt.Errorf("graph store: %w", err)
	}
	var last, oldest sql.NullInt64
	if err := s.r.QueryRowContext(ctx, s.q(`SELECT max(seq), min(at) FROM changes WHERE 1 = 1`+cond), args...).Scan(&last, &oldest); err != nil {
		return sum, fmt.Errorf("graph store: %w", err)
	}
	sum.LastChange = last.Int64
	sum.Oldest = fromNullNanos(oldest)
	return sum, nil
}

// DataSources lists the data sources with live nodes.
func (s *Store) DataSources(ctx context.Context) ([]DataSource, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT data_source_id, data_source_type, scope_id, count(*), max(last_seen) FROM nodes
		WHERE deleted_at IS NULL GROUP BY data_source_id, data_source_type, scope_id ORDER BY data_source_id, scope_id`)
	if err != nil {
		return nil, fmt.Errorf("graph store: %w", err)
	}
	defer rows.Close()
	out := []DataSource{}
	for rows.Next() {
		var id, typ, scope string
		var n int
		var last int64
		if err := rows.Scan(&id, &typ, &scope, &n, &last); err != nil {
			return nil, fmt.Errorf("graph store: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != id {
			out = append(out, DataSource{ID: id, Type: typ})
		}
		ds := &out[len(out)-1]
		ds.Scopes = append(ds.Scopes, scope)
		ds.Nodes += n
		if t := fromNanos(last); t.After(ds.LastSeen) {
			ds.LastSeen = t
		}
	}
	return out, rows.Err()
}

// Snapshot is the whole live graph (the graph file's content).
func (s *Store) Snapshot(ctx context.Context) ([]*Node, []*Edge, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+nodeListColumns+` FROM nodes WHERE deleted_at IS NULL ORDER BY id, scope_id`)
	if err != nil {
		return nil, nil, fmt.Errorf("graph store: %w", err)
	}
	nodes, err := scanNodes(rows, false)
	if err != nil {
		return nil, nil, fmt.Errorf("graph store: %w", err)
	}
	rows, err = s.r.QueryContext(ctx, `SELECT `+edgeColumns+` FROM edges WHERE deleted_at IS NULL
		ORDER BY source_id, destination_id, type`)
	if err != nil {
		return nil, nil, fmt.Errorf("graph store: %w", err)
	}
	edges, err := scanEdges(rows)
	if err != nil {
		return nil, nil, fmt.Errorf("graph store: %w", err)
	}
	return nodes, edges, nil
}

// Maintain expires what stopped being reported (entities after three
// report intervals, flows after FlowTTL) and drops history older than
// HistoryRetention or beyond MaxChanges.
func (s *Store) Maintain(ctx context.Context, now time.Time) error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("graph store: %w", err)
	}
	w := &writer{s: s, tx: tx, now: nanos(now)}
	err = w.maintain(ctx, now)
	w.closeStmts()
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("graph store: maintenance: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("graph store: maintenance: %w", err)
	}
	if len(w.changes) > 0 {
		s.notify()
	}
	return nil
}

func (w *writer) maintain(ctx context.Context, now time.Time) error {
	if w.s.d.lock != "" {
		if _, err := w.tx.ExecContext(ctx, w.s.d.lock); err != nil {
			return err
		}
	}
	n := nanos(now)
	// Entities three report intervals late.
	if err := w.deleteWhere(ctx, n, `report_interval > 0 AND last_seen + report_interval * 3000000000 < ?`, n); err != nil {
		return err
	}
	// Flows not seen within the TTL.
	rows, err := w.tx.QueryContext(ctx, w.s.q(`SELECT `+edgeColumns+` FROM edges WHERE deleted_at IS NULL AND observed = 1
		AND last_seen < ?`), n-int64(w.s.opts.FlowTTL))
	if err != nil {
		return err
	}
	stale, err := scanEdges(rows)
	if err != nil {
		return err
	}
	for _, e := range stale {
		if err := w.deleteEdge(ctx, e, n); err != nil {
			return err
		}
	}
	if err := w.writeChanges(ctx); err != nil {
		return err
	}
	// History.
	cut := n - int64(w.s.opts.HistoryRetention)
	for _, q := range []string{
		`DELETE FROM changes WHERE at < ?`,
		`DELETE FROM node_terms WHERE (scope_id, id) IN (SELECT scope_id, id FROM nodes WHERE deleted_at IS NOT NULL AND deleted_at < ?)`,
		`DELETE FROM nodes WHERE deleted_at IS NOT NULL AND deleted_at < ?`,
		`DELETE FROM edges WHERE deleted_at IS NOT NULL AND deleted_at < ?`,
	} {
		if _, err := w.tx.ExecContext(ctx, w.s.q(q), cut); err != nil {
			return err
		}
	}
	if w.s.opts.MaxChanges > 0 {
		var last sql.NullInt64
		if err := w.tx.QueryRowContext(ctx, `SELECT max(seq) FROM changes`).Scan(&last); err != nil {
			return err
		}
		if last.Valid && last.Int64 > w.s.opts.MaxChanges {
			if _, err := w.tx.ExecContext(ctx, w.s.q(`DELETE FROM changes WHERE seq <= ?`), last.Int64-w.s.opts.MaxChanges); err != nil {
				return err
			}
		}
	}
	return nil
}

// IsNotFound reports whether err is an unknown node.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
