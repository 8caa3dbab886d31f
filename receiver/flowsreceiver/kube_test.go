package flowsreceiver

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

// The resolver is tested against client-go's fake clientset: a real
// kube-apiserver harness for the repository is another issue's work. The
// informers, indexes and transforms are the real ones; only the API server
// is simulated.

const web2UID = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6"

const apiContainer = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"

func pod(ns, name string, phase corev1.PodPhase, ips ...string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(name + "-uid")},
		Status:     corev1.PodStatus{Phase: phase},
	}
	if len(ips) > 0 {
		p.Status.PodIP = ips[0]
	}
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	return p
}

func kubeSystem(uid string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system", UID: types.UID(uid)}}
}

func clusterObjects() []runtime.Object {
	api := pod("shop", "api-1", corev1.PodRunning, "10.244.1.5")
	api.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "api", ContainerID: "containerd://" + apiContainer}}
	proxy := pod("kube-system", "kube-proxy-n1", corev1.PodRunning, "10.0.0.10")
	web2 := pod("shop", "web-2", corev1.PodRunning, "10.244.1.9")
	web2.UID = web2UID
	proxy.Spec.HostNetwork = true
	return []runtime.Object{
		kubeSystem(clusterUID),
		api,
		pod("shop", "db-0", corev1.PodRunning, "10.244.2.7"),
		proxy,
		pod("shop", "job-1", corev1.PodSucceeded, "10.244.1.9"), // finished: its IP went to web-2
		web2,
		pod("shop", "twin-a", corev1.PodRunning, "10.244.4.4"), // two pods claim one IP
		pod("shop", "twin-b", corev1.PodRunning, "10.244.4.4"),
		pod("shop", "dual-0", corev1.PodRunning, "10.244.3.3", "fd00::3"),
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db"},
			Spec:       corev1.ServiceSpec{ClusterIP: "10.96.0.20", ClusterIPs: []string{"10.96.0.20"}},
		},
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "headless"},
			Spec:       corev1.ServiceSpec{ClusterIP: "None", ClusterIPs: []string{"None"}},
		},
	}
}

// fakeProc is a /proc with one process, 4242, in the api-1 container.
func fakeProc(t *testing.T) procFS {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "4242")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "comm"), []byte("api-server\n"), 0o644))
	cg := "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-" + apiContainer + ".scope\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cg), 0o644))
	// 4343 runs in a container of web-2 that its status does not list yet.
	dir = filepath.Join(root, "4343")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "comm"), []byte("web\n"), 0o644))
	cg = "0::/kubepods/besteffort/pod" + web2UID + "/" + strings.Repeat("b", 64) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(cg), 0o644))
	return procFS{root: root}
}

// startView starts a resolver over a fake cluster and waits for its caches.
func startView(t *testing.T, client *fake.Clientset, logger *zap.Logger) *kubeView {
	t.Helper()
	return startViewOf(t, client, logger, kubeWatch{})
}

// startViewOf starts a resolver that watches w.
func startViewOf(t *testing.T, client *fake.Clientset, logger *zap.Logger, w kubeWatch) *kubeView {
	t.Helper()
	v := newKubeView(client, clusterUID, newProcCache(fakeProc(t), t.TempDir()), logger, w)
	ctx, cancel := context.WithCancel(context.Background())
	v.start(ctx)
	t.Cleanup(func() {
		cancel()
		v.stop()
	})
	require.Eventually(t, v.synced, 10*time.Second, 10*time.Millisecond)
	return v
}

func flow(side side, client, server string, port uint16, pid uint32) *flowEntry {
	return &flowEntry{
		key: flowKey{client: netip.MustParseAddr(client), server: netip.MustParseAddr(server), port: port, side: side},
		pid: pid, comm: "kernel-comm",
	}
}

func podID(ns, name string) string { return clusterUID + "-" + ns + "-kubernetes.pod-" + name }

func TestKubeResolve(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the view stops
	core, logs := observer.New(zap.InfoLevel)
	v := startView(t, fake.NewClientset(clusterObjects()...), zap.New(core))
	assert.Zero(t, logs.FilterMessageSnippet("differs").Len(), "the cluster UID matches kube-system's")

	pods := func(ns, name string) endpoint { return endpoint{id: podID(ns, name), external: true} }
	addr := func(s string) endpoint { return endpoint{id: s} }
	cases := []struct {
		name     string
		entry    *flowEntry
		src, dst endpoint
	}{
		{"pod to service by ClusterIP", flow(sideClient, "10.244.1.5", "10.96.0.20", 5432, 0),
			pods("shop", "api-1"), endpoint{id: clusterUID + "-shop-kubernetes.service-db", external: true}},
		{"server side: pod to pod", flow(sideServer, "10.244.1.5", "10.244.2.7", 5432, 0),
			pods("shop", "api-1"), pods("shop", "db-0")},
		{"pod to the outside", flow(sideClient, "10.244.1.5", "93.184.216.34", 443, 0),
			pods("shop", "api-1"), addr("93.184.216.34:443")},
		{"the outside to a pod", flow(sideServer, "192.0.2.8", "10.244.2.7", 5432, 0),
			addr("192.0.2.8"), pods("shop", "db-0")},
		{"local end by its container, whatever its address", flow(sideClient, "10.0.0.10", "10.244.2.7", 5432, 4242),
			pods("shop", "api-1"), pods("shop", "db-0")},
		{"local end by its pod UID, before its container is in the status", flow(sideClient, "10.0.0.10", "10.244.2.7", 5432, 4343),
			pods("shop", "web-2"), pods("shop", "db-0")},
		{"host-network pods are not found by IP", flow(sideClient, "10.0.0.10", "10.244.2.7", 5432, 0),
			addr("10.0.0.10"), pods("shop", "db-0")},
		{"a finished pod's IP belongs to the running one", flow(sideClient, "10.244.1.9", "10.244.2.7", 5432, 0),
			pods("shop", "web-2"), pods("shop", "db-0")},
		{"an IP two running pods claim is not resolved", flow(sideClient, "10.244.4.4", "10.244.2.7", 5432, 0),
			addr("10.244.4.4"), pods("shop", "db-0")},
		{"IPv6 of a dual-stack pod", flow(sideClient, "fd00::3", "10.244.2.7", 5432, 0),
			pods("shop", "dual-0"), pods("shop", "db-0")},
		{"loopback stays an address", flow(sideClient, "127.0.0.1", "127.0.0.1", 8080, 0),
			addr("127.0.0.1"), addr("127.0.0.1:8080")},
		{"IPv6 server address", flow(sideClient, "10.244.1.5", "2001:db8::1", 443, 0),
			pods("shop", "api-1"), addr("[2001:db8::1]:443")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k := v.resolve(c.entry)
			assert.Equal(t, c.src, k.source)
			assert.Equal(t, c.dst, k.destination)
			assert.NotContains(t, k.source.id+k.destination.id, "::ffff:")
		})
	}
	k := v.resolve(flow(sideClient, "10.0.0.10", "10.244.2.7", 5432, 4242))
	assert.Equal(t, "api-server", k.process, "command from /proc/<pid>/comm")
	assert.Equal(t, apiContainer, k.container)
}

// The view follows the watch: a pod created later resolves, a deleted one
// no longer does.
func TestKubeWatch(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the view stops
	client := fake.NewClientset(clusterObjects()...)
	v := startView(t, client, zap.NewNop())
	e := flow(sideClient, "10.244.7.7", "10.244.2.7", 5432, 0)
	require.Equal(t, "10.244.7.7", v.resolve(e).source.id)

	ctx := context.Background()
	_, err := client.CoreV1().Pods("shop").Create(ctx, pod("shop", "late-0", corev1.PodRunning, "10.244.7.7"), metav1.CreateOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return v.resolve(e).source.id == podID("shop", "late-0") }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, client.CoreV1().Pods("shop").Delete(ctx, "late-0", metav1.DeleteOptions{}))
	require.Eventually(t, func() bool { return v.resolve(e).source.id == "10.244.7.7" }, 10*time.Second, 10*time.Millisecond)
}

// A cluster UID in external_mappings that is not kube-system's is warned
// about once.
func TestKubeScopeMismatch(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the view stops
	core, logs := observer.New(zap.InfoLevel)
	objs := clusterObjects()
	objs[0] = kubeSystem("another-cluster")
	v := startView(t, fake.NewClientset(objs...), zap.New(core))
	v.synced()
	warns := logs.FilterMessageSnippet("differs from the kube-system namespace UID").All()
	require.Len(t, warns, 1)
	assert.Equal(t, "another-cluster", warns[0].ContextMap()["kube_system_uid"])
}

func TestTrimPod(t *testing.T) {
	p := pod("shop", "api-1", corev1.PodRunning, "10.244.1.5")
	p.Labels = map[string]string{"app": "api"}
	p.Spec.Containers = []corev1.Container{{Name: "api", Image: "api:1", Env: []corev1.EnvVar{{Name: "A", Value: strings.Repeat("x", 1000)}}}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "api", ContainerID: "containerd://abc", Image: "api:1"}}
	out, err := trimPod(p)
	require.NoError(t, err)
	tp := out.(*corev1.Pod)
	assert.Empty(t, tp.Labels)
	assert.Empty(t, tp.Spec.Containers)
	assert.Equal(t, "containerd://abc", tp.Status.ContainerStatuses[0].ContainerID)
	ids, err := podContainers(tp)
	require.NoError(t, err)
	assert.Equal(t, []string{"abc"}, ids)
	ips, err := podIPs(tp)
	require.NoError(t, err)
	assert.Equal(t, []string{"10.244.1.5"}, ips)
}

// On a node (a DaemonSet) the receiver lists and watches only that node's
// pods (a field selector the API server applies), and every service; a
// remote pod's address is left to the processor.
func TestKubeViewWatchesThisNode(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the view stops
	client := fake.NewClientset(clusterObjects()...)
	var mu sync.Mutex
	selectors := map[string]string{}
	record := func(verb, resource, selector string) {
		mu.Lock()
		defer mu.Unlock()
		selectors[verb+" "+resource] = selector
	}
	client.PrependReactor("list", "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
		record("list", a.GetResource().Resource, a.(k8stesting.ListAction).GetListRestrictions().Fields.String())
		return false, nil, nil
	})
	client.PrependWatchReactor("*", func(a k8stesting.Action) (bool, watch.Interface, error) {
		record("watch", a.GetResource().Resource, a.(k8stesting.WatchAction).GetWatchRestrictions().Fields.String())
		return false, nil, nil
	})
	startViewOf(t, client, zap.NewNop(), kubeWatch{node: "node-1"})
	require.Eventually(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(selectors) == 4
	}, 10*time.Second, 10*time.Millisecond, "list and watch of pods and services")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, map[string]string{
		"list pods": "spec.nodeName=node-1", "watch pods": "spec.nodeName=node-1",
		"list services": "", "watch services": "",
	}, selectors)
}
