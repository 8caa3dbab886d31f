package kubernetesreceiver

import (
	"slices"
	"strings"
	"unicode"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Element types of the resources watched through typed clients, as the
// original agent named them; replica sets, endpoint slices and horizontal
// pod autoscalers are new (the agent did not crawl them).
const (
	typeNode           = "kubernetes.node"
	typeNamespace      = internalid.TypeKubernetesNamespace
	typePod            = "kubernetes.pod"
	typeDeployment     = "kubernetes.deployment"
	typeReplicaSet     = "kubernetes.replica_set"
	typeStatefulSet    = "kubernetes.stateful_set"
	typeDaemonSet      = "kubernetes.daemon_set"
	typeJob            = "kubernetes.job"
	typeCronJob        = "kubernetes.cronjob"
	typeService        = "kubernetes.service"
	typeEndpoint       = "kubernetes.endpoint"
	typeEndpointSlice  = "kubernetes.endpoint_slice"
	typeIngress        = "kubernetes.ingress_networking_v1"
	typePV             = "kubernetes.pv"
	typePVC            = "kubernetes.pvc"
	typeStorageClass   = "kubernetes.storage_class"
	typeConfigMap      = "kubernetes.config_map"
	typeSecret         = "kubernetes.secret"
	typeServiceAccount = "kubernetes.service_account"
	typeHPA            = "kubernetes.horizontal_pod_autoscaler"

	// Label pseudo-elements.
	typeHelmChart      = "kubernetes.helm_chart"
	typeLabelPartOf    = "kubernetes.label_part_of"
	typeLabelComponent = "kubernetes.label_component"
	typeLabelName      = "kubernetes.label_name"

	// Targets outside the cluster.
	typeGCPServiceAccount = "gcp.service_account"
	typeGCPVM             = "gcp.vm_instance"
	typeAWSInstance       = "aws.instance"
)

// resource is one kind of object the receiver watches.
type resource struct {
	// name is the plural resource name users write in resources.
	name       string
	gvr        schema.GroupVersionResource
	kind       string
	elemType   string
	namespaced bool
	// example is the typed object of a typed resource; nil for resources
	// watched as unstructured objects (dynamic).
	example runtime.Object
	// byDefault is in the default set.
	byDefault bool
}

// apiVersion is the object's apiVersion (v1, apps/v1).
func (r *resource) apiVersion() string { return r.gvr.GroupVersion().String() }

// groupResource is the resource as kubectl names it (pods,
// deployments.apps).
func (r *resource) groupResource() string { return r.gvr.GroupResource().String() }

func typed(name, group, version, kind, elemType string, namespaced bool, example runtime.Object, byDefault bool) *resource {
	return &resource{
		name:       name,
		gvr:        schema.GroupVersionResource{Group: group, Version: version, Resource: name},
		kind:       kind,
		elemType:   elemType,
		namespaced: namespaced,
		example:    example,
		byDefault:  byDefault,
	}
}

// typedResources are watched through typed clients (protobuf on the wire,
// Go structs in memory). Order is the order of the default set.
var typedResources = []*resource{
	typed("nodes", "", "v1", "Node", typeNode, false, &corev1.Node{}, true),
	typed("namespaces", "", "v1", "Namespace", typeNamespace, false, &corev1.Namespace{}, true),
	typed("pods", "", "v1", "Pod", typePod, true, &corev1.Pod{}, true),
	typed("deployments", "apps", "v1", "Deployment", typeDeployment, true, &appsv1.Deployment{}, true),
	typed("replicasets", "apps", "v1", "ReplicaSet", typeReplicaSet, true, &appsv1.ReplicaSet{}, true),
	typed("statefulsets", "apps", "v1", "StatefulSet", typeStatefulSet, true, &appsv1.StatefulSet{}, true),
	typed("daemonsets", "apps", "v1", "DaemonSet", typeDaemonSet, true, &appsv1.DaemonSet{}, true),
	typed("jobs", "batch", "v1", "Job", typeJob, true, &batchv1.Job{}, true),
	typed("cronjobs", "batch", "v1", "CronJob", typeCronJob, true, &batchv1.CronJob{}, true),
	typed("services", "", "v1", "Service", typeService, true, &corev1.Service{}, true),
	//lint:ignore SA1019 v1 Endpoints are the agent's kubernetes.endpoint element
	typed("endpoints", "", "v1", "Endpoints", typeEndpoint, true, &corev1.Endpoints{}, true),
	typed("endpointslices", "discovery.k8s.io", "v1", "EndpointSlice", typeEndpointSlice, true, &discoveryv1.EndpointSlice{}, false),
	typed("ingresses", "networking.k8s.io", "v1", "Ingress", typeIngress, true, &networkingv1.Ingress{}, true),
	typed("persistentvolumes", "", "v1", "PersistentVolume", typePV, false, &corev1.PersistentVolume{}, true),
	typed("persistentvolumeclaims", "", "v1", "PersistentVolumeClaim", typePVC, true, &corev1.PersistentVolumeClaim{}, true),
	typed("storageclasses", "storage.k8s.io", "v1", "StorageClass", typeStorageClass, false, &storagev1.StorageClass{}, true),
	typed("configmaps", "", "v1", "ConfigMap", typeConfigMap, true, &corev1.ConfigMap{}, true),
	typed("secrets", "", "v1", "Secret", typeSecret, true, &corev1.Secret{}, true),
	typed("serviceaccounts", "", "v1", "ServiceAccount", typeServiceAccount, true, &corev1.ServiceAccount{}, true),
	typed("horizontalpodautoscalers", "autoscaling", "v2", "HorizontalPodAutoscaler", typeHPA, true, &autoscalingv2.HorizontalPodAutoscaler{}, true),
}

// typedByName finds a typed resource by its plural name, alone or with its
// group (deployments, deployments.apps).
func typedByName(name string) *resource {
	for _, r := range typedResources {
		if r.name == name || r.groupResource() == name {
			return r
		}
	}
	return nil
}

// typedByKind finds a typed resource by API group and kind.
func typedByKind(group, kind string) *resource {
	for _, r := range typedResources {
		if r.gvr.Group == group && r.kind == kind {
			return r
		}
	}
	return nil
}

// excludedFromAll are listable resources that "all" leaves out: events are
// a log of what happened, not objects of the infrastructure (and every one
// is new), and componentstatuses cannot be watched.
var excludedFromAll = []schema.GroupResource{
	{Group: "", Resource: "events"},
	{Group: "events.k8s.io", Resource: "events"},
	{Group: "", Resource: "componentstatuses"},
}

// selection is what the resources setting asks for.
type selection struct {
	typed []*resource
	// all adds every other listable resource found by discovery.
	all bool
	// named are other resources to find by discovery (plural or
	// plural.group).
	named []string
}

func selectResources(names []string) selection {
	var sel selection
	if len(names) == 0 {
		for _, r := range typedResources {
			if r.byDefault {
				sel.typed = append(sel.typed, r)
			}
		}
		return sel
	}
	for _, n := range names {
		if n == ResourcesAll {
			sel.all = true
			continue
		}
		if r := typedByName(n); r != nil {
			if !slices.Contains(sel.typed, r) {
				sel.typed = append(sel.typed, r)
			}
			continue
		}
		sel.named = append(sel.named, n)
	}
	if sel.all {
		sel.typed = nil
		sel.typed = append(sel.typed, typedResources...)
	}
	return sel
}

// dynamicElemType names the element type of a resource watched as
// unstructured objects: kubernetes.<kind in snake case>, then .<group>
// for every group but the core one (kubernetes.limit_range,
// kubernetes.certificate.cert-manager.io). Kinds are unique within a group,
// so types never collide.
func dynamicElemType(group, kind string) string {
	t := "kubernetes." + snake(kind)
	if group != "" {
		t += "." + group
	}
	return t
}

// elemTypeOfKind is the element type of objects of a kind: the typed
// resource's, else the dynamic naming.
func elemTypeOfKind(group, kind string) string {
	if r := typedByKind(group, kind); r != nil {
		return r.elemType
	}
	return dynamicElemType(group, kind)
}

// snake turns a Kind (HorizontalPodAutoscaler, CSINode) into snake case
// (horizontal_pod_autoscaler, csi_node).
func snake(kind string) string {
	var b strings.Builder
	rs := []rune(kind)
	for i, r := range rs {
		if unicode.IsUpper(r) {
			prevLower := i > 0 && (unicode.IsLower(rs[i-1]) || unicode.IsDigit(rs[i-1]))
			nextLower := i > 0 && i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1])
			if prevLower || nextLower {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// newUnstructured is the example object of a resource watched as
// unstructured objects.
func newUnstructured(res *resource) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(res.apiVersion())
	u.SetKind(res.kind)
	return u
}

// groupOf is the API group of an apiVersion (apps/v1 → apps, v1 → "").
func groupOf(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}
