package netnstest

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/netns"
	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// Pair is two network namespaces joined by a veth pair. A serves, B
// connects; each has one address on its end of the veth, in Subnet.
type Pair struct {
	A, B Host
	// Subnet is "10.200.<n>": the /24 of both addresses, distinct per
	// process so that concurrent test binaries do not share addresses.
	Subnet string
	// Unassigned is an address of Subnet that no host has.
	Unassigned netip.Addr
}

// Host is one end of a Pair.
type Host struct {
	// Name is the namespace's name (`ip netns`).
	Name string
	// Path is /run/netns/<Name>.
	Path string
	// Dev is the host's end of the veth.
	Dev string
	// Addr is the host's address on Dev.
	Addr netip.Addr
	// Netns is the namespace's inode, as the kernel reports it.
	Netns uint32
}

// Unavailable ends a test that lacks a privilege or tool: a skip locally, a
// failure under CI=true.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	testneed.Unavailable(tb, "A network namespace pair", "run as root with iproute2", err)
}

// New creates the namespaces and the veth pair, or ends the test when it
// cannot (see Unavailable). They are deleted at the test's cleanup.
func New(tb testing.TB) *Pair {
	tb.Helper()
	if os.Geteuid() != 0 {
		Unavailable(tb, fmt.Errorf("network namespaces need root (euid %d)", os.Geteuid()))
	}
	if _, err := exec.LookPath("ip"); err != nil {
		Unavailable(tb, fmt.Errorf("iproute2 is not installed: %w", err))
	}
	n := os.Getpid()%200 + 20
	suffix := fmt.Sprintf("%d%d", os.Getpid(), time.Now().UnixNano()%1000)
	p := &Pair{
		Subnet:     fmt.Sprintf("10.200.%d", n),
		A:          Host{Name: "cmfa" + suffix, Dev: "va" + suffix},
		B:          Host{Name: "cmfb" + suffix, Dev: "vb" + suffix},
		Unassigned: netip.MustParseAddr(fmt.Sprintf("10.200.%d.3", n)),
	}
	if len(p.A.Dev) > 15 {
		p.A.Dev, p.B.Dev = p.A.Dev[:15], p.B.Dev[:15]
	}
	p.A.Addr = netip.MustParseAddr(p.Subnet + ".1")
	p.B.Addr = netip.MustParseAddr(p.Subnet + ".2")
	tb.Cleanup(func() {
		for _, h := range []Host{p.A, p.B} {
			if out, err := exec.Command("ip", "netns", "del", h.Name).CombinedOutput(); err != nil && !strings.Contains(string(out), "No such file") {
				tb.Logf("ip netns del %s: %v: %s", h.Name, err, out)
			}
		}
	})
	run := func(args ...string) {
		tb.Helper()
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			Unavailable(tb, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, out))
		}
	}
	run("netns", "add", p.A.Name)
	run("netns", "add", p.B.Name)
	run("-n", p.A.Name, "link", "add", p.A.Dev, "type", "veth", "peer", "name", p.B.Dev, "netns", p.B.Name)
	for _, h := range []*Host{&p.A, &p.B} {
		run("-n", h.Name, "addr", "add", h.Addr.String()+"/24", "dev", h.Dev)
		run("-n", h.Name, "link", "set", h.Dev, "up")
		run("-n", h.Name, "link", "set", "lo", "up")
		h.Path = filepath.Join("/run/netns", h.Name)
		ino, err := netns.Inode(h.Path)
		if err != nil {
			tb.Fatalf("stat %s: %v", h.Path, err)
		}
		h.Netns = ino
	}
	return p
}

// Do runs fn on a thread switched into the namespace of h; sockets fn
// creates stay in that namespace.
func (h Host) Do(fn func() error) error { return netns.Do(h.Path, fn) }

// Command is a command run in the namespace of h, through `ip netns exec`
// (which executes it in place: the command's pid is the process's).
func (h Host) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", h.Name, name}, args...)...)
}

// Listen opens a TCP listener on Addr:port in the namespace of h; it closes
// at the test's cleanup.
func (h Host) Listen(tb testing.TB, port int) net.Listener {
	tb.Helper()
	var ln net.Listener
	if err := h.Do(func() error {
		var err error
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(h.Addr, uint16(port)).String())
		return err
	}); err != nil {
		tb.Fatalf("listen in %s: %v", h.Name, err)
	}
	tb.Cleanup(func() { _ = ln.Close() })
	return ln
}

// Dial connects to addr from the namespace of h (the socket is made there
// and stays there).
func (h Host) Dial(addr string, timeout time.Duration) (net.Conn, error) {
	var conn net.Conn
	err := h.Do(func() error {
		d := net.Dialer{Timeout: timeout}
		var err error
		conn, err = d.DialContext(context.Background(), "tcp4", addr)
		return err
	})
	return conn, err
}

// Serve answers every connection of ln until it is closed: it reads reqBytes,
// writes respBytes and closes. At the test's cleanup it closes ln and waits
// for the connections.
func Serve(tb testing.TB, ln net.Listener, reqBytes, respBytes int) {
	tb.Helper()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, reqBytes)
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				_, _ = c.Write(make([]byte, respBytes))
			}()
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
}

// Request connects from h to addr (a Serve server), sends reqBytes and reads
// the whole answer, which must be respBytes long.
func Request(tb testing.TB, h Host, addr string, reqBytes, respBytes int) {
	tb.Helper()
	c, err := h.Dial(addr, 5*time.Second)
	if err != nil {
		tb.Fatalf("dial %s from %s: %v", addr, h.Name, err)
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, reqBytes)); err != nil {
		tb.Fatalf("write to %s: %v", addr, err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		tb.Fatalf("read from %s: %v", addr, err)
	}
	if len(got) != respBytes {
		tb.Fatalf("%s answered %d bytes, want %d", addr, len(got), respBytes)
	}
}
