package eventsextension

import (
	"fmt"
	"strings"
)

// topicVars are the placeholders a topic template may hold.
var topicVars = []string{"scope", "kind", "type", "entity_type", "data_source"}

// topicPart is a literal (name empty) or a placeholder.
type topicPart struct{ lit, name string }

// topicTemplate renders a topic per event.
type topicTemplate struct {
	parts []topicPart
	fixed string // the whole topic when it has no placeholder
}

const maxTopicLen = 249

func parseTopic(s string) (*topicTemplate, error) {
	if s == "" {
		return nil, fmt.Errorf("required")
	}
	t := &topicTemplate{}
	rest := s
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.parts = append(t.parts, topicPart{lit: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, topicPart{lit: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("%q: unclosed {", s)
		}
		name := rest[open+1 : open+end]
		known := false
		for _, v := range topicVars {
			known = known || v == name
		}
		if !known {
			return nil, fmt.Errorf("%q: unknown placeholder {%s} (known: %s)", s, name, strings.Join(topicVars, ", "))
		}
		t.parts = append(t.parts, topicPart{name: name})
		rest = rest[open+end+1:]
	}
	for _, p := range t.parts {
		if bad := strings.IndexFunc(p.lit, func(r rune) bool { return !topicRune(r) }); bad >= 0 {
			return nil, fmt.Errorf("%q: %q is not allowed in a topic (letters, digits, '.', '_', '-')", s, p.lit[bad:bad+1])
		}
	}
	if len(t.parts) == 1 && t.parts[0].name == "" {
		t.fixed = t.parts[0].lit
		if len(t.fixed) > maxTopicLen {
			return nil, fmt.Errorf("%q: longer than %d characters", s, maxTopicLen)
		}
	}
	return t, nil
}

func topicRune(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// render is the event's topic; values are cleaned to topic characters
// (others become '_', an empty value is "none").
func (t *topicTemplate) render(ev *event) string {
	if t.fixed != "" {
		return t.fixed
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.lit)
			continue
		}
		v := ""
		switch p.name {
		case "scope":
			v = ev.ScopeID
		case "kind":
			v = ev.kind()
		case "type":
			v = ev.Type
		case "entity_type":
			v = ev.EntityType + ev.RelationshipType
		case "data_source":
			v = ev.DataSourceID
		}
		if v == "" {
			v = "none"
		}
		for _, r := range v {
			if !topicRune(r) {
				r = '_'
			}
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > maxTopicLen {
		s = s[:maxTopicLen]
	}
	return s
}
