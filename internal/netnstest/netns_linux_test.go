package netnstest

import (
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The pair is a network of two hosts: B reaches A's server, nobody answers
// on the unassigned address, and the namespaces are gone afterwards.
func TestPair(t *testing.T) {
	var p *Pair
	t.Run("pair", func(t *testing.T) {
		p = New(t)
		if p.A.Netns == 0 || p.A.Netns == p.B.Netns {
			t.Fatalf("namespace inodes: %d, %d", p.A.Netns, p.B.Netns)
		}
		Serve(t, p.A.Listen(t, 8080), 100, 200)
		server := netip.AddrPortFrom(p.A.Addr, 8080).String()
		for range 3 {
			Request(t, p.B, server, 100, 200)
		}
		if c, err := p.B.Dial(netip.AddrPortFrom(p.A.Addr, 8081).String(), 5*time.Second); err == nil {
			_ = c.Close()
			t.Fatal("a closed port accepted a connection")
		}
		if c, err := p.B.Dial(netip.AddrPortFrom(p.Unassigned, 8080).String(), 200*time.Millisecond); err == nil {
			_ = c.Close()
			t.Fatal("the unassigned address answered")
		}
		// The addresses exist only inside the namespaces.
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range addrs {
			if strings.HasPrefix(a.String(), p.Subnet+".") {
				t.Errorf("the test's namespace has %s", a)
			}
		}
	})
	if p == nil || t.Failed() {
		return
	}
	for _, h := range []Host{p.A, p.B} {
		if _, err := os.Stat(h.Path); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", h.Path, err)
		}
	}
}
