package metricrules

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// Resolvers: how a series' labels become an internal ID.
const (
	ResolverKubernetesService     = "kubernetes_service"
	ResolverKubernetesDeployment  = "kubernetes_deployment"
	ResolverKubernetesPod         = "kubernetes_pod"
	ResolverKubernetesPVC         = "kubernetes_pvc"
	ResolverKubernetesStatefulSet = "kubernetes_statefulset"
	ResolverGCPCloudSQL           = "gcp_cloudsql"
	ResolverGCPVMInstance         = "gcp_vm_instance"
	ResolverExternalMapping       = "external_mapping"
)

// Element types the resolvers build IDs of (the Kubernetes and GCP
// receivers' types).
const (
	typeService     = "kubernetes.service"
	typeDeployment  = "kubernetes.deployment"
	typePod         = "kubernetes.pod"
	typePVC         = "kubernetes.pvc"
	typeStatefulSet = "kubernetes.stateful_set"
	typeVMInstance  = "gcp.vm_instance"
)

var kubernetesResolvers = map[string]string{
	ResolverKubernetesService:     typeService,
	ResolverKubernetesDeployment:  typeDeployment,
	ResolverKubernetesPod:         typePod,
	ResolverKubernetesPVC:         typePVC,
	ResolverKubernetesStatefulSet: typeStatefulSet,
}

// Resolvers lists every resolver, sorted.
func Resolvers() []string {
	return []string{ResolverExternalMapping, ResolverGCPCloudSQL, ResolverGCPVMInstance,
		ResolverKubernetesDeployment, ResolverKubernetesPVC, ResolverKubernetesPod,
		ResolverKubernetesService, ResolverKubernetesStatefulSet}
}

var placeholderRe = regexp.MustCompile(`\$\{([^}]*)\}`)

// checkTarget fills the GCP resolvers' default labels and reports a
// resolver that does not exist or labels it needs.
func checkTarget(i int, id string, t *Target) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldError(i, id, field, format, args...))
	}
	switch {
	case t.Resolver == "":
		bad("target.resolver", "required (one of %s)", strings.Join(Resolvers(), ", "))
	case kubernetesResolvers[t.Resolver] != "":
		if t.NamespaceLabel == "" {
			bad("target.namespace_label", "required by resolver %s", t.Resolver)
		}
		if t.NameLabel == "" {
			bad("target.name_label", "required by resolver %s", t.Resolver)
		}
	case t.Resolver == ResolverGCPCloudSQL:
		if t.NameLabel == "" {
			t.NameLabel = "database_id"
		}
	case t.Resolver == ResolverGCPVMInstance:
		if t.NameLabel == "" {
			t.NameLabel = "instance_name"
		}
		if t.ZoneLabel == "" {
			t.ZoneLabel = "zone"
		}
	case t.Resolver == ResolverExternalMapping:
		if t.MappingKeyTemplate == "" {
			bad("target.mapping_key_template", "required by resolver external_mapping")
		} else if strings.Count(t.MappingKeyTemplate, "${") != len(placeholderRe.FindAllString(t.MappingKeyTemplate, -1)) {
			bad("target.mapping_key_template", "unterminated ${ in %q", t.MappingKeyTemplate)
		}
	default:
		bad("target.resolver", "unknown resolver %q (known: %s)", t.Resolver, strings.Join(Resolvers(), ", "))
	}
	return errs
}

// parseDuration accepts Prometheus durations ("5m", "1h30m", "6h").
func parseDuration(s string) (time.Duration, error) {
	d, err := model.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as 5m: %w", s, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: must be positive", s)
	}
	return time.Duration(d), nil
}

var promParser = parser.NewParser(parser.Options{})

// checkPromQL parses q with Prometheus' own parser.
func checkPromQL(q string) error {
	_, err := promParser.ParseExpr(q)
	return err
}

// Context is what the resolvers know about a rule's data source.
type Context struct {
	// ScopeID is the data source's coordimap.scope_id.
	ScopeID string
	// Mappings is the processor's external_mappings.
	Mappings *mapping.Table
	// CloudSQL maps a Cloud SQL instance's name to its internal ID, learned
	// from the gcp.cloud_sql records of the data source (the ID holds the
	// zone, which the metric does not carry).
	CloudSQL map[string]string
}

// ResolveTarget builds the internal ID a series names, or reports that it
// names none (a label missing, no mapping, an unknown Cloud SQL instance).
func ResolveTarget(t *Target, ctx *Context, labels, resource map[string]string) (string, bool) {
	get := func(label string) string {
		if label == "" {
			return ""
		}
		if v, ok := labels[label]; ok {
			return v
		}
		return resource[label]
	}
	if typ := kubernetesResolvers[t.Resolver]; typ != "" {
		ns, name := get(t.NamespaceLabel), get(t.NameLabel)
		if ns == "" || name == "" || ctx.ScopeID == "" {
			return "", false
		}
		return internalid.Kubernetes(ctx.ScopeID, ns, typ, name), true
	}
	switch t.Resolver {
	case ResolverGCPCloudSQL:
		db := get(t.NameLabel)
		if db == "" {
			return "", false
		}
		if id, ok := ctx.CloudSQL[db]; ok {
			return id, true
		}
		// database_id is "<project>:<instance>".
		if _, name, ok := strings.Cut(db, ":"); ok && name != "" {
			id, ok := ctx.CloudSQL[name]
			return id, ok
		}
		return "", false
	case ResolverGCPVMInstance:
		name := get(t.NameLabel)
		if name == "" || ctx.ScopeID == "" {
			return "", false
		}
		return internalid.GCP(ctx.ScopeID, get(t.ZoneLabel), typeVMInstance, name), true
	case ResolverExternalMapping:
		key := RenderTemplate(t.MappingKeyTemplate, labels, resource)
		if key == "" || ctx.Mappings == nil {
			return "", false
		}
		return ctx.Mappings.Lookup(key)
	}
	return "", false
}

// RenderTemplate replaces ${label.k}, ${resource.k} and ${k} (a label, else
// a resource label) by their values; a missing one becomes empty.
func RenderTemplate(tmpl string, labels, resource map[string]string) string {
	if tmpl == "" {
		return ""
	}
	return placeholderRe.ReplaceAllStringFunc(tmpl, func(m string) string {
		ref := m[2 : len(m)-1]
		if k, ok := strings.CutPrefix(ref, "label."); ok {
			return labels[k]
		}
		if k, ok := strings.CutPrefix(ref, "resource."); ok {
			return resource[k]
		}
		if v, ok := labels[ref]; ok {
			return v
		}
		return resource[ref]
	})
}
