package bpf

import (
	"bytes"
	"errors"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The state machine of flows.c, driven with BPF_PROG_TEST_RUN through the
// test programs: they run the same handlers as the attached programs but
// take the socket's fields from the test_sk map, so each case sets the
// fields, "changes the state" of a made-up socket address and reads the
// maps back.

const (
	tcpEstablished = 1
	tcpSynSent     = 2
	tcpSynRecv     = 3
	tcpFinWait1    = 4
	tcpClose       = 7
	tcpCloseWait   = 8
	tcpLastAck     = 9
	tcpListen      = 10

	afInet       = 2
	afInet6      = 10
	ipprotoTCP   = 6
	ipprotoMPTCP = 262
)

type testObjects struct {
	State      *ebpf.Program `ebpf:"test_state"`
	Retransmit *ebpf.Program `ebpf:"test_retransmit"`
	Flows      *ebpf.Map     `ebpf:"flows"`
	Socks      *ebpf.Map     `ebpf:"socks"`
	Listeners  *ebpf.Map     `ebpf:"listeners"`
	Stats      *ebpf.Map     `ebpf:"stats"`
	TestSk     *ebpf.Map     `ebpf:"test_sk"`
}

func (o *testObjects) close() {
	for _, c := range []interface{ Close() error }{o.State, o.Retransmit, o.Flows, o.Socks, o.Listeners, o.Stats, o.TestSk} {
		if c != nil {
			_ = c.Close()
		}
	}
}

// unavailable ends a test that cannot load BPF: a skip locally, a failure
// under CI=true (the CI machine runs as root).
func unavailable(tb testing.TB, err error) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("BPF is required under CI=true: %v", err)
	}
	tb.Skipf("BPF unavailable (run as root): %v", err)
}

// load loads the test programs and their maps; filter sets interface_name's
// constants (ifindex 0: no filter).
func load(t *testing.T, filterIfindex, filterNetns uint32) *testObjects {
	t.Helper()
	spec, err := LoadFlows()
	require.NoError(t, err)
	require.NoError(t, spec.Variables[FlowsVarFilterIfindex].Set(filterIfindex))
	require.NoError(t, spec.Variables[FlowsVarFilterNetns].Set(filterNetns))
	var objs testObjects
	if err := spec.LoadAndAssign(&objs, nil); err != nil {
		if errors.Is(err, syscall.EPERM) {
			unavailable(t, err)
		}
		require.NoError(t, err)
	}
	t.Cleanup(objs.close)
	return &objs
}

func addr16(s string) [16]uint8 { return netip.MustParseAddr(s).As16() }

func v4(s string) [16]uint8 { return netip.AddrFrom4(netip.MustParseAddr(s).As4()).As16() }

// sock is a made-up socket: its address and fields.
type sock struct {
	id     uint64
	fields FlowsSkFields
}

func tcp4(id uint64, saddr string, sport uint16, daddr string, dport uint16) *sock {
	return &sock{id: id, fields: FlowsSkFields{
		Saddr: v4(saddr), Daddr: v4(daddr), Sport: sport, Dport: dport,
		Family: afInet, Protocol: ipprotoTCP, Netns: 4026531840, Ifindex: 2,
	}}
}

func (o *testObjects) set(t *testing.T, s *sock, oldState, newState int) {
	t.Helper()
	require.NoError(t, o.TestSk.Put(uint32(0), s.fields))
	ret, err := o.State.Run(&ebpf.RunOptions{Context: [3]uint64{s.id, uint64(oldState), uint64(newState)}})
	require.NoError(t, err)
	require.Zero(t, ret)
}

func (o *testObjects) retransmit(t *testing.T, s *sock) {
	t.Helper()
	_, err := o.Retransmit.Run(&ebpf.RunOptions{Context: [3]uint64{s.id, 0, 0}})
	require.NoError(t, err)
}

func (o *testObjects) flows(t *testing.T) map[FlowsFlowKey]FlowsFlowVal {
	t.Helper()
	out := map[FlowsFlowKey]FlowsFlowVal{}
	var k FlowsFlowKey
	var v FlowsFlowVal
	it := o.Flows.Iterate()
	for it.Next(&k, &v) {
		out[k] = v
	}
	require.NoError(t, it.Err())
	return out
}

func (o *testObjects) socks(t *testing.T) int {
	t.Helper()
	n := 0
	var k uint64
	var v FlowsSockState
	it := o.Socks.Iterate()
	for it.Next(&k, &v) {
		n++
	}
	require.NoError(t, it.Err())
	return n
}

// self is what the kernel reports for the test process.
type self struct {
	pid    uint32
	cgroup uint64
	comm   string
}

func current(t *testing.T) self {
	t.Helper()
	comm, err := os.ReadFile("/proc/thread-self/comm")
	require.NoError(t, err)
	return self{pid: uint32(os.Getpid()), cgroup: cgroupID(t), comm: strings.TrimSpace(string(comm))}
}

// cgroupID is the cgroup v2 ID of the test process: the inode of its
// cgroup's directory in the v2 hierarchy.
func cgroupID(t *testing.T) uint64 {
	t.Helper()
	raw, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	for _, line := range strings.Split(string(raw), "\n") {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			for _, root := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
				var st syscall.Stat_t
				if syscall.Stat(root+path, &st) == nil && isCgroup2(root) {
					return st.Ino
				}
			}
		}
	}
	t.Fatal("no cgroup v2 hierarchy")
	return 0
}

func isCgroup2(dir string) bool {
	var fs syscall.Statfs_t
	return syscall.Statfs(dir, &fs) == nil && fs.Type == 0x63677270 // CGROUP2_SUPER_MAGIC
}

func commString(c [16]int8) string {
	b := make([]byte, 0, len(c))
	for _, x := range c {
		if x == 0 {
			break
		}
		b = append(b, byte(x))
	}
	return string(b)
}

func TestClientConnection(t *testing.T) {
	o := load(t, 0, 0)
	me := current(t)
	s := tcp4(0xffff888000001000, "10.200.0.2", 0, "10.200.0.1", 5432)

	o.set(t, s, tcpClose, tcpSynSent)
	require.Equal(t, 1, o.socks(t))
	assert.Empty(t, o.flows(t), "nothing is counted before the handshake completes")

	s.fields.Sport = 40000 // assigned after SYN_SENT
	o.set(t, s, tcpSynSent, tcpEstablished)
	o.set(t, s, tcpEstablished, tcpFinWait1) // ignored
	o.retransmit(t, s)
	s.fields.BytesAcked, s.fields.BytesReceived = 1000, 250
	o.set(t, s, tcpFinWait1, tcpClose)

	key := FlowsFlowKey{
		Client: v4("10.200.0.2"), Server: v4("10.200.0.1"), Port: 5432,
		Side: uint8(FlowsFlowSideSIDE_CLIENT), Netns: 4026531840, Cgroup: me.cgroup,
	}
	got := o.flows(t)
	require.Contains(t, got, key, "flows: %+v", got)
	v := got[key]
	assert.Equal(t, uint64(1), v.Opened)
	assert.Equal(t, uint64(1), v.Closed)
	assert.Equal(t, uint64(0), v.Failed)
	assert.Equal(t, uint64(1), v.Retransmits)
	assert.Equal(t, uint64(1000), v.BytesSent)
	assert.Equal(t, uint64(250), v.BytesReceived)
	assert.Equal(t, me.pid, v.Pid)
	assert.Equal(t, me.comm, commString(v.Comm))
	assert.NotZero(t, v.LastNs)
	assert.Zero(t, o.socks(t), "the socket is forgotten at close")
}

func TestFailedConnect(t *testing.T) {
	o := load(t, 0, 0)
	s := tcp4(0xffff888000002000, "10.200.0.2", 0, "10.200.0.1", 9)
	o.set(t, s, tcpClose, tcpSynSent)
	o.retransmit(t, s) // SYN retransmits, before the flow is known
	o.retransmit(t, s)
	o.set(t, s, tcpSynSent, tcpClose)

	got := o.flows(t)
	require.Len(t, got, 1)
	for k, v := range got {
		assert.Equal(t, v4("10.200.0.2"), k.Client)
		assert.Equal(t, v4("10.200.0.1"), k.Server)
		assert.Equal(t, uint16(9), k.Port)
		assert.Equal(t, uint8(FlowsFlowSideSIDE_CLIENT), k.Side)
		assert.Equal(t, uint64(1), v.Failed)
		assert.Equal(t, uint64(0), v.Opened)
		assert.Equal(t, uint64(0), v.Closed)
		assert.Equal(t, uint64(2), v.Retransmits)
	}
	assert.Zero(t, o.socks(t))
}

// A connect that started before the programs were attached is counted at
// ESTABLISHED, without a process.
func TestConnectBeforeAttach(t *testing.T) {
	o := load(t, 0, 0)
	s := tcp4(0xffff888000003000, "10.0.0.2", 40001, "10.0.0.1", 443)
	o.set(t, s, tcpSynSent, tcpEstablished)
	o.set(t, s, tcpEstablished, tcpClose)
	got := o.flows(t)
	require.Len(t, got, 1)
	for k, v := range got {
		assert.Zero(t, k.Cgroup)
		assert.Zero(t, v.Pid)
		assert.Equal(t, uint64(1), v.Opened)
		assert.Equal(t, uint64(1), v.Closed)
	}
	// A socket closed without having been seen is ignored.
	o.set(t, tcp4(0xffff888000003100, "10.0.0.2", 40002, "10.0.0.1", 443), tcpEstablished, tcpClose)
	assert.Len(t, o.flows(t), 1)
}

func TestServerConnection(t *testing.T) {
	o := load(t, 0, 0)
	me := current(t)
	listener := tcp4(0xffff888000004000, "0.0.0.0", 8080, "0.0.0.0", 0)
	o.set(t, listener, tcpClose, tcpListen)

	var lv FlowsListenVal
	require.NoError(t, o.Listeners.Lookup(FlowsListenKey{Netns: 4026531840, Port: 8080}, &lv))
	assert.Equal(t, me.pid, lv.Pid)
	assert.Equal(t, listener.id, lv.Sk)

	child := tcp4(0xffff888000004100, "10.200.0.1", 8080, "10.200.0.2", 40000)
	o.set(t, child, tcpClose, tcpSynRecv) // ignored
	o.set(t, child, tcpSynRecv, tcpEstablished)
	o.set(t, child, tcpEstablished, tcpCloseWait)
	o.set(t, child, tcpCloseWait, tcpLastAck)
	child.fields.BytesAcked, child.fields.BytesReceived = 4096, 17
	o.set(t, child, tcpLastAck, tcpClose)

	key := FlowsFlowKey{
		Client: v4("10.200.0.2"), Server: v4("10.200.0.1"), Port: 8080,
		Side: uint8(FlowsFlowSideSIDE_SERVER), Netns: 4026531840, Cgroup: me.cgroup,
	}
	got := o.flows(t)
	require.Contains(t, got, key, "flows: %+v", got)
	v := got[key]
	assert.Equal(t, uint64(1), v.Opened)
	assert.Equal(t, uint64(1), v.Closed)
	assert.Equal(t, uint64(17), v.BytesSent, "client to server: what the server received")
	assert.Equal(t, uint64(4096), v.BytesReceived, "server to client: what the client acknowledged")
	assert.Equal(t, me.pid, v.Pid)
	assert.Equal(t, me.comm, commString(v.Comm))

	// Another socket on the same port (SO_REUSEPORT) took the entry: the
	// first one closing leaves it.
	other := tcp4(0xffff888000004200, "0.0.0.0", 8080, "0.0.0.0", 0)
	o.set(t, other, tcpClose, tcpListen)
	o.set(t, listener, tcpListen, tcpClose)
	require.NoError(t, o.Listeners.Lookup(FlowsListenKey{Netns: 4026531840, Port: 8080}, &lv))
	assert.Equal(t, other.id, lv.Sk)
	o.set(t, other, tcpListen, tcpClose)
	require.ErrorIs(t, o.Listeners.Lookup(FlowsListenKey{Netns: 4026531840, Port: 8080}, &lv), ebpf.ErrKeyNotExist)

	// Accepted without a known listener: no process.
	orphan := tcp4(0xffff888000004300, "10.200.0.1", 8081, "10.200.0.2", 40001)
	o.set(t, orphan, tcpSynRecv, tcpEstablished)
	got = o.flows(t)
	key.Port, key.Cgroup = 8081, 0
	require.Contains(t, got, key)
	assert.Zero(t, got[key].Pid)
}

func TestRetransmitsAfterEstablished(t *testing.T) {
	o := load(t, 0, 0)
	s := tcp4(0xffff888000005000, "10.200.0.2", 0, "10.200.0.1", 80)
	o.set(t, s, tcpClose, tcpSynSent)
	o.set(t, s, tcpSynSent, tcpEstablished)
	for range 3 {
		o.retransmit(t, s)
	}
	o.retransmit(t, tcp4(0xffff888000005100, "1.1.1.1", 1, "2.2.2.2", 2)) // unknown socket
	got := o.flows(t)
	require.Len(t, got, 1)
	for _, v := range got {
		assert.Equal(t, uint64(3), v.Retransmits)
		assert.Equal(t, uint64(1), v.Opened)
		assert.Equal(t, uint64(0), v.Closed, "still open")
	}
	assert.Equal(t, 1, o.socks(t))
}

func TestIPv6AndMapped(t *testing.T) {
	o := load(t, 0, 0)
	s := &sock{id: 0xffff888000006000, fields: FlowsSkFields{
		Saddr: addr16("fd00::2"), Daddr: addr16("fd00::1"), Dport: 443,
		Family: afInet6, Protocol: ipprotoTCP, Netns: 1,
	}}
	o.set(t, s, tcpClose, tcpSynSent)
	o.set(t, s, tcpSynSent, tcpEstablished)
	// A dual-stack socket talking IPv4: the kernel holds ::ffff:a.b.c.d.
	m := &sock{id: 0xffff888000006100, fields: FlowsSkFields{
		Saddr: addr16("::ffff:10.0.0.2"), Daddr: addr16("::ffff:10.0.0.1"), Dport: 443,
		Family: afInet6, Protocol: ipprotoTCP, Netns: 1,
	}}
	o.set(t, m, tcpClose, tcpSynSent)
	o.set(t, m, tcpSynSent, tcpEstablished)

	var clients []string
	for k := range o.flows(t) {
		clients = append(clients, netip.AddrFrom16(k.Client).Unmap().String()+" -> "+
			netip.AddrPortFrom(netip.AddrFrom16(k.Server).Unmap(), k.Port).String())
	}
	assert.ElementsMatch(t, []string{"fd00::2 -> [fd00::1]:443", "10.0.0.2 -> 10.0.0.1:443"}, clients)
}

func TestNotTCPIgnored(t *testing.T) {
	o := load(t, 0, 0)
	s := tcp4(0xffff888000007000, "10.0.0.2", 0, "10.0.0.1", 80)
	s.fields.Protocol = ipprotoMPTCP
	o.set(t, s, tcpClose, tcpSynSent)
	o.set(t, s, tcpSynSent, tcpEstablished)
	s.fields.Protocol, s.fields.Family = ipprotoTCP, 1 // AF_UNIX cannot happen, but is not inet
	o.set(t, s, tcpClose, tcpSynSent)
	assert.Empty(t, o.flows(t))
	assert.Zero(t, o.socks(t))
}

// interface_name: only sockets routed through the device count.
func TestInterfaceFilter(t *testing.T) {
	const netns, ifindex = 4026532000, 7
	o := load(t, ifindex, netns)
	connect := func(id uint64, ns uint32, ifx int32, fail bool) {
		s := tcp4(id, "10.1.0.2", 0, "10.1.0.1", 80)
		s.fields.Netns, s.fields.Ifindex = ns, ifx
		s.fields.Daddr = v4("10.1.0." + strconv.Itoa(int(id&0xff)))
		o.set(t, s, tcpClose, tcpSynSent)
		if fail {
			o.set(t, s, tcpSynSent, tcpClose)
			return
		}
		o.set(t, s, tcpSynSent, tcpEstablished)
		o.set(t, s, tcpEstablished, tcpClose)
	}
	connect(0x10, netns, ifindex, false)   // counted
	connect(0x11, netns, ifindex+1, false) // another device
	connect(0x12, netns+1, ifindex, false) // same ifindex, another namespace
	connect(0x13, netns, ifindex, true)    // failed through the device: counted
	connect(0x14, netns, 0, true)          // failed without a route
	got := o.flows(t)
	var servers []string
	for k := range got {
		servers = append(servers, netip.AddrFrom16(k.Server).Unmap().String())
	}
	assert.ElementsMatch(t, []string{"10.1.0.16", "10.1.0.19"}, servers)
	assert.Zero(t, o.socks(t), "filtered sockets are not followed")

	// The server side of an accepted connection is filtered the same way.
	child := tcp4(0x20, "10.1.0.1", 80, "10.1.0.2", 40000)
	child.fields.Netns, child.fields.Ifindex = netns, ifindex+1
	o.set(t, child, tcpSynRecv, tcpEstablished)
	assert.Len(t, o.flows(t), 2)
	assert.Zero(t, o.socks(t))
}

func TestStatsSocksFull(t *testing.T) {
	spec, err := LoadFlows()
	require.NoError(t, err)
	spec.Maps[FlowsMapSocks].MaxEntries = 2
	var o testObjects
	if err := spec.LoadAndAssign(&o, nil); err != nil {
		unavailable(t, err)
	}
	defer o.close()
	for i := range 3 {
		o.set(t, tcp4(uint64(0x100+i), "10.0.0.2", 0, "10.0.0.1", 80), tcpClose, tcpSynSent)
	}
	var perCPU []uint64
	require.NoError(t, o.Stats.Lookup(uint32(FlowsStatSTAT_SOCKS_FULL), &perCPU))
	var sum uint64
	for _, v := range perCPU {
		sum += v
	}
	assert.Equal(t, uint64(1), sum)
}

// The committed object holds the programs the receiver loads.
func TestObjectHasPrograms(t *testing.T) {
	spec, err := LoadFlows()
	require.NoError(t, err)
	for _, name := range []string{FlowsProgTpBtfState, FlowsProgTpBtfRetransmit, FlowsProgRawTpState, FlowsProgRawTpRetransmit} {
		require.Contains(t, spec.Programs, name)
	}
	assert.Equal(t, "inet_sock_set_state", spec.Programs[FlowsProgTpBtfState].AttachTo)
	assert.Equal(t, "tcp_retransmit_skb", spec.Programs[FlowsProgRawTpRetransmit].AttachTo)
	assert.True(t, bytes.HasPrefix(_FlowsBytes, []byte("\x7fELF")))
}
