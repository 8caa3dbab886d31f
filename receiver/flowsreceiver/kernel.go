package flowsreceiver

import (
	"net/netip"
	"time"
)

// side says which end of a connection this host is.
type side uint8

const (
	sideClient side = 1 // bpf.FlowsFlowSideSIDE_CLIENT
	sideServer side = 2 // bpf.FlowsFlowSideSIDE_SERVER
)

func (s side) String() string {
	if s == sideServer {
		return "server"
	}
	return "client"
}

// flowKey is the kernel's aggregation key, decoded. Addresses are unmapped:
// IPv4 is always an IPv4 address, never ::ffff:a.b.c.d.
type flowKey struct {
	client, server netip.Addr
	port           uint16
	side           side
	netns          uint32
	cgroup         uint64
}

// counters are what the kernel counts per flow key.
type counters struct {
	opened, failed, closed, retransmits, bytesSent, bytesReceived uint64
}

func (c counters) isZero() bool { return c == counters{} }

// add returns c + d.
func (c counters) add(d counters) counters {
	return counters{
		opened:        c.opened + d.opened,
		failed:        c.failed + d.failed,
		closed:        c.closed + d.closed,
		retransmits:   c.retransmits + d.retransmits,
		bytesSent:     c.bytesSent + d.bytesSent,
		bytesReceived: c.bytesReceived + d.bytesReceived,
	}
}

// since returns what was counted since prev. A counter below its previous
// value means the kernel entry was evicted and created again: all of it is
// new.
func (c counters) since(prev counters) counters {
	d := func(cur, old uint64) uint64 {
		if cur >= old {
			return cur - old
		}
		return cur
	}
	return counters{
		opened:        d(c.opened, prev.opened),
		failed:        d(c.failed, prev.failed),
		closed:        d(c.closed, prev.closed),
		retransmits:   d(c.retransmits, prev.retransmits),
		bytesSent:     d(c.bytesSent, prev.bytesSent),
		bytesReceived: d(c.bytesReceived, prev.bytesReceived),
	}
}

// flowEntry is one entry of the kernel's flows map.
type flowEntry struct {
	key flowKey
	counters
	// last is when the kernel last updated the entry.
	last time.Time
	// pid and comm are the process of the last connection (0 and "" when
	// it started before the programs were attached).
	pid  uint32
	comm string
}

// listener is one entry of the kernel's listeners map: a listening port and
// the process that called listen().
type listener struct {
	netns  uint32
	port   uint16
	addr   netip.Addr
	pid    uint32
	cgroup uint64
	comm   string
}

// kernelStats counts what the programs could not record because a map was
// full.
type kernelStats struct {
	socksFull, listenersFull, flowsFull uint64
}

// tracerOptions configure the programs before they are loaded.
type tracerOptions struct {
	// btfPath is where the kernel's BTF is checked for.
	btfPath string
	// filterIfindex and filterNetns implement interface_name (0: all).
	filterIfindex, filterNetns uint32
	// forceRawTP skips tp_btf (tests of the fallback).
	forceRawTP bool
}

// Attachment modes, in order of preference.
const (
	attachTPBTF = "tp_btf"
	attachRawTP = "raw_tracepoint"
)

func cString(b []int8) string {
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c == 0 {
			break
		}
		out = append(out, byte(c))
	}
	return string(out)
}
