package kubernetesreceiver

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
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

// links collects an entity's relationships without duplicates.
type links struct {
	scope string
	list  []entity.Link
}

func (l *links) add(dir entity.Direction, typ, namespace, name string) {
	var id string
	switch {
	case typ == typeNamespace && namespace != "":
		id = internalid.KubernetesNamespace(l.scope, namespace)
	case typ == typeNamespace, name == "":
		return
	default:
		id = internalid.Kubernetes(l.scope, namespace, typ, name)
	}
	l.addLink(entity.Link{Type: entity.RelParentChild, Direction: dir, Target: entity.Ref{Type: typ, InternalID: id}})
}

// from adds a link from a parent (the listing entity is the child).
func (l *links) from(typ, namespace, name string) { l.add(entity.Incoming, typ, namespace, name) }

// to adds a link to a child or a used object.
func (l *links) to(typ, namespace, name string) { l.add(entity.Outgoing, typ, namespace, name) }

func (l *links) addLink(link entity.Link) {
	for _, x := range l.list {
		if x.Direction == link.Direction && x.Target.Type == link.Target.Type &&
			x.Target.InternalID == link.Target.InternalID && x.MappingKey == link.MappingKey {
			return
		}
	}
	l.list = append(l.list, link)
}

// kindScope tells the element type of a kind and whether its objects are
// namespaced, for owner references and autoscaler targets.
type kindScope func(group, kind string) (elemType string, namespaced bool)

// objectLinks are the relationships an object knows by itself: its
// namespace, its owners, and what its spec names. Relationships that need
// other objects (service → pods by selector, stateful set → claims) are
// added by the graph.
func objectLinks(l *links, res *resource, obj runtime.Object, meta metav1.Object, scopeOf kindScope) {
	ns := meta.GetNamespace()
	if res.namespaced && ns != "" {
		l.from(typeNamespace, ns, "")
	}
	for _, ref := range meta.GetOwnerReferences() {
		typ, namespaced := scopeOf(groupOf(ref.APIVersion), ref.Kind)
		ownerNS := ""
		if namespaced {
			ownerNS = ns
		}
		l.from(typ, ownerNS, ref.Name)
	}
	switch o := obj.(type) {
	case *corev1.Pod:
		podLinks(l, o)
	case *corev1.PersistentVolumeClaim:
		l.to(typePV, "", o.Spec.VolumeName)
	case *corev1.PersistentVolume:
		l.to(typeStorageClass, "", o.Spec.StorageClassName)
	case *networkingv1.Ingress:
		ingressLinks(l, o)
	case *autoscalingv2.HorizontalPodAutoscaler:
		ref := o.Spec.ScaleTargetRef
		typ, namespaced := scopeOf(groupOf(ref.APIVersion), ref.Kind)
		targetNS := ""
		if namespaced {
			targetNS = ns
		}
		l.to(typ, targetNS, ref.Name)
	case *corev1.Endpoints: //nolint:staticcheck // the agent's element
		// An Endpoints object belongs to the service of the same name.
		l.from(typeService, ns, o.Name)
	case *discoveryv1.EndpointSlice:
		l.from(typeService, ns, o.Labels[discoveryv1.LabelServiceName])
	}
}

// podLinks: the node it runs on and its service account (parents), and the
// config maps, secrets and claims it mounts or reads (used).
func podLinks(l *links, p *corev1.Pod) {
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
	containers := func(cs []corev1.Container) {
		for i := range cs {
			envLinks(l, ns, cs[i].Env, cs[i].EnvFrom)
		}
	}
	containers(p.Spec.InitContainers)
	containers(p.Spec.Containers)
	for i := range p.Spec.EphemeralContainers {
		c := &p.Spec.EphemeralContainers[i].EphemeralContainerCommon
		envLinks(l, ns, c.Env, c.EnvFrom)
	}
	for _, s := range p.Spec.ImagePullSecrets {
		l.to(typeSecret, ns, s.Name)
	}
}

func envLinks(l *links, ns string, env []corev1.EnvVar, envFrom []corev1.EnvFromSource) {
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

// ingressLinks: every service a rule or the default backend sends to, and
// the TLS secrets.
func ingressLinks(l *links, in *networkingv1.Ingress) {
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
func statefulSetClaims(sts *appsv1.StatefulSet, claim string) bool {
	for _, t := range sts.Spec.VolumeClaimTemplates {
		prefix := t.Name + "-" + sts.Name + "-"
		if rest, ok := strings.CutPrefix(claim, prefix); ok && isOrdinal(rest) {
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
