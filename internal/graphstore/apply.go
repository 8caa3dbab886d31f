package graphstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// chunk is how many keys go into one IN (…) lookup.
const chunk = 200

type nodeKey struct{ scope, id string }

// stored is what a write needs to know of a node already in the store.
type stored struct {
	hash      string
	stateHash string
	linksHash string
	sources   []string
	firstSeen int64
	lastSeen  int64
	deleted   bool
	typ, name string
	ds, part  string
}

type storedEdge struct {
	owner   string
	deleted bool
}

// writer holds one write transaction's state.
type writer struct {
	s       *Store
	tx      *sql.Tx
	now     int64
	changes []Change

	updNode, touchNode, reviveEdge, updEdge, addFlow *sql.Stmt
	// extra are statements prepared on the way (multi-row inserts).
	extra []*sql.Stmt
}

// Apply writes a batch in one transaction and appends its changes to the
// feed.
func (s *Store) Apply(ctx context.Context, b Batch) error {
	if s.opts.ReadOnly {
		return ErrReadOnly
	}
	if b.Len() == 0 {
		return nil
	}
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("graph store: %w", err)
	}
	w := &writer{s: s, tx: tx, now: time.Now().UnixNano()}
	err = w.apply(ctx, b)
	w.closeStmts()
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("graph store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("graph store: commit: %w", err)
	}
	if len(w.changes) > 0 {
		s.notify()
	}
	return nil
}

func (w *writer) prepare(ctx context.Context, q string) (*sql.Stmt, error) {
	return w.tx.PrepareContext(ctx, w.s.q(q))
}

func (w *writer) closeStmts() {
	for _, st := range append([]*sql.Stmt{w.updNode, w.touchNode, w.reviveEdge, w.updEdge, w.addFlow}, w.extra...) {
		if st != nil {
			st.Close()
		}
	}
}

const nodeColumns = `scope_id, id, type, name, status, version, grp, data_source_id, data_source_type, data_sources,
	partition_name, attributes, data, hash, state_hash, links_hash, search, report_interval, first_seen, last_seen, deleted_at`

func (w *writer) apply(ctx context.Context, b Batch) error {
	if w.s.d.lock != "" {
		if _, err := w.tx.ExecContext(ctx, w.s.d.lock); err != nil {
			return err
		}
	}
	if err := w.applyNodes(ctx, b.Nodes); err != nil {
		return err
	}
	if err := w.applyEdges(ctx, b.Edges); err != nil {
		return err
	}
	if err := w.applyObservations(ctx, b.Observations); err != nil {
		return err
	}
	for _, d := range b.Deletes {
		if err := w.deleteNode(ctx, d.ScopeID, d.ID, nanos(d.At)); err != nil {
			return err
		}
	}
	for _, fc := range b.FullCrawls {
		if err := w.fullCrawl(ctx, fc); err != nil {
			return err
		}
	}
	for _, m := range b.Crawls {
		if err := w.crawlMark(ctx, m); err != nil {
			return err
		}
	}
	return w.writeChanges(ctx)
}

// crawlMark closes the partition's previous crawl when a newer one starts.
func (w *writer) crawlMark(ctx context.Context, m CrawlMark) error {
	at := nanos(m.At)
	var prev int64
	err := w.tx.QueryRowContext(ctx, w.s.q(`SELECT crawled_at FROM crawls WHERE data_source_id=? AND partition_name=?`),
		m.DataSourceID, m.Partition).Scan(&prev)
	switch {
	case err == sql.ErrNoRows:
		_, err = w.tx.ExecContext(ctx, w.s.q(`INSERT INTO crawls (data_source_id, partition_name, crawled_at) VALUES (?,?,?)`),
			m.DataSourceID, m.Partition, at)
		return err
	case err != nil:
		return err
	case at <= prev:
		return nil // another request of the same crawl, or a late one
	}
	if err := w.fullCrawl(ctx, FullCrawl{DataSourceID: m.DataSourceID, Partition: m.Partition, Since: fromNanos(prev), At: m.At}); err != nil {
		return err
	}
	_, err = w.tx.ExecContext(ctx, w.s.q(`UPDATE crawls SET crawled_at=? WHERE data_source_id=? AND partition_name=?`),
		at, m.DataSourceID, m.Partition)
	return err
}

// writeChanges appends the transaction's changes to the feed.
func (w *writer) writeChanges(ctx context.Context) error {
	ins := w.newMultiInsert(`INSERT INTO changes (at, op, kind, scope_id, id, type, name, data_source_id, partition_name,
		source_id, destination_id, before_hash, after_hash, fields)`, 14, "")
	for i := range w.changes {
		c := &w.changes[i]
		fields := ""
		if len(c.Fields) > 0 {
			raw, _ := json.Marshal(c.Fields)
			fields = string(raw)
		}
		id := c.ID
		if c.Kind == KindEdge {
			id = "" // source and destination say it; read back as <src>.<dst>
		}
		if err := ins.add(ctx, nil, nanos(c.At), c.Op, c.Kind, c.ScopeID, id, c.Type, c.Name, c.DataSourceID,
			c.Partition, c.Source, c.Destination, c.BeforeHash, c.AfterHash, fields); err != nil {
			return err
		}
	}
	return ins.flush(ctx, nil)
}

// prepared is a node state with what is computed from it.
type prepared struct {
	st        *NodeState
	hash      string
	stateHash string
	decoded   any
	linksHash string
	attrs     string
	search    string
	group     string
}

func prepareNode(st *NodeState) prepared {
	p := prepared{st: st}
	data := st.Data
	if len(data) == 0 {
		data = []byte("{}")
		st.Data = data
	}
	sum := sha256.Sum256(data)
	p.hash = hex.EncodeToString(sum[:])
	var decoded any
	_ = json.Unmarshal(data, &decoded)
	p.decoded = decoded
	if len(st.Attributes) > 0 {
		raw, _ := json.Marshal(st.Attributes)
		p.attrs = string(raw)
	} else {
		p.attrs = "{}"
	}
	state := sha256.New()
	for _, part := range []string{st.Type, st.Name, st.Status, st.Version, p.attrs} {
		state.Write([]byte(part))
		state.Write([]byte{0})
	}
	state.Write(data)
	p.stateHash = hex.EncodeToString(state.Sum(nil)[:16])
	p.group = groupOf(st.Attributes)
	p.search = searchText(st, p.group, decoded)
	if st.LinksKnown {
		p.linksHash = linksHash(st.Links)
	}
	return p
}

// fieldHashes hashes each top-level field: name, status, version, type,
// every attribute and every key of the data, so an update can name what
// changed.
func fieldHashes(st *NodeState, decoded any) map[string]string {
	out := map[string]string{}
	h := func(v []byte) string {
		f := fnv.New64a()
		f.Write(v)
		return strconv.FormatUint(f.Sum64(), 36)
	}
	out["name"] = h([]byte(st.Name))
	out["status"] = h([]byte(st.Status))
	out["version"] = h([]byte(st.Version))
	out["type"] = h([]byte(st.Type))
	for k, v := range st.Attributes {
		raw, _ := json.Marshal(v)
		out["attributes."+k] = h(raw)
	}
	if top, ok := decoded.(map[string]any); ok {
		for k, v := range top {
			raw, _ := json.Marshal(v)
			out["data."+k] = h(raw)
		}
	} else {
		raw, _ := json.Marshal(decoded)
		out["data"] = h(raw)
	}
	return out
}

// storedFields hashes the fields of a node as the store holds it, for
// naming what an update changes.
func (w *writer) storedFields(ctx context.Context, k nodeKey) (map[string]string, error) {
	var st NodeState
	var attrs, data string
	if err := w.tx.QueryRowContext(ctx, w.s.q(`SELECT type, name, status, version, attributes, data FROM nodes
		WHERE scope_id=? AND id=?`), k.scope, k.id).Scan(&st.Type, &st.Name, &st.Status, &st.Version, &attrs, &data); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(attrs), &st.Attributes)
	var decoded any
	_ = json.Unmarshal([]byte(data), &decoded)
	return fieldHashes(&st, decoded), nil
}

func changedFields(before, after map[string]string) []string {
	var out []string
	for k, v := range after {
		if before[k] != v {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func linksHash(links []Edge) string {
	keys := make([]string, 0, len(links))
	for _, l := range links {
		keys = append(keys, l.Source+"\x00"+l.Destination+"\x00"+l.Type+"\x00"+l.External)
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte(strings.Join(keys, "\x01")))
	return hex.EncodeToString(sum[:12])
}

// groupKeys are the attributes that name the group a node sits in, first
// match wins.
var groupKeys = []string{"k8s.namespace.name", "vpc_id", "cloud.region", "region", "cloud.availability_zone", "zone"}

func groupOf(attrs map[string]any) string {
	for _, k := range groupKeys {
		if v, ok := attrs[k].(string); ok && v != "" {
			return v
		}
	}
	return ""
}

// maxSearch bounds the text a node is searched by.
const maxSearch = 4096

func searchText(st *NodeState, group string, decoded any) string {
	var b strings.Builder
	add := func(s string) {
		if s == "" || b.Len() >= maxSearch {
			return
		}
		b.WriteString(strings.ToLower(s))
		b.WriteByte('\n')
	}
	add(st.ID)
	add(st.Name)
	add(st.Type)
	add(group)
	for _, k := range slices.Sorted(maps.Keys(st.Attributes)) {
		addValue(add, st.Attributes[k])
	}
	addValue(add, decoded)
	s := b.String()
	if len(s) > maxSearch {
		s = s[:maxSearch]
	}
	return s
}

func addValue(add func(string), v any) {
	switch x := v.(type) {
	case string:
		add(x)
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			addValue(add, x[k])
		}
	case []any:
		for _, e := range x {
			addValue(add, e)
		}
	case float64:
		add(strconv.FormatFloat(x, 'f', -1, 64))
	case int64:
		add(strconv.FormatInt(x, 10))
	}
}

func (w *writer) applyNodes(ctx context.Context, states []NodeState) error {
	if len(states) == 0 {
		return nil
	}
	// A later state of the same node in one batch wins.
	index := make(map[nodeKey]int, len(states))
	order := make([]nodeKey, 0, len(states))
	for i := range states {
		k := nodeKey{states[i].ScopeID, states[i].ID}
		if _, ok := index[k]; !ok {
			order = append(order, k)
		}
		index[k] = i
	}
	old, err := w.loadNodes(ctx, order)
	if err != nil {
		return err
	}
	insNode := w.newMultiInsert(`INSERT INTO nodes (`+nodeColumns+`)`, 21, "")
	if w.updNode, err = w.prepare(ctx, `UPDATE nodes SET type=?, name=?, status=?, version=?, grp=?, data_source_id=?,
		data_source_type=?, data_sources=?, partition_name=?, attributes=?, data=?, hash=?, state_hash=?, links_hash=?, search=?,
		report_interval=?, first_seen=?, last_seen=?, deleted_at=NULL WHERE scope_id=? AND id=?`); err != nil {
		return err
	}
	// Unchanged nodes (the bulk of a crawl) only move their last-seen time.
	// Where a statement is a round trip (PostgreSQL), one UPDATE per 256 of
	// them, joined to their new values; SQLite runs a prepared statement per
	// node in process, which costs less than the join.
	touch := w.newMultiInsert(`WITH v (last_seen, report_interval, data_sources, data_source_id, partition_name, scope_id, id) AS (`, 7,
		`) UPDATE nodes SET last_seen = CAST(v.last_seen AS BIGINT), report_interval = CAST(v.report_interval AS BIGINT),
		data_sources = v.data_sources, data_source_id = v.data_source_id, partition_name = v.partition_name
		FROM v WHERE nodes.scope_id = v.scope_id AND nodes.id = v.id`)
	if !w.s.d.batchTouch {
		if w.touchNode, err = w.prepare(ctx, `UPDATE nodes SET last_seen=?, report_interval=?, data_sources=?, data_source_id=?,
			partition_name=? WHERE scope_id=? AND id=?`); err != nil {
			return err
		}
	}
	var indexed []prepared // nodes whose search terms must be written
	var reindex []nodeKey  // of those, the ones indexed before
	var relink []prepared  // nodes whose structural edges must be rewritten
	var owners []string    // of those, the ones that may own edges already
	for _, k := range order {
		st := &states[index[k]]
		p := prepareNode(st)
		at := nanos(st.At)
		if at == 0 {
			at = w.now
		}
		o, exists := old[k]
		sources := []string{st.DataSourceID}
		if exists {
			sources = o.sources
			if !slices.Contains(sources, st.DataSourceID) {
				sources = append(slices.Clone(sources), st.DataSourceID)
				slices.Sort(sources)
			}
		}
		srcJSON, _ := json.Marshal(sources)
		ri := int64(st.ReportInterval / time.Second)
		ch := Change{At: fromNanos(at), Kind: KindNode, ScopeID: st.ScopeID, ID: st.ID, Type: st.Type, Name: st.Name,
			DataSourceID: st.DataSourceID, Partition: st.Partition, AfterHash: p.hash}
		switch {
		case !exists:
			err = insNode.add(ctx, nil, st.ScopeID, st.ID, st.Type, st.Name, st.Status, st.Version, p.group,
				st.DataSourceID, st.DataSourceType, string(srcJSON), st.Partition, p.attrs, string(st.Data), p.hash,
				p.stateHash, p.linksHash, p.search, ri, at, at, nil)
			ch.Op = OpCreated
			w.changes = append(w.changes, ch)
			indexed = append(indexed, p)
		case o.deleted || o.stateHash != p.stateHash:
			indexed, reindex = append(indexed, p), append(reindex, k)
			var before map[string]string
			if !o.deleted {
				if before, err = w.storedFields(ctx, k); err != nil {
					return fmt.Errorf("node %s: %w", st.ID, err)
				}
			}
			linksHash := p.linksHash
			if !st.LinksKnown {
				linksHash = o.linksHash
			}
			_, err = w.updNode.ExecContext(ctx, st.Type, st.Name, st.Status, st.Version, p.group, st.DataSourceID,
				st.DataSourceType, string(srcJSON), st.Partition, p.attrs, string(st.Data), p.hash, p.stateHash,
				linksHash, p.search, ri, o.firstSeen, max(at, o.lastSeen), st.ScopeID, st.ID)
			ch.BeforeHash = o.hash
			if o.deleted {
				ch.Op = OpCreated
			} else {
				ch.Op = OpUpdated
				ch.Fields = changedFields(before, fieldHashes(st, p.decoded))
			}
			w.changes = append(w.changes, ch)
		default:
			if w.touchNode != nil {
				_, err = w.touchNode.ExecContext(ctx, max(at, o.lastSeen), ri, string(srcJSON), st.DataSourceID, st.Partition,
					st.ScopeID, st.ID)
				break
			}
			// The numbers as text, cast back by the statement: a VALUES
			// list's parameters have no column type to take on PostgreSQL.
			err = touch.add(ctx, nil, strconv.FormatInt(max(at, o.lastSeen), 10), strconv.FormatInt(ri, 10), string(srcJSON),
				st.DataSourceID, st.Partition, st.ScopeID, st.ID)
		}
		if err != nil {
			return fmt.Errorf("node %s: %w", st.ID, err)
		}
		if st.LinksKnown && (!exists || o.deleted || o.linksHash != p.linksHash) {
			relink = append(relink, p)
			if exists {
				owners = append(owners, st.ID)
			}
		}
	}
	if err := insNode.flush(ctx, nil); err != nil {
		return err
	}
	if err := touch.flush(ctx, nil); err != nil {
		return err
	}
	if err := w.writeTerms(ctx, indexed, reindex); err != nil {
		return err
	}
	return w.relink(ctx, relink, owners)
}

func (w *writer) loadNodes(ctx context.Context, keys []nodeKey) (map[nodeKey]*stored, error) {
	out := make(map[nodeKey]*stored, len(keys))
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		var q strings.Builder
		q.WriteString(`SELECT scope_id, id, hash, state_hash, links_hash, data_sources, first_seen, last_seen, deleted_at, type, name,
			data_source_id, partition_name FROM nodes WHERE (scope_id, id) IN (`)
		args := make([]any, 0, 2*len(part))
		for i, k := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?)")
			args = append(args, k.scope, k.id)
		}
		q.WriteByte(')')
		rows, err := w.tx.QueryContext(ctx, w.s.q(q.String()), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k nodeKey
			var o stored
			var sources string
			var deleted sql.NullInt64
			if err := rows.Scan(&k.scope, &k.id, &o.hash, &o.stateHash, &o.linksHash, &sources, &o.firstSeen, &o.lastSeen, &deleted,
				&o.typ, &o.name, &o.ds, &o.part); err != nil {
				rows.Close()
				return nil, err
			}
			_ = json.Unmarshal([]byte(sources), &o.sources)
			o.deleted = deleted.Valid
			out[k] = &o
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// relink replaces the structural edges of the nodes in ps by the ones they
// declare now.
func (w *writer) relink(ctx context.Context, ps []prepared, owners []string) error {
	if len(ps) == 0 {
		return nil
	}
	owned, err := w.ownedEdges(ctx, owners)
	if err != nil {
		return err
	}
	var want []Edge
	for _, p := range ps {
		for _, l := range p.st.Links {
			if l.Source == "" || l.Destination == "" {
				continue
			}
			l.Owner = p.st.ID
			l.DataSourceID, l.ScopeID = p.st.DataSourceID, p.st.ScopeID
			if l.FirstSeen.IsZero() {
				l.FirstSeen = p.st.At
			}
			if l.LastSeen.IsZero() {
				l.LastSeen = p.st.At
			}
			want = append(want, l)
		}
	}
	keep := map[EdgeKey]bool{}
	for _, e := range want {
		keep[e.Key()] = true
	}
	if err := w.upsertEdges(ctx, want); err != nil {
		return err
	}
	for _, e := range owned {
		if !keep[e.Key()] {
			if err := w.deleteEdge(ctx, e, w.now); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *writer) ownedEdges(ctx context.Context, owners []string) ([]*Edge, error) {
	var out []*Edge
	for start := 0; start < len(owners); start += chunk {
		part := owners[start:min(start+chunk, len(owners))]
		args := make([]any, len(part))
		for i, o := range part {
			args[i] = o
		}
		rows, err := w.tx.QueryContext(ctx, w.s.q(`SELECT `+edgeColumns+` FROM edges WHERE deleted_at IS NULL AND owner IN (`+
			placeholders(len(part))+`)`), args...)
		if err != nil {
			return nil, err
		}
		edges, err := scanEdges(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, edges...)
	}
	return out, nil
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// loadEdges returns what the store holds of these edges.
func (w *writer) loadEdges(ctx context.Context, keys []EdgeKey) (map[EdgeKey]storedEdge, error) {
	out := make(map[EdgeKey]storedEdge, len(keys))
	for start := 0; start < len(keys); start += chunk {
		part := keys[start:min(start+chunk, len(keys))]
		var q strings.Builder
		q.WriteString(`SELECT source_id, destination_id, type, owner, deleted_at FROM edges WHERE (source_id, destination_id, type) IN (`)
		args := make([]any, 0, 3*len(part))
		for i, k := range part {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?)")
			args = append(args, k.Source, k.Destination, k.Type)
		}
		q.WriteByte(')')
		rows, err := w.tx.QueryContext(ctx, w.s.q(q.String()), args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var k EdgeKey
			var se storedEdge
			var deleted sql.NullInt64
			if err := rows.Scan(&k.Source, &k.Destination, &k.Type, &se.owner, &deleted); err != nil {
				rows.Close()
				return nil, err
			}
			se.deleted = deleted.Valid
			out[k] = se
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func edgeKeys(edges []Edge) []EdgeKey {
	seen := make(map[EdgeKey]bool, len(edges))
	out := make([]EdgeKey, 0, len(edges))
	for i := range edges {
		k := edges[i].Key()
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

func attrsJSON(a map[string]any) string {
	if len(a) == 0 {
		return "{}"
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return "{}"
	}
	return string(raw)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// upsertEdges writes structural edges; new (or revived) ones go into the
// feed. A new edge costs one INSERT; an existing one an INSERT that does
// nothing and an UPDATE that says whether it was deleted.
func (w *writer) upsertEdges(ctx context.Context, edges []Edge) error {
	if len(edges) == 0 {
		return nil
	}
	var err error
	if w.reviveEdge == nil {
		if w.reviveEdge, err = w.prepare(ctx, `UPDATE edges SET relation_type=?, external=?, owner=?, data_source_id=?,
			scope_id=?, attributes=?, first_seen=?, last_seen=?, deleted_at=NULL
			WHERE source_id=? AND destination_id=? AND type=? AND deleted_at IS NOT NULL`); err != nil {
			return err
		}
		if w.updEdge, err = w.prepare(ctx, `UPDATE edges SET relation_type=?, external=?, owner=?, data_source_id=?,
			scope_id=?, attributes=?, last_seen=? WHERE source_id=? AND destination_id=? AND type=?`); err != nil {
			return err
		}
	}
	// First insert them all: the statement returns the keys it created.
	created := map[EdgeKey]bool{}
	onRows := func(rows *sql.Rows) error {
		var k EdgeKey
		if err := rows.Scan(&k.Source, &k.Destination, &k.Type); err != nil {
			return err
		}
		created[k] = true
		return nil
	}
	ins := w.newMultiInsert(`INSERT INTO edges (`+edgeColumns+`)`, 17,
		`ON CONFLICT (source_id, destination_id, type) DO NOTHING RETURNING source_id, destination_id, type`)
	for i := range edges {
		e := &edges[i]
		first, last := edgeTimes(e, w.now)
		if err := ins.add(ctx, onRows, e.Source, e.Destination, e.Type, e.RelationType, e.External, e.Owner,
			boolInt(e.Observed), e.DataSourceID, e.ScopeID, e.Connections, e.FailedConnections, e.BytesSent,
			e.BytesReceived, attrsJSON(e.Attributes), first, last, nil); err != nil {
			return fmt.Errorf("edges: %w", err)
		}
	}
	if err := ins.flush(ctx, onRows); err != nil {
		return fmt.Errorf("edges: %w", err)
	}
	// Those that were there: revived when deleted, else updated.
	for i := range edges {
		e := &edges[i]
		k := e.Key()
		first, last := edgeTimes(e, w.now)
		if created[k] {
			w.changes = append(w.changes, edgeChange(OpCreated, e, fromNanos(last)))
			delete(created, k) // a key listed twice is created once
			continue
		}
		attrs := attrsJSON(e.Attributes)
		revived, err := rowsAffected(w.reviveEdge.ExecContext(ctx, e.RelationType, e.External, e.Owner, e.DataSourceID,
			e.ScopeID, attrs, first, last, e.Source, e.Destination, e.Type))
		if err == nil && !revived {
			_, err = w.updEdge.ExecContext(ctx, e.RelationType, e.External, e.Owner, e.DataSourceID, e.ScopeID, attrs, last,
				e.Source, e.Destination, e.Type)
		}
		if err != nil {
			return fmt.Errorf("edge %s.%s: %w", e.Source, e.Destination, err)
		}
		if revived {
			w.changes = append(w.changes, edgeChange(OpCreated, e, fromNanos(last)))
		}
	}
	return nil
}

func edgeTimes(e *Edge, now int64) (first, last int64) {
	first, last = nanos(e.FirstSeen), nanos(e.LastSeen)
	if first == 0 {
		first = now
	}
	if last == 0 {
		last = first
	}
	return first, last
}

// rowsAffected reports whether a statement changed a row.
func rowsAffected(res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

func edgeChange(op string, e *Edge, at time.Time) Change {
	return Change{At: at, Op: op, Kind: KindEdge, ScopeID: e.ScopeID, ID: e.Source + "." + e.Destination, Type: e.Type,
		DataSourceID: e.DataSourceID, Source: e.Source, Destination: e.Destination}
}

func (w *writer) applyEdges(ctx context.Context, edges []Edge) error {
	return w.upsertEdges(ctx, edges)
}

// applyObservations adds observed traffic: counters add up, first/last
// seen widen. Only a new (or revived) edge goes into the feed; counters
// moving are not changes.
func (w *writer) applyObservations(ctx context.Context, obs []Edge) error {
	if len(obs) == 0 {
		return nil
	}
	old, err := w.loadEdges(ctx, edgeKeys(obs))
	if err != nil {
		return err
	}
	if w.addFlow, err = w.prepare(ctx, `INSERT INTO edges (`+edgeColumns+`) VALUES (?,?,?,?,?,?,1,?,?,?,?,?,?,?,?,?,NULL)
		ON CONFLICT (source_id, destination_id, type) DO UPDATE SET relation_type=excluded.relation_type,
		external=excluded.external, observed=1, attributes=excluded.attributes,
		connections=CASE WHEN edges.deleted_at IS NULL THEN edges.connections ELSE 0 END + excluded.connections,
		failed_connections=CASE WHEN edges.deleted_at IS NULL THEN edges.failed_connections ELSE 0 END + excluded.failed_connections,
		bytes_sent=CASE WHEN edges.deleted_at IS NULL THEN edges.bytes_sent ELSE 0 END + excluded.bytes_sent,
		bytes_received=CASE WHEN edges.deleted_at IS NULL THEN edges.bytes_received ELSE 0 END + excluded.bytes_received,
		first_seen=CASE WHEN edges.deleted_at IS NULL AND edges.first_seen < excluded.first_seen THEN edges.first_seen ELSE excluded.first_seen END,
		last_seen=CASE WHEN edges.last_seen > excluded.last_seen THEN edges.last_seen ELSE excluded.last_seen END,
		deleted_at=NULL`); err != nil {
		return err
	}
	for i := range obs {
		e := &obs[i]
		last := nanos(e.LastSeen)
		if last == 0 {
			last = w.now
		}
		first := nanos(e.FirstSeen)
		if first == 0 {
			first = last
		}
		if _, err := w.addFlow.ExecContext(ctx, e.Source, e.Destination, e.Type, e.RelationType, e.External, "",
			e.DataSourceID, e.ScopeID, e.Connections, e.FailedConnections, e.BytesSent, e.BytesReceived,
			attrsJSON(e.Attributes), first, last); err != nil {
			return fmt.Errorf("flow %s.%s: %w", e.Source, e.Destination, err)
		}
		k := e.Key()
		if o, ok := old[k]; !ok || o.deleted {
			w.changes = append(w.changes, edgeChange(OpCreated, e, fromNanos(last)))
			old[k] = storedEdge{}
		}
	}
	return nil
}

func (w *writer) deleteEdge(ctx context.Context, e *Edge, at int64) error {
	if _, err := w.tx.ExecContext(ctx, w.s.q(`UPDATE edges SET deleted_at=? WHERE source_id=? AND destination_id=? AND type=?
		AND deleted_at IS NULL`), at, e.Source, e.Destination, e.Type); err != nil {
		return err
	}
	w.changes = append(w.changes, edgeChange(OpDeleted, e, fromNanos(at)))
	return nil
}

// deleteNode marks a node deleted (every scope holding the ID when scope
// is empty) with every edge that touches it.
func (w *writer) deleteNode(ctx context.Context, scope, id string, at int64) error {
	if at == 0 {
		at = w.now
	}
	q := `SELECT scope_id, type, name, hash, data_source_id, partition_name FROM nodes WHERE id=? AND deleted_at IS NULL`
	args := []any{id}
	if scope != "" {
		q += ` AND scope_id=?`
		args = append(args, scope)
	}
	rows, err := w.tx.QueryContext(ctx, w.s.q(q), args...)
	if err != nil {
		return err
	}
	var gone []Change
	for rows.Next() {
		c := Change{At: fromNanos(at), Op: OpDeleted, Kind: KindNode, ID: id}
		if err := rows.Scan(&c.ScopeID, &c.Type, &c.Name, &c.BeforeHash, &c.DataSourceID, &c.Partition); err != nil {
			rows.Close()
			return err
		}
		gone = append(gone, c)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(gone) == 0 {
		return nil
	}
	for _, c := range gone {
		if _, err := w.tx.ExecContext(ctx, w.s.q(`UPDATE nodes SET deleted_at=? WHERE scope_id=? AND id=?`), at, c.ScopeID, id); err != nil {
			return err
		}
	}
	w.changes = append(w.changes, gone...)
	// An ID still held in another scope keeps its edges.
	var alive int
	if err := w.tx.QueryRowContext(ctx, w.s.q(`SELECT count(*) FROM nodes WHERE id=? AND deleted_at IS NULL`), id).Scan(&alive); err != nil {
		return err
	}
	if alive > 0 {
		return nil
	}
	rows, err = w.tx.QueryContext(ctx, w.s.q(`SELECT `+edgeColumns+` FROM edges WHERE deleted_at IS NULL AND (source_id=? OR destination_id=?)`), id, id)
	if err != nil {
		return err
	}
	edges, err := scanEdges(rows)
	if err != nil {
		return err
	}
	for _, e := range edges {
		if err := w.deleteEdge(ctx, e, at); err != nil {
			return err
		}
	}
	return nil
}

// fullCrawl deletes the partition's nodes not reported since fc.Since.
func (w *writer) fullCrawl(ctx context.Context, fc FullCrawl) error {
	if err := w.deleteWhere(ctx, nanos(fc.At), `data_source_id=? AND partition_name=? AND last_seen < ?`,
		fc.DataSourceID, fc.Partition, nanos(fc.Since)); err != nil {
		return err
	}
	w.changes = append(w.changes, resyncChange(fc, w.now))
	return nil
}

// deleteWhere deletes, at at, every live node matching cond.
func (w *writer) deleteWhere(ctx context.Context, at int64, cond string, args ...any) error {
	rows, err := w.tx.QueryContext(ctx, w.s.q(`SELECT scope_id, id FROM nodes WHERE deleted_at IS NULL AND `+cond), args...)
	if err != nil {
		return err
	}
	var gone []nodeKey
	for rows.Next() {
		var k nodeKey
		if err := rows.Scan(&k.scope, &k.id); err != nil {
			rows.Close()
			return err
		}
		gone = append(gone, k)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, k := range gone {
		if err := w.deleteNode(ctx, k.scope, k.id, at); err != nil {
			return err
		}
	}
	return nil
}
