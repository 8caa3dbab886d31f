package apiservertest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/netnstest"
	"github.com/coordimap/otelcol-coordimap/receiver/flowsreceiver"
)

// The workload between the two network namespaces: the client pod's
// namespace (B) sends flowReq bytes to the server pod's (A), which answers
// flowResp bytes and closes.
const (
	flowPort       = 8080
	flowClosedPort = 8081
	flowReq        = 1000
	flowResp       = 2000
	flowConns      = 5
)

// TestFlowsKubernetesMode runs the coordimap_flows receiver in kubernetes
// mode against the real API server: two pods whose status.podIP are the
// addresses of two network namespaces, a service whose ClusterIP is routed
// (to nothing) from the client's namespace, and TCP connections between
// them. The edges join the pods' and the service's internal IDs in the
// scope of the kube-system namespace UID, client → server; a deleted pod
// stops resolving.
//
// No kube-proxy runs, so nothing answers on the ClusterIP: the service is
// resolved from a connect that fails, as the fake-clientset test does;
// a service that answers (DNAT to a pod) stays untested here.
func TestFlowsKubernetesMode(t *testing.T) {
	requireFlows(t)
	p := netnstest.New(t)
	srv := Start(t)
	ctx := context.Background()
	c := srv.Client

	// The receiver finds the API server as a collector outside a cluster
	// does: no in-cluster service account, then $KUBECONFIG.
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("KUBERNETES_SERVICE_PORT", "")
	t.Setenv("KUBECONFIG", srv.Kubeconfig)

	var uid string
	require.Eventually(t, func() bool {
		ns, err := c.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
		if err != nil {
			return false
		}
		uid = string(ns.UID)
		return true
	}, waitTimeout, 50*time.Millisecond, "the API server never created kube-system")

	const ns = "flows"
	_, err := c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	require.NoError(t, err)
	// The two namespaces are pods of this node; a pod of another node has
	// the unassigned address: the receiver does not watch it, so its
	// address stays an address (the processor's index resolves it).
	const node = "node-1"
	runningPod(t, c, ns, "server-0", node, p.A.Addr)
	runningPod(t, c, ns, "client-0", node, p.B.Addr)
	runningPod(t, c, ns, "remote-0", "node-2", p.Unassigned)
	svc, err := c.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "backend"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: flowPort}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	svcIP, err := netip.ParseAddr(svc.Spec.ClusterIP)
	require.NoError(t, err, "the API server allocated no ClusterIP")
	require.True(t, svcIP.Is4())
	// The ClusterIP is on-link from the client's namespace: its SYN goes
	// out of the veth, nobody answers ARP, the connect times out.
	if out, err := exec.Command("ip", "-n", p.B.Name, "route", "add", svcIP.String()+"/32", "dev", p.B.Dev).CombinedOutput(); err != nil {
		t.Fatalf("route to the ClusterIP: %v: %s", err, out)
	}

	f := flowsreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*flowsreceiver.Config)
	cfg.DeployedAt = flowsreceiver.DeployedAtKubernetes
	cfg.ExternalMappings = []string{"*@" + uid}
	cfg.NodeName = node
	cfg.LocalPodsOnly = true // the pod of another node stays an address
	cfg.CollectionInterval = 100 * time.Millisecond
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zapcore.InfoLevel)
	set := receivertest.NewNopSettings(f.Type())
	set.ID = component.NewIDWithName(f.Type(), "apiserver")
	set.Logger = zap.New(core)
	sink := new(consumertest.LogsSink)
	rcv, err := f.CreateLogs(ctx, set, cfg, sink)
	require.NoError(t, err)
	host := &statusHost{Host: componenttest.NewNopHost()}
	require.NoError(t, rcv.Start(ctx, host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	// OK is reported once the pod and service caches are in and the
	// kernel maps were read.
	require.Eventually(t, func() bool {
		st := host.statuses()
		return len(st) > 0 && st[len(st)-1] == componentstatus.StatusOK
	}, waitTimeout, 10*time.Millisecond, "statuses: %v", host.statuses())

	netnstest.Serve(t, p.A.Listen(t, flowPort), flowReq, flowResp)
	server := netip.AddrPortFrom(p.A.Addr, flowPort).String()
	for range flowConns {
		netnstest.Request(t, p.B, server, flowReq, flowResp)
	}
	if conn, err := p.B.Dial(netip.AddrPortFrom(p.A.Addr, flowClosedPort).String(), 5*time.Second); err == nil {
		_ = conn.Close()
		t.Fatal("the closed port accepted a connection")
	}
	if conn, err := p.B.Dial(netip.AddrPortFrom(svcIP, flowPort).String(), 200*time.Millisecond); err == nil {
		_ = conn.Close()
		t.Fatal("the ClusterIP answered")
	}
	remote := netip.AddrPortFrom(p.Unassigned, flowPort).String()
	if conn, err := p.B.Dial(remote, 200*time.Millisecond); err == nil {
		_ = conn.Close()
		t.Fatal("the unassigned address answered")
	}

	podID := func(name string) string { return internalid.Kubernetes(uid, ns, "kubernetes.pod", name) }
	serverPod, clientPod := podID("server-0"), podID("client-0")
	svcID := internalid.Kubernetes(uid, ns, "kubernetes.service", "backend")
	edge := func(src, dst string, port int, side string) string {
		return fmt.Sprintf("%s → %s:%d %s", src, dst, port, side)
	}
	want := map[string]flowTotals{
		edge(clientPod, serverPod, flowPort, "client"):       {connections: flowConns},
		edge(clientPod, serverPod, flowPort, "server"):       {connections: flowConns},
		edge(clientPod, serverPod, flowClosedPort, "client"): {failed: 1},
		edge(clientPod, svcID, flowPort, "client"):           {failed: 1},
		clientPod + " → " + remote + " client":               {failed: 1},
	}
	got := waitEdges(t, sink, p.Subnet, nil, func(got map[string]flowTotals) bool {
		for k, w := range want {
			if g := got[k]; g.connections < w.connections || g.failed < w.failed {
				return false
			}
		}
		return true
	})
	for k, g := range got {
		t.Logf("edge %s: %+v", k, g)
	}
	for k, w := range want {
		g := got[k]
		assert.Equal(t, w.connections, g.connections, k)
		assert.Equal(t, w.failed, g.failed, k)
		if strings.Contains(k, remote) {
			assert.Equal(t, entity.ExternalSource, g.external, "%s: only the client pod is the kubernetes data source's", k)
			continue
		}
		assert.Equal(t, entity.ExternalBothSides, g.external, "%s: pods and services belong to the kubernetes data source", k)
	}
	// Every flow of the subnet but the remote pod's resolved: no other edge
	// from or to an address, and addresses are rendered as IPv4.
	for k, g := range got {
		assert.Contains(t, []string{p.B.Addr.String()}, g.client, k)
		assert.Contains(t, []string{p.A.Addr.String(), svcIP.String(), p.Unassigned.String()}, g.server, k)
		if !strings.Contains(k, remote) {
			assert.NotContains(t, k, p.Subnet+".", "unresolved end")
		}
	}
	assert.Zero(t, logs.FilterMessageSnippet("differs").Len(), "the cluster UID is kube-system's")

	// A deleted pod no longer resolves: its address stays an address.
	zero := int64(0)
	require.NoError(t, c.CoreV1().Pods(ns).Delete(ctx, "server-0", metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	deleted := clientPod + " → " + server + " client"
	after := waitEdges(t, sink, p.Subnet, func() {
		netnstest.Request(t, p.B, server, flowReq, flowResp)
	}, func(got map[string]flowTotals) bool { return got[deleted].connections > 0 })
	t.Logf("after the delete: %s: %+v", deleted, after[deleted])
	assert.Equal(t, entity.ExternalSource, after[deleted].external, "only the client pod is the kubernetes data source's")
}

// waitEdges runs step (if not nil) and sums the edges until done accepts
// them.
func waitEdges(t *testing.T, sink *consumertest.LogsSink, subnet string, step func(), done func(map[string]flowTotals) bool) map[string]flowTotals {
	t.Helper()
	var got map[string]flowTotals
	for deadline := time.Now().Add(waitTimeout); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if step != nil {
			step()
		}
		if got = flowEdges(t, sink.AllLogs(), subnet); done(got) {
			return got
		}
	}
	t.Fatalf("the edges never got there: %v", got)
	return nil
}

// requireFlows ends the test when the flows receiver cannot load its BPF
// programs: root and the kernel's BTF are needed (a skip locally, a
// failure under CI=true).
func requireFlows(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		netnstest.Unavailable(t, fmt.Errorf("loading BPF programs needs root (euid %d)", os.Geteuid()))
	}
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		netnstest.Unavailable(t, fmt.Errorf("the kernel has no BTF: %w", err))
	}
}

// runningPod creates a pod and gives it, as a kubelet would, the Running
// phase and addr as its IP, on node (no scheduler, controllers or kubelet
// run).
func runningPod(t *testing.T, c kubernetes.Interface, ns, name, node string, addr netip.Addr) {
	t.Helper()
	ctx := context.Background()
	pod, err := c.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}}},
	}, metav1.CreateOptions{})
	require.NoError(t, err)
	pod.Status.Phase = corev1.PodRunning
	pod.Status.PodIP = addr.String()
	pod.Status.PodIPs = []corev1.PodIP{{IP: addr.String()}}
	_, err = c.CoreV1().Pods(ns).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	require.NoError(t, err)
}

// flowTotals sums the coordimap.relationship records of one edge.
type flowTotals struct {
	connections, failed int64
	external            entity.ExternalSide
	client, server      string // client.address and server.address
}

// flowEdges sums the relationship records whose client or server address
// is in the subnet, by "<source> → <destination>:<port> <side>" (an
// unresolved destination already ends in :<port>).
func flowEdges(t *testing.T, lds []plog.Logs, subnet string) map[string]flowTotals {
	t.Helper()
	out := map[string]flowTotals{}
	forLogRecords(lds, func(lr plog.LogRecord) {
		rec := entity.View(lr)
		if rec.Kind() != entity.KindObservation {
			return
		}
		attrs := lr.Attributes().AsRaw()
		client, _ := attrs["client.address"].(string)
		server, _ := attrs["server.address"].(string)
		if !strings.HasPrefix(client, subnet+".") && !strings.HasPrefix(server, subnet+".") {
			return
		}
		side, _ := attrs["coordimap.flow.side"].(string)
		o := rec.Observation()
		dst := o.DestinationID
		if _, err := netip.ParseAddrPort(dst); err != nil {
			dst = fmt.Sprintf("%s:%d", dst, o.DestinationPort)
		}
		k := o.SourceID + " → " + dst + " " + side
		tot := out[k]
		tot.connections += o.Connections
		tot.failed += o.FailedConnections
		tot.external = o.External
		if tot.client != "" && tot.client != client || tot.server != "" && tot.server != server {
			t.Errorf("%s: addresses changed: %s, %s then %s, %s", k, tot.client, tot.server, client, server)
		}
		tot.client, tot.server = client, server
		out[k] = tot
	})
	return out
}
