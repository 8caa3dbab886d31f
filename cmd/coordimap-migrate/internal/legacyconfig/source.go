package legacyconfig

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// source converts one data source.
type source struct {
	c  *converter
	ds *DataSource
	// byName is the last setting of each name (the agent's loops let the
	// later one win).
	byName map[string]*Setting
	used   map[string]bool
	cfg    *omap
	// skip, when set, is why the data source is kept in a comment instead
	// of becoming a receiver.
	skip     string
	skipSev  Severity
	skipLine int
	// promHost is the Prometheus server of the data source's metric rules
	// (metrics_prometheus_host, else prometheus_host, as the agent chose).
	promHost *Setting
	// extra are further receivers the data source becomes (a gcp data
	// source with gcp_flows: coordimap_gcp_flow_logs too).
	extra []extraReceiver
}

type extraReceiver struct {
	typ string
	cfg *omap
}

// also adds a receiver of type typ next to the data source's own.
func (s *source) also(typ string, cfg *omap) { s.extra = append(s.extra, extraReceiver{typ, cfg}) }

// dropped are legacy settings that have no key in the collector, per
// type, with the reason and the severity of their loss.
type dropped struct {
	sev Severity
	why string
}

// source converts ds; false when it is kept in a comment instead.
func (c *converter) source(ds *DataSource) bool {
	s := &source{c: c, ds: ds, byName: map[string]*Setting{}, used: map[string]bool{}, cfg: &omap{}}
	envBefore := len(c.env)
	firstLine := map[string]int{}
	for i := range ds.Settings {
		st := &ds.Settings[i]
		if prev, dup := firstLine[st.Name]; dup {
			s.invalidAt(st.Line, st.Name, "set twice (lines %d and %d); the agent used the later value, converted so", prev, st.Line)
		} else {
			firstLine[st.Name] = st.Line
		}
		s.byName[st.Name] = st
	}
	s.identity()

	var typ string
	var drops map[string]dropped
	switch ds.Type {
	case TypePostgres:
		typ, drops = "coordimap_postgres", s.postgres()
	case TypeMariaDB, TypeMySQL:
		typ, drops = "coordimap_mariadb", s.mariadb()
	case TypeMongoDB:
		typ, drops = "coordimap_mongodb", s.mongodb()
	case TypeKubernetes:
		typ, drops = "coordimap_kubernetes", s.kubernetes()
	case TypeAWS:
		typ, drops = "coordimap_aws", s.aws()
	case TypeAWSFlowLogs:
		typ, drops = "coordimap_aws_flow_logs", s.awsFlowLogs()
	case TypeFlows:
		typ, drops = "coordimap_flows", s.flows()
	case TypeGCP:
		typ, drops = "coordimap_gcp", s.gcp()
	case TypeGCPFlowLogs:
		typ, drops = "coordimap_gcp_flow_logs", s.gcp()
	}
	for _, st := range ds.Settings {
		if s.used[st.Name] || st.Line != s.byName[st.Name].Line {
			continue
		}
		if d, ok := drops[st.Name]; ok {
			s.c.rep.add(d.sev, ds, st.Line, st.Name, "%s", d.why)
			continue
		}
		s.c.rep.add(NotMapped, ds, st.Line, st.Name, "not a setting of the agent's %s data source; it had no effect and is not converted", ds.Type)
	}
	s.metricRules(s.skip == "")

	if s.skip != "" {
		c.rep.add(s.skipSev, ds, cmpOr(s.skipLine, ds.Line), "", "data source not converted: %s; kept in a comment at the end", s.skip)
		c.keep(ds, s.skip)
		// Nothing reads the variables of a data source kept in a comment.
		for _, e := range c.env[envBefore:] {
			delete(c.envNames, e.Name)
		}
		c.env = c.env[:envBefore]
		return false
	}
	id := c.componentID(typ, ds)
	c.receivers.setc(id, s.cfg, fmt.Sprintf("%s, line %d", ds.Label(), ds.Line))
	c.order = append(c.order, id)
	for _, x := range s.extra {
		xid := c.componentID(x.typ, ds)
		c.receivers.setc(xid, x.cfg, fmt.Sprintf("%s, line %d", ds.Label(), ds.Line))
		c.order = append(c.order, xid)
	}
	return true
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// fail keeps the data source in a comment instead of converting it.
func (s *source) fail(sev Severity, line int, format string, args ...any) {
	if s.skip == "" {
		s.skip, s.skipSev, s.skipLine = fmt.Sprintf(format, args...), sev, line
	}
}

func (s *source) note(st *Setting, format string, args ...any) {
	s.c.rep.add(Note, s.ds, st.Line, st.Name, format, args...)
}

func (s *source) invalid(st *Setting, format string, args ...any) {
	s.c.rep.add(Invalid, s.ds, st.Line, st.Name, format, args...)
}

func (s *source) invalidAt(line int, setting, format string, args ...any) {
	s.c.rep.add(Invalid, s.ds, line, setting, format, args...)
}

// get returns the setting and marks it converted.
func (s *source) get(name string) *Setting {
	st := s.byName[name]
	if st != nil {
		s.used[name] = true
	}
	return st
}

// identity converts the data source ID and reports name and desc.
func (s *source) identity() {
	ds := s.ds
	switch {
	case ds.ID == "":
		s.c.rep.add(Invalid, ds, ds.Line, "id", "missing: the agent sent an empty data_source_id; the receiver sends its component ID instead; set data_source_id to this data source's ID in Coordimap")
	case ds.IDKey == "data_source_id":
		s.c.rep.add(Invalid, ds, ds.IDLine, "data_source_id", "the agent read only id and sent an empty data_source_id for this data source; converted as data_source_id: %s", ds.ID)
		s.cfg.set("data_source_id", literal(ds.ID))
	default:
		s.cfg.set("data_source_id", literal(ds.ID))
	}
	for _, nd := range []struct {
		key, value string
		line       int
	}{{"name", ds.Name, ds.NameLine}, {"desc", ds.Desc, ds.DescLine}} {
		if nd.line == 0 || nd.value == "" || nd.value == ds.ID {
			continue
		}
		s.c.rep.add(NotMapped, ds, nd.line, nd.key,
			"no equivalent: the collector sends the data source ID as data_source_info name and desc, as the agent has since 2026-03-31 (older agents sent %q)", nd.value)
	}
}

// scope converts scope_id. required says the agent refused to start
// without it.
func (s *source) scope(required bool, discovered string) {
	st := s.get("scope_id")
	if st == nil || st.Value == "" {
		line := s.ds.Line
		if st != nil {
			line = st.Line
		}
		if required {
			s.c.rep.add(Note, s.ds, line, "scope_id", "not set (the agent refused to start without it): the receiver discovers %s", discovered)
		}
		return
	}
	s.cfg.set("scope_id", s.plain(st, false))
	if strings.ContainsAny(st.Value, `\"`) {
		s.invalid(st, "%s holds backslashes or quotes (copied from the agent's README?); kept as it is, so internal IDs stay those the agent built; if the agent's graph shows the bare value, remove them", st.Value)
	}
}

// plain converts a text setting. A whole-value ${VAR} becomes
// ${env:VAR}; expands says whether the agent expanded it too (else it
// used the text as it is, which is reported).
func (s *source) plain(st *Setting, expands bool) string {
	name, ok := refName(st.Value)
	if !ok {
		return literal(st.Value)
	}
	if !envName.MatchString(name) {
		s.invalid(st, "%q is not a variable name the collector reads; kept as text", st.Value)
		return literal(st.Value)
	}
	if !expands {
		s.invalid(st, "the agent used the text %q as it is (it expanded ${VAR} only in some settings); converted as ${env:%s}", st.Value, name)
	}
	return s.c.useEnv(name, fmt.Sprintf("%s of %s", st.Name, s.ds.Label()), st.Line, true)
}

// secret converts a password or key: a ${VAR} reference stays one; a
// value in clear becomes a reference to a new variable unless secrets
// are kept.
func (s *source) secret(st *Setting, suffix string, expands bool) string {
	if _, ok := refName(st.Value); ok {
		return s.plain(st, expands)
	}
	if s.c.opts.KeepSecrets {
		return literal(st.Value)
	}
	who := s.ds.ID
	if who == "" {
		who = s.ds.Name
	}
	if who == "" {
		who = fmt.Sprintf("%s_%d", s.ds.Type, s.ds.Index)
	}
	name := s.c.newEnvName("COORDIMAP", who, suffix)
	return s.c.useEnv(name, fmt.Sprintf("%s of %s (written in clear in the legacy file, line %d)", st.Name, s.ds.Label(), st.Line), st.Line, false)
}

// interval converts crawl_interval into key. agentDefault is the crawler's
// interval without the setting (0: it did not crawl); fallback is what it
// used for an unknown unit (0: it did not crawl).
func (s *source) interval(key string, agentDefault, fallback time.Duration) {
	st := s.get("crawl_interval")
	if st == nil {
		if agentDefault > 0 {
			s.cfg.set(key, formatDuration(agentDefault))
		} else {
			s.c.rep.add(Invalid, s.ds, s.ds.Line, "crawl_interval", "missing: the agent's %s crawler did not crawl without it; the receiver's default applies", s.ds.Type)
		}
		return
	}
	if _, ref := refName(st.Value); ref {
		s.invalid(st, "%q: the agent did not expand variables here; not converted, the receiver's default applies", st.Value)
		return
	}
	agent, failed := agentInterval(st.Value, fallback)
	want, ok := intendedInterval(st.Value)
	switch {
	case ok && !failed && agent == want:
		s.cfg.set(key, formatDuration(want))
	case ok && failed:
		s.invalid(st, "%q: the agent's crawler did not start with it (it reads an integer and the unit s or m); converted to %s", st.Value, formatDuration(want))
		s.cfg.set(key, formatDuration(want))
	case ok:
		s.invalid(st, "%q: the agent crawled every %s (it reads an integer and the unit s or m); converted to %s", st.Value, formatDuration(agent), formatDuration(want))
		s.cfg.set(key, formatDuration(want))
	case !failed:
		s.invalid(st, "%q is not a duration; the agent crawled every %s, converted so", st.Value, formatDuration(agent))
		s.cfg.set(key, formatDuration(agent))
	default:
		s.invalid(st, "%q is not a duration and the agent's crawler did not start with it; not converted, the receiver's default applies", st.Value)
	}
}

// agentBool is how the agent read a boolean: only "true" was true.
func (s *source) agentBool(st *Setting) bool {
	switch strings.TrimSpace(st.Value) {
	case "true":
		return true
	case "false":
		return false
	}
	s.invalid(st, "%q: the agent took only \"true\" as true, so this was false; converted as false", st.Value)
	return false
}

// metricRules moves a converted Kubernetes data source's rules into the
// coordimap processor (data_source set to the data source's ID); the rules
// of a data source that is not converted are kept in a comment with it.
func (s *source) metricRules(keepApart bool) {
	ds := s.ds
	if ds.MetricRules == nil || len(ds.MetricRules.Content) == 0 {
		return
	}
	if ds.Type != TypeKubernetes && ds.Type != TypeGCP {
		s.c.rep.add(Invalid, ds, ds.MetricRules.Line, "metric_rules", "the agent refused metric_rules on a %s data source (kubernetes and gcp only)", ds.Type)
	}
	ruled := ds.Type == TypeKubernetes || ds.Type == TypeGCP
	convert := keepApart && ruled && ds.ID != ""
	why := "its data source is not converted"
	switch {
	case keepApart && ruled:
		why = "the data source has no id for the rules' data_source"
	case keepApart:
		why = "only the rules of kubernetes and gcp data sources are converted"
	}
	for i, rule := range ds.MetricRules.Content {
		id := fmt.Sprintf("metric_rules[%d]", i)
		rule = resolveAlias(rule)
		if rule.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(rule.Content); j += 2 {
				if rule.Content[j].Value == "id" && rule.Content[j+1].Value != "" {
					id = fmt.Sprintf("metric rule %q", rule.Content[j+1].Value)
				}
			}
		}
		if !convert || rule.Kind != yaml.MappingNode {
			s.c.rep.add(NotMapped, ds, rule.Line, id, "%s; kept in a comment at the end", why)
			continue
		}
		s.c.rules = append(s.c.rules, ruleForProcessor(rule, ds.ID))
		s.c.rep.add(Note, ds, rule.Line, id, "converted to processors.coordimap.metric_rules with data_source: %s", ds.ID)
	}
	if !convert {
		if keepApart {
			s.c.keepRules(ds, why)
		}
		return
	}
	if ds.Type == TypeGCP {
		s.gcpMonitoringProject()
		return
	}
	s.prometheusEndpoint()
}

// gcpMonitoringProject sets the processor's gcp_monitoring.project_id from
// the gcp data source's project_id (the agent listed that project's time
// series); the processor reads one project.
func (s *source) gcpMonitoringProject() {
	c := s.c
	st := s.byName["project_id"]
	if st == nil || st.Value == "" {
		s.c.rep.add(Invalid, s.ds, s.ds.MetricRules.Line, "project_id",
			"missing: gcp_monitoring rules need the project; set processors.coordimap.gcp_monitoring.project_id")
		return
	}
	v := s.plain(st, true)
	switch {
	case c.gcpProject == "":
		c.gcpProject = v
		s.note(st, "also processors.coordimap.gcp_monitoring.project_id (metric rules; credentials from Application Default Credentials)")
	case c.gcpProject != v:
		s.invalid(st, "the coordimap processor reads one Cloud Monitoring project; %s is kept, this one is not used", c.gcpProject)
	}
}

// ruleForProcessor is a legacy rule with data_source set; the agent's
// data_source_id and data_source_type keys (which it filled in itself) go.
func ruleForProcessor(rule *yaml.Node, dataSource string) *yaml.Node {
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	src := copyNode(rule)
	for j := 0; j+1 < len(src.Content); j += 2 {
		switch src.Content[j].Value {
		case "data_source_id", "data_source_type", "data_source":
			continue
		}
		out.Content = append(out.Content, src.Content[j], src.Content[j+1])
	}
	escapeDollars(out)
	out.Content = append(out.Content,
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "data_source"},
		&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: dataSource})
	return out
}

// escapeDollars doubles every '$' of n's scalars: the collector expands
// ${…}, and a mapping_key_template's ${label.x} is the rule's own syntax.
func escapeDollars(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode {
		n.Value = literal(n.Value)
		return
	}
	for _, c := range n.Content {
		escapeDollars(c)
	}
}

// prometheusEndpoint sets the processor's prometheus.endpoint from the
// data source's Prometheus host; the processor has one, so a second data
// source naming another is a finding.
func (s *source) prometheusEndpoint() {
	c := s.c
	st := s.promHost
	if st == nil || st.Value == "" {
		if c.promEndpoint == "" {
			c.promEndpoint = c.useEnv("COORDIMAP_PROMETHEUS_ENDPOINT", "the Prometheus server of the metric rules (metrics_prometheus_host was not set)", s.ds.MetricRules.Line, false)
			c.rep.add(Invalid, s.ds, s.ds.MetricRules.Line, "metrics_prometheus_host",
				"missing: the agent evaluated no rule without it; set COORDIMAP_PROMETHEUS_ENDPOINT to the Prometheus server")
		}
		return
	}
	v := s.plain(st, true)
	switch {
	case c.promEndpoint == "":
		c.promEndpoint = v
		s.note(st, "converted to processors.coordimap.prometheus.endpoint")
	case c.promEndpoint != v:
		s.invalid(st, "the coordimap processor queries one Prometheus server; %s is kept, this one is not used", c.promEndpoint)
	}
}

// commaList splits a comma-separated value, dropping empty items.
func commaList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
