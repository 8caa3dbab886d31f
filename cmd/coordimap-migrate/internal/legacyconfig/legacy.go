package legacyconfig

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Data source types the coordimap-agent configuration names.
const (
	TypePostgres    = "postgres"
	TypeMariaDB     = "mariadb"
	TypeMySQL       = "mysql"
	TypeMongoDB     = "mongodb"
	TypeKubernetes  = "kubernetes"
	TypeAWS         = "aws"
	TypeAWSFlowLogs = "aws_flow_logs"
	TypeGCP         = "gcp"
	TypeGCPFlowLogs = "gcp_flow_logs"
	TypeFlows       = "flows"
)

// knownTypes are the types a legacy file may name: the agent's own, and
// gcp_flow_logs, which its README documents (the agent itself ran GCP flow
// logs as gcp_flows of a gcp data source).
var knownTypes = []string{TypeAWS, TypeAWSFlowLogs, TypeFlows, TypeGCP, TypeGCPFlowLogs, TypeKubernetes, TypeMariaDB, TypeMongoDB, TypeMySQL, TypePostgres}

// File is a parsed coordimap-agent configuration.
type File struct {
	// APIKey is coordimap.api_key as written (a ${VAR} reference or the
	// key itself); APIKeyLine is 0 when it is missing.
	APIKey     string
	APIKeyLine int
	// SkipFields is coordimap.skip_fields.
	SkipFields     []string
	SkipFieldsLine int
	DataSources    []*DataSource
	// Ignored are keys the agent's YAML decoder ignored, with their line.
	Ignored []Ignored
}

// Ignored is a key of the legacy file that the agent did not read.
type Ignored struct {
	Key  string
	Line int
	// DataSource is the data source the key is in; nil at the top level.
	DataSource *DataSource
}

// DataSource is one entry of coordimap.data_sources.
type DataSource struct {
	// Index is the position in data_sources, from 1.
	Index int
	Line  int
	Type  string
	// ID is id (or data_source_id); IDKey says which was written, "" when
	// neither.
	ID     string
	IDKey  string
	IDLine int
	// Name and Desc are the older agents' data_source_info; the agent has
	// sent the ID as both since 2026-03-31.
	Name, Desc         string
	NameLine, DescLine int
	Settings           []Setting
	// MetricRules is the metric_rules sequence as written, nil without.
	MetricRules *yaml.Node
	// node is the data source as written, for the comment that keeps a
	// source that is not converted.
	node *yaml.Node
}

// Label names the data source in messages: its ID, else its type and
// position.
func (ds *DataSource) Label() string {
	if ds.ID != "" {
		return fmt.Sprintf("%s (%s)", ds.ID, ds.Type)
	}
	return fmt.Sprintf("data_sources[%d] (%s, no id)", ds.Index-1, ds.Type)
}

// Setting is one {name, value} pair of a data source's config.
type Setting struct {
	Name  string
	Value string
	Line  int
}

// ParseError lists every problem of a legacy file that cannot be converted.
type ParseError struct {
	// Problems are "line N: problem", in line order.
	Problems []Problem
}

// Problem is one reason a file cannot be converted.
type Problem struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		if p.Line > 0 {
			parts[i] = fmt.Sprintf("line %d: %s", p.Line, p.Msg)
		} else {
			parts[i] = p.Msg
		}
	}
	return strings.Join(parts, "\n")
}

type parser struct {
	problems []Problem
	ignored  []Ignored
}

func (p *parser) fail(line int, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse reads a coordimap-agent configuration. A file the agent would not
// have loaded (not YAML, wrong types, duplicate keys or IDs, unknown data
// source types) gives a *ParseError that lists every problem.
func Parse(data []byte) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &ParseError{Problems: []Problem{{Msg: "not YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &ParseError{Problems: []Problem{{Msg: "the file is empty"}}}
	}
	p := &parser{}
	f := p.file(doc.Content[0])
	f.Ignored = p.ignored
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b Problem) int { return a.Line - b.Line })
		return nil, &ParseError{Problems: p.problems}
	}
	return f, nil
}

func (p *parser) file(root *yaml.Node) *File {
	f := &File{}
	top := p.mapping(root, "the file")
	if top == nil {
		return f
	}
	var cm *yaml.Node
	for _, kv := range top {
		switch kv.key {
		case "coordimap":
			cm = kv.value
		default:
			p.ignored = append(p.ignored, Ignored{Key: kv.key, Line: kv.line})
		}
	}
	if cm == nil {
		hint := ""
		if slices.ContainsFunc(top, func(kv keyValue) bool { return kv.key == "datasources" || kv.key == "data_sources" }) {
			hint = " (data sources go under coordimap.data_sources)"
		}
		p.fail(root.Line, "no coordimap section: not a coordimap-agent configuration%s", hint)
		return f
	}
	section := p.mapping(cm, "coordimap")
	if section == nil {
		return f
	}
	var sources *yaml.Node
	for _, kv := range section {
		switch kv.key {
		case "api_key":
			if v, ok := p.scalar(kv.value, "coordimap.api_key"); ok {
				f.APIKey, f.APIKeyLine = v, kv.value.Line
			}
		case "skip_fields":
			f.SkipFieldsLine = kv.line
			f.SkipFields = p.scalars(kv.value, "coordimap.skip_fields")
		case "data_sources":
			sources = kv.value
		default:
			p.ignored = append(p.ignored, Ignored{Key: "coordimap." + kv.key, Line: kv.line})
		}
	}
	if sources == nil || (sources.Kind == yaml.ScalarNode && sources.Tag == "!!null") {
		p.fail(cm.Line, "coordimap.data_sources: missing; nothing to convert")
		return f
	}
	if sources.Kind != yaml.SequenceNode {
		p.fail(sources.Line, "coordimap.data_sources: must be a list of data sources, not %s", kindName(sources))
		return f
	}
	if len(sources.Content) == 0 {
		p.fail(sources.Line, "coordimap.data_sources: empty; nothing to convert")
		return f
	}
	for i, item := range sources.Content {
		if ds := p.dataSource(i, item); ds != nil {
			f.DataSources = append(f.DataSources, ds)
		}
	}
	p.duplicateIDs(f.DataSources)
	return f
}

func (p *parser) dataSource(i int, node *yaml.Node) *DataSource {
	where := fmt.Sprintf("data_sources[%d]", i)
	kvs := p.mapping(node, where)
	if kvs == nil {
		return nil
	}
	ds := &DataSource{Index: i + 1, Line: node.Line, node: node}
	var dsid string
	var dsidLine int
	for _, kv := range kvs {
		switch kv.key {
		case "type":
			ds.Type, _ = p.scalar(kv.value, where+".type")
		case "id":
			ds.ID, _ = p.scalar(kv.value, where+".id")
			ds.IDKey, ds.IDLine = "id", kv.line
		case "data_source_id":
			dsid, _ = p.scalar(kv.value, where+".data_source_id")
			dsidLine = kv.line
		case "name":
			ds.Name, _ = p.scalar(kv.value, where+".name")
			ds.NameLine = kv.line
		case "desc":
			ds.Desc, _ = p.scalar(kv.value, where+".desc")
			ds.DescLine = kv.line
		case "config":
			ds.Settings = p.settings(kv.value, where+".config", ds)
		case "metric_rules":
			if len(p.sequence(kv.value, where+".metric_rules", " of rules")) > 0 {
				ds.MetricRules = kv.value
			}
		default:
			p.ignored = append(p.ignored, Ignored{Key: kv.key, Line: kv.line, DataSource: ds})
		}
	}
	if dsidLine > 0 {
		switch {
		case ds.IDKey == "":
			ds.ID, ds.IDKey, ds.IDLine = dsid, "data_source_id", dsidLine
		case dsid != ds.ID:
			p.fail(dsidLine, "%s: id %q and data_source_id %q differ; keep one", where, ds.ID, dsid)
		}
	}
	switch {
	case ds.Type == "":
		p.fail(node.Line, "%s: type: missing (one of %s)", where, strings.Join(knownTypes, ", "))
	case !slices.Contains(knownTypes, ds.Type):
		p.fail(node.Line, "%s: type %q: unknown data source type (one of %s)", where, ds.Type, strings.Join(knownTypes, ", "))
	}
	return ds
}

// sequence is the items of a list; nil, reported, when node is something
// else (an empty value is an empty list).
func (p *parser) sequence(node *yaml.Node, where, of string) []*yaml.Node {
	if isNull(node) {
		return nil
	}
	if node.Kind != yaml.SequenceNode {
		p.fail(node.Line, "%s: must be a list%s, not %s", where, of, kindName(node))
		return nil
	}
	return node.Content
}

func (p *parser) settings(node *yaml.Node, where string, ds *DataSource) []Setting {
	var out []Setting
	for j, item := range p.sequence(node, where, " of {name, value}") {
		w := fmt.Sprintf("%s[%d]", where, j)
		kvs := p.mapping(item, w)
		if kvs == nil {
			continue
		}
		s := Setting{Line: item.Line}
		hasName := false
		for _, kv := range kvs {
			switch kv.key {
			case "name":
				s.Name, hasName = p.scalar(kv.value, w+".name")
			case "value":
				s.Value, _ = p.scalar(kv.value, w+".value")
				s.Line = kv.line
			case "send":
				// The agent declared it and never read it.
			default:
				p.ignored = append(p.ignored, Ignored{Key: fmt.Sprintf("config[%d].%s", j, kv.key), Line: kv.line, DataSource: ds})
			}
		}
		if !hasName || s.Name == "" {
			p.fail(item.Line, "%s: name: missing", w)
			continue
		}
		out = append(out, s)
	}
	return out
}

func (p *parser) duplicateIDs(sources []*DataSource) {
	first := map[string]*DataSource{}
	for _, ds := range sources {
		if ds.ID == "" {
			continue
		}
		if prev, ok := first[ds.ID]; ok {
			p.fail(ds.IDLine, "data source ID %q is used twice (lines %d and %d); IDs must be unique", ds.ID, prev.IDLine, ds.IDLine)
			continue
		}
		first[ds.ID] = ds
	}
}

type keyValue struct {
	key   string
	line  int
	value *yaml.Node
}

// mapping returns the pairs of a mapping node, reporting duplicate keys
// (which the agent's YAML decoder refused) and non-scalar keys.
func (p *parser) mapping(node *yaml.Node, where string) []keyValue {
	node = resolveAlias(node)
	if node.Kind != yaml.MappingNode {
		p.fail(node.Line, "%s: must be a mapping, not %s", where, kindName(node))
		return nil
	}
	out := make([]keyValue, 0, len(node.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(node.Content); i += 2 {
		k, v := node.Content[i], resolveAlias(node.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.fail(k.Line, "%s: keys must be names, not %s", where, kindName(k))
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.fail(k.Line, "%s: key %q is set twice (lines %d and %d)", where, k.Value, prev, k.Line)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, keyValue{key: k.Value, line: k.Line, value: v})
	}
	return out
}

// scalar is a scalar's text, as the agent's decoder read any scalar into a
// string (numbers and booleans included; null is "").
func (p *parser) scalar(node *yaml.Node, where string) (string, bool) {
	node = resolveAlias(node)
	if node.Kind != yaml.ScalarNode {
		p.fail(node.Line, "%s: must be a single value, not %s", where, kindName(node))
		return "", false
	}
	if node.Tag == "!!null" {
		return "", true
	}
	if node.Tag == "!!binary" {
		p.fail(node.Line, "%s: binary values are not supported", where)
		return "", false
	}
	return node.Value, true
}

func (p *parser) scalars(node *yaml.Node, where string) []string {
	var out []string
	for i, item := range p.sequence(node, where, "") {
		if v, ok := p.scalar(item, fmt.Sprintf("%s[%d]", where, i)); ok {
			out = append(out, v)
		}
	}
	return out
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolveAlias(n)
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch resolveAlias(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "something else"
}

// errNoSources is returned by Convert for a File without data sources.
var errNoSources = errors.New("no data sources")
