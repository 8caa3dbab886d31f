package legacyconfig

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// DefaultStateDir is where the converted configuration keeps the
// persistent queue, the flow-log checkpoints and the local graph.
const DefaultStateDir = "/var/lib/otelcol-coordimap"

// Component IDs of the converted configuration.
const (
	storageID   = "file_storage"
	graphID     = "coordimap_graph"
	processorID = "coordimap"
	exporterID  = "coordimap"
	memLimitID  = "memory_limiter"
)

// Options change what Convert writes.
type Options struct {
	// KeepSecrets writes passwords, keys and the API key written in clear
	// in the legacy file inline instead of as ${env:…} references.
	KeepSecrets bool
	// StateDir is the directory of the file_storage extension and of the
	// graph store; DefaultStateDir when empty.
	StateDir string
	// Endpoint is the Coordimap API endpoint (the agent's --endpoint or
	// COORDIMAP_ENDPOINT); the exporter's default when empty.
	Endpoint string
	// Source names the legacy file in the header comment.
	Source string
}

type converter struct {
	opts      Options
	file      *File
	rep       report
	env       []EnvVar
	envNames  map[string]bool
	names     map[string]bool
	receivers *omap
	order     []string
	// kept are comment blocks: data sources not converted, metric rules.
	kept        []string
	needStorage bool
	// rules are the metric rules moved into the processor; promEndpoint
	// is its prometheus.endpoint.
	rules        []*yaml.Node
	promEndpoint string
	gcpProject   string
}

// Convert turns a parsed legacy configuration into an otelcol-coordimap
// configuration. It never fails on content: what it cannot convert is a
// finding, kept in a comment at the end of the result.
func Convert(f *File, opts Options) (*Result, error) {
	if len(f.DataSources) == 0 {
		return nil, errNoSources
	}
	if opts.StateDir == "" {
		opts.StateDir = DefaultStateDir
	}
	c := &converter{opts: opts, file: f, envNames: map[string]bool{}, names: map[string]bool{}, receivers: &omap{}}
	for _, ig := range f.Ignored {
		what := "a key the agent does not know"
		if ig.DataSource == nil {
			c.rep.add(NotMapped, nil, ig.Line, ig.Key, "%s; it had no effect and is not converted", what)
			continue
		}
		c.rep.add(NotMapped, ig.DataSource, ig.Line, ig.Key, "%s; it had no effect and is not converted", what)
	}
	if len(f.SkipFields) > 0 {
		c.rep.add(NotMapped, nil, f.SkipFieldsLine, "coordimap.skip_fields",
			"no equivalent: receivers never send passwords or keys in value_pairs, and every other setting is sent (%s)", strings.Join(f.SkipFields, ", "))
	}
	res := &Result{}
	apiKey := c.apiKey()
	for _, ds := range f.DataSources {
		if c.source(ds) {
			res.Converted++
		} else {
			res.Skipped++
		}
	}
	cfg := c.assemble(apiKey)
	body, err := encode(cfg)
	if err != nil {
		return nil, err
	}
	res.Findings = c.rep.sorted()
	res.EnvVars = c.env
	res.Config = append([]byte(c.header(res)), body...)
	if len(c.kept) > 0 {
		var b strings.Builder
		b.WriteString("\n")
		b.WriteString(commentBlock("Not converted (kept so that nothing is lost; see the report of coordimap-migrate):"))
		for _, k := range c.kept {
			b.WriteString("#\n")
			b.WriteString(k)
		}
		res.Config = append(res.Config, b.String()...)
	}
	return res, nil
}

func (c *converter) header(res *Result) string {
	src := c.opts.Source
	if src == "" {
		src = "a coordimap-agent configuration"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "otelcol-coordimap configuration converted by coordimap-migrate from %s.\n", src)
	fmt.Fprintf(&b, "Data sources: %d converted, %d not converted.\n", res.Converted, res.Skipped)
	if len(c.env) > 0 {
		b.WriteString("Environment variables it reads:\n")
		for _, e := range c.env {
			fmt.Fprintf(&b, "  %s: %s\n", e.Name, e.For)
		}
	}
	return commentBlock(b.String())
}

// assemble builds the whole configuration around the receivers.
func (c *converter) assemble(apiKey string) *omap {
	root := &omap{}
	ext := root.sub("extensions")
	st := ext.sub(storageID)
	st.set("directory", literal(c.opts.StateDir))
	st.set("create_directory", true)
	graph := ext.sub(graphID)
	graph.sub("sqlite").set("path", literal(strings.TrimRight(c.opts.StateDir, "/")+"/coordimap-graph.db"))

	pipeRecv := c.order
	if len(c.order) == 0 {
		// A pipeline needs a receiver: OTLP on loopback only, until a
		// data source is converted.
		otlp := &omap{}
		protos := otlp.sub("protocols")
		protos.sub("grpc").set("endpoint", "127.0.0.1:4317")
		c.receivers.setc("otlp", otlp, "No data source could be converted; OTLP on loopback keeps the pipeline valid.")
		pipeRecv = []string{"otlp"}
	}
	root.set("receivers", c.receivers)

	procs := root.sub("processors")
	ml := procs.sub(memLimitID)
	ml.set("check_interval", "1s")
	ml.set("limit_percentage", 80)
	ml.set("spike_limit_percentage", 20)
	proc := &omap{}
	if len(c.rules) > 0 {
		if c.promEndpoint != "" {
			proc.sub("prometheus").set("endpoint", c.promEndpoint)
		}
		if c.gcpProject != "" {
			proc.sub("gcp_monitoring").set("project_id", c.gcpProject)
		}
		proc.set("metric_rules", &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: c.rules})
	}
	procs.set(processorID, proc)

	exps := root.sub("exporters")
	exp := exps.sub(exporterID)
	if c.opts.Endpoint != "" {
		exp.set("endpoint", literal(c.opts.Endpoint))
	}
	exp.set("api_key", apiKey)
	exp.sub("sending_queue").set("storage", storageID)
	exp.set("graph", graphID)

	svc := root.sub("service")
	svc.set("extensions", flow{storageID, graphID})
	logs := svc.sub("pipelines").sub("logs")
	logs.set("receivers", flow(pipeRecv))
	logs.set("processors", flow{memLimitID, processorID})
	logs.set("exporters", flow{exporterID})
	return root
}

func (c *converter) apiKey() string {
	f := c.file
	const defaultVar = "COORDIMAP_API_KEY"
	if f.APIKeyLine == 0 || f.APIKey == "" {
		c.rep.add(Invalid, nil, f.APIKeyLine, "coordimap.api_key",
			"missing (the agent refused to start without it); the exporter reads ${env:%s}, and sends only to the local graph while it is empty", defaultVar)
		return c.useEnv(defaultVar, "the Coordimap API key (coordimap.api_key)", f.APIKeyLine, false)
	}
	if name, ok := refName(f.APIKey); ok {
		if envName.MatchString(name) {
			return c.useEnv(name, "the Coordimap API key (coordimap.api_key)", f.APIKeyLine, true)
		}
		c.rep.add(Invalid, nil, f.APIKeyLine, "coordimap.api_key", "%q is not a variable name the collector reads; set %s instead", name, defaultVar)
		return c.useEnv(defaultVar, "the Coordimap API key (coordimap.api_key)", f.APIKeyLine, false)
	}
	if c.opts.KeepSecrets {
		return literal(f.APIKey)
	}
	return c.useEnv(defaultVar, "the Coordimap API key (coordimap.api_key, written in clear in the legacy file)", f.APIKeyLine, false)
}

// useEnv records a variable the result reads and returns its reference.
func (c *converter) useEnv(name, what string, line int, existing bool) string {
	if !c.envNames[name] {
		c.envNames[name] = true
		c.env = append(c.env, EnvVar{Name: name, For: what, Line: line, Existing: existing})
	}
	return envRef(name)
}

// newEnvName is a variable name for a secret written in clear, unique in
// the result.
func (c *converter) newEnvName(parts ...string) string {
	base := envVarName(parts...)
	name := base
	for i := 2; c.envNames[name]; i++ {
		name = fmt.Sprintf("%s_%d", base, i)
	}
	return name
}

// componentID is the receiver's ID: <type>/<data source ID>, unique.
func (c *converter) componentID(typ string, ds *DataSource) string {
	name := ds.ID
	if name == "" {
		name = ds.Name
	}
	if name == "" {
		name = fmt.Sprintf("%s_%d", ds.Type, ds.Index)
	}
	name = componentName(name)
	id := typ + "/" + name
	for i := 2; c.names[id]; i++ {
		id = fmt.Sprintf("%s/%s_%d", typ, name, i)
	}
	c.names[id] = true
	return id
}

// keep adds a data source as it was written (secrets redacted) to the
// comment at the end, with why.
func (c *converter) keep(ds *DataSource, why string) {
	node := redact(copyNode(ds.node), c.opts.KeepSecrets)
	text := mustYAML(&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{node}})
	c.kept = append(c.kept, commentBlock(fmt.Sprintf("%s, line %d: %s\n%s", ds.Label(), ds.Line, why, text)))
}

// keepRules adds a data source's metric_rules to the comment at the end.
func (c *converter) keepRules(ds *DataSource, why string) {
	text := mustYAML(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "metric_rules"}, copyNode(ds.MetricRules)}})
	c.kept = append(c.kept, commentBlock(fmt.Sprintf("metric_rules of %s, line %d: %s\n%s", ds.Label(), ds.MetricRules.Line, why, text)))
}

func mustYAML(n *yaml.Node) string {
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(n); err != nil {
		return fmt.Sprintf("(cannot be shown: %v)\n", err)
	}
	_ = enc.Close()
	return b.String()
}

func copyNode(n *yaml.Node) *yaml.Node {
	n = resolveAlias(n)
	cp := *n
	cp.Content = make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		cp.Content[i] = copyNode(c)
	}
	cp.Anchor = ""
	return &cp
}

// secretSettings are the settings whose values are secrets.
var secretSettings = []string{"db_pass", "access_key_id", "secret_access_key"}

// redact replaces the secrets written in clear in a data source node.
func redact(ds *yaml.Node, keep bool) *yaml.Node {
	if keep || ds.Kind != yaml.MappingNode {
		return ds
	}
	for i := 0; i+1 < len(ds.Content); i += 2 {
		if ds.Content[i].Value != "config" || ds.Content[i+1].Kind != yaml.SequenceNode {
			continue
		}
		for _, item := range ds.Content[i+1].Content {
			if item.Kind != yaml.MappingNode {
				continue
			}
			var name string
			var value *yaml.Node
			for j := 0; j+1 < len(item.Content); j += 2 {
				switch item.Content[j].Value {
				case "name":
					name = item.Content[j+1].Value
				case "value":
					value = item.Content[j+1]
				}
			}
			if value == nil || !slices.Contains(secretSettings, name) {
				continue
			}
			if _, ref := refName(value.Value); !ref && value.Value != "" {
				value.Value, value.Tag, value.Style = "<redacted>", "!!str", 0
				value.LineComment = ""
			}
		}
	}
	return ds
}

// mappings converts an external_mappings value the way the agent split it
// (single spaces, exactly one '@'), into entries the collector accepts.
func (s *source) mappings(st *Setting) []string {
	var out []string
	seen := map[string]int{}
	for _, raw := range strings.Split(st.Value, " ") {
		if raw == "" {
			continue
		}
		if strings.ContainsAny(raw, "\t\n\r") {
			s.invalid(st, "entry %q holds a tab or line break; the agent dropped it; not converted", raw)
			continue
		}
		key, _, ok := strings.Cut(raw, "@")
		switch n := strings.Count(raw, "@"); {
		case !ok:
			s.invalid(st, "entry %q has no '@'; the agent dropped it; not converted", raw)
			continue
		case n > 1:
			s.invalid(st, "entry %q has %d '@'; the agent dropped it; converted (split at the first '@', the value keeps the rest)", raw, n)
		}
		if i, dup := seen[key]; dup {
			s.invalid(st, "key %q is mapped twice; the agent used the later entry %q, converted so", key, raw)
			out = slices.Delete(out, i, i+1)
			for k, v := range seen {
				if v > i {
					seen[k] = v - 1
				}
			}
		}
		candidate := append(slices.Clone(out), raw)
		if _, err := mapping.Parse(candidate); err != nil {
			s.invalid(st, "entry %q not converted: %v", raw, lastLine(err))
			continue
		}
		seen[key] = len(out)
		out = candidate
	}
	return out
}

func lastLine(err error) string {
	lines := strings.Split(err.Error(), "\n")
	return lines[len(lines)-1]
}
