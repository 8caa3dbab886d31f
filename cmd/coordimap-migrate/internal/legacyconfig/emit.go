package legacyconfig

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// omap is an ordered YAML mapping of the output. String values are
// collector text: a literal from the legacy file has its '$' escaped
// (see literal), a reference is ${env:VAR}.
type omap struct {
	entries []entry
}

type entry struct {
	key     string
	value   any
	comment string
}

// flow is a list written on one line ([a, b]).
type flow []string

func (m *omap) set(key string, value any) { m.setc(key, value, "") }

// setc sets key, with a comment on the line before it.
func (m *omap) setc(key string, value any, comment string) {
	for i := range m.entries {
		if m.entries[i].key == key {
			m.entries[i].value = value
			if comment != "" {
				m.entries[i].comment = comment
			}
			return
		}
	}
	m.entries = append(m.entries, entry{key: key, value: value, comment: comment})
}

func (m *omap) get(key string) any {
	for _, e := range m.entries {
		if e.key == key {
			return e.value
		}
	}
	return nil
}

func (m *omap) del(key string) {
	for i, e := range m.entries {
		if e.key == key {
			m.entries = append(m.entries[:i], m.entries[i+1:]...)
			return
		}
	}
}

// sub is the mapping under key, created when missing.
func (m *omap) sub(key string) *omap {
	if s, ok := m.get(key).(*omap); ok {
		return s
	}
	s := &omap{}
	m.set(key, s)
	return s
}

func (m *omap) node() *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if len(m.entries) == 0 {
		n.Style = yaml.FlowStyle
	}
	for _, e := range m.entries {
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.key, HeadComment: e.comment}
		n.Content = append(n.Content, k, valueNode(e.value))
	}
	return n
}

func valueNode(v any) *yaml.Node {
	switch v := v.(type) {
	case *omap:
		return v.node()
	case *yaml.Node:
		return v
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}
	case int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
	case flow:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for _, s := range v {
			n.Content = append(n.Content, valueNode(s))
		}
		return n
	case []string:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
		}
		for _, s := range v {
			n.Content = append(n.Content, valueNode(s))
		}
		return n
	}
	panic(fmt.Sprintf("legacyconfig: no YAML for %T", v))
}

// encode writes m as a YAML document.
func encode(m *omap) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(m.node()); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// literal is legacy text as a collector value: the collector expands
// ${…} and turns $$ into $, so every '$' is doubled.
func literal(s string) string { return strings.ReplaceAll(s, "$", "$$") }

// envRef is a reference to an environment variable.
func envRef(name string) string { return "${env:" + name + "}" }

// commentBlock is text as YAML comment lines, each prefixed with "# ".
func commentBlock(text string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		if line == "" {
			b.WriteString("#\n")
			continue
		}
		b.WriteString("# ")
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}
