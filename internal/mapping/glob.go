package mapping

import (
	"strings"
	"unicode/utf8"
)

// glob is a compiled key with at least one '*'.
type glob struct {
	// pattern is the key with runs of '*' collapsed to one.
	pattern string
	// prefix is the literal before the first '*', suffix the literal after
	// the last one, middle the literals between them, in order.
	prefix, suffix string
	middle         []string
	// minLen is the number of literal bytes: no shorter key can match.
	minLen int
	// literal is the number of literal characters, the glob's rank.
	literal int
	value   string
	// index is the entry's position in the configuration.
	index int
}

// compileGlob compiles a key that contains '*'.
func compileGlob(key string) glob {
	pattern := collapseStars(key)
	parts := strings.Split(pattern, "*")
	g := glob{
		pattern: pattern,
		prefix:  parts[0],
		suffix:  parts[len(parts)-1],
	}
	for _, m := range parts[1 : len(parts)-1] {
		if m != "" {
			g.middle = append(g.middle, m)
		}
	}
	for _, p := range parts {
		g.minLen += len(p)
		g.literal += utf8.RuneCountInString(p)
	}
	return g
}

// collapseStars replaces every run of '*' with a single '*'; "a**b" and
// "a*b" match the same keys.
func collapseStars(s string) string {
	if !strings.Contains(s, "**") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '*' && i > 0 && s[i-1] == '*' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// match reports whether s matches the whole pattern. The prefix and the
// suffix are fixed; each middle literal is taken at its leftmost occurrence,
// which is enough because the '*' after it can absorb anything a later
// occurrence would have skipped.
func (g *glob) match(s string) bool {
	if len(s) < g.minLen || !strings.HasPrefix(s, g.prefix) || !strings.HasSuffix(s, g.suffix) {
		return false
	}
	s = s[len(g.prefix) : len(s)-len(g.suffix)]
	for _, m := range g.middle {
		i := strings.Index(s, m)
		if i < 0 {
			return false
		}
		s = s[i+len(m):]
	}
	return true
}

// commonKey reports whether some key matches both patterns (with runs of '*'
// collapsed) and returns the shortest such key it finds.
//
// It searches the product of the two patterns' automata: a state (i, j) says
// that a key built so far matches p[:i] and q[:j]. A '*' can end (advance
// without a character) or absorb the other pattern's next literal; two equal
// literals advance together. Two stars never need to absorb a character at
// the same time: dropping that character from a common key leaves a common
// key.
func commonKey(p, q string) (string, bool) {
	if !compatible(p, q) {
		return "", false
	}
	n, m := len(p), len(q)
	w := m + 1
	const unseen = -1
	// from[s] is the state s was reached from, or unseen; emit[s] the byte
	// added on that step, or -1 for none.
	from := make([]int, (n+1)*w)
	emit := make([]int16, (n+1)*w)
	for s := range from {
		from[s] = unseen
	}
	from[0] = 0
	queue := []int{0}
	visit := func(cur, i, j int, c int16) {
		s := i*w + j
		if from[s] != unseen {
			return
		}
		from[s] = cur
		emit[s] = c
		queue = append(queue, s)
	}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		i, j := cur/w, cur%w
		if i == n && j == m {
			return witness(from, emit, cur), true
		}
		pStar := i < n && p[i] == '*'
		qStar := j < m && q[j] == '*'
		if pStar {
			visit(cur, i+1, j, -1)
			if j < m && !qStar {
				visit(cur, i, j+1, int16(q[j]))
			}
		}
		if qStar {
			visit(cur, i, j+1, -1)
			if i < n && !pStar {
				visit(cur, i+1, j, int16(p[i]))
			}
		}
		if i < n && j < m && !pStar && !qStar && p[i] == q[j] {
			visit(cur, i+1, j+1, int16(p[i]))
		}
	}
	return "", false
}

// compatible is a quick necessary condition for commonKey: the literal
// prefixes (before the first '*') agree, and so do the literal suffixes.
func compatible(p, q string) bool {
	pp, _, _ := strings.Cut(p, "*")
	qp, _, _ := strings.Cut(q, "*")
	if !strings.HasPrefix(pp, qp) && !strings.HasPrefix(qp, pp) {
		return false
	}
	ps := p[strings.LastIndexByte(p, '*')+1:]
	qs := q[strings.LastIndexByte(q, '*')+1:]
	return strings.HasSuffix(ps, qs) || strings.HasSuffix(qs, ps)
}

func witness(from []int, emit []int16, end int) string {
	var rev []byte
	for s := end; s != 0; s = from[s] {
		if emit[s] >= 0 {
			rev = append(rev, byte(emit[s]))
		}
	}
	out := make([]byte, len(rev))
	for i, c := range rev {
		out[len(rev)-1-i] = c
	}
	return string(out)
}
