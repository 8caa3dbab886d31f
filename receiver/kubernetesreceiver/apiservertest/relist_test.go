package apiservertest

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/collector/component/componentstatus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	featuregatetesting "k8s.io/component-base/featuregate/testing"

	"github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
)

// TestRelist cuts the receiver off the API server, changes the cluster and
// compacts etcd meanwhile, so that the watches cannot resume where they
// stopped: the informers list again. What vanished is deleted, what
// appeared is added, and nothing else is sent again.
//
// The watch cache is off on this server: watches then read etcd, whose
// compaction makes the old resource version unusable, and the informers
// fall back from streaming (watch-list needs the cache) to paginated lists,
// so the page size is exercised too (1,200 config maps: three pages).
func TestRelist(t *testing.T) { testRelist(t, true) }

// TestRelistPagedLists is TestRelist with client-go's watch-list turned
// off, as against servers that cannot stream an informer's initial state:
// the informers list, 500 objects a page. (In this test binary client-go's
// feature gates are Kubernetes' own; in the collector, set
// KUBE_FEATURE_WatchListClient=false.)
func TestRelistPagedLists(t *testing.T) {
	featuregatetesting.SetFeatureGateDuringTest(t, utilfeature.DefaultFeatureGate, "WatchListClient", false)
	testRelist(t, false)
}

func testRelist(t *testing.T, watchList bool) {
	srv := Start(t, "--watch-cache=false")
	ctx := context.Background()
	c := srv.Client
	const ns = "relist"
	must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: meta("", ns, nil)}, metav1.CreateOptions{}))(t)
	parallel(t, 1200, func(i int) error {
		_, err := c.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta(ns, fmt.Sprintf("cm-%04d", i), nil)}, metav1.CreateOptions{})
		return err
	})
	for _, name := range []string{"p1", "p2", "p3"} {
		must(c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: meta(ns, name, nil), Spec: podSpec("nginx:1.27")}, metav1.CreateOptions{}))(t)
	}

	proxy, err := NewProxy(srv.Config.Host[len("https://"):])
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	kubeconfig, err := srv.WriteKubeconfig(t.TempDir(), proxy.Addr())
	require.NoError(t, err)
	listsBefore := listRequests(t, srv, "configmaps")
	r := startReceiver(t, kubeconfig, func(cfg *kubernetesreceiver.Config) {
		cfg.ScopeID = "s"
		cfg.Namespaces = []string{ns}
		cfg.Resources = []string{"namespaces", "configmaps", "pods"}
	})
	n := r.waitSnapshot(t)
	v := newView(r.sink.AllLogs()[:n])
	assert.Len(t, v.ids("kubernetes.config_map-cm-"), 1200, "every page listed")
	lists := listRequests(t, srv, "configmaps") - listsBefore
	if watchList {
		assert.Equal(t, 1, lists, "the access check only: the state is streamed")
	} else {
		assert.Equal(t, 1+3, lists, "the access check, then 1,200 config maps in pages of 500")
	}
	assert.Len(t, v.ids("kubernetes.pod-"), 3)

	// The gap: connections cut, the cluster changes, etcd forgets.
	proxy.Pause()
	require.NoError(t, c.CoreV1().Pods(ns).Delete(ctx, "p1", metav1.DeleteOptions{}))
	require.NoError(t, c.CoreV1().ConfigMaps(ns).Delete(ctx, "cm-0000", metav1.DeleteOptions{}))
	must(c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: meta(ns, "p4", nil), Spec: podSpec("nginx:1.27")}, metav1.CreateOptions{}))(t)
	p2 := must(c.CoreV1().Pods(ns).Get(ctx, "p2", metav1.GetOptions{}))(t)
	p2.Labels = map[string]string{"relabelled": "yes"}
	must(c.CoreV1().Pods(ns).Update(ctx, p2, metav1.UpdateOptions{}))(t)
	resp, err := srv.Etcd.Get(ctx, "compact-probe")
	require.NoError(t, err)
	_, err = srv.Etcd.Compact(ctx, resp.Header.Revision, clientv3.WithCompactPhysical())
	require.NoError(t, err)

	// The outage is reported (the watches retry while it lasts).
	require.Eventually(t, func() bool {
		return slices.Contains(r.host.statuses(), componentstatus.StatusRecoverableError)
	}, waitTimeout, 10*time.Millisecond)
	from := len(r.sink.AllLogs())
	require.NoError(t, proxy.Resume())
	want := []string{
		"delete s-relist-kubernetes.config_map-cm-0000",
		"delete s-relist-kubernetes.pod-p1",
		"state s-relist-kubernetes.pod-p2",
		"state s-relist-kubernetes.pod-p4",
	}
	evs := r.waitFor(t, from, func(evs []string) bool {
		for _, w := range want {
			if !slices.Contains(evs, w) {
				return false
			}
		}
		return true
	})
	slices.Sort(evs)
	assert.Equal(t, want, evs, "the relist sends what changed, once, and nothing else")
	v = newView(r.sink.AllLogs())
	assert.Len(t, v.ids("kubernetes.config_map-cm-"), 1199)
	assert.Equal(t, []string{"s-relist-kubernetes.pod-p2", "s-relist-kubernetes.pod-p3", "s-relist-kubernetes.pod-p4"}, v.ids("kubernetes.pod-"))

	// And the recovery.
	require.Eventually(t, func() bool {
		st := r.host.statuses()
		return st[len(st)-1] == componentstatus.StatusOK
	}, waitTimeout, 10*time.Millisecond)
	assert.Equal(t, 1, r.logs.FilterMessage("Kubernetes crawl recovered").Len())
}

// listRequests is how many LIST requests the server answered for a
// resource (apiserver_request_total).
func listRequests(t *testing.T, srv *Server, resource string) int {
	t.Helper()
	raw, err := srv.Client.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	require.NoError(t, err)
	total := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "apiserver_request_total{") || !strings.Contains(line, `resource="`+resource+`"`) ||
			!strings.Contains(line, `verb="LIST"`) {
			continue
		}
		f := strings.Fields(line)
		n, err := strconv.Atoi(f[len(f)-1])
		require.NoError(t, err, line)
		total += n
	}
	return total
}

// parallel runs fn(0..n-1) on 16 goroutines.
func parallel(t testing.TB, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	next := make(chan int)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
