package flowsreceiver

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	nsutil "github.com/coordimap/otelcol-coordimap/internal/netns"
	"github.com/coordimap/otelcol-coordimap/internal/netnstest"
)

// serve answers every connection of ln until it is closed: reqBytes in,
// respBytes out.
func serve(t *testing.T, ln net.Listener) { netnstest.Serve(t, ln, reqBytes, respBytes) }

// request sends one request from b to addr and reads the whole answer.
func request(t *testing.T, b netnsHost, addr string) {
	t.Helper()
	netnstest.Request(t, b, addr, reqBytes, respBytes)
}

// kernelTotals sums the kernel's counters of the flows whose client or
// server is in the pair's subnet, by side and server address:port.
func kernelTotals(t *testing.T, r *flowsReceiver, subnet string) map[string]counters {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	entries, err := r.tracer.flows()
	require.NoError(t, err)
	out := map[string]counters{}
	for _, e := range entries {
		if !strings.HasPrefix(e.key.client.String(), subnet+".") && !strings.HasPrefix(e.key.server.String(), subnet+".") {
			continue
		}
		k := e.key.side.String() + " " + netip.AddrPortFrom(e.key.server, e.key.port).String()
		out[k] = out[k].add(e.counters)
	}
	return out
}

// waitKernel waits until the kernel has counted what the workload did.
func waitKernel(t *testing.T, r *flowsReceiver, subnet string, done func(map[string]counters) bool) map[string]counters {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := kernelTotals(t, r, subnet)
		if done(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the kernel did not count the workload: %+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func serverModeConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ScopeID = "flows-test-scope"
	cfg.DataSourceID = "flows-golden"
	cfg.CollectionInterval = time.Hour // the tests collect by hand
	return cfg
}

// TestServerMode runs connections between two network namespaces and
// checks the edges, their direction, counts and bytes, the failed
// connects, the entities and the metrics.
func TestServerMode(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	run := start(t, "server", serverModeConfig(), nil)
	// tp_btf works on every kernel the tests run on (5.11+ with BTF);
	// falling back to raw tracepoints would cost speed, so it is an error.
	require.Equal(t, attachTPBTF, run.r.tracer.mode, "tp_btf refused: %v", run.r.tracer.fallbackReason)
	require.Eventually(t, func() bool { return run.host.Last().Status() == componentstatus.StatusOK }, 30*time.Second, 10*time.Millisecond,
		"status: %v %v", run.host.Last().Status(), run.host.Last().Err())

	// Listening after start: the programs see listen().
	serve(t, p.A.Listen(t, serverPort))
	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	closed := netip.AddrPortFrom(p.A.Addr, closedPort).String()
	blackhole := netip.AddrPortFrom(p.Unassigned, serverPort).String()
	for range goodConns {
		request(t, p.B, server)
	}
	for range refused {
		_, err := p.B.Dial(closed, 5*time.Second)
		require.ErrorContains(t, err, "connection refused")
	}
	// Nobody answers ARP for this address: the connect times out.
	_, err := p.B.Dial(blackhole, 200*time.Millisecond)
	require.Error(t, err)

	got := waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == goodConns && c["server "+server].closed == goodConns &&
			c["client "+closed].failed == refused && c["client "+blackhole].failed == 1
	})
	t.Logf("kernel: %+v", got)

	batch := collectBatch(t, run)

	// The test binary serves in a and connects from b: two processes of
	// one program, client → server; the server end's entry is the same
	// pair and is not reported again.
	hostID, serverID, clientID := pairIDs(t, p)
	obs := observations(batch, p.Subnet)
	require.Len(t, obs, 3, "observations: %v", sortedKeys(obs))

	o := obs[clientID+" → "+serverID]
	assertWorkload(t, o)
	assert.Equal(t, "client", o.Attributes[attrSide])

	// The closed port is a's, on this host; the unassigned address is
	// nobody's here: it stays an address.
	assert.Equal(t, int64(refused), obs[clientID+" → "+hostID].FailedConnections)
	assert.Zero(t, obs[clientID+" → "+hostID].Connections)
	assert.Equal(t, int64(1), obs[clientID+" → "+blackhole].FailedConnections)

	// The process entities: the server listens on a's address.
	procs := processStates(batch)
	require.Contains(t, procs, serverID, "processes: %v", sortedKeys(procs))
	require.Contains(t, procs, clientID, "processes: %v", sortedKeys(procs))
	assert.Equal(t, []string{server}, procs[serverID].Addresses())
	assertHostProcessStructural(t, batch, hostID)

	// Golden: the records of the test's flows, with what depends on the
	// machine and the run normalised.
	actual := goldenLogs(t, batch, p)
	file := filepath.Join("testdata", "golden", "server.yaml")
	crawltest.Golden{KeepObservations: true}.Check(t, file, actual)

	// Metrics: cumulative sums per edge.
	ms := run.metrics.AllMetrics()
	require.NotEmpty(t, ms)
	points := metricPoints(ms[len(ms)-1], p.Subnet)
	assert.Equal(t, int64(goodConns), points["coordimap.flow.connections.opened client "+server])
	assert.Equal(t, int64(goodConns), points["coordimap.flow.connections.opened server "+server])
	assert.Equal(t, int64(0), points["coordimap.flow.connections.active client "+server])
	assert.Equal(t, int64(refused), points["coordimap.flow.connections.failed client "+closed])
	assert.Equal(t, int64(1), points["coordimap.flow.connections.failed client "+blackhole])
	assert.InDelta(t, goodConns*reqBytes, points["coordimap.flow.bytes.sent client "+server], goodConns*byteSlack)
	assert.InDelta(t, goodConns*respBytes, points["coordimap.flow.bytes.received server "+server], goodConns*byteSlack)

	// Nothing new: the next collection has no observation for these flows,
	// and the metrics keep their totals.
	require.NoError(t, run.r.collect(context.Background()))
	assert.Empty(t, observations(run.logs.AllLogs()[len(run.logs.AllLogs())-1], p.Subnet))
	ms = run.metrics.AllMetrics()
	assert.Equal(t, int64(goodConns), metricPoints(ms[len(ms)-1], p.Subnet)["coordimap.flow.connections.opened client "+server])
}

// assertWorkload checks the observation of the goodConns requests to
// serverPort.
func assertWorkload(t *testing.T, o entity.Observation) {
	t.Helper()
	assert.Equal(t, int64(goodConns), o.Connections)
	assert.Zero(t, o.FailedConnections)
	assert.InDelta(t, goodConns*reqBytes, o.BytesSent, goodConns*byteSlack)
	assert.InDelta(t, goodConns*respBytes, o.BytesReceived, goodConns*byteSlack)
	assert.Equal(t, int64(serverPort), o.DestinationPort)
	assert.Equal(t, entity.RelEBPFFlow, o.Type)
}

// observations are the batch's coordimap.relationship records of flows
// whose client is in the subnet, by "source → destination".
func observations(ld plog.Logs, subnet string) map[string]entity.Observation {
	out := map[string]entity.Observation{}
	for _, o := range observationList(ld, "") {
		if strings.HasPrefix(o.Attributes[attrClientAddress].(string), subnet+".") {
			out[o.SourceID+" → "+o.DestinationID] = o
		}
	}
	return out
}

// observationList lists them all ("" for every subnet), with their other
// attributes (entity.Record.Observation does not read them back).
func observationList(ld plog.Logs, subnet string) []entity.Observation {
	var out []entity.Observation
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				if rec.Kind() != entity.KindObservation {
					continue
				}
				o := rec.Observation()
				if subnet != "" && !strings.Contains(o.SourceID, subnet+".") && !strings.Contains(o.DestinationID, subnet+".") {
					continue
				}
				o.Attributes = lr.Attributes().AsRaw()
				out = append(out, o)
			}
		}
	}
	return out
}

// metricPoints are the values of the points whose client or server is in
// the subnet, by "<metric> <side> <server>:<port>".
func metricPoints(md pmetric.Metrics, subnet string) map[string]int64 {
	out := map[string]int64{}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				for _, dp := range m.Sum().DataPoints().All() {
					a := dp.Attributes()
					client, _ := a.Get(attrClientAddress)
					server, _ := a.Get(attrServerAddress)
					port, _ := a.Get(attrServerPort)
					sd, _ := a.Get(attrSide)
					if !strings.HasPrefix(client.Str(), subnet+".") && !strings.HasPrefix(server.Str(), subnet+".") {
						continue
					}
					addr := netip.AddrPortFrom(netip.MustParseAddr(server.Str()), uint16(port.Int())).String()
					out[m.Name()+" "+sd.Str()+" "+addr] += dp.IntValue()
				}
			}
		}
	}
	return out
}

// goldenLogs keeps the host, the test's processes and flows, and
// normalises what depends on the machine and the run: hostname, host
// addresses, kernel, machine ID, pids, the subnet, the namespaces' names,
// the test binary's path, first/last seen.
func goldenLogs(t *testing.T, ld plog.Logs, p *netnsPair) plog.Logs {
	t.Helper()
	hostname, err := os.Hostname()
	require.NoError(t, err)
	_, exe := testExecutable(t)
	out := plog.NewLogs()
	ld.CopyTo(out)
	fixStr := func(s string) string {
		if s == hostname {
			return "test-host"
		}
		s = strings.ReplaceAll(s, "-host-"+hostname, "-host-test-host")
		s = strings.ReplaceAll(s, "-process-"+hostname+"-", "-process-test-host-")
		s = strings.ReplaceAll(s, exe, "/test/flowsreceiver.test")
		s = strings.ReplaceAll(s, filepath.Base(exe), "flowsreceiver.test")
		s = strings.ReplaceAll(s, p.A.Name, "netns-a")
		s = strings.ReplaceAll(s, p.B.Name, "netns-b")
		return strings.ReplaceAll(s, p.Subnet+".", "10.200.7.")
	}
	var fix func(k string, v pcommon.Value)
	fix = func(k string, v pcommon.Value) {
		switch k {
		case "addresses":
			if v.Type() == pcommon.ValueTypeSlice {
				v.SetEmptySlice()
				return
			}
		case "kernel_release":
			v.SetStr("<kernel>")
			return
		case "machine_id":
			v.SetStr("<machine-id>")
			return
		case "pids":
			v.SetEmptySlice().AppendEmpty().SetInt(1)
			return
		case attrCommand, "command":
			v.SetStr("test-comm") // 15 bytes of the binary's name
			return
		case entity.AttrRelFirstSeen, entity.AttrRelLastSeen:
			v.SetInt(0)
			return
		}
		switch v.Type() {
		case pcommon.ValueTypeStr:
			v.SetStr(fixStr(v.Str()))
		case pcommon.ValueTypeMap:
			for mk, mv := range v.Map().All() {
				fix(mk, mv)
			}
		case pcommon.ValueTypeSlice:
			for _, e := range v.Slice().All() {
				fix("", e)
			}
		}
	}
	for _, rl := range out.ResourceLogs().All() {
		for k, v := range rl.Resource().Attributes().All() {
			fix(k, v)
		}
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				rec := entity.View(lr)
				switch rec.Kind() {
				case entity.KindState:
					return rec.Type() == internalid.TypeProcess &&
						!strings.Contains(rec.InternalID(), p.A.Name) && !strings.Contains(rec.InternalID(), p.B.Name)
				case entity.KindObservation:
					client, _ := lr.Attributes().Get(attrClientAddress)
					return !strings.HasPrefix(client.Str(), p.Subnet+".")
				}
				return true
			})
			for _, lr := range sl.LogRecords().All() {
				lr.SetTimestamp(0)
				lr.SetObservedTimestamp(0)
				for k, v := range lr.Attributes().All() {
					fix(k, v)
				}
				fix("", lr.Body())
			}
		}
	}
	// The host's addresses in the description list are machine-specific.
	for _, rl := range out.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				if d, ok := lr.Attributes().Get(entity.AttrEntityDescription); ok {
					if a, ok := d.Map().Get(entity.KeyAddresses); ok && entity.View(lr).Type() == internalid.TypeHost {
						a.SetEmptySlice()
					}
				}
			}
		}
	}
	return out
}

// dropIngress drops every packet that reaches h's end of the veth, until
// the returned function is called: a tcx program that returns
// TC_ACT_SHOT.
func dropIngress(t *testing.T, h netnsHost) (restore func()) {
	t.Helper()
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type:         ebpf.SchedCLS,
		License:      "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 2), asm.Return()}, // TC_ACT_SHOT
	})
	require.NoError(t, err)
	var l link.Link
	err = nsutil.Do(h.Path, func() error {
		iface, err := net.InterfaceByName(h.Dev)
		if err != nil {
			return err
		}
		l, err = link.AttachTCX(link.TCXOptions{Interface: iface.Index, Program: prog, Attach: ebpf.AttachTCXIngress})
		return err
	})
	if err != nil {
		prog.Close()
		unavailable(t, fmt.Errorf("tcx: %w", err))
	}
	var once sync.Once
	restore = func() {
		once.Do(func() {
			_ = l.Close()
			_ = prog.Close()
		})
	}
	t.Cleanup(restore)
	return restore
}

// Segments lost on the way are retransmitted and counted on the edge.
func TestRetransmits(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	run := start(t, "retransmits", serverModeConfig(), nil)
	serve(t, p.A.Listen(t, serverPort))
	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	c, err := p.B.Dial(server, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()

	restore := dropIngress(t, p.A)
	_, err = c.Write(make([]byte, reqBytes))
	require.NoError(t, err)
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool { return c["client "+server].retransmits >= 1 })
	restore()
	got, err := io.ReadAll(c)
	require.NoError(t, err)
	require.Len(t, got, respBytes)
	require.NoError(t, c.Close())
	totals := waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool { return c["client "+server].closed == 1 })
	assert.GreaterOrEqual(t, totals["client "+server].retransmits, uint64(1))

	require.NoError(t, run.r.collect(context.Background()))
	ms := run.metrics.AllMetrics()
	assert.GreaterOrEqual(t, metricPoints(ms[len(ms)-1], p.Subnet)["coordimap.flow.retransmits client "+server], int64(1))
	lds := run.logs.AllLogs()
	o := observations(lds[len(lds)-1], p.Subnet)
	for k, v := range o {
		if strings.HasSuffix(k, server) {
			assert.GreaterOrEqual(t, v.Attributes[attrRetransmits], int64(1), k)
		}
	}
}

// An open connection is active until it closes; its edge is reported every
// collection meanwhile.
func TestActiveConnections(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	run := start(t, "active", serverModeConfig(), nil)
	serve(t, p.A.Listen(t, serverPort))
	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	c, err := p.B.Dial(server, 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].opened == 1 && c["server "+server].opened == 1
	})
	activeOf := func() (logs map[string]any, metrics map[string]int64) {
		require.NoError(t, run.r.collect(context.Background()))
		lds, ms := run.logs.AllLogs(), run.metrics.AllMetrics()
		logs = map[string]any{}
		for k, o := range observations(lds[len(lds)-1], p.Subnet) {
			logs[k] = o.Attributes[attrActive]
		}
		return logs, metricPoints(ms[len(ms)-1], p.Subnet)
	}
	for range 2 {
		logs, metrics := activeOf()
		assert.Len(t, logs, 1, "client → server, once")
		for k, v := range logs {
			assert.Equal(t, int64(1), v, k)
		}
		assert.Equal(t, int64(1), metrics["coordimap.flow.connections.active client "+server])
		assert.Equal(t, int64(1), metrics["coordimap.flow.connections.active server "+server])
	}
	_, err = c.Write(make([]byte, reqBytes))
	require.NoError(t, err)
	_, err = io.ReadAll(c)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == 1 && c["server "+server].closed == 1
	})
	logs, metrics := activeOf()
	for k, v := range logs {
		assert.Equal(t, int64(0), v, k)
	}
	assert.Equal(t, int64(0), metrics["coordimap.flow.connections.active client "+server])
	assert.Equal(t, int64(1), metrics["coordimap.flow.connections.opened client "+server])
}

// TestKubernetesMode runs the same workload with the namespaces' addresses
// given to two pods and a service of a (fake) cluster: the edges join pod
// IDs in the cluster's scope, client → server.
func TestKubernetesMode(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	svcIP := p.Subnet + ".100" // a ClusterIP nothing answers on
	client := fake.NewClientset(
		kubeSystem(clusterUID),
		pod("shop", "server-0", corev1.PodRunning, p.A.Addr.String()),
		pod("shop", "client-0", corev1.PodRunning, p.B.Addr.String()),
		&corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "backend"},
			Spec:       corev1.ServiceSpec{ClusterIP: svcIP, ClusterIPs: []string{svcIP}},
		},
	)
	cfg := createDefaultConfig().(*Config)
	cfg.DeployedAt = DeployedAtKubernetes
	cfg.ExternalMappings = []string{"*@" + clusterUID}
	cfg.DataSourceID = "flows-kube"
	cfg.CollectionInterval = time.Hour
	run := start(t, "kube", cfg, func(r *flowsReceiver) { r.newKube = func() (kubeClient, error) { return client, nil } })
	require.Eventually(t, func() bool { return run.host.Last().Status() == componentstatus.StatusOK }, 30*time.Second, 10*time.Millisecond)

	serve(t, p.A.Listen(t, serverPort))
	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	for range goodConns {
		request(t, p.B, server)
	}
	_, err := p.B.Dial(netip.AddrPortFrom(netip.MustParseAddr(svcIP), serverPort).String(), 200*time.Millisecond)
	require.Error(t, err)
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == goodConns && c["server "+server].closed == goodConns &&
			c["client "+svcIP+":8080"].failed == 1
	})
	n := len(run.logs.AllLogs())
	require.NoError(t, run.r.collect(context.Background()))
	batch := run.logs.AllLogs()[n]

	serverPod, clientPod := podID("shop", "server-0"), podID("shop", "client-0")
	svc := clusterUID + "-shop-kubernetes.service-backend"
	got := map[string]entity.Observation{}
	for _, o := range observationList(batch, "") {
		if strings.Contains(o.SourceID, "kubernetes.pod-client-0") {
			got[o.SourceID+" → "+o.DestinationID+" "+o.Attributes[attrSide].(string)] = o
		}
	}
	require.Len(t, got, 3, "%v", got)
	for _, side := range []string{"client", "server"} {
		o := got[clientPod+" → "+serverPod+" "+side]
		assert.Equal(t, int64(goodConns), o.Connections, side)
		assert.Equal(t, int64(serverPort), o.DestinationPort)
		assert.Equal(t, entity.ExternalBothSides, o.External, "pods belong to the kubernetes data source")
		assert.Equal(t, entity.RelEBPFFlow, o.Type)
		assert.InDelta(t, goodConns*reqBytes, o.BytesSent, goodConns*byteSlack)
	}
	assert.Equal(t, int64(1), got[clientPod+" → "+svc+" client"].FailedConnections)

	// Resource: the cluster's scope.
	res := batch.ResourceLogs().At(0).Resource().Attributes()
	scope, _ := res.Get(entity.AttrScopeID)
	assert.Equal(t, clusterUID, scope.Str())
	uid, _ := res.Get(attrClusterUID)
	assert.Equal(t, clusterUID, uid.Str())
	for _, rec := range records(batch) {
		assert.Equal(t, entity.KindObservation, rec.Kind(), "kubernetes mode emits no entities")
	}

	actual := plog.NewLogs()
	batch.CopyTo(actual)
	for _, rl := range actual.ResourceLogs().All() {
		for k, v := range rl.Resource().Attributes().All() {
			if k == attrHostName {
				v.SetStr("test-host")
			}
		}
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				o := entity.View(lr).Observation()
				return !strings.Contains(o.SourceID, "kubernetes.pod-client-0")
			})
			for _, lr := range sl.LogRecords().All() {
				lr.SetTimestamp(0)
				lr.SetObservedTimestamp(0)
				for k, v := range lr.Attributes().All() {
					switch k {
					case entity.AttrRelFirstSeen, entity.AttrRelLastSeen:
						v.SetInt(0)
					case attrClientAddress, attrServerAddress:
						v.SetStr(strings.ReplaceAll(v.Str(), p.Subnet+".", "10.200.7."))
					case attrProcess:
						v.SetStr("flowsreceiver.test") // the test binary's name varies
					}
				}
			}
		}
	}
	file := filepath.Join("testdata", "golden", "kubernetes.yaml")
	crawltest.Golden{KeepObservations: true}.Check(t, file, actual)

	ms := run.metrics.AllMetrics()
	points := metricPoints(ms[len(ms)-1], p.Subnet)
	assert.Equal(t, int64(goodConns), points["coordimap.flow.connections.opened client "+server])
	assert.Equal(t, int64(1), points["coordimap.flow.connections.failed client "+svcIP+":8080"])
}

// A program that stops listening (and serving) is deleted.
func TestProcessDeleted(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	run := start(t, "deleted", serverModeConfig(), nil)
	ln := p.A.Listen(t, serverPort)
	serve(t, ln)
	request(t, p.B, netip.AddrPortFrom(p.A.Addr, serverPort).String())
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["server "+netip.AddrPortFrom(p.A.Addr, serverPort).String()].closed == 1
	})
	_, procID, _ := pairIDs(t, p)
	kinds := func() map[entity.Kind]bool {
		require.NoError(t, run.r.collect(context.Background()))
		lds := run.logs.AllLogs()
		out := map[entity.Kind]bool{}
		for _, rec := range records(lds[len(lds)-1]) {
			if rec.InternalID() == procID {
				out[rec.Kind()] = true
			}
		}
		return out
	}
	assert.Equal(t, map[entity.Kind]bool{entity.KindState: true}, kinds())
	require.NoError(t, ln.Close())
	waitListenersGone(t, run.r, p.A.Netns)
	assert.Equal(t, map[entity.Kind]bool{entity.KindDelete: true}, kinds())
	assert.Empty(t, kinds(), "deleted once")
}

// waitListenersGone waits until the kernel forgot the listeners of a
// network namespace.
func waitListenersGone(t *testing.T, r *flowsReceiver, netns uint32) {
	t.Helper()
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		ls, err := r.tracer.listeners()
		require.NoError(t, err)
		for _, l := range ls {
			if l.netns == netns {
				return false
			}
		}
		return true
	}, 10*time.Second, 10*time.Millisecond)
}
