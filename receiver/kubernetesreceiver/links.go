package kubernetesreceiver

import (
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// gkeServiceAccountAnnotation names the GCP service account a Kubernetes
// service account acts as (GKE Workload Identity).
const gkeServiceAccountAnnotation = "iam.gke.io/gcp-service-account"

// scopePlaceholder is where the processor puts the scope it finds for a
// link's mapping key (see entity.Link).
const scopePlaceholder = "{scope}"

// ref is a relationship an object names: to an element type and name, or
// to an API kind (owner references, autoscaler targets), whose element type
// and scope are looked up when records are made.
type ref struct {
	dir entity.Direction
	// typ is the target's element type; empty for a kind reference.
	typ         string
	group, kind string
	// ns is the target's namespace; for a kind reference, the namespace
	// the target is in if its kind is namespaced.
	ns, name string
}

// refs collects an object's references without duplicates.
type refs struct{ list []ref }

func (l *refs) add(r ref) {
	if r.name == "" {
		return
	}
	for _, x := range l.list {
		if x == r {
			return
		}
	}
	l.list = append(l.list, r)
}

// from adds a reference to a parent (the object is the child).
func (l *refs) from(typ, ns, name string) {
	l.add(ref{dir: entity.Incoming, typ: typ, ns: ns, name: name})
}

// to adds a reference to a child or a used object.
func (l *refs) to(typ, ns, name string) {
	l.add(ref{dir: entity.Outgoing, typ: typ, ns: ns, name: name})
}

func (l *refs) owners(m metav1.Object) {
	for _, o := range m.GetOwnerReferences() {
		l.add(ref{dir: entity.Incoming, group: groupOf(o.APIVersion), kind: o.Kind, ns: m.GetNamespace(), name: o.Name})
	}
}

// specRefs are the relationships an object's spec names. Relationships
// that need other objects (service → pods by selector, stateful set →
// claims) are found by the graph.
func specRefs(l *refs, obj runtime.Object) {
	switch o := obj.(type) {
	case *corev1.Pod:
		podRefs(l, o)
	case *corev1.PersistentVolumeClaim:
		l.to(typePV, "", o.Spec.VolumeName)
	case *corev1.PersistentVolume:
		l.to(typeStorageClass, "", o.Spec.StorageClassName)
	case *networkingv1.Ingress:
		ingressRefs(l, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		t := o.Spec.ScaleTargetRef
		l.add(ref{dir: entity.Outgoing, group: groupOf(t.APIVersion), kind: t.Kind, ns: o.Namespace, name: t.Name})
	//lint:ignore SA1019 v1 Endpoints are the agent's kubernetes.endpoint element
	case *corev1.Endpoints:
		// An Endpoints object belongs to the service of the same name.
		l.from(typeService, o.Namespace, o.Name)
	case *discoveryv1.EndpointSlice:
		l.from(typeService, o.Namespace, o.Labels[discoveryv1.LabelServiceName])
	}
}

// podRefs: the node it runs on and its service account (parents), and the
// config maps, secrets and claims it mounts or reads (used).
func podRefs(l *refs, p *corev1.Pod) {
	ns := p.Namespace
	l.from(typeNode, "", p.Spec.NodeName)
	sa := p.Spec.ServiceAccountName
	if sa == "" {
		sa = p.Spec.DeprecatedServiceAccount
	}
	l.from(typeServiceAccount, ns, sa)
	for _, v := range p.Spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			l.to(typeConfigMap, ns, v.ConfigMap.Name)
		case v.Secret != nil:
			l.to(typeSecret, ns, v.Secret.SecretName)
		case v.PersistentVolumeClaim != nil:
			l.to(typePVC, ns, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			// A generic ephemeral volume's claim is named <pod>-<volume>.
			l.to(typePVC, ns, p.Name+"-"+v.Name)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				if src.ConfigMap != nil {
					l.to(typeConfigMap, ns, src.ConfigMap.Name)
				}
				if src.Secret != nil {
					l.to(typeSecret, ns, src.Secret.Name)
				}
			}
		}
	}
	for i := range p.Spec.InitContainers {
		envRefs(l, ns, p.Spec.InitContainers[i].Env, p.Spec.InitContainers[i].EnvFrom)
	}
	for i := range p.Spec.Containers {
		envRefs(l, ns, p.Spec.Containers[i].Env, p.Spec.Containers[i].EnvFrom)
	}
	for i := range p.Spec.EphemeralContainers {
		c := &p.Spec.EphemeralContainers[i].EphemeralContainerCommon
		envRefs(l, ns, c.Env, c.EnvFrom)
	}
	for _, s := range p.Spec.ImagePullSecrets {
		l.to(typeSecret, ns, s.Name)
	}
}

func envRefs(l *refs, ns string, env []corev1.EnvVar, envFrom []corev1.EnvFromSource) {
	for _, e := range env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
			l.to(typeConfigMap, ns, r.Name)
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil {
			l.to(typeSecret, ns, r.Name)
		}
	}
	for _, e := range envFrom {
		if e.ConfigMapRef != nil {
			l.to(typeConfigMap, ns, e.ConfigMapRef.Name)
		}
		if e.SecretRef != nil {
			l.to(typeSecret, ns, e.SecretRef.Name)
		}
	}
}

// ingressRefs: every service a rule or the default backend sends to, and
// the TLS secrets.
func ingressRefs(l *refs, in *networkingv1.Ingress) {
	ns := in.Namespace
	backend := func(b *networkingv1.IngressBackend) {
		if b != nil && b.Service != nil {
			l.to(typeService, ns, b.Service.Name)
		}
	}
	backend(in.Spec.DefaultBackend)
	for _, r := range in.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			backend(&p.Backend)
		}
	}
	for _, t := range in.Spec.TLS {
		l.to(typeSecret, ns, t.SecretName)
	}
}

// statefulSetClaims reports whether claim is one of the claims a stateful
// set's volume claim templates create: <template>-<set>-<ordinal>.
func statefulSetClaims(set string, templates []string, claim string) bool {
	for _, t := range templates {
		if rest, ok := strings.CutPrefix(claim, t+"-"+set+"-"); ok && isOrdinal(rest) {
			return true
		}
	}
	return false
}

func isOrdinal(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// gcpServiceAccountLink is the link from a Kubernetes service account to the
// GCP service account its annotation names. The GCP scope (project
// number) comes from external_mappings, keyed by the e-mail
// ("*my-project.iam.gserviceaccount.com@123456789012").
func gcpServiceAccountLink(sa *corev1.ServiceAccount) (entity.Link, bool) {
	email := strings.TrimSpace(sa.Annotations[gkeServiceAccountAnnotation])
	if email == "" {
		return entity.Link{}, false
	}
	return entity.Link{
		Type:       entity.RelParentChild,
		Direction:  entity.Outgoing,
		External:   true,
		Target:     entity.Ref{Type: typeGCPServiceAccount},
		MappingKey: email,
		IDTemplate: internalid.GCP(scopePlaceholder, "", typeGCPServiceAccount, email),
	}, true
}

// providerID is a node's spec.providerID, parsed.
type providerID struct {
	cloud string // "aws" or "gce"
	// project (GCE), zone, and the instance: its name (GCE) or ID (AWS).
	project, zone, instance string
}

// parseProviderID understands aws:///<zone>/<instance id> (and
// aws:///<instance id>) and gce://<project>/<zone>/<name>.
func parseProviderID(s string) (providerID, bool) {
	switch {
	case strings.HasPrefix(s, "aws://"):
		parts := strings.Split(strings.TrimLeft(strings.TrimPrefix(s, "aws://"), "/"), "/")
		id := parts[len(parts)-1]
		if !strings.HasPrefix(id, "i-") || len(parts) > 2 {
			return providerID{}, false
		}
		p := providerID{cloud: "aws", instance: id}
		if len(parts) == 2 {
			p.zone = parts[0]
		}
		return p, true
	case strings.HasPrefix(s, "gce://"):
		parts := strings.Split(strings.TrimPrefix(s, "gce://"), "/")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return providerID{}, false
		}
		return providerID{cloud: "gce", project: parts[0], zone: parts[1], instance: parts[2]}, true
	}
	return providerID{}, false
}

// nodeVMLink is the link from the cloud VM a node runs on to the node. The
// VM's scope (AWS account ID, GCP project number) comes from
// external_mappings: keyed by the instance ID on AWS, by <zone>-<name> on
// GCE.
func nodeVMLink(n *corev1.Node) (entity.Link, bool) {
	p, ok := parseProviderID(n.Spec.ProviderID)
	if !ok {
		return entity.Link{}, false
	}
	l := entity.Link{Type: entity.RelParentChild, Direction: entity.Incoming, External: true}
	switch p.cloud {
	case "aws":
		l.Target.Type = typeAWSInstance
		l.MappingKey = p.instance
		l.IDTemplate = internalid.AWS(scopePlaceholder, p.instance)
	case "gce":
		l.Target.Type = typeGCPVM
		l.MappingKey = p.zone + "-" + p.instance
		l.IDTemplate = internalid.GCP(scopePlaceholder, p.zone, typeGCPVM, p.instance)
	}
	return l, true
}

// linkSet builds an entity's links without duplicates.
type linkSet struct {
	scope string
	list  []entity.Link
}

func (s *linkSet) add(dir entity.Direction, typ, ns, name string) {
	var id string
	switch {
	case typ == typeNamespace && ns != "":
		id = internalid.KubernetesNamespace(s.scope, ns)
	case typ == typeNamespace, name == "":
		return
	default:
		id = internalid.Kubernetes(s.scope, ns, typ, name)
	}
	s.addLink(entity.Link{Type: entity.RelParentChild, Direction: dir, Target: entity.Ref{Type: typ, InternalID: id}})
}

func (s *linkSet) addLink(link entity.Link) {
	for _, x := range s.list {
		if x.Direction == link.Direction && x.Target.Type == link.Target.Type &&
			x.Target.InternalID == link.Target.InternalID && x.MappingKey == link.MappingKey {
			return
		}
	}
	s.list = append(s.list, link)
}
