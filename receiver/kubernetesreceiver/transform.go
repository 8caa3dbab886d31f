package kubernetesreceiver

import (
	"encoding/json"
	"fmt"
	"hash/maphash"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/client-go/tools/cache"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/podaddr"
)

// lastAppliedAnnotation holds a copy of the whole object as kubectl applied
// it: Secret and ConfigMap values included, and twice the memory for
// everything else.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// leaderAnnotation is the old leader-election record on Endpoints and
// ConfigMaps; its renewTime changes every few seconds.
const leaderAnnotation = "control-plane.alpha.kubernetes.io/leader"

// emptyValue replaces Secret and ConfigMap values that are not sent; it is
// shared and never written.
var emptyValue = []byte{}

// kobject is what the receiver keeps of a Kubernetes object: the informer
// transform turns every object into one, so that the informer's cache holds
// this and not the object (a typed Pod takes about 8 KB of heap, its JSON
// about 2 KB). It is never modified once made.
type kobject struct {
	// ObjectMeta keeps the name, namespace, UID and labels only.
	metav1.ObjectMeta
	// body is the object as JSON, without what the transform drops.
	body []byte
	// hash is the hash of body.
	hash   uint64
	status string
	// refs are the relationships the object names itself.
	refs []ref
	// selector of a service.
	selector map[string]string
	// claimTemplates of a stateful set.
	claimTemplates []string
	// external holds the links out of the cluster, unresolved.
	external []entity.Link
	// addresses are the IPs the object answers on (a pod's, a service's
	// cluster IPs), announced so the coordimap processor resolves flows
	// from other sources (eBPF on other nodes, VPC flow logs) to it.
	addresses []string
}

var _ runtime.Object = (*kobject)(nil)

// GetObjectKind: a kobject carries no type information of its own.
func (o *kobject) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject copies the struct; what it points to is never modified.
func (o *kobject) DeepCopyObject() runtime.Object {
	c := *o
	return &c
}

// bodyMap decodes the body for a record (numbers as int64 or float64).
func (o *kobject) bodyMap() (map[string]any, error) {
	var m map[string]any
	if err := utiljson.Unmarshal(o.body, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// privacy says which values may leave the collector; the zero value sends
// none of them.
type privacy struct {
	// sendSecretData and sendConfigMapData keep the values of Secrets and
	// ConfigMaps (their keys are always kept).
	sendSecretData, sendConfigMapData bool
	// keepEnvValues keeps the literal env values and the args of
	// containers (pod specs and pod templates), which often hold
	// passwords. Names and valueFrom are always kept.
	keepEnvValues bool
}

// newTransform is the informer transform of a resource. It runs on every
// object before the informer stores it, so that what is never sent is
// never kept either: managedFields, the last-applied annotation, the values
// of Secrets (and ConfigMaps) and the literal env values and args of
// containers unless configured, and the fields that change
// without anything users see changing (see stripVolatile). What remains is
// kept as JSON with the few fields relationships need.
func newTransform(res *resource, p privacy) cache.TransformFunc {
	return func(obj any) (any, error) {
		switch o := obj.(type) {
		case *kobject:
			return o, nil // already transformed
		case *unstructured.Unstructured:
			return fromUnstructured(o, p)
		case runtime.Object:
			return fromTyped(res, o, p)
		}
		return obj, nil // tombstones
	}
}

// hashSeed makes body hashes comparable within one process (they are
// never stored).
var hashSeed = maphash.MakeSeed()

func newKObject(m metav1.Object, body []byte) *kobject {
	return &kobject{
		ObjectMeta: metav1.ObjectMeta{
			Name:      m.GetName(),
			Namespace: m.GetNamespace(),
			UID:       m.GetUID(),
			Labels:    m.GetLabels(),
		},
		body: body,
		hash: maphash.Bytes(hashSeed, body),
	}
}

func fromTyped(res *resource, obj runtime.Object, p privacy) (*kobject, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%s: %T is not an object", res.kind, obj)
	}
	m.SetManagedFields(nil)
	m.SetResourceVersion("")
	if a := m.GetAnnotations(); a != nil {
		delete(a, lastAppliedAnnotation)
		delete(a, leaderAnnotation)
		if len(a) == 0 {
			m.SetAnnotations(nil)
		}
	}
	switch o := obj.(type) {
	case *corev1.Secret:
		if !p.sendSecretData {
			for k := range o.Data {
				o.Data[k] = emptyValue
			}
			o.StringData = nil
		}
	case *corev1.ConfigMap:
		if !p.sendConfigMapData {
			for k := range o.Data {
				o.Data[k] = ""
			}
			for k := range o.BinaryData {
				o.BinaryData[k] = emptyValue
			}
		}
	case *corev1.Node:
		for i := range o.Status.Conditions {
			o.Status.Conditions[i].LastHeartbeatTime = metav1.Time{}
		}
	case *corev1.Pod:
		for i := range o.Status.Conditions {
			o.Status.Conditions[i].LastProbeTime = metav1.Time{}
		}
	case *autoscalingv2.HorizontalPodAutoscaler:
		o.Status.CurrentMetrics = nil
	}
	if !p.keepEnvValues {
		if spec := podSpecOf(obj); spec != nil {
			redactPodSpec(spec)
		}
	}
	obj.GetObjectKind().SetGroupVersionKind(res.gvr.GroupVersion().WithKind(res.kind))
	body, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", res.kind, m.GetNamespace(), m.GetName(), err)
	}
	ko := newKObject(m, body)
	ko.status = objectStatus(obj)
	l := &refs{}
	l.owners(m)
	specRefs(l, obj)
	ko.refs = l.list
	switch o := obj.(type) {
	case *corev1.Service:
		ko.selector = o.Spec.Selector
		ko.addresses = podaddr.Service(o)
	case *corev1.Pod:
		ko.addresses = podaddr.Pod(o)
	case *appsv1.StatefulSet:
		for _, t := range o.Spec.VolumeClaimTemplates {
			ko.claimTemplates = append(ko.claimTemplates, t.Name)
		}
	case *corev1.ServiceAccount:
		if link, ok := gcpServiceAccountLink(o); ok {
			ko.external = append(ko.external, link)
		}
	case *corev1.Node:
		if link, ok := nodeVMLink(o); ok {
			ko.external = append(ko.external, link)
		}
	}
	return ko, nil
}

func fromUnstructured(u *unstructured.Unstructured, p privacy) (*kobject, error) {
	unstructured.RemoveNestedField(u.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(u.Object, "metadata", "annotations", lastAppliedAnnotation)
	if groupOf(u.GetAPIVersion()) == "" {
		switch {
		case u.GetKind() == "Secret" && !p.sendSecretData:
			blankValues(u.Object, "data")
			blankValues(u.Object, "stringData")
		case u.GetKind() == "ConfigMap" && !p.sendConfigMapData:
			blankValues(u.Object, "data")
			blankValues(u.Object, "binaryData")
		}
	}
	if !p.keepEnvValues {
		// Any resource may embed pod templates (custom workloads such as
		// Argo Rollouts): redact every container list found.
		redactContainersIn(u.Object)
	}
	stripVolatile(u.Object)
	body, err := json.Marshal(u.Object) // map keys come out sorted
	if err != nil {
		return nil, fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	ko := newKObject(u, body)
	l := &refs{}
	l.owners(u)
	ko.refs = l.list
	return ko, nil
}

func blankValues(obj map[string]any, field string) {
	if m, ok := obj[field].(map[string]any); ok {
		for k := range m {
			m[k] = ""
		}
	}
}

// stripVolatile removes from an object the fields that change without
// anything users see changing: the resource version, heartbeats, lease
// renewals, metric readings. A change there alone then changes nothing in
// the body, and is not sent; the body never carries stale values of them.
func stripVolatile(obj map[string]any) {
	unstructured.RemoveNestedField(obj, "metadata", "resourceVersion")
	unstructured.RemoveNestedField(obj, "metadata", "annotations", leaderAnnotation)
	if md, ok := obj["metadata"].(map[string]any); ok {
		if a, ok := md["annotations"].(map[string]any); ok && len(a) == 0 {
			delete(md, "annotations")
		}
	}
	// Lease renewals (coordination.k8s.io).
	unstructured.RemoveNestedField(obj, "spec", "renewTime")
	// Autoscaler metric readings.
	unstructured.RemoveNestedField(obj, "status", "currentMetrics")
	// Heartbeats and probe times of conditions.
	if status, ok := obj["status"].(map[string]any); ok {
		if conds, ok := status["conditions"].([]any); ok {
			for _, c := range conds {
				if cm, ok := c.(map[string]any); ok {
					delete(cm, "lastHeartbeatTime")
					delete(cm, "lastProbeTime")
				}
			}
		}
	}
}
