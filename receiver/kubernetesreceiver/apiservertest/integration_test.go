package apiservertest

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

const goldenScope = "uid"

// TestAPIServer runs the receiver against one real kube-apiserver with the
// fixture loaded; each subtest starts its own receiver.
func TestAPIServer(t *testing.T) {
	srv := Start(t)
	createFixture(t, srv.Client)
	t.Run("Golden", func(t *testing.T) { testGolden(t, srv) })
	t.Run("ScopeDiscovery", func(t *testing.T) { testScopeDiscovery(t, srv) })
	t.Run("SecretDataOptIn", func(t *testing.T) { testSecretDataOptIn(t, srv) })
	t.Run("EnvValues", func(t *testing.T) { testEnvValues(t, srv) })
	t.Run("Changes", func(t *testing.T) { testChanges(t, srv) })
	t.Run("AllResources", func(t *testing.T) { testAllResources(t, srv) })
	t.Run("RefusedAndPeriodic", func(t *testing.T) { testRefusedAndPeriodic(t, srv) })
}

// refuseFirst refuses the first ConsumeLogs call.
type refuseFirst struct {
	consumer.Logs
	refused atomic.Bool
}

func (r *refuseFirst) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if r.refused.CompareAndSwap(false, true) {
		return errors.New("memory limiter: refused")
	}
	return r.Logs.ConsumeLogs(ctx, ld)
}

// testRefusedAndPeriodic: a snapshot the next consumer refuses is sent
// again; the full state is sent again every report_interval.
func testRefusedAndPeriodic(t *testing.T, srv *Server) {
	r := startReceiverWith(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.ScopeID = "s"
		c.Resources = []string{"namespaces"}
		c.ReportInterval = time.Second
	}, func(next consumer.Logs) consumer.Logs { return &refuseFirst{Logs: next} })
	r.waitSnapshot(t)
	shop := "state s-shop-kubernetes.namespace-"
	r.waitFor(t, 0, has(shop))
	assert.Contains(t, r.host.statuses(), componentstatus.StatusRecoverableError)
	require.Eventually(t, func() bool {
		st := r.host.statuses()
		return st[len(st)-1] == componentstatus.StatusOK
	}, waitTimeout, 10*time.Millisecond)
	// Two more full reports: every namespace (and the namespace's label
	// element) again, nothing else.
	evs := r.waitFor(t, 0, func(evs []string) bool { return count(evs, shop) >= 3 })
	for _, e := range evs {
		assert.True(t, strings.HasSuffix(e, "-kubernetes.namespace-") || e == "state s-shop-kubernetes.label_part_of-shop", e)
	}
}

// testGolden compares the initial snapshot of the whole cluster with
// testdata/golden/snapshot.txt: every entity (type, ID, partition) and every
// relationship. Regenerate with -update.
func testGolden(t *testing.T, srv *Server) {
	r := startReceiver(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.ScopeID = goldenScope
		c.ClusterName = "test"
		c.DataSourceID = "k8s-test"
		c.ExternalMappings = []string{"*my-project-id.iam.gserviceaccount.com@123456789012"}
	})
	n := r.waitSnapshot(t)
	snapshot := r.sink.AllLogs()[:n]
	v := newView(snapshot)

	file := filepath.Join("testdata", "golden", "snapshot.txt")
	got := v.listing()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(file), 0o755))
		require.NoError(t, os.WriteFile(file, []byte(got), 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, string(want), got, "regenerate with -update")

	// One consistent snapshot: every entity once, nothing deleted.
	evs := events(snapshot)
	assert.Len(t, evs, len(v.states))
	for _, e := range evs {
		assert.True(t, strings.HasPrefix(e, "state "), e)
	}
	for _, ld := range snapshot {
		assert.LessOrEqual(t, ld.LogRecordCount(), 1000, "ConsumeLogs calls are bounded")
		res := entity.ReadSource(ld.ResourceLogs().At(0).Resource())
		assert.Equal(t, goldenScope, res.ScopeID)
		assert.Equal(t, "kubernetes", res.DataSourceType)
		assert.Equal(t, "k8s-test", res.DataSourceID)
		assert.Equal(t, "test", res.Config["cluster_name"])
		attrs := ld.ResourceLogs().At(0).Resource().Attributes()
		name, _ := attrs.Get("k8s.cluster.name")
		assert.Equal(t, "test", name.Str())
	}
	// The configured scope differs from the cluster's UID: warned once.
	assert.Equal(t, 1, r.logs.FilterMessageSnippet("differs from the cluster UID").Len())

	// Bodies are the objects as served, without managedFields.
	pod := v.get(t, goldenScope+"-shop-kubernetes.pod-api-7c9f6d5b8-abcde")
	assert.Equal(t, "Pod", str(pod.Body(), "kind"))
	assert.Equal(t, "v1", str(pod.Body(), "apiVersion"))
	md, _ := pod.Body().Get("metadata")
	_, hasManaged := md.Map().Get("managedFields")
	assert.False(t, hasManaged, "managedFields are dropped")
	assert.Equal(t, "Orange", pod.Status(), "pending")
	assert.Equal(t, "1.4.2", pod.Version())
	assert.Equal(t, 600*time.Second, pod.ReportInterval())
	dep := v.get(t, goldenScope+"-shop-kubernetes.deployment-api")
	assert.Equal(t, "apps/v1", str(dep.Body(), "apiVersion"))
	spec, _ := dep.Body().Get("spec")
	replicas, _ := spec.Map().Get("replicas")
	assert.Equal(t, int64(2), replicas.Int())

	// Secret and config map values never leave the collector; their keys do.
	text := allText(r.sink.AllLogs())
	for _, secret := range []string{secretPassword, secretTLSKey, configValue} {
		assert.NotContains(t, text, secret)
		assert.NotContains(t, text, base64.StdEncoding.EncodeToString([]byte(secret)))
	}
	sec := v.get(t, goldenScope+"-shop-kubernetes.secret-db-credentials")
	data, ok := sec.Body().Get("data")
	require.True(t, ok)
	assert.Equal(t, map[string]any{"password": "", "username": ""}, data.Map().AsRaw())
	md, _ = sec.Body().Get("metadata")
	_, hasAnnotations := md.Map().Get("annotations")
	assert.False(t, hasAnnotations, "last-applied-configuration dropped")
	cm := v.get(t, goldenScope+"-shop-kubernetes.config_map-api-config")
	data, _ = cm.Body().Get("data")
	assert.Equal(t, map[string]any{"app.yaml": ""}, data.Map().AsRaw())
}

func str(m pcommon.Map, k string) string {
	v, _ := m.Get(k)
	return v.Str()
}

// testScopeDiscovery: without scope_id, the scope is the UID of namespace
// kube-system.
func testScopeDiscovery(t *testing.T, srv *Server) {
	ks, err := srv.Client.CoreV1().Namespaces().Get(context.Background(), "kube-system", metav1.GetOptions{})
	require.NoError(t, err)
	uid := string(ks.UID)
	r := startReceiver(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.Resources = []string{"namespaces"}
	})
	n := r.waitSnapshot(t)
	v := newView(r.sink.AllLogs()[:n])
	assert.Contains(t, v.states, uid+"-kube-system-kubernetes.namespace-")
	assert.Contains(t, v.states, uid+"-shop-kubernetes.namespace-")
	res := entity.ReadSource(r.sink.AllLogs()[0].ResourceLogs().At(0).Resource())
	assert.Equal(t, uid, res.ScopeID)
	attr, _ := r.sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().Get("k8s.cluster.uid")
	assert.Equal(t, uid, attr.Str())
	assert.Equal(t, 0, r.logs.FilterMessageSnippet("differs").Len())
	assert.Equal(t, []componentstatus.Status{componentstatus.StatusOK}, r.host.statuses())
}

// testEnvValues: literal env values and container args never leave the
// collector by default, neither in the records nor, through the coordimap
// exporter, in the API's request bodies or the graph file, nor in the logs;
// the env names and valueFrom references do. redact_env_values: false
// sends them.
func testEnvValues(t *testing.T, srv *Server) {
	secrets := []string{envLiteral, argLiteral, secretPassword, secretTLSKey, configValue}
	r := startReceiver(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.ScopeID = goldenScope
		c.Namespaces = []string{"shop"}
	})
	n := r.waitSnapshot(t)
	snapshot := r.sink.AllLogs()[:n]
	text := allText(snapshot)
	exported := exportText(t, snapshot)
	assert.Contains(t, exported, "LEGACY_DB_PASSWORD", "the exporter sent the pods' data")
	for _, s := range secrets {
		assert.NotContains(t, text, s, "records")
		assert.NotContains(t, exported, s, "request bodies and graph file")
		assert.NotContains(t, exported, base64.StdEncoding.EncodeToString([]byte(s)), "request bodies and graph file")
		for _, e := range r.logs.All() {
			assert.NotContains(t, e.Message, s)
			for _, f := range e.Context {
				assert.NotContains(t, f.String, s, "logs")
			}
		}
	}
	for _, id := range []string{"-shop-kubernetes.pod-api-7c9f6d5b8-abcde", "-shop-kubernetes.deployment-api", "-shop-kubernetes.replica_set-api-7c9f6d5b8"} {
		b, err := json.Marshal(newView(snapshot).get(t, goldenScope+id).Body().AsRaw())
		require.NoError(t, err)
		body := string(b)
		assert.Contains(t, body, "LEGACY_DB_PASSWORD", id)
		assert.Contains(t, body, "db-credentials", id)
	}

	opt := startReceiver(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.ScopeID = goldenScope
		c.Namespaces = []string{"shop"}
		c.Resources = []string{"pods"}
		c.RedactEnvValues = false
	})
	n = opt.waitSnapshot(t)
	text = allText(opt.sink.AllLogs()[:n])
	assert.Contains(t, text, envLiteral)
	assert.Contains(t, text, argLiteral)
}

// testSecretDataOptIn: values are sent only when asked for.
func testSecretDataOptIn(t *testing.T, srv *Server) {
	r := startReceiver(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.ScopeID = goldenScope
		c.Namespaces = []string{"shop"}
		c.Resources = []string{"secrets", "configmaps"}
		c.SendSecretData = true
		c.SendConfigMapData = true
	})
	n := r.waitSnapshot(t)
	text := allText(r.sink.AllLogs()[:n])
	assert.Contains(t, text, base64.StdEncoding.EncodeToString([]byte(secretPassword)))
	assert.Contains(t, text, base64.StdEncoding.EncodeToString([]byte(secretTLSKey)))
	assert.Contains(t, text, configValue)
	// The last-applied annotation stays dropped: it is a second copy.
	assert.NotContains(t, text, `"password":"`+secretPassword)
}

// testChanges follows a namespace through a scale-up, a pod relabelled out
// of its service, node heartbeats, a pod deletion and the deletion of
// every object of the namespace.
func testChanges(t *testing.T, srv *Server) {
	ctx := context.Background()
	c := srv.Client
	create := metav1.CreateOptions{}
	const ns = "changes"
	now := metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}
	must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: meta("", ns, nil)}, create))(t)
	labels := map[string]string{"app": "web", "app.kubernetes.io/name": "web"}
	dep := must(c.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: meta(ns, "web", labels),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template(labels, podSpec("nginx:1.27")),
		},
	}, create))(t)
	rsm := meta(ns, "web-5d4f", labels)
	rsm.OwnerReferences = owner(gvkDeployment, dep)
	rs := must(c.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: rsm,
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr(int32(1)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: template(labels, podSpec("nginx:1.27")),
		},
	}, create))(t)
	newPod := func(name string) *corev1.Pod {
		m := meta(ns, name, labels)
		m.OwnerReferences = owner(gvkReplicaSet, rs)
		spec := podSpec("nginx:1.27")
		spec.NodeName = "changes-node"
		return must(c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: m, Spec: spec}, create))(t)
	}
	newPod("web-5d4f-aaaaa")
	must(c.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: meta(ns, "web", nil),
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}},
	}, create))(t)
	must(c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta(ns, "web-config", nil)}, create))(t)
	must(c.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: meta("", "changes-node", nil)}, create))(t)

	r := startReceiver(t, srv.Kubeconfig, func(cfg *kubernetesreceiver.Config) {
		cfg.ScopeID = "s"
		cfg.Namespaces = []string{ns}
	})
	n := r.waitSnapshot(t)
	v := newView(r.sink.AllLogs()[:n])
	assert.Empty(t, v.ids("-shop-"), "other namespaces are not watched")
	assert.Equal(t, []string{"s-changes-kubernetes.namespace-"}, v.ids("kubernetes.namespace-"), "nor listed")
	assert.Contains(t, v.states, "s--kubernetes.node-changes-node", "cluster-wide resources are")
	podA := "s-changes-kubernetes.pod-web-5d4f-aaaaa"
	podB := "s-changes-kubernetes.pod-web-5d4f-bbbbb"
	svcLink := "s-changes-kubernetes.service-web -> " + podA
	assert.Contains(t, linkLines(v.get(t, podA)), svcLink)

	// Scale up: the deployment changes and the "controller" adds a pod.
	from := len(r.sink.AllLogs())
	dep.Spec.Replicas = ptr(int32(2))
	_ = must(c.AppsV1().Deployments(ns).Update(ctx, dep, metav1.UpdateOptions{}))(t)
	newPod("web-5d4f-bbbbb")
	evs := r.waitFor(t, from, func(evs []string) bool {
		return slices.Contains(evs, "state s-changes-kubernetes.deployment-web") && slices.Contains(evs, "state "+podB)
	})
	assert.Equal(t, 1, count(evs, "state "+podB))
	v = newView(r.sink.AllLogs())
	assert.ElementsMatch(t, []string{
		"s--kubernetes.node-changes-node -> " + podB,
		"s-changes-kubernetes.label_name-web -> " + podB,
		"s-changes-kubernetes.namespace- -> " + podB,
		"s-changes-kubernetes.replica_set-web-5d4f -> " + podB,
		"s-changes-kubernetes.service-web -> " + podB,
	}, linkLines(v.get(t, podB)))
	spec, _ := v.get(t, "s-changes-kubernetes.deployment-web").Body().Get("spec")
	replicas, _ := spec.Map().Get("replicas")
	assert.Equal(t, int64(2), replicas.Int())

	// Relabel pod A out of the service.
	from = len(r.sink.AllLogs())
	patch := []byte(`{"metadata":{"labels":{"app":"web-canary"}}}`)
	must(c.CoreV1().Pods(ns).Patch(ctx, "web-5d4f-aaaaa", types.MergePatchType, patch, metav1.PatchOptions{}))(t)
	r.waitFor(t, from, has("state "+podA))
	v = newView(r.sink.AllLogs())
	assert.NotContains(t, linkLines(v.get(t, podA)), svcLink)
	assert.Contains(t, linkLines(v.get(t, podB)), "s-changes-kubernetes.service-web -> "+podB)

	// Node heartbeats are not news; a readiness change and a label are.
	node := "s--kubernetes.node-changes-node"
	heartbeat := func(ready corev1.ConditionStatus, at time.Time) {
		n := must(c.CoreV1().Nodes().Get(ctx, "changes-node", metav1.GetOptions{}))(t)
		n.Status.Conditions = []corev1.NodeCondition{{
			Type: corev1.NodeReady, Status: ready, Reason: "KubeletReady",
			LastHeartbeatTime: metav1.NewTime(at), LastTransitionTime: metav1.NewTime(time.Unix(1_700_000_000, 0)),
		}}
		must(c.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{}))(t)
	}
	from = len(r.sink.AllLogs())
	heartbeat(corev1.ConditionTrue, time.Unix(1_700_000_100, 0))
	r.waitFor(t, from, has("state "+node))
	assert.Equal(t, "Green", newView(r.sink.AllLogs()).get(t, node).Status())
	from = len(r.sink.AllLogs())
	heartbeat(corev1.ConditionTrue, time.Unix(1_700_000_200, 0))
	heartbeat(corev1.ConditionTrue, time.Unix(1_700_000_300, 0))
	must(c.CoreV1().Nodes().Patch(ctx, "changes-node", types.MergePatchType, []byte(`{"metadata":{"labels":{"pool":"b"}}}`), metav1.PatchOptions{}))(t)
	// The label comes after the heartbeats on the same watch: once it is
	// sent, the heartbeats have been seen (and not sent).
	evs = r.waitFor(t, from, has("state "+node))
	assert.Equal(t, 1, count(evs, "state "+node), "heartbeats only: nothing sent")

	// Delete a pod.
	from = len(r.sink.AllLogs())
	// A pod on a node is deleted once its kubelet confirms; there is no
	// kubelet here, so delete it as the kubelet would finally do.
	require.NoError(t, c.CoreV1().Pods(ns).Delete(ctx, "web-5d4f-bbbbb", now))
	evs = r.waitFor(t, from, has("delete "+podB))
	assert.Equal(t, 1, count(evs, "delete "+podB))

	// Delete every object of the namespace (the namespace itself would
	// never finish deleting without controllers).
	from = len(r.sink.AllLogs())
	require.NoError(t, c.CoreV1().Pods(ns).Delete(ctx, "web-5d4f-aaaaa", now))
	require.NoError(t, c.AppsV1().ReplicaSets(ns).Delete(ctx, "web-5d4f", metav1.DeleteOptions{}))
	require.NoError(t, c.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	require.NoError(t, c.CoreV1().Services(ns).Delete(ctx, "web", metav1.DeleteOptions{}))
	require.NoError(t, c.CoreV1().ConfigMaps(ns).Delete(ctx, "web-config", metav1.DeleteOptions{}))
	gone := []string{
		"delete " + podA,
		"delete s-changes-kubernetes.replica_set-web-5d4f",
		"delete s-changes-kubernetes.deployment-web",
		"delete s-changes-kubernetes.service-web",
		"delete s-changes-kubernetes.config_map-web-config",
		"delete s-changes-kubernetes.label_name-web",
	}
	evs = r.waitFor(t, from, func(evs []string) bool {
		for _, g := range gone {
			if !slices.Contains(evs, g) {
				return false
			}
		}
		return true
	})
	for _, g := range gone {
		assert.Equal(t, 1, count(evs, g), g)
	}
	v = newView(r.sink.AllLogs())
	assert.Equal(t, []string{"s-changes-kubernetes.namespace-"}, v.ids("-changes-kubernetes"))
}

// linkLines renders an entity's relationships as "from -> to".
func linkLines(rec entity.Record) []string {
	var out []string
	for _, l := range rec.Links() {
		from, to, _ := l.Ends(rec.InternalID())
		out = append(out, from+" -> "+to)
	}
	return out
}

var (
	crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// createCRD defines a namespaced kind in group example.com and waits until
// it is served.
func createCRD(t *testing.T, dyn dynamic.Interface, disc discovery.DiscoveryInterface, kind, plural string) schema.GroupVersionResource {
	ctx := context.Background()
	crd := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": plural + ".example.com"},
		"spec": map[string]any{
			"group": "example.com",
			"scope": "Namespaced",
			"names": map[string]any{"kind": kind, "plural": plural, "singular": strings.ToLower(kind), "listKind": kind + "List"},
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{
					"type": "object", "x-kubernetes-preserve-unknown-fields": true,
				}},
			}},
		},
	}}
	must(dyn.Resource(crdGVR).Create(ctx, crd, metav1.CreateOptions{}))(t)
	gvr := schema.GroupVersionResource{Group: "example.com", Version: "v1", Resource: plural}
	require.Eventually(t, func() bool {
		if _, err := dyn.Resource(gvr).Namespace("default").List(ctx, metav1.ListOptions{}); err != nil {
			return false
		}
		// Discovery, which the receiver reads, may lag behind serving.
		rl, err := disc.ServerResourcesForGroupVersion("example.com/v1")
		if err != nil {
			return false
		}
		for _, r := range rl.APIResources {
			if r.Name == plural {
				return true
			}
		}
		return false
	}, waitTimeout, 50*time.Millisecond)
	return gvr
}

func customResource(gvr schema.GroupVersionResource, kind, ns, name string, spec map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": gvr.GroupVersion().String(), "kind": kind,
		"metadata": map[string]any{"namespace": ns, "name": name},
		"spec":     spec,
	}}
}

// testAllResources: resources: [all] watches every other listable
// resource through the dynamic client, custom resources included (also
// those defined after the start), and leaves events out.
func testAllResources(t *testing.T, srv *Server) {
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(srv.Config)
	require.NoError(t, err)
	disc, err := discovery.NewDiscoveryClientForConfig(srv.Config)
	require.NoError(t, err)
	widgets := createCRD(t, dyn, disc, "Widget", "widgets")
	w := must(dyn.Resource(widgets).Namespace("shop").Create(ctx, customResource(widgets, "Widget", "shop", "blue", map[string]any{"size": int64(3)}), metav1.CreateOptions{}))(t)
	// A config map a widget owns.
	cm := &corev1.ConfigMap{ObjectMeta: meta("shop", "blue-widget", nil)}
	cm.OwnerReferences = []metav1.OwnerReference{{APIVersion: "example.com/v1", Kind: "Widget", Name: "blue", UID: w.GetUID()}}
	must(srv.Client.CoreV1().ConfigMaps("shop").Create(ctx, cm, metav1.CreateOptions{}))(t)
	must(srv.Client.CoreV1().Events("shop").Create(ctx, &corev1.Event{
		ObjectMeta:     meta("shop", "api.1", nil),
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "api-7c9f6d5b8-abcde"},
		Reason:         "Scheduled", Message: "fixture", Type: corev1.EventTypeNormal,
	}, metav1.CreateOptions{}))(t)

	must(srv.Client.DiscoveryV1().EndpointSlices("shop").Create(ctx, &discoveryv1.EndpointSlice{
		ObjectMeta:  meta("shop", "api-x7f2k", map[string]string{discoveryv1.LabelServiceName: "api"}),
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.5"}}},
	}, metav1.CreateOptions{}))(t)

	r := startReceiver(t, srv.Kubeconfig, func(c *kubernetesreceiver.Config) {
		c.ScopeID = "s"
		c.Resources = []string{"all"}
	})
	n := r.waitSnapshot(t)
	v := newView(r.sink.AllLogs()[:n])
	blue := v.get(t, "s-shop-kubernetes.widget.example.com-blue")
	assert.Equal(t, "kubernetes.widget.example.com", blue.Type())
	assert.Equal(t, "shop.kubernetes.namespace", blue.Partition())
	spec, _ := blue.Body().Get("spec")
	assert.Equal(t, map[string]any{"size": int64(3)}, spec.Map().AsRaw())
	assert.Contains(t, linkLines(blue), "s-shop-kubernetes.namespace- -> s-shop-kubernetes.widget.example.com-blue")
	assert.Contains(t, linkLines(v.get(t, "s-shop-kubernetes.config_map-blue-widget")),
		"s-shop-kubernetes.widget.example.com-blue -> s-shop-kubernetes.config_map-blue-widget")
	// Other built-in resources come too; events do not.
	assert.Contains(t, v.states, "s--kubernetes.custom_resource_definition.apiextensions.k8s.io-widgets.example.com")
	assert.NotEmpty(t, v.ids("kubernetes.priority_class.scheduling.k8s.io-"))
	assert.Contains(t, linkLines(v.get(t, "s-shop-kubernetes.endpoint_slice-api-x7f2k")),
		"s-shop-kubernetes.service-api -> s-shop-kubernetes.endpoint_slice-api-x7f2k", "typed resources outside the default set")
	assert.Empty(t, v.ids("kubernetes.event"))
	assert.Empty(t, v.ids("api.1"))

	// A kind defined after the start is found and watched.
	gadgets := createCRD(t, dyn, disc, "Gadget", "gadgets")
	from := len(r.sink.AllLogs())
	require.Eventually(t, func() bool {
		_, err := dyn.Resource(gadgets).Namespace("shop").Create(ctx, customResource(gadgets, "Gadget", "shop", "g1", nil), metav1.CreateOptions{})
		return err == nil
	}, waitTimeout, 50*time.Millisecond)
	r.waitFor(t, from, has("state s-shop-kubernetes.gadget.example.com-g1"))

	// Custom resources and their definitions are deleted like anything else.
	from = len(r.sink.AllLogs())
	require.NoError(t, dyn.Resource(widgets).Namespace("shop").Delete(ctx, "blue", metav1.DeleteOptions{}))
	r.waitFor(t, from, has("delete s-shop-kubernetes.widget.example.com-blue"))
}
