package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// up transforms an object as the informer does and adds it to the graph.
func up(g *graph, res *resource, obj runtime.Object) {
	g.upsert(res, kobj(res, obj))
}

func kobj(res *resource, obj runtime.Object) *kobject {
	ko, err := newTransform(res, privacy{})(obj)
	if err != nil {
		panic(err)
	}
	return ko.(*kobject)
}

// drain flushes the graph as the receiver does and renders each record:
// "state <id>" followed by its edges, or "delete <id>".
func drain(t *testing.T, g *graph) []string {
	t.Helper()
	var out []string
	for _, k := range g.pending() {
		c, ok, err := g.next(k)
		require.NoError(t, err)
		if !ok {
			continue
		}
		if c.e == nil {
			out = append(out, "delete "+c.ref.InternalID)
		} else {
			out = append(out, "state "+c.e.InternalID)
			for _, e := range edges(c.e.InternalID, c.e.Links) {
				out = append(out, "  "+e)
			}
		}
		g.commit(c)
	}
	return out
}

func pod(name string, labels map[string]string, rv string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop", Labels: labels, ResourceVersion: rv, UID: types.UID("u-" + name)}}
}

func service(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}, Spec: corev1.ServiceSpec{Selector: selector}}
}

var (
	pods     = typedByName("pods")
	services = typedByName("services")
)

// Service → pod links are recomputed when either side changes.
func TestServiceSelection(t *testing.T) {
	g := newGraph(scope, nil, 0)
	up(g, pods, pod("p1", map[string]string{"app": "api", "tier": "web"}, "1"))
	up(g, pods, pod("p2", map[string]string{"app": "db"}, "1"))
	up(g, services, service("api", map[string]string{"app": "api"}))
	up(g, services, service("web", map[string]string{"app": "api", "tier": "web"}))
	up(g, services, service("external", nil))
	assert.Equal(t, []string{
		"state uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.service-api -> uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.service-web -> uid-shop-kubernetes.pod-p1",
		"state uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p2",
		"state uid-shop-kubernetes.service-api",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.service-api",
		"state uid-shop-kubernetes.service-external",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.service-external",
		"state uid-shop-kubernetes.service-web",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.service-web",
	}, drain(t, g))

	// The pod is relabelled out of web.
	up(g, pods, pod("p1", map[string]string{"app": "api"}, "2"))
	assert.Equal(t, []string{
		"state uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.service-api -> uid-shop-kubernetes.pod-p1",
	}, drain(t, g))

	// The service's selector changes: the pods it selected and selects now.
	up(g, services, service("api", map[string]string{"app": "db"}))
	assert.Equal(t, []string{
		"state uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p1",
		"state uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.service-api -> uid-shop-kubernetes.pod-p2",
		"state uid-shop-kubernetes.service-api",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.service-api",
	}, drain(t, g))

	// The service goes: its pods lose the link.
	g.remove(entityKey{typeService, "shop", "api"})
	assert.Equal(t, []string{
		"state uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p2",
		"delete uid-shop-kubernetes.service-api",
	}, drain(t, g))
	assert.Empty(t, g.selectors["shop"]["app=db"])
}

// An update that changes only the resource version (or a heartbeat) sends
// nothing; a change users see sends the state.
func TestUnchangedUpdatesAreNotSent(t *testing.T) {
	g := newGraph(scope, nil, 0)
	up(g, pods, pod("p1", nil, "1"))
	assert.Len(t, drain(t, g), 2)
	up(g, pods, pod("p1", nil, "2"))
	up(g, pods, pod("p1", nil, "3"))
	assert.Empty(t, drain(t, g))
	p := pod("p1", nil, "4")
	p.Status.Phase = corev1.PodRunning
	up(g, pods, p)
	assert.Equal(t, []string{"state uid-shop-kubernetes.pod-p1", "  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p1"}, drain(t, g))
}

// Several changes to an object between flushes send one record, its last
// state; an object added and deleted between flushes sends nothing.
func TestChangesAreCoalesced(t *testing.T) {
	g := newGraph(scope, nil, 0)
	up(g, pods, pod("p1", nil, "1"))
	p := pod("p1", nil, "2")
	p.Status.Phase = corev1.PodRunning
	up(g, pods, p)
	keys := g.pending()
	require.Len(t, keys, 1)
	c, ok, err := g.next(keys[0])
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, statusGreen, c.e.Status)
	g.commit(c)

	up(g, pods, pod("p2", nil, "1"))
	g.remove(entityKey{typePod, "shop", "p2"})
	g.remove(entityKey{typePod, "shop", "never-seen"})
	assert.Empty(t, drain(t, g))
}

// Label pseudo-elements live while an object carries them; their edges are
// the union of what their carriers say.
func TestLabelElementLifecycle(t *testing.T) {
	g := newGraph(scope, nil, 0)
	up(g, pods, pod("p1", map[string]string{labelName: "api", labelPartOf: "shop"}, "1"))
	up(g, pods, pod("p2", map[string]string{labelName: "api", labelComponent: "backend"}, "1"))
	assert.Equal(t, []string{
		"state uid-shop-kubernetes.label_component-backend",
		"state uid-shop-kubernetes.label_name-api",
		"  uid-shop-kubernetes.label_component-backend -> uid-shop-kubernetes.label_name-api",
		"  uid-shop-kubernetes.label_part_of-shop -> uid-shop-kubernetes.label_name-api",
		"state uid-shop-kubernetes.label_part_of-shop",
		"state uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.label_name-api -> uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.label_part_of-shop -> uid-shop-kubernetes.pod-p1",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p1",
		"state uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.label_component-backend -> uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.label_name-api -> uid-shop-kubernetes.pod-p2",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p2",
	}, drain(t, g))

	g.remove(entityKey{typePod, "shop", "p2"})
	assert.Equal(t, []string{
		"delete uid-shop-kubernetes.label_component-backend",
		"state uid-shop-kubernetes.label_name-api",
		"  uid-shop-kubernetes.label_part_of-shop -> uid-shop-kubernetes.label_name-api",
		"delete uid-shop-kubernetes.pod-p2",
	}, drain(t, g))

	g.remove(entityKey{typePod, "shop", "p1"})
	assert.Equal(t, []string{
		"delete uid-shop-kubernetes.label_name-api",
		"delete uid-shop-kubernetes.label_part_of-shop",
		"delete uid-shop-kubernetes.pod-p1",
	}, drain(t, g))
	assert.Empty(t, g.labels)
}

// The claims a stateful set's templates make are linked to it, whichever
// comes first.
func TestStatefulSetClaims(t *testing.T) {
	g := newGraph(scope, nil, 0)
	claim := func(name string) *corev1.PersistentVolumeClaim {
		return &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "shop"}}
	}
	up(g, typedByName("persistentvolumeclaims"), claim("data-db-0"))
	up(g, typedByName("persistentvolumeclaims"), claim("data-db-x"))
	up(g, typedByName("persistentvolumeclaims"), claim("data-dbx-0"))
	drain(t, g)
	sts := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop"},
		Spec: appsv1.StatefulSetSpec{VolumeClaimTemplates: []corev1.PersistentVolumeClaim{
			{ObjectMeta: metav1.ObjectMeta{Name: "data"}},
		}},
	}
	up(g, typedByName("statefulsets"), sts)
	assert.Equal(t, []string{
		"state uid-shop-kubernetes.pvc-data-db-0",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pvc-data-db-0",
		"  uid-shop-kubernetes.stateful_set-db -> uid-shop-kubernetes.pvc-data-db-0",
		"state uid-shop-kubernetes.stateful_set-db",
		"  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.stateful_set-db",
	}, drain(t, g))
	assert.True(t, statefulSetClaims("db", []string{"data"}, "data-db-12"))
	assert.False(t, statefulSetClaims("db", []string{"data"}, "data-db-01"))
	assert.False(t, statefulSetClaims("db", []string{"data"}, "data-db-"))
}

// What the next consumer refused is sent again; a full report sends
// everything again.
func TestRetryAndReport(t *testing.T) {
	g := newGraph(scope, nil, 0)
	up(g, pods, pod("p1", nil, "1"))
	up(g, services, service("s", nil))
	drain(t, g)
	g.remove(entityKey{typeService, "shop", "s"})
	keys := g.pending()
	c, ok, err := g.next(keys[0])
	require.NoError(t, err)
	require.True(t, ok)
	g.retry([]change{c}) // refused
	assert.Equal(t, []string{"delete uid-shop-kubernetes.service-s"}, drain(t, g))

	g.reportAll()
	assert.Equal(t, []string{"state uid-shop-kubernetes.pod-p1", "  uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.pod-p1"}, drain(t, g))
	assert.Empty(t, drain(t, g))
}

// Deletes seen only at a relist come as tombstones; they delete too.
func TestApplyTombstone(t *testing.T) {
	r := newReceiver(createDefaultConfig().(*Config), receiverSettings(), nil)
	r.graph = newGraph(scope, nil, 0)
	r.apply(pods, kobj(pods, pod("p1", nil, "1")), false)
	r.apply(pods, kobj(pods, pod("p2", nil, "1")), false)
	drain(t, r.graph)
	r.apply(pods, cache.DeletedFinalStateUnknown{Key: "shop/p1", Obj: kobj(pods, pod("p1", nil, "1"))}, true)
	r.apply(pods, cache.DeletedFinalStateUnknown{Key: "shop/p2"}, true)
	assert.Equal(t, []string{"delete uid-shop-kubernetes.pod-p1", "delete uid-shop-kubernetes.pod-p2"}, drain(t, r.graph))
	assert.Len(t, r.notify, 1, "the flush loop is told")
}

// With namespaces configured, other namespaces' objects are ignored.
func TestApplyNamespaceFilter(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Namespaces = []string{"shop"}
	r := newReceiver(cfg, receiverSettings(), nil)
	r.graph = newGraph(scope, nil, 0)
	for _, ns := range []string{"shop", "other"} {
		r.apply(typedByName("namespaces"), kobj(typedByName("namespaces"), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}), false)
	}
	assert.Equal(t, []string{"state uid-shop-kubernetes.namespace-"}, drain(t, r.graph))
}

// Bodies: the object as served, with kind and apiVersion.
func TestEntityState(t *testing.T) {
	g := newGraph(scope, nil, 0)
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
		Name: "api", Namespace: "shop", UID: "d-uid",
		Labels: map[string]string{labelVersion: "1.4.2"},
	}}
	up(g, typedByName("deployments"), d)
	var got *entity.Entity
	for _, k := range g.pending() {
		c, ok, err := g.next(k)
		require.NoError(t, err)
		if ok && c.e.Type == typeDeployment {
			got = c.e
		}
	}
	require.NotNil(t, got)
	assert.Equal(t, "uid-shop-kubernetes.deployment-api", got.InternalID)
	assert.Equal(t, map[string]any{"k8s.deployment.uid": "d-uid"}, got.NativeIDs)
	assert.Equal(t, "api", got.Name)
	assert.Equal(t, "1.4.2", got.Version)
	assert.Equal(t, "shop.kubernetes.namespace", got.Partition)
	assert.Equal(t, map[string]any{"k8s.namespace.name": "shop"}, got.Description)
	assert.Equal(t, "Deployment", got.Body["kind"])
	assert.Equal(t, "apps/v1", got.Body["apiVersion"])
	assert.Equal(t, "api", got.Body["metadata"].(map[string]any)["name"])

	for _, tt := range []struct {
		k    entityKey
		want string
	}{
		{entityKey{typeNode, "", "n1"}, clusterPartition},
		{entityKey{typeNamespace, "", "shop"}, "shop.kubernetes.namespace"},
		{entityKey{typeLabelName, "", "csi"}, clusterPartition},
		{entityKey{typeLabelName, "shop", "api"}, "shop.kubernetes.namespace"},
	} {
		assert.Equal(t, tt.want, partition(tt.k))
	}
	assert.Equal(t, "uid-shop-kubernetes.namespace-", g.id(entityKey{typeNamespace, "", "shop"}))
	assert.Equal(t, "uid--kubernetes.node-n1", g.id(entityKey{typeNode, "", "n1"}))
}
