package kubernetesreceiver

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/cache"
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

// newTransform is the informer transform: it runs on every object before the
// informer stores it, so that what is never sent is never kept either:
// managedFields, the last-applied annotation, and the values of Secrets
// (and ConfigMaps) unless configured.
func newTransform(sendSecretData, sendConfigMapData bool) cache.TransformFunc {
	return func(obj any) (any, error) {
		switch o := obj.(type) {
		case *corev1.Secret:
			if !sendSecretData {
				for k := range o.Data {
					o.Data[k] = emptyValue
				}
				o.StringData = nil
			}
		case *corev1.ConfigMap:
			if !sendConfigMapData {
				for k := range o.Data {
					o.Data[k] = ""
				}
				for k := range o.BinaryData {
					o.BinaryData[k] = emptyValue
				}
			}
		case *unstructured.Unstructured:
			stripUnstructured(o, sendSecretData, sendConfigMapData)
			return o, nil
		}
		if m, ok := obj.(metav1.Object); ok {
			m.SetManagedFields(nil)
			if a := m.GetAnnotations(); a != nil {
				if _, ok := a[lastAppliedAnnotation]; ok {
					delete(a, lastAppliedAnnotation)
				}
			}
		}
		return obj, nil
	}
}

// stripUnstructured is the transform of objects watched as unstructured.
func stripUnstructured(o *unstructured.Unstructured, sendSecretData, sendConfigMapData bool) {
	unstructured.RemoveNestedField(o.Object, "metadata", "managedFields")
	unstructured.RemoveNestedField(o.Object, "metadata", "annotations", lastAppliedAnnotation)
	if groupOf(o.GetAPIVersion()) != "" {
		return
	}
	switch {
	case o.GetKind() == "Secret" && !sendSecretData:
		blankValues(o.Object, "data")
		blankValues(o.Object, "stringData")
	case o.GetKind() == "ConfigMap" && !sendConfigMapData:
		blankValues(o.Object, "data")
		blankValues(o.Object, "binaryData")
	}
}

func blankValues(obj map[string]any, field string) {
	if m, ok := obj[field].(map[string]any); ok {
		for k := range m {
			m[k] = ""
		}
	}
}

// objectBody is the record body of an object: the object as the API
// server serves it (kind and apiVersion set), minus what the transform
// dropped.
func objectBody(res *resource, obj runtime.Object) (map[string]any, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		// Already a map of JSON values; emitting copies it into the record.
		return u.Object, nil
	}
	body, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", res.kind, err)
	}
	body["kind"] = res.kind
	body["apiVersion"] = res.apiVersion()
	if md, ok := body["metadata"].(map[string]any); ok {
		// A creationTimestamp the server did not set converts to null.
		if md["creationTimestamp"] == nil {
			delete(md, "creationTimestamp")
		}
	}
	return body, nil
}

// hashSeed makes body hashes comparable within one process (they are
// never stored).
var hashSeed = maphash.MakeSeed()

// volatile reports whether a field changes without anything a user sees
// changing: the resource version, heartbeats, lease renewals and metric
// readings. Changes there do not cause a new state event; the next change
// or full report carries them.
func volatile(path []string) bool {
	n := len(path)
	switch {
	case n == 2 && path[0] == "metadata" && path[1] == "resourceVersion":
		return true
	case n == 3 && path[0] == "metadata" && path[1] == "annotations" && path[2] == leaderAnnotation:
		return true
	// Node conditions' lastHeartbeatTime, and probe times.
	case n == 3 && path[0] == "status" && path[1] == "conditions" && (path[2] == "lastHeartbeatTime" || path[2] == "lastProbeTime"):
		return true
	// Lease renewals (coordination.k8s.io).
	case n == 2 && path[0] == "spec" && path[1] == "renewTime":
		return true
	// Autoscaler metric readings.
	case n == 2 && path[0] == "status" && path[1] == "currentMetrics":
		return true
	}
	return false
}

// hashBody hashes a body with its volatile fields left out.
func hashBody(body map[string]any) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	path := make([]string, 0, 8)
	hashValue(&h, body, path)
	return h.Sum64()
}

// Type tags keep values of different types (and map/list boundaries) from
// hashing the same.
const (
	tagNil byte = iota
	tagStr
	tagInt
	tagFloat
	tagBool
	tagMap
	tagList
	tagEnd
	tagOther
)

func hashValue(h *maphash.Hash, v any, path []string) {
	var buf [9]byte
	switch x := v.(type) {
	case nil:
		h.WriteByte(tagNil)
	case string:
		h.WriteByte(tagStr)
		writeLen(h, len(x))
		h.WriteString(x)
	case int64:
		buf[0] = tagInt
		binary.LittleEndian.PutUint64(buf[1:], uint64(x))
		h.Write(buf[:])
	case int:
		buf[0] = tagInt
		binary.LittleEndian.PutUint64(buf[1:], uint64(x))
		h.Write(buf[:])
	case float64:
		buf[0] = tagFloat
		binary.LittleEndian.PutUint64(buf[1:], math.Float64bits(x))
		h.Write(buf[:])
	case bool:
		h.WriteByte(tagBool)
		if x {
			h.WriteByte(1)
		} else {
			h.WriteByte(0)
		}
	case map[string]any:
		h.WriteByte(tagMap)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := append(path, k)
			if volatile(p) {
				continue
			}
			writeLen(h, len(k))
			h.WriteString(k)
			hashValue(h, x[k], p)
		}
		h.WriteByte(tagEnd)
	case []any:
		h.WriteByte(tagList)
		// List elements share the list's path: a condition's fields are
		// status.conditions.<field>, whatever its index.
		for _, e := range x {
			hashValue(h, e, path)
		}
		h.WriteByte(tagEnd)
	default:
		h.WriteByte(tagOther)
		h.WriteString(fmt.Sprint(x))
	}
}

func writeLen(h *maphash.Hash, n int) {
	var buf [8]byte
	binary.LittleEndian.PutUint64(buf[:], uint64(n))
	h.Write(buf[:])
}
