package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func managed() []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}
}

func TestTransformSecret(t *testing.T) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: "db", Namespace: "shop", ManagedFields: managed(),
			Annotations: map[string]string{lastAppliedAnnotation: `{"data":{"password":"aHVudGVyMg=="}}`, "team": "a"},
		},
		Data:       map[string][]byte{"password": []byte("hunter2"), "user": []byte("app")},
		StringData: map[string]string{"token": "t0k3n"},
		Type:       corev1.SecretTypeOpaque,
	}
	out, err := newTransform(false, false)(s)
	require.NoError(t, err)
	got := out.(*corev1.Secret)
	assert.Nil(t, got.ManagedFields)
	assert.Equal(t, map[string]string{"team": "a"}, got.Annotations, "last-applied holds the values too")
	assert.Equal(t, map[string][]byte{"password": {}, "user": {}}, got.Data, "keys stay, values go")
	assert.Nil(t, got.StringData)

	body, err := objectBody(typedByName("secrets"), got)
	require.NoError(t, err)
	assert.Equal(t, "Secret", body["kind"])
	assert.Equal(t, "v1", body["apiVersion"])
	assert.Equal(t, map[string]any{"password": "", "user": ""}, body["data"])
	assert.NotContains(t, body["metadata"], "managedFields")

	// Sending is a choice.
	s2 := &corev1.Secret{Data: map[string][]byte{"password": []byte("hunter2")}}
	out, err = newTransform(true, false)(s2)
	require.NoError(t, err)
	assert.Equal(t, []byte("hunter2"), out.(*corev1.Secret).Data["password"])
}

func TestTransformConfigMap(t *testing.T) {
	cm := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "cfg", ManagedFields: managed()},
			Data:       map[string]string{"app.yaml": "debug: true"},
			BinaryData: map[string][]byte{"logo.png": {1, 2, 3}},
		}
	}
	out, err := newTransform(false, false)(cm())
	require.NoError(t, err)
	got := out.(*corev1.ConfigMap)
	assert.Equal(t, map[string]string{"app.yaml": ""}, got.Data)
	assert.Equal(t, map[string][]byte{"logo.png": {}}, got.BinaryData)
	assert.Nil(t, got.ManagedFields)

	out, err = newTransform(false, true)(cm())
	require.NoError(t, err)
	assert.Equal(t, "debug: true", out.(*corev1.ConfigMap).Data["app.yaml"])
}

func TestTransformUnstructured(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{
			"name": "s", "managedFields": []any{map[string]any{"manager": "x"}},
			"annotations": map[string]any{lastAppliedAnnotation: "{}", "keep": "me"},
		},
		"data": map[string]any{"k": "c2VjcmV0"},
	}}
	out, err := newTransform(false, false)(u)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "s", "annotations": map[string]any{"keep": "me"}},
		"data":     map[string]any{"k": ""},
	}, out.(*unstructured.Unstructured).Object)

	// A custom resource of kind Secret in another group keeps its fields.
	cr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Secret", "metadata": map[string]any{"name": "x"},
		"data": map[string]any{"k": "v"},
	}}
	out, err = newTransform(false, false)(cr)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"k": "v"}, out.(*unstructured.Unstructured).Object["data"])

	body, err := objectBody(&resource{kind: "Secret"}, out.(*unstructured.Unstructured))
	require.NoError(t, err)
	assert.Equal(t, "example.com/v1", body["apiVersion"])
}

// Tombstones and other non-objects pass through.
func TestTransformOther(t *testing.T) {
	out, err := newTransform(false, false)("x")
	require.NoError(t, err)
	assert.Equal(t, "x", out)
}

func node(rv string, heartbeat metav1.Time, ready corev1.ConditionStatus) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: rv},
		Spec:       corev1.NodeSpec{ProviderID: "gce://p/europe-west1-b/n1"},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{
			{Type: corev1.NodeReady, Status: ready, LastHeartbeatTime: heartbeat, LastTransitionTime: metav1.Unix(100, 0)},
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: heartbeat},
		}},
	}
}

// The change hash leaves out what changes without anything users see
// changing: resource versions and heartbeats. A real change shows.
func TestHashIgnoresVolatileFields(t *testing.T) {
	res := typedByName("nodes")
	hash := func(n *corev1.Node) uint64 {
		b, err := objectBody(res, n)
		require.NoError(t, err)
		return hashBody(b)
	}
	base := hash(node("1", metav1.Unix(1000, 0), corev1.ConditionTrue))
	assert.Equal(t, base, hash(node("2", metav1.Unix(2000, 0), corev1.ConditionTrue)), "heartbeat and resourceVersion only")
	assert.NotEqual(t, base, hash(node("3", metav1.Unix(3000, 0), corev1.ConditionFalse)), "readiness changed")

	d := func(replicas int32, rv string) uint64 {
		b, err := objectBody(typedByName("deployments"), &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "d", ResourceVersion: rv},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		})
		require.NoError(t, err)
		return hashBody(b)
	}
	assert.Equal(t, d(2, "1"), d(2, "9"))
	assert.NotEqual(t, d(2, "1"), d(3, "1"))

	// Leases: renewTime is a heartbeat.
	lease := func(renew, holder string) uint64 {
		return hashBody(map[string]any{"spec": map[string]any{"renewTime": renew, "holderIdentity": holder}})
	}
	assert.Equal(t, lease("t1", "a"), lease("t2", "a"))
	assert.NotEqual(t, lease("t1", "a"), lease("t1", "b"))
}

// Values of different types or shapes do not hash alike.
func TestHashDistinguishesShapes(t *testing.T) {
	bodies := []map[string]any{
		{"a": "1"},
		{"a": int64(1)},
		{"a": 1.0},
		{"a": true},
		{"a": nil},
		{"a": []any{"1"}},
		{"a": map[string]any{"1": nil}},
		{"a": []any{"1", "2"}},
		{"a": []any{"12"}},
		{"ab": ""},
		{"a": "b"},
	}
	seen := map[uint64]int{}
	for i, b := range bodies {
		h := hashBody(b)
		if j, ok := seen[h]; ok {
			t.Errorf("bodies %d and %d hash alike", j, i)
		}
		seen[h] = i
	}
}
