package flowsreceiver

import (
	"net/netip"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Without CAP_BPF (a process of user nobody) the receiver reports a
// permanent error naming what is missing, and Start returns nil.
func TestUnprivileged(t *testing.T) {
	requireRoot(t)
	bin := helperBinary(t, "flowsnobody")
	cmd := exec.Command(bin, "-test.run=^TestHelperProcess$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=unprivileged")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestHelperProcess")
	assert.Contains(t, string(out), "STATUS: ")
	assert.Contains(t, string(out), "eBPF flows disabled: CAP_BPF missing; CAP_PERFMON missing (run as root, or grant CAP_BPF and CAP_PERFMON)")
}

// Where tp_btf is refused the raw tracepoints do the same work.
func TestRawTracepointFallback(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	run := start(t, "rawtp", serverModeConfig(), func(r *flowsReceiver) { r.forceRawTP = true })
	require.Equal(t, attachRawTP, run.r.tracer.mode)
	serve(t, p.A.Listen(t, serverPort))
	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	for range 2 {
		request(t, p.B, server)
	}
	_, err := p.B.Dial(netip.AddrPortFrom(p.A.Addr, closedPort).String(), 5*time.Second)
	require.Error(t, err)
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == 2 && c["server "+server].closed == 2 &&
			c["client "+netip.AddrPortFrom(p.A.Addr, closedPort).String()].failed == 1
	})
}

// interface_name counts only sockets routed through the device, in the
// device's network namespace: here b's end of the veth, so b's client
// sockets count and a's server sockets (another namespace) do not.
func TestInterfaceName(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	cfg := serverModeConfig()
	cfg.InterfaceName = p.B.Dev
	run := start(t, "iface", cfg, func(r *flowsReceiver) { r.ifaceNetnsPath = p.B.Path })
	serve(t, p.A.Listen(t, serverPort))
	// A server in b on loopback: routed through lo, not counted.
	lo := netnsHost{Name: p.B.Name, Path: p.B.Path, Addr: netip.MustParseAddr("127.0.0.1")}
	serve(t, lo.Listen(t, serverPort))
	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	local := netip.AddrPortFrom(lo.Addr, serverPort).String()
	for range 3 {
		request(t, p.B, server)
		request(t, p.B, local)
	}
	_, err := p.B.Dial(netip.AddrPortFrom(p.A.Addr, closedPort).String(), 5*time.Second)
	require.Error(t, err)
	got := waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == 3 && c["client "+netip.AddrPortFrom(p.A.Addr, closedPort).String()].failed == 1
	})
	assert.Zero(t, got["server "+server], "a's sockets are in another namespace")
	run.r.mu.Lock()
	defer run.r.mu.Unlock()
	entries, err := run.r.tracer.flows()
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotEqual(t, lo.Addr, e.key.server, "loopback flows of b are not routed through %s: %+v", p.B.Dev, e)
	}
}

// A socket that was listening before the receiver started is found in
// /proc: connections to it are attributed to its process.
func TestExistingListener(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	const port = 9090
	addr := netip.AddrPortFrom(p.A.Addr, port).String()
	startHelper(t, p.A, helperBinary(t, "oldserver"), helperEnv+"=serve:"+addr)

	run := start(t, "existing", serverModeConfig(), nil)
	c, err := p.B.Dial(addr, 5*time.Second)
	require.NoError(t, err)
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool { return c["server "+addr].opened == 1 })

	run.r.mu.Lock()
	entries, err := run.r.tracer.flows()
	require.NoError(t, err)
	var pid uint32
	var comm string
	for _, e := range entries {
		if e.key.side == sideServer && e.key.port == port && e.key.server == p.A.Addr {
			pid, comm = e.pid, e.comm
		}
	}
	run.r.mu.Unlock()
	assert.Equal(t, "oldserver", comm)
	assert.NotZero(t, pid)
	assert.NotEqual(t, uint32(os.Getpid()), pid)
}
