package graphstore

import (
	"context"
	"maps"
	"slices"
	"strings"
	"unicode"
)

// Search terms: every node is indexed under a few terms (lower case), so a
// search is a prefix range scan of an index instead of a scan of every
// node: its ID, name and group, each string attribute value (IPs, ARNs,
// UIDs, addresses), and the parts of its name and ID split at separators.
// A query word matches a node when it is a prefix of one of its terms; a
// search that no term matches falls back to a substring scan of everything
// (the data included).
const (
	maxTerms   = 48
	maxTermLen = 200
	minPartLen = 2
)

func nodeTerms(st *NodeState, group string) []string {
	set := map[string]bool{}
	add := func(s string) {
		s = strings.ToLower(strings.TrimSpace(s))
		if s == "" || len(set) >= maxTerms {
			return
		}
		if len(s) > maxTermLen {
			s = s[:maxTermLen]
		}
		set[s] = true
	}
	parts := func(s string) {
		for _, p := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len(p) >= minPartLen {
				add(p)
			}
		}
	}
	add(st.ID)
	add(st.Name)
	add(group)
	parts(st.Name)
	for _, k := range slices.Sorted(maps.Keys(st.Attributes)) {
		addTermValues(add, st.Attributes[k])
	}
	parts(st.ID)
	return dropPrefixes(slices.Sorted(maps.Keys(set)))
}

// dropPrefixes leaves out of sorted terms each one that is a prefix of
// another: a word matches a node when it is a prefix of one of its terms,
// so such a term matches nothing the longer one does not (the scope ID
// before an ID, "web" before "web-1"), and costs an index row.
func dropPrefixes(sorted []string) []string {
	out := sorted[:0]
	for i, t := range sorted {
		// In sorted order, the terms t is a prefix of follow it at once.
		if i+1 < len(sorted) && strings.HasPrefix(sorted[i+1], t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func addTermValues(add func(string), v any) {
	switch x := v.(type) {
	case string:
		add(x)
	case []any:
		for _, e := range x {
			addTermValues(add, e)
		}
	case []string:
		for _, e := range x {
			add(e)
		}
	}
}

// writeTerms indexes new (or changed) nodes.
func (w *writer) writeTerms(ctx context.Context, ps []prepared, replace []nodeKey) error {
	for _, k := range replace {
		if _, err := w.tx.ExecContext(ctx, w.s.q(`DELETE FROM node_terms WHERE scope_id=? AND id=?`), k.scope, k.id); err != nil {
			return err
		}
	}
	ins := w.newMultiInsert(`INSERT INTO node_terms (term, scope_id, id)`, 3, `ON CONFLICT DO NOTHING`)
	for _, p := range ps {
		for _, t := range nodeTerms(p.st, p.group) {
			if err := ins.add(ctx, nil, t, p.st.ScopeID, p.st.ID); err != nil {
				return err
			}
		}
	}
	return ins.flush(ctx, nil)
}

// termCondition is the WHERE part matching every word of q by term
// prefix.
func termCondition(q string) (string, []any) {
	var conds []string
	var args []any
	for _, word := range strings.Fields(strings.ToLower(q)) {
		conds = append(conds, `(scope_id, id) IN (SELECT scope_id, id FROM node_terms WHERE term >= ? AND term < ?)`)
		args = append(args, word, word+"\U0010FFFF")
	}
	return strings.Join(conds, " AND "), args
}
