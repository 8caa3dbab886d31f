package legacyconfig

import (
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// The agent's crawl intervals when crawl_interval is missing, and for a
// unit it did not know.
const (
	agentDefaultInterval         = 30 * time.Second
	agentDefaultFlowLogsInterval = 15 * time.Minute
)

// endpoint converts db_host and db_port into host:port. The agent never
// read db_port: it connected to defaultPort.
func (s *source) endpoint(defaultPort int) {
	host := "localhost"
	hostSt := s.get("db_host")
	if hostSt != nil && hostSt.Value != "" {
		host = s.plain(hostSt, false)
		if h, p, err := net.SplitHostPort(hostSt.Value); err == nil && h != "" {
			if port, err := strconv.Atoi(p); err == nil && port > 0 && port < 65536 {
				s.invalid(hostSt, "%q holds a port, which the agent could not use (it always connected to port %d); converted to endpoint %s", hostSt.Value, defaultPort, net.JoinHostPort(h, p))
				s.cfg.set("endpoint", literal(net.JoinHostPort(h, p)))
				return
			}
		}
	} else {
		s.c.rep.add(Note, s.ds, s.ds.Line, "db_host", "not set: the agent connected to localhost; converted so")
	}
	port := defaultPort
	if st := s.get("db_port"); st != nil {
		p, err := strconv.Atoi(strings.TrimSpace(st.Value))
		switch {
		case err != nil || p < 1 || p > 65535:
			s.invalid(st, "%q is not a port; the agent ignored db_port anyway and connected to %d; converted so", st.Value, defaultPort)
		case p != defaultPort:
			s.invalid(st, "the agent ignored db_port and connected to %d; converted to port %d as written: check it is the server the agent crawled", defaultPort, p)
			port = p
		}
	}
	if _, ref := refName(hostSt.valueOr("")); ref {
		s.cfg.set("endpoint", host+":"+strconv.Itoa(port))
		return
	}
	s.cfg.set("endpoint", literal(net.JoinHostPort(hostSt.valueOr("localhost"), strconv.Itoa(port))))
}

func (st *Setting) valueOr(def string) string {
	if st == nil || st.Value == "" {
		return def
	}
	return st.Value
}

// user converts db_user; the agent's default was agentDefault.
func (s *source) user(agentDefault string) {
	st := s.get("db_user")
	if st == nil || st.Value == "" {
		s.c.rep.add(Note, s.ds, s.ds.Line, "db_user", "not set: the agent logged in as %q; converted so", agentDefault)
		s.cfg.set("username", literal(agentDefault))
		return
	}
	s.cfg.set("username", s.plain(st, false))
}

func (s *source) password() {
	if st := s.get("db_pass"); st != nil && st.Value != "" {
		s.cfg.set("password", s.secret(st, "PASSWORD", true))
	}
}

// mappingID sets mapping_internal_id after checking the receiver takes it.
func (s *source) mappingID(st *Setting, value string) {
	if _, err := internalid.FromMappingConfig(value); err != nil {
		s.invalid(st, "%v; not converted", err)
		return
	}
	s.cfg.set("mapping_internal_id", literal(value))
}

// server converts where a SQL server is, who logs in and the one
// database the agent crawled (its defaults: localhost, the user postgres
// and the database postgres, also for MariaDB and MySQL).
func (s *source) server(port int, database string) {
	s.endpoint(port)
	s.user("postgres")
	s.password()
	if st := s.get("db_name"); st != nil && st.Value != "" {
		s.cfg.set("databases", []string{s.plain(st, false)})
		return
	}
	s.c.rep.add(Note, s.ds, s.ds.Line, "db_name", "not set: the agent crawled the %s postgres; converted so", database)
	s.cfg.set("databases", []string{"postgres"})
}

func (s *source) postgres() map[string]dropped {
	s.scope(true, "the server's system_identifier")
	s.server(5432, "database")
	tls := &omap{}
	switch st := s.get("ssl_mode"); {
	case st == nil:
		s.c.rep.add(Note, s.ds, s.ds.Line, "ssl_mode", "not set: the agent connected without TLS (sslmode=disable); converted to tls.insecure: true; remove it to verify the server")
		tls.set("insecure", true)
	case st.Value == "disable":
		tls.set("insecure", true)
	case st.Value == "require":
		tls.set("insecure_skip_verify", true)
	case st.Value == "verify-full", st.Value == "verify-ca":
		s.invalid(st, "%q: the agent refused to start with it (only disable and require); converted to verified TLS (the tls section's default; it also checks the host name)", st.Value)
	case st.Value == "allow", st.Value == "prefer":
		s.invalid(st, "%q: the agent refused to start with it (only disable and require); converted to TLS without verification (tls.insecure_skip_verify)", st.Value)
		tls.set("insecure_skip_verify", true)
	default:
		s.invalid(st, "%q: not an sslmode, the agent refused to start with it; converted to verified TLS (the tls section's default)", st.Value)
	}
	if len(tls.entries) > 0 {
		s.cfg.set("tls", tls)
	}
	s.interval("collection_interval", agentDefaultInterval, agentDefaultInterval)
	if st := s.get("mapping_internal_id"); st != nil && st.Value != "" {
		s.mappingID(st, st.Value)
	}
	return nil
}

func (s *source) mariadb() map[string]dropped {
	s.scope(true, "@@server_uid (MariaDB) or @@server_uuid (MySQL)")
	s.server(3306, "schema")
	// The agent connected with tls=skip-verify whatever ssl_mode said.
	tls := &omap{}
	tls.set("insecure_skip_verify", true)
	s.cfg.set("tls", tls)
	if st := s.get("ssl_mode"); st != nil {
		switch st.Value {
		case "require":
		case "disable":
			s.note(st, "the agent used TLS without verification whatever ssl_mode said; converted so (tls.insecure_skip_verify); set tls.insecure: true for no TLS")
		default:
			s.invalid(st, "%q: the agent refused to start with it (only disable and require); converted to what it did otherwise, TLS without verification", st.Value)
		}
	}
	s.interval("collection_interval", agentDefaultInterval, agentDefaultInterval)
	dsSt, idSt := s.get("mapping_data_source_id"), s.get("mapping_internal_id")
	switch {
	case idSt == nil || idSt.Value == "":
		if dsSt != nil && dsSt.Value != "" {
			s.invalid(dsSt, "the agent linked nothing without mapping_internal_id; not converted")
		}
	case dsSt == nil || dsSt.Value == "":
		s.invalid(idSt, "the agent linked nothing without mapping_data_source_id; converted as mapping_internal_id %q as written: check it names the element that hosts the server", idSt.Value)
		s.mappingID(idSt, idSt.Value)
	default:
		// The agent linked <mapping_data_source_id>-<mapping_internal_id>.
		s.mappingID(idSt, dsSt.Value+"-"+idSt.Value)
	}
	if s.ds.Type == TypeMySQL {
		for _, st := range []*Setting{dsSt, idSt} {
			if st != nil && st.Value != "" {
				s.note(st, "the agent's mysql crawler ignored it; the receiver links the databases to the element it names")
			}
		}
	}
	return nil
}

func (s *source) mongodb() map[string]dropped {
	if st := s.get("scope_id"); st != nil && st.Value != "" {
		s.cfg.set("scope_id", s.plain(st, false))
		s.note(st, "the agent's MongoDB crawler never read scope_id (and so never started); the receiver uses it")
		if strings.ContainsAny(st.Value, `\"`) {
			s.invalid(st, "%s holds backslashes or quotes (copied from the agent's README?); kept as it is", st.Value)
		}
	} else {
		s.c.rep.add(Note, s.ds, s.ds.Line, "scope_id", "not set: the receiver discovers the replica set ID (a standalone server needs scope_id)")
	}
	host := "localhost"
	if st := s.get("db_host"); st != nil && st.Value != "" {
		host = st.Value
		if _, ref := refName(host); ref {
			s.invalid(st, "the agent used the text %q as it is; a variable cannot be checked as a host here; not converted", host)
			host = "localhost"
		}
	}
	// The agent connected to mongodb+srv://<db_host>: a DNS SRV name,
	// TLS on.
	if strings.ContainsAny(host, ":,/?@") {
		st := s.byName["db_host"]
		if h, _, err := net.SplitHostPort(host); err != nil || h == "" || strings.ContainsAny(host, ",/?@") {
			s.fail(Invalid, st.Line, "db_host %q is neither a DNS SRV name nor one host:port (the agent could not connect to it either)", host)
		} else {
			s.cfg.set("hosts", []string{literal(host)})
			s.invalid(st, "%q: the agent's mongodb+srv:// URI cannot hold a port, so it could not connect; converted to hosts: [%s]", host, host)
		}
	} else {
		s.cfg.set("uri", literal("mongodb+srv://"+host+"/"))
	}
	s.user("mongo")
	s.password()
	if st := s.get("db_name"); st != nil && st.Value != "" {
		dbs := commaList(st.Value)
		if len(dbs) > 1 && slicesContains(dbs, "*") {
			s.invalid(st, "%q: \"*\" with other names; converted to \"*\"", st.Value)
			dbs = []string{"*"}
		}
		for _, db := range dbs {
			if db != "*" && strings.ContainsAny(db, `/\. "$`) {
				s.invalid(st, "%q is not a database name; the receiver refuses it; converted to \"*\"", db)
				dbs = []string{"*"}
				break
			}
		}
		if len(dbs) == 1 && dbs[0] == "*" {
			s.note(st, "\"*\" leaves out admin, config and local (the agent crawled them); list them to crawl them")
		}
		s.cfg.set("databases", dbs)
	} else {
		s.c.rep.add(Note, s.ds, s.ds.Line, "db_name", "not set: the agent crawled nothing; converted to every database (\"*\")")
	}
	s.interval("collection_interval", agentDefaultInterval, agentDefaultInterval)
	return nil
}

func slicesContains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// flowsPrometheus converts prometheus_host (Istio flows) and
// retina_prometheus (Retina flows) into the receiver's prometheus section,
// which reads both from one server.
func (s *source) flowsPrometheus() {
	istio, retina := s.get("prometheus_host"), s.get("retina_prometheus")
	if istio != nil && istio.Value == "" {
		istio = nil
	}
	if retina != nil && retina.Value == "" {
		retina = nil
	}
	if istio == nil && retina == nil {
		return
	}
	prom := s.cfg.sub("prometheus")
	if istio != nil {
		prom.set("endpoint", s.plain(istio, true))
		prom.set("istio_flows", true)
		s.note(istio, "converted to prometheus.endpoint with istio_flows: true")
	}
	if retina != nil {
		switch {
		case istio == nil:
			prom.set("endpoint", s.plain(retina, true))
			prom.set("retina_flows", true)
			s.note(retina, "converted to prometheus.endpoint with retina_flows: true")
		case retina.Value == istio.Value:
			prom.set("retina_flows", true)
			s.note(retina, "converted to prometheus.retina_flows: true (the same server as prometheus_host)")
		default:
			s.c.rep.add(NotMapped, s.ds, retina.Line, retina.Name,
				"the receiver reads Istio and Retina flows from one Prometheus server (prometheus_host, line %d); Retina flows are not read", istio.Line)
		}
	}
}

func (s *source) kubernetes() map[string]dropped {
	s.scope(true, "the cluster UID (namespace kube-system)")
	// The agent took the first of in_cluster: "true" and config_file in
	// the order written, and ignored the other.
	var auth *Setting
	for i := range s.ds.Settings {
		st := &s.ds.Settings[i]
		if st != s.byName[st.Name] {
			continue
		}
		switch st.Name {
		case "in_cluster":
			s.used[st.Name] = true
			inCluster := s.agentBool(st)
			if !inCluster {
				continue
			}
			if auth != nil {
				s.note(st, "the agent used %s (line %d), written first; converted so", auth.Name, auth.Line)
				continue
			}
			auth = st
			s.cfg.set("auth_type", "serviceAccount")
		case "config_file":
			s.used[st.Name] = true
			if auth != nil {
				s.note(st, "the agent used %s (line %d), written first; converted so", auth.Name, auth.Line)
				continue
			}
			auth = st
			s.cfg.set("auth_type", "kubeConfig")
			if st.Value != "" {
				s.cfg.set("kubeconfig_path", s.plain(st, true))
			}
		}
	}
	if auth == nil {
		s.c.rep.add(Invalid, s.ds, s.ds.Line, "in_cluster", "neither in_cluster: \"true\" nor config_file: the agent could not reach the cluster; converted to the pod's service account (auth_type: serviceAccount)")
		s.cfg.set("auth_type", "serviceAccount")
	}
	if st := s.get("cluster_name"); st != nil && st.Value != "" {
		s.cfg.set("cluster_name", s.plain(st, true))
	}
	if st := s.get("external_mappings"); st != nil {
		if m := s.mappings(st); len(m) > 0 {
			s.cfg.set("external_mappings", m)
		}
	}
	if s.ds.MetricRules != nil && len(s.ds.MetricRules.Content) > 0 {
		s.promHost = s.get("metrics_prometheus_host")
	}
	if s.promHost == nil || s.promHost.Value == "" {
		if st := s.byName["prometheus_host"]; st != nil && st.Value != "" {
			s.promHost = st
		}
	}
	s.flowsPrometheus()
	// The agent crawled everything every crawl_interval; the receiver
	// sends changes as they happen and everything every report_interval.
	s.interval("report_interval", agentDefaultInterval, agentDefaultInterval)
	s.c.rep.add(Note, s.ds, cmpOr(lineOf(s.byName["crawl_interval"]), s.ds.Line), "crawl_interval",
		"converted to report_interval (a full report as often as the agent crawled); changes are sent as they happen, so it can be raised (default 10m)")
	return map[string]dropped{
		"cloud_data_source_id":    {Note, "dropped: the agent read it and never used it"},
		"metrics_prometheus_host": {Note, "no metric_rules here use it; rules now live in the coordimap processor, whose prometheus.endpoint it would be"},
	}
}

func lineOf(st *Setting) int {
	if st == nil {
		return 0
	}
	return st.Line
}

func (s *source) aws() map[string]dropped {
	s.scope(true, "the account ID with STS")
	if st := s.get("policy_config"); st != nil {
		if s.agentBool(st) {
			s.cfg.set("policy_config", true)
			s.note(st, "the agent never read it; the receiver now crawls IAM (roles, policies, instance profiles): grant the IAM read permissions of deploy/aws/iam-read-policy.json")
		}
	}
	s.keyPair(true)
	s.interval("collection_interval", 0, 0)
	return nil
}

func (s *source) keyPair(expands bool) {
	id, secret := s.get("access_key_id"), s.get("secret_access_key")
	set := 0
	for _, kv := range []struct {
		st  *Setting
		key string
	}{{id, "access_key_id"}, {secret, "secret_access_key"}} {
		if kv.st != nil && kv.st.Value != "" {
			s.cfg.set(kv.key, s.secret(kv.st, "AWS_"+kv.key, expands))
			set++
		}
	}
	if set == 1 {
		st := id
		if st == nil || st.Value == "" {
			st = secret
		}
		s.invalid(st, "only one of access_key_id and secret_access_key is set; not converted, the SDK's default credential chain applies")
		s.cfg.del("access_key_id")
		s.cfg.del("secret_access_key")
	}
}

// awsRegion is the shape of AWS region names.
var awsRegion = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

func (s *source) awsFlowLogs() map[string]dropped {
	if st := s.get("scope_id"); st != nil && st.Value != "" {
		s.cfg.set("scope_id", s.plain(st, false))
		if strings.ContainsAny(st.Value, `\"`) {
			s.invalid(st, "%s holds backslashes or quotes (copied from the agent's README?); kept as it is; it becomes the scope of every flow", st.Value)
		}
	}
	switch st := s.get("bucket_name"); {
	case st == nil || st.Value == "":
		s.fail(Invalid, lineOf(st), "bucket_name is missing: the agent listed no bucket, and the receiver needs one")
	default:
		s.cfg.set("bucket", s.plain(st, false))
	}
	switch st := s.get("region"); {
	case st == nil || st.Value == "":
		s.fail(Invalid, lineOf(st), "region is missing: the receiver needs the bucket's region")
	case !awsRegion.MatchString(st.Value):
		s.fail(Invalid, st.Line, "region %q is not an AWS region name (e.g. eu-west-1)", st.Value)
	default:
		s.cfg.set("region", literal(st.Value))
	}
	switch st := s.get("log_format"); {
	case st == nil:
		s.cfg.set("log_format", "all")
	case st.Value == "all":
		s.cfg.set("log_format", "all")
	case st.Value == "default":
		s.invalid(st, "the agent could not read the default format (its default case never matched); converted as default")
		s.cfg.set("log_format", "default")
	default:
		if err := checkFlowLogFormat(st.Value); err != "" {
			s.invalid(st, "%s; not converted, log_format: all (the agent's default) applies", err)
			s.cfg.set("log_format", "all")
			break
		}
		s.cfg.set("log_format", literal(st.Value))
	}
	s.keyPair(true) // ignored, not read literally: the note below says so
	for _, k := range []string{"access_key_id", "secret_access_key"} {
		if st := s.byName[k]; st != nil && st.Value != "" && s.cfg.get(k) != nil {
			s.note(st, "the agent's flow-log crawler ignored it and used the default credential chain; the receiver uses it")
		}
	}
	s.interval("collection_interval", agentDefaultFlowLogsInterval, agentDefaultFlowLogsInterval)
	s.cfg.set("storage", storageID)
	s.c.needStorage = true
	return map[string]dropped{
		"log_type":   {Note, "dropped: S3 is the only destination (the agent read it and never used it)"},
		"account_id": {Note, "dropped: the account is scope_id, else the one the records name (the agent read it and never used it)"},
	}
}

// flowLogFields are the fields of AWS VPC flow logs, versions 2 to 8.
var flowLogFields = strings.Fields(`version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action
	log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id sublocation-type sublocation-id
	pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn
	ecs-container-instance-id ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id
	reject-reason`)

// checkFlowLogFormat checks a custom ${field} list; "" when it is good.
func checkFlowLogFormat(v string) string {
	seen := map[string]bool{}
	toks := strings.Fields(v)
	if len(toks) == 0 {
		return "no fields"
	}
	for _, tok := range toks {
		if !strings.HasPrefix(tok, "${") || !strings.HasSuffix(tok, "}") || len(tok) < 4 {
			return strconvQuote(tok) + " is not a ${field}"
		}
		name := tok[2 : len(tok)-1]
		if !slicesContains(flowLogFields, name) {
			return "unknown field " + strconvQuote(name)
		}
		if seen[name] {
			return "field " + strconvQuote(name) + " appears twice"
		}
		seen[name] = true
	}
	return ""
}

func strconvQuote(s string) string { return strconv.Quote(s) }

func (s *source) flows() map[string]dropped {
	mode := "server"
	if st := s.get("deployedAt"); st != nil {
		switch st.Value {
		case "server", "kubernetes":
			mode = st.Value
		default:
			s.invalid(st, "%q: the agent used server for it; converted so", st.Value)
		}
	}
	s.cfg.set("deployed_at", mode)
	if st := s.get("interface_name"); st != nil && st.Value != "all" {
		if validInterface(st.Value) {
			s.cfg.set("interface_name", literal(st.Value))
		} else {
			s.invalid(st, "%q is not a network device name; not converted, all interfaces", st.Value)
		}
	}
	var entries []string
	mappingsSt := s.get("external_mappings")
	if mappingsSt != nil {
		entries = s.mappings(mappingsSt)
		if len(entries) > 0 {
			s.cfg.set("external_mappings", entries)
		}
	}
	uid := ""
	if mode == "kubernetes" {
		table, err := mapping.Parse(entries)
		v, ok := table.Lookup("*")
		switch {
		case err != nil || len(entries) == 0:
			s.fail(Invalid, cmpOr(lineOf(mappingsSt), s.ds.Line), "deployedAt kubernetes needs external_mappings \"*@<cluster uid>\" (the agent refused to start without external_mappings)")
		case !ok:
			s.fail(Invalid, mappingsSt.Line, "deployedAt kubernetes: external_mappings must map any pod (\"*@<cluster uid>\") for the receiver to know the cluster")
		default:
			uid = v
		}
	}
	if st := s.get("scope_id"); st != nil && st.Value != "" {
		switch {
		case mode == "kubernetes" && uid != "" && st.Value != uid:
			s.invalid(st, "%q differs from the cluster UID %q that external_mappings gives; not converted (the cluster UID is the scope)", st.Value, uid)
		default:
			s.cfg.set("scope_id", literal(st.Value))
			s.note(st, "the agent's flows crawler never read scope_id; the receiver uses it")
		}
	}
	s.interval("collection_interval", agentDefaultInterval, agentDefaultInterval)
	return nil
}

// validInterface is what Linux accepts as a device name.
func validInterface(name string) bool {
	if name == "" || len(name) > 15 || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsAny(name, "/: \t\n")
}

// gcpRegion is the shape of GCP region names.
var gcpRegion = regexp.MustCompile(`^[a-z]+(-[a-z]+)+[0-9]+$`)

// gcp converts a GCP data source into coordimap_gcp and, with gcp_flows,
// a coordimap_gcp_flow_logs next to it; the README's gcp_flow_logs type
// (which the agent refused) into coordimap_gcp_flow_logs alone.
func (s *source) gcp() map[string]dropped {
	ds := s.ds
	flows := ds.Type == TypeGCPFlowLogs
	if flows {
		s.c.rep.add(Invalid, ds, ds.Line, "type", "the agent had no gcp_flow_logs type (it ran GCP flow logs as gcp_flows of a gcp data source) and refused it; converted to coordimap_gcp_flow_logs")
	}
	if st := s.get("gcp_flows"); st != nil {
		if strings.TrimSpace(st.Value) != "true" {
			s.invalid(st, "%q: the agent turned flow logs on whatever the value (only the setting's presence counted); converted so, remove it to turn them off", st.Value)
		}
		if !flows {
			s.note(st, "flow logs are their own receiver: coordimap_gcp_flow_logs next to coordimap_gcp, its cursor in file_storage; grant logging.logEntries.list (deploy/gcp/coordimap-flow-logs-role.yaml)")
		}
		flows = true
	}
	switch st := s.get("project_id"); {
	case st == nil || st.Value == "":
		s.fail(Invalid, cmpOr(lineOf(st), ds.Line), "project_id is missing: the agent refused to start without it, and the receiver needs it")
	default:
		v := st.Value
		if _, ref := refName(v); !ref {
			// The agent lowercased it.
			if low := strings.ToLower(v); low != v {
				s.note(st, "%q: the agent lowercased it; converted as %q", v, low)
				v = low
			}
		}
		s.cfg.set("project_id", s.plain(&Setting{Name: st.Name, Value: v, Line: st.Line}, true))
	}
	s.scope(true, "the project number (Resource Manager)")
	if st := s.get("credentials_file"); st != nil && st.Value != "" {
		s.cfg.set("credentials_file", s.plain(st, false))
	}
	if st := s.get("in_cloud"); st != nil && s.agentBool(st) {
		if s.cfg.get("credentials_file") != nil {
			s.note(st, "the agent used the metadata server's token and the credentials file together; the receiver uses credentials_file (unset it for Application Default Credentials)")
		} else {
			s.note(st, "dropped: without credentials_file the receiver uses Application Default Credentials, which take the metadata server's (GCE, GKE workload identity)")
		}
	}
	if st := s.get("external_mappings"); st != nil {
		if m := s.mappings(st); len(m) > 0 {
			s.cfg.set("external_mappings", m)
		}
	}
	if st := s.get("include_regions"); st != nil && !(ds.Type == TypeGCPFlowLogs) {
		var regions []string
		for _, r := range strings.Split(st.Value, ",") {
			r = strings.TrimSpace(r)
			switch {
			case r == "":
			case !gcpRegion.MatchString(r):
				s.invalid(st, "%q is not a GCP region name (e.g. europe-west3); not converted", r)
			case !slices.Contains(regions, r):
				regions = append(regions, r)
			}
		}
		if len(regions) > 0 {
			s.cfg.set("regions", regions)
			s.note(st, "regions now also restricts the regional and zonal resources (the agent filtered only the region and zone elements)")
		}
	}
	s.interval("collection_interval", agentDefaultInterval, agentDefaultInterval)
	if flows {
		fl := &omap{}
		for _, k := range []string{"data_source_id", "project_id", "scope_id", "credentials_file", "external_mappings", "collection_interval"} {
			if v := s.cfg.get(k); v != nil {
				fl.set(k, v)
			}
		}
		fl.set("storage", storageID)
		s.c.needStorage = true
		if ds.Type == TypeGCPFlowLogs {
			s.cfg = fl
		} else {
			s.also("coordimap_gcp_flow_logs", fl)
		}
	}
	drops := map[string]dropped{}
	if ds.Type == TypeGCPFlowLogs {
		drops["include_regions"] = dropped{Note, "dropped: flow logs are read for the whole project"}
	}
	return drops
}
