package coordimapconnector

import (
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Resource attributes the connector reads (semantic conventions, plus the
// scope keys DESIGN.md names).
const (
	attrServiceName       = "service.name"
	attrServiceNamespace  = "service.namespace"
	attrServiceVersion    = "service.version"
	attrServiceInstanceID = "service.instance.id"
	attrSDKLanguage       = "telemetry.sdk.language"
	attrScopeID           = "coordimap.scope_id"
	attrK8sClusterUID     = "k8s.cluster.uid"
	attrCloudProvider     = "cloud.provider"
	attrCloudAccountID    = "cloud.account.id"
	attrCloudProjectNum   = "cloud.project.number"
	attrCloudZone         = "cloud.availability_zone"
	attrPGSystemID        = "db.postgresql.system_identifier"
	attrHostID            = "host.id"
	attrHostName          = "host.name"
	attrK8sNamespace      = "k8s.namespace.name"
	attrK8sPodName        = "k8s.pod.name"
	attrK8sPodUID         = "k8s.pod.uid"
	attrK8sNodeName       = "k8s.node.name"
)

// maxInstances bounds the instances (and infrastructure links) one service
// keeps: beyond it a new instance is counted no more.
const maxInstances = 4096

// unknownService is the name OTel SDKs give a service that set none.
const unknownService = "unknown_service"

// serviceKey identifies a service: its scope, service.namespace and
// service.name.
type serviceKey struct{ scope, namespace, name string }

// service is one coordimap.asset.otel_service.
type service struct {
	key      serviceKey
	id       string
	version  string
	language string
	// virtual: never seen in a resource, only named by a client span's
	// peer.service, address, rpc.service … (a node of the other end).
	virtual bool
	// instances maps service.instance.id (or the pod or host when unset)
	// to when its resource was last read.
	instances map[string]time.Time
	// links are the infrastructure elements the service runs on, with when
	// each was last seen.
	links    map[infraRef]time.Time
	lastSeen time.Time
}

// infraRef is an element of another data source a service runs on.
type infraRef struct{ typ, id string }

// scopeOf picks the resource's scope: coordimap.scope_id, k8s.cluster.uid,
// cloud.account.id, cloud.project.number, db.postgresql.system_identifier
// (on GCP the project number comes before cloud.account.id, which there is
// the project ID while the GCP receivers scope by number), then the
// configured scope_id, then the data source ID.
func (g *graph) scopeOf(attrs pcommon.Map) string {
	gcp := str(attrs, attrCloudProvider) == "gcp"
	for _, k := range [...]string{attrScopeID, attrK8sClusterUID, attrCloudAccountID, attrCloudProjectNum, attrPGSystemID} {
		if gcp && k == attrCloudAccountID {
			k = attrCloudProjectNum
		}
		if v := str(attrs, k); v != "" {
			return v
		}
	}
	if g.cfg.ScopeID != "" {
		return g.cfg.ScopeID
	}
	return g.dataSourceID
}

// service finds or creates the service a resource describes and, once per
// instance and flush interval, refreshes its version, language and
// infrastructure links.
func (g *graph) service(res pcommon.Resource, now time.Time) *service {
	attrs := res.Attributes()
	name := str(attrs, attrServiceName)
	if name == "" {
		name = unknownService
	}
	key := serviceKey{g.scopeOf(attrs), str(attrs, attrServiceNamespace), name}
	s := g.services[key]
	if s == nil {
		s = g.newService(key)
	}
	s.virtual = false
	s.lastSeen = now
	inst := str(attrs, attrServiceInstanceID)
	if inst == "" {
		inst = str(attrs, attrK8sPodUID) + "|" + str(attrs, attrHostID)
	}
	if last, ok := s.instances[inst]; ok && now.Sub(last) < g.cfg.FlushInterval {
		return s
	}
	if _, ok := s.instances[inst]; !ok && len(s.instances) >= maxInstances {
		return s
	}
	s.instances[strings.Clone(inst)] = now
	if v := str(attrs, attrServiceVersion); v != "" {
		s.version = strings.Clone(v)
	}
	if v := str(attrs, attrSDKLanguage); v != "" {
		s.language = strings.Clone(v)
	}
	for _, l := range g.infraLinks(attrs) {
		if _, ok := s.links[l]; ok || len(s.links) < maxInstances*4 {
			s.links[l] = now
		}
	}
	return s
}

func (g *graph) newService(key serviceKey) *service {
	key = serviceKey{strings.Clone(key.scope), strings.Clone(key.namespace), strings.Clone(key.name)}
	s := &service{
		key:       key,
		id:        internalid.OTelService(key.scope, key.namespace, key.name),
		instances: map[string]time.Time{},
		links:     map[infraRef]time.Time{},
	}
	g.services[key] = s
	g.byID[s.id] = s
	return s
}

// k8sWorkloads are the k8s.<kind>.name attributes and the element types
// the Kubernetes receiver gives those workloads.
var k8sWorkloads = [...]struct{ attr, typ string }{
	{"k8s.deployment.name", internalid.TypeKubernetesDeployment},
	{"k8s.replicaset.name", internalid.TypeKubernetesReplicaSet},
	{"k8s.statefulset.name", internalid.TypeKubernetesStatefulSet},
	{"k8s.daemonset.name", internalid.TypeKubernetesDaemonSet},
	{"k8s.job.name", internalid.TypeKubernetesJob},
	{"k8s.cronjob.name", internalid.TypeKubernetesCronJob},
}

// infraLinks lists the elements a resource says it runs on, with the IDs
// the Kubernetes and cloud receivers give them. Kubernetes elements need
// the cluster's scope: k8s.cluster.uid (k8sattributes sets it), else the
// configured scope_id (a sidecar's cluster), else coordimap.scope_id.
func (g *graph) infraLinks(attrs pcommon.Map) []infraRef {
	var out []infraRef
	cluster := str(attrs, attrK8sClusterUID)
	if cluster == "" {
		cluster = g.cfg.ScopeID
	}
	if cluster == "" {
		cluster = str(attrs, attrScopeID)
	}
	if ns := str(attrs, attrK8sNamespace); cluster != "" && ns != "" {
		if pod := str(attrs, attrK8sPodName); pod != "" {
			out = append(out, infraRef{internalid.TypeKubernetesPod, internalid.Kubernetes(cluster, ns, internalid.TypeKubernetesPod, pod)})
		}
		for _, w := range k8sWorkloads {
			if name := str(attrs, w.attr); name != "" {
				out = append(out, infraRef{w.typ, internalid.Kubernetes(cluster, ns, w.typ, name)})
			}
		}
	}
	if node := str(attrs, attrK8sNodeName); cluster != "" && node != "" {
		out = append(out, infraRef{internalid.TypeKubernetesNode, internalid.Kubernetes(cluster, "", internalid.TypeKubernetesNode, node)})
	}
	switch str(attrs, attrCloudProvider) {
	case "aws":
		account, host := str(attrs, attrCloudAccountID), str(attrs, attrHostID)
		if account != "" && strings.HasPrefix(host, "i-") {
			out = append(out, infraRef{internalid.TypeAWSInstance, internalid.AWS(account, host)})
		}
	case "gcp":
		project, zone, host := str(attrs, attrCloudProjectNum), str(attrs, attrCloudZone), str(attrs, attrHostName)
		if project != "" && zone != "" && host != "" {
			out = append(out, infraRef{internalid.TypeGCPVM, internalid.GCP(project, zone, internalid.TypeGCPVM, host)})
		}
	}
	return out
}

// virtualService is the node of a peer that only a client span named.
func (g *graph) virtualService(key serviceKey) *service {
	if s := g.services[key]; s != nil {
		return s
	}
	s := g.newService(key)
	s.virtual = true
	return s
}

// str is attribute k as a string: a string as it is, an integer (a
// project number, a system identifier sent as a number) in decimal.
func str(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return ""
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return v.Str()
	case pcommon.ValueTypeInt:
		return strconv.FormatInt(v.Int(), 10)
	}
	return ""
}
