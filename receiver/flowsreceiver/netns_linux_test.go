package flowsreceiver

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// netnsPair is two network namespaces joined by a veth pair: a two-host
// network on one machine. Addresses exist only inside the namespaces, so
// nothing on the machine changes. The namespaces go at cleanup.
type netnsPair struct {
	// a serves, b connects; each has one address on the veth.
	a, b       netnsHost
	subnet     string // "10.200.<n>"
	unassigned netip.Addr
}

type netnsHost struct {
	name  string
	path  string // /run/netns/<name>
	dev   string // its end of the veth
	addr  netip.Addr
	netns uint32 // inode, as the kernel reports it
}

// newNetnsPair creates the namespaces, or ends the test when it cannot
// (a skip locally, a failure under CI=true).
func newNetnsPair(t *testing.T) *netnsPair {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, fmt.Errorf("network namespaces need root (euid %d)", os.Geteuid()))
	}
	if _, err := exec.LookPath("ip"); err != nil {
		unavailable(t, fmt.Errorf("iproute2 is not installed: %w", err))
	}
	// Distinct per process so that concurrent test binaries do not share
	// addresses (the tracepoint sees every namespace).
	n := os.Getpid()%200 + 20
	suffix := fmt.Sprintf("%d%d", os.Getpid(), time.Now().UnixNano()%1000)
	p := &netnsPair{
		subnet:     fmt.Sprintf("10.200.%d", n),
		a:          netnsHost{name: "cmfa" + suffix, dev: "va" + suffix},
		b:          netnsHost{name: "cmfb" + suffix, dev: "vb" + suffix},
		unassigned: netip.MustParseAddr(fmt.Sprintf("10.200.%d.3", n)),
	}
	if len(p.a.dev) > 15 {
		p.a.dev, p.b.dev = p.a.dev[:15], p.b.dev[:15]
	}
	p.a.addr = netip.MustParseAddr(p.subnet + ".1")
	p.b.addr = netip.MustParseAddr(p.subnet + ".2")
	t.Cleanup(func() {
		for _, h := range []netnsHost{p.a, p.b} {
			if out, err := exec.Command("ip", "netns", "del", h.name).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
				t.Logf("ip netns del %s: %v: %s", h.name, err, out)
			}
		}
	})
	run := func(args ...string) {
		t.Helper()
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			unavailable(t, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out))
		}
	}
	run("netns", "add", p.a.name)
	run("netns", "add", p.b.name)
	run("-n", p.a.name, "link", "add", p.a.dev, "type", "veth", "peer", "name", p.b.dev, "netns", p.b.name)
	for _, h := range []*netnsHost{&p.a, &p.b} {
		run("-n", h.name, "addr", "add", h.addr.String()+"/24", "dev", h.dev)
		run("-n", h.name, "link", "set", h.dev, "up")
		run("-n", h.name, "link", "set", "lo", "up")
		h.path = filepath.Join("/run/netns", h.name)
		var st syscall.Stat_t
		require.NoError(t, syscall.Stat(h.path, &st))
		h.netns = uint32(st.Ino)
	}
	return p
}

// listen opens a TCP listener in the namespace of h.
func (h netnsHost) listen(t *testing.T, port int) net.Listener {
	t.Helper()
	var ln net.Listener
	require.NoError(t, inNetns(h.path, func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(h.addr, uint16(port)).String())
		return err
	}))
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// dial connects from the namespace of h (the socket is made there and
// stays there).
func (h netnsHost) dial(addr string, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := inNetns(h.path, func() error {
		d := net.Dialer{Timeout: timeout}
		var err error
		conn, err = d.DialContext(context.Background(), "tcp4", addr)
		return err
	})
	return conn, err
}
