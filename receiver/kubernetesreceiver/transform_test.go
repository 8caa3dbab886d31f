package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

func managed() []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{{Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply}}
}

func transform(t *testing.T, res *resource, obj any, sendSecret, sendConfigMap bool) *kobject {
	t.Helper()
	out, err := newTransform(res, privacy{sendSecretData: sendSecret, sendConfigMapData: sendConfigMap})(obj)
	require.NoError(t, err)
	ko, ok := out.(*kobject)
	require.True(t, ok, "%T", out)
	return ko
}

func body(t *testing.T, ko *kobject) map[string]any {
	t.Helper()
	b, err := ko.bodyMap()
	require.NoError(t, err)
	return b
}

func TestTransformSecret(t *testing.T) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: "db", Namespace: "shop", UID: "s-uid", ResourceVersion: "42", ManagedFields: managed(),
			Labels:      map[string]string{"app": "db"},
			Annotations: map[string]string{lastAppliedAnnotation: `{"data":{"password":"aHVudGVyMg=="}}`, "team": "a"},
		},
		Data:       map[string][]byte{"password": []byte("hunter2"), "user": []byte("app")},
		StringData: map[string]string{"token": "t0k3n"},
		Type:       corev1.SecretTypeOpaque,
	}
	ko := transform(t, typedByName("secrets"), s, false, false)
	assert.Equal(t, metav1.ObjectMeta{Name: "db", Namespace: "shop", UID: "s-uid", Labels: map[string]string{"app": "db"}}, ko.ObjectMeta)
	assert.NotContains(t, string(ko.body), "hunter2")
	assert.NotContains(t, string(ko.body), "aHVudGVy")
	b := body(t, ko)
	assert.Equal(t, "Secret", b["kind"])
	assert.Equal(t, "v1", b["apiVersion"])
	assert.Equal(t, map[string]any{"password": "", "user": ""}, b["data"], "keys stay, values go")
	assert.Nil(t, b["stringData"])
	md := b["metadata"].(map[string]any)
	assert.Equal(t, map[string]any{"team": "a"}, md["annotations"], "last-applied holds the values too")
	assert.NotContains(t, md, "managedFields")
	assert.NotContains(t, md, "resourceVersion")
	assert.Equal(t, "Opaque", b["type"])

	// Sending is a choice.
	s2 := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Data: map[string][]byte{"password": []byte("hunter2")}}
	ko = transform(t, typedByName("secrets"), s2, true, false)
	assert.Equal(t, map[string]any{"password": "aHVudGVyMg=="}, body(t, ko)["data"])
}

func TestTransformConfigMap(t *testing.T) {
	cm := func() *corev1.ConfigMap {
		return &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "cfg", ManagedFields: managed()},
			Data:       map[string]string{"app.yaml": "debug: true"},
			BinaryData: map[string][]byte{"logo.png": {1, 2, 3}},
		}
	}
	b := body(t, transform(t, typedByName("configmaps"), cm(), false, false))
	assert.Equal(t, map[string]any{"app.yaml": ""}, b["data"])
	assert.Equal(t, map[string]any{"logo.png": ""}, b["binaryData"])
	b = body(t, transform(t, typedByName("configmaps"), cm(), false, true))
	assert.Equal(t, map[string]any{"app.yaml": "debug: true"}, b["data"])
}

func TestTransformUnstructured(t *testing.T) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{
			"name": "s", "namespace": "ns", "resourceVersion": "7", "managedFields": []any{map[string]any{"manager": "x"}},
			"annotations":     map[string]any{lastAppliedAnnotation: "{}", "keep": "me"},
			"ownerReferences": []any{map[string]any{"apiVersion": "example.com/v1", "kind": "Vault", "name": "v", "uid": "1"}},
		},
		"data": map[string]any{"k": "c2VjcmV0"},
	}}
	ko := transform(t, &resource{kind: "Secret"}, u, false, false)
	assert.Equal(t, map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{
			"name": "s", "namespace": "ns", "annotations": map[string]any{"keep": "me"},
			"ownerReferences": []any{map[string]any{"apiVersion": "example.com/v1", "kind": "Vault", "name": "v", "uid": "1"}},
		},
		"data": map[string]any{"k": ""},
	}, body(t, ko))
	assert.Equal(t, []ref{{dir: "incoming", group: "example.com", kind: "Vault", ns: "ns", name: "v"}}, ko.refs)

	// A custom resource of kind Secret in another group keeps its fields;
	// numbers stay integers.
	cr := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "example.com/v1", "kind": "Secret", "metadata": map[string]any{"name": "x"},
		"data": map[string]any{"k": "v"}, "spec": map[string]any{"size": int64(3), "ratio": 0.5},
	}}
	b := body(t, transform(t, &resource{kind: "Secret"}, cr, false, false))
	assert.Equal(t, map[string]any{"k": "v"}, b["data"])
	assert.Equal(t, map[string]any{"size": int64(3), "ratio": 0.5}, b["spec"])
}

// Transforming twice is transforming once; tombstones pass through.
func TestTransformIdempotent(t *testing.T) {
	ko := transform(t, typedByName("pods"), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}}, false, false)
	again, err := newTransform(typedByName("pods"), privacy{})(ko)
	require.NoError(t, err)
	assert.Same(t, ko, again)
	out, err := newTransform(typedByName("pods"), privacy{})("x")
	require.NoError(t, err)
	assert.Equal(t, "x", out)
	var _ runtime.Object = ko.DeepCopyObject()
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

// The body hash leaves out what changes without anything users see
// changing (resource versions, heartbeats, metric readings): the body does
// not carry them. A real change shows.
func TestHashIgnoresVolatileFields(t *testing.T) {
	hash := func(obj runtime.Object, res *resource) uint64 { return transform(t, res, obj, false, false).hash }
	nodes := typedByName("nodes")
	base := hash(node("1", metav1.Unix(1000, 0), corev1.ConditionTrue), nodes)
	assert.Equal(t, base, hash(node("2", metav1.Unix(2000, 0), corev1.ConditionTrue), nodes), "heartbeat and resourceVersion only")
	assert.NotEqual(t, base, hash(node("3", metav1.Unix(3000, 0), corev1.ConditionFalse), nodes), "readiness changed")

	d := func(replicas int32, rv string) uint64 {
		return hash(&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "d", ResourceVersion: rv},
			Spec:       appsv1.DeploymentSpec{Replicas: &replicas},
		}, typedByName("deployments"))
	}
	assert.Equal(t, d(2, "1"), d(2, "9"))
	assert.NotEqual(t, d(2, "1"), d(3, "1"))

	hpa := func(current int32) uint64 {
		return hash(&autoscalingv2.HorizontalPodAutoscaler{
			ObjectMeta: metav1.ObjectMeta{Name: "h"},
			Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, CurrentMetrics: []autoscalingv2.MetricStatus{{
				Type:     autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: &current}},
			}}},
		}, typedByName("horizontalpodautoscalers"))
	}
	assert.Equal(t, hpa(40), hpa(70))

	leader := func(annotation string) uint64 {
		return hash(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "lock", Annotations: map[string]string{leaderAnnotation: annotation}}}, typedByName("configmaps"))
	}
	assert.Equal(t, leader(`{"renewTime":"t1"}`), leader(`{"renewTime":"t2"}`))

	lease := func(renew, holder string) uint64 {
		return hash(&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
			"metadata": map[string]any{"name": "n1", "resourceVersion": renew},
			"spec":     map[string]any{"renewTime": renew, "holderIdentity": holder},
		}}, &resource{kind: "Lease"})
	}
	assert.Equal(t, lease("t1", "a"), lease("t2", "a"))
	assert.NotEqual(t, lease("t1", "a"), lease("t1", "b"))

	cond := func(probe, heartbeat string) uint64 {
		return hash(&unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "example.com/v1", "kind": "Thing", "metadata": map[string]any{"name": "x"},
			"status": map[string]any{"conditions": []any{map[string]any{"type": "Ready", "lastProbeTime": probe, "lastHeartbeatTime": heartbeat}}},
		}}, &resource{kind: "Thing"})
	}
	assert.Equal(t, cond("a", "b"), cond("c", "d"))
}

// What relationships need is kept apart from the body.
func TestTransformKeeps(t *testing.T) {
	svc := transform(t, typedByName("services"), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "api"}},
	}, false, false)
	assert.Equal(t, map[string]string{"app": "api"}, svc.selector)

	sts := transform(t, typedByName("statefulsets"), &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
		Spec:       appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}}, {ObjectMeta: metav1.ObjectMeta{Name: "wal"}}}},
	}, false, false)
	assert.Equal(t, []string{"data", "wal"}, sts.claimTemplates)

	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Status: corev1.PodStatus{Phase: corev1.PodRunning}}
	assert.Equal(t, statusGreen, transform(t, typedByName("pods"), p, false, false).status)
}

// Literal env values and container args often hold passwords: they are
// blanked in pods and in every workload's pod template, typed or not;
// names and valueFrom references stay. redact_env_values: false keeps them.
func TestTransformRedactsEnvValues(t *testing.T) {
	const pw = "hunter2-env-literal"
	spec := func() corev1.PodSpec {
		c := corev1.Container{
			Name: "main", Image: "app:1", Command: []string{"/app"}, Args: []string{"--db-password=" + pw},
			Env: []corev1.EnvVar{
				{Name: "DB_PASSWORD", Value: pw},
				{Name: "FROM_SECRET", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
			},
		}
		return corev1.PodSpec{InitContainers: []corev1.Container{c}, Containers: []corev1.Container{c}}
	}
	tmpl := func() corev1.PodTemplateSpec { return corev1.PodTemplateSpec{Spec: spec()} }
	meta := metav1.ObjectMeta{Name: "w", Namespace: "shop"}
	objects := map[string]runtime.Object{
		"pods":         &corev1.Pod{ObjectMeta: meta, Spec: spec()},
		"deployments":  &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Template: tmpl()}},
		"statefulsets": &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Template: tmpl()}},
		"daemonsets":   &appsv1.DaemonSet{ObjectMeta: meta, Spec: appsv1.DaemonSetSpec{Template: tmpl()}},
		"replicasets":  &appsv1.ReplicaSet{ObjectMeta: meta, Spec: appsv1.ReplicaSetSpec{Template: tmpl()}},
		"jobs":         &batchv1.Job{ObjectMeta: meta, Spec: batchv1.JobSpec{Template: tmpl()}},
		"cronjobs":     &batchv1.CronJob{ObjectMeta: meta, Spec: batchv1.CronJobSpec{JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl()}}}},
	}
	for name, obj := range objects {
		res := typedByName(name)
		require.NotNil(t, res, name)
		ko := transform(t, res, obj.DeepCopyObject(), false, false)
		assert.NotContains(t, string(ko.body), pw, name)
		assert.Contains(t, string(ko.body), `"name":"DB_PASSWORD"`, name)
		assert.Contains(t, string(ko.body), `"secretKeyRef":{"name":"db","key":"password"}`, name)
		assert.Contains(t, string(ko.body), `"command":["/app"]`, name)
		if name == "pods" {
			assert.Contains(t, ko.refs, ref{dir: entity.Outgoing, typ: typeSecret, ns: "shop", name: "db"}, "valueFrom still links")
		}

		out, err := newTransform(res, privacy{keepEnvValues: true})(obj.DeepCopyObject())
		require.NoError(t, err)
		assert.Contains(t, string(out.(*kobject).body), `"value":"`+pw+`"`, "%s: redact_env_values: false", name)
	}

	// A custom workload's pod template, read unstructured.
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": map[string]any{"name": "r"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
			"name": "main", "args": []any{"--token=" + pw},
			"env": []any{map[string]any{"name": "DB_PASSWORD", "value": pw}, map[string]any{"name": "REF", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db", "key": "k"}}}},
		}}}}},
	}}
	ko := transform(t, &resource{kind: "Rollout"}, u, false, false)
	assert.NotContains(t, string(ko.body), pw)
	assert.Contains(t, string(ko.body), `"valueFrom":{"secretKeyRef":{"key":"k","name":"db"}}`)
}

// Pods and services announce the IPs they answer on, so flows seen by other
// sources (eBPF on another node, VPC flow logs) resolve to them.
func TestTransformAddresses(t *testing.T) {
	pods := typedByName("pods")
	running := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.1.0.7",
			PodIPs: []corev1.PodIP{{IP: "10.1.0.7"}, {IP: "fd00::7"}}}}
	assert.Equal(t, []string{"10.1.0.7", "fd00::7"}, transform(t, pods, running, false, false).addresses)

	onlyPodIP := running.DeepCopy()
	onlyPodIP.Status.PodIPs = nil
	assert.Equal(t, []string{"10.1.0.7"}, transform(t, pods, onlyPodIP, false, false).addresses)

	hostNet := running.DeepCopy()
	hostNet.Spec.HostNetwork = true
	assert.Empty(t, transform(t, pods, hostNet, false, false).addresses, "a host-network pod shares its node's IP")

	done := running.DeepCopy()
	done.Status.Phase = corev1.PodSucceeded
	assert.Empty(t, transform(t, pods, done, false, false).addresses, "a finished pod's IP is free for reuse")

	pending := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "new"}}
	assert.Empty(t, transform(t, pods, pending, false, false).addresses)

	svcs := typedByName("services")
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.96.0.10", ClusterIPs: []string{"10.96.0.10"}}}
	assert.Equal(t, []string{"10.96.0.10"}, transform(t, svcs, svc, false, false).addresses)
	headless := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "db"}, Spec: corev1.ServiceSpec{ClusterIP: "None", ClusterIPs: []string{"None"}}}
	assert.Empty(t, transform(t, svcs, headless, false, false).addresses)
}
