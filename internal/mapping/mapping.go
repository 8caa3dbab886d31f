package mapping

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Errors a bad entry is reported with; Parse wraps them with the entry's
// index and text.
var (
	ErrEmptyEntry   = errors.New("empty entry")
	ErrMissingAt    = errors.New("missing '@'")
	ErrEmptyKey     = errors.New("empty key")
	ErrEmptyValue   = errors.New("empty value")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrAmbiguous    = errors.New("ambiguous glob")
)

// Table is a parsed set of external_mappings. A nil *Table is empty. A Table
// is read-only after Parse and safe for concurrent use.
type Table struct {
	exact map[string]string
	// globs are ordered by literal length, longest first, then by position
	// in the configuration: the first that matches wins. A glob's rank is
	// its index here.
	globs []glob
	// Lookup only tries the globs that can match: those whose literal
	// prefix the key starts with, those without a prefix whose literal
	// suffix the key ends with, and the rest (neither prefix nor suffix).
	byPrefix, bySuffix literalIndex
	rest               []int32
}

// literalIndex holds glob ranks by literal prefix (or suffix).
type literalIndex struct {
	// lens are the distinct literal lengths, ascending.
	lens []int
	// ranks lists, per literal, the ranks of its globs in ascending order.
	ranks map[string][]int32
}

func (x *literalIndex) add(literal string, rank int32) {
	if x.ranks == nil {
		x.ranks = make(map[string][]int32)
	}
	if _, ok := x.ranks[literal]; !ok {
		if i, found := slices.BinarySearch(x.lens, len(literal)); !found {
			x.lens = slices.Insert(x.lens, i, len(literal))
		}
	}
	x.ranks[literal] = append(x.ranks[literal], rank)
}

// Parse parses external_mappings entries ("<key>@<value>", split at the
// first '@'). It reports every bad entry, each as
// `external_mappings[<index>] "<entry>": <problem>`, joined with errors.Join.
func Parse(entries []string) (*Table, error) {
	t := &Table{exact: make(map[string]string)}
	type entryErr struct {
		index int
		err   error
	}
	var errs []entryErr
	fail := func(i int, format string, args ...any) {
		args = append([]any{i, entries[i]}, args...)
		errs = append(errs, entryErr{i, fmt.Errorf("external_mappings[%d] %q: "+format, args...)})
	}
	exactAt := make(map[string]int)
	for i, raw := range entries {
		entry := strings.TrimSpace(raw)
		if entry == "" {
			fail(i, "%w", ErrEmptyEntry)
			continue
		}
		key, value, ok := strings.Cut(entry, "@")
		switch {
		case !ok:
			fail(i, "%w", ErrMissingAt)
			continue
		case key == "":
			fail(i, "%w", ErrEmptyKey)
			continue
		case value == "":
			fail(i, "%w", ErrEmptyValue)
			continue
		}
		if !strings.Contains(key, "*") {
			if first, dup := exactAt[key]; dup {
				fail(i, "%w %q, first at external_mappings[%d]", ErrDuplicateKey, key, first)
				continue
			}
			exactAt[key] = i
			t.exact[key] = value
			continue
		}
		g := compileGlob(key)
		g.value = value
		g.index = i
		t.globs = append(t.globs, g)
	}

	slices.SortStableFunc(t.globs, func(a, b glob) int {
		return cmp.Or(cmp.Compare(b.literal, a.literal), cmp.Compare(a.index, b.index))
	})
	// Within each run of equal literal length, every pair that can match a
	// common key is a tie; the later entry is reported.
	for lo := 0; lo < len(t.globs); {
		hi := lo + 1
		for hi < len(t.globs) && t.globs[hi].literal == t.globs[lo].literal {
			hi++
		}
		for b := lo + 1; b < hi; b++ {
			for a := lo; a < b; a++ {
				ga, gb := &t.globs[a], &t.globs[b]
				if key, ok := commonKey(ga.pattern, gb.pattern); ok {
					fail(gb.index, "%w: %q and %q (external_mappings[%d]) both match %q with literal length %d",
						ErrAmbiguous, gb.pattern, ga.pattern, ga.index, key, ga.literal)
					break
				}
			}
		}
		lo = hi
	}

	for rank, g := range t.globs {
		switch {
		case g.prefix != "":
			t.byPrefix.add(g.prefix, int32(rank))
		case g.suffix != "":
			t.bySuffix.add(g.suffix, int32(rank))
		default:
			t.rest = append(t.rest, int32(rank))
		}
	}

	if len(errs) > 0 {
		slices.SortStableFunc(errs, func(a, b entryErr) int { return cmp.Compare(a.index, b.index) })
		joined := make([]error, len(errs))
		for i, e := range errs {
			joined[i] = e.err
		}
		return nil, errors.Join(joined...)
	}
	return t, nil
}

// Lookup returns the value for key: the exact entry if there is one, else
// the value of the matching glob with the longest literal.
func (t *Table) Lookup(key string) (value string, ok bool) {
	if t == nil {
		return "", false
	}
	if v, ok := t.exact[key]; ok {
		return v, true
	}
	best := int32(len(t.globs))
	for _, n := range t.byPrefix.lens {
		if n > len(key) {
			break
		}
		best = t.first(t.byPrefix.ranks[key[:n]], key, best)
	}
	for _, n := range t.bySuffix.lens {
		if n > len(key) {
			break
		}
		best = t.first(t.bySuffix.ranks[key[len(key)-n:]], key, best)
	}
	best = t.first(t.rest, key, best)
	if int(best) < len(t.globs) {
		return t.globs[best].value, true
	}
	return "", false
}

// first returns the rank of the first glob in ranks (ascending) that
// matches key, if it is below best, else best.
func (t *Table) first(ranks []int32, key string, best int32) int32 {
	for _, r := range ranks {
		if r >= best {
			break
		}
		if t.globs[r].match(key) {
			return r
		}
	}
	return best
}

// Len is the number of entries, exact and glob.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.exact) + len(t.globs)
}

// Split turns the coordimap-agent form of external_mappings, one string of
// entries separated by whitespace, into entries for Parse.
// It returns nil when there is none.
func Split(legacy string) []string {
	entries := strings.Fields(legacy)
	if len(entries) == 0 {
		return nil
	}
	return entries
}

// Entries is the external_mappings setting of a component's Config. In YAML
// it is a list of "<key>@<value>" strings, taken verbatim, or the
// coordimap-agent's single string of whitespace-separated entries, which
// UnmarshalText splits with [Split].
type Entries []string

// UnmarshalText splits the single-string form.
func (e *Entries) UnmarshalText(text []byte) error {
	*e = Split(string(text))
	return nil
}
