package flowsreceiver

import (
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// procInfo is what the receiver attaches to a pid: its command and
// container.
type procInfo struct {
	comm      string
	container string
}

// name is the process part of a coordimap.process ID: the command, after
// the container's short ID when there is one.
func (p procInfo) name() string {
	if p.container != "" {
		return shortID(p.container) + "/" + p.comm
	}
	return p.comm
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// procCache reads /proc once per pid per collection. A pid that is gone
// falls back to the command the kernel recorded and to the container last
// seen for its cgroup.
type procCache struct {
	fs     procFS
	byPid  map[uint32]procInfo
	byCgrp map[uint64]string // cgroup ID → container ID, across collections
}

func newProcCache(fs procFS) *procCache {
	return &procCache{fs: fs, byPid: map[uint32]procInfo{}, byCgrp: map[uint64]string{}}
}

// maxCgroups bounds the cgroup → container cache (cgroups of containers
// that are gone accumulate).
const maxCgroups = 16384

// reset starts a collection: pids may have been reused since the last one.
func (c *procCache) reset() {
	clear(c.byPid)
	if len(c.byCgrp) > maxCgroups {
		clear(c.byCgrp)
	}
}

func (c *procCache) info(pid uint32, kernelComm string, cgroup uint64) procInfo {
	if pid == 0 {
		return procInfo{comm: kernelComm, container: c.byCgrp[cgroup]}
	}
	if p, ok := c.byPid[pid]; ok {
		return p
	}
	p := procInfo{comm: kernelComm}
	if comm, ok := c.fs.comm(pid); ok {
		p.comm = comm
		p.container = c.fs.containerID(pid)
		if cgroup != 0 {
			c.byCgrp[cgroup] = p.container
		}
	} else {
		p.container = c.byCgrp[cgroup]
	}
	c.byPid[pid] = p
	return p
}

// process is a coordimap.process entity being built for one collection.
type process struct {
	info procInfo
	id   string
	pids []uint32
	// listen is "addr:port" as bound (0.0.0.0:80, [::]:80, 127.0.0.1:5432).
	listen []string
	// addresses are the non-loopback ip:port it answers on, for the
	// processor's address index.
	addresses []string
}

func (p *process) addPid(pid uint32) {
	if pid != 0 && !slices.Contains(p.pids, pid) {
		p.pids = append(p.pids, pid)
	}
}

func addUnique(list []string, v string) []string {
	if slices.Contains(list, v) {
		return list
	}
	return append(list, v)
}

// host is what server mode knows of the machine.
type host struct {
	name    string
	id      string
	netns   uint32       // the collector's network namespace
	addrs   []netip.Addr // non-loopback addresses of that namespace
	kernel  string
	machine string // machine ID, when read
}

func (h *host) isLocal(netns uint32, a netip.Addr) bool {
	return a.IsLoopback() || (netns == h.netns && slices.Contains(h.addrs, a))
}

// hostAddrs lists the collector's non-loopback, non-link-local addresses.
func hostAddrs() []netip.Addr {
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range ifAddrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ip := pfx.Addr().Unmap()
		if ip.IsLoopback() || ip.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, ip)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return slices.Compact(out)
}

type listenKey struct {
	netns uint32
	port  uint16
}

// serverView resolves the flows of one collection in server mode.
type serverView struct {
	scope string
	host  *host
	procs *procCache
	// processes by name (see procInfo.name).
	processes map[string]*process
	// listeners by namespace and port, with their process.
	listeners map[listenKey]listenerProc
}

type listenerProc struct {
	l listener
	p *process
}

func newServerView(scope string, h *host, procs *procCache) *serverView {
	return &serverView{scope: scope, host: h, procs: procs, processes: map[string]*process{}, listeners: map[listenKey]listenerProc{}}
}

func (v *serverView) process(info procInfo) *process {
	name := info.name()
	p := v.processes[name]
	if p == nil {
		p = &process{info: info, id: internalid.Process(v.scope, v.host.name, name)}
		v.processes[name] = p
	}
	return p
}

// addListeners registers the listening sockets and their processes.
func (v *serverView) addListeners(ls []listener) {
	for _, l := range ls {
		info := v.procs.info(l.pid, l.comm, l.cgroup)
		if info.comm == "" {
			continue // unknown owner: the host answers for it
		}
		p := v.process(info)
		p.addPid(l.pid)
		p.listen = addUnique(p.listen, netip.AddrPortFrom(l.addr, l.port).String())
		switch {
		case l.addr.IsLoopback():
		case l.addr.IsUnspecified():
			if l.netns == v.host.netns {
				for _, a := range v.host.addrs {
					p.addresses = addUnique(p.addresses, netip.AddrPortFrom(a, l.port).String())
				}
			}
		default:
			p.addresses = addUnique(p.addresses, netip.AddrPortFrom(l.addr, l.port).String())
		}
		v.listeners[listenKey{l.netns, l.port}] = listenerProc{l: l, p: p}
	}
}

// addServerFlows registers the processes that accepted connections (they
// listened, perhaps on a socket closed since) and the addresses they were
// reached on; only flows with traffic or open connections since the last
// collection count, so that a program that stopped serving goes away.
func (v *serverView) addServerFlows(entries []flowEntry, live func(*flowEntry) bool) {
	for i := range entries {
		e := &entries[i]
		if e.key.side != sideServer || e.pid == 0 || !live(e) {
			continue
		}
		p := v.process(v.procs.info(e.pid, e.comm, e.key.cgroup))
		p.addPid(e.pid)
		if !e.key.server.IsLoopback() && !e.key.server.IsUnspecified() {
			p.addresses = addUnique(p.addresses, netip.AddrPortFrom(e.key.server, e.key.port).String())
		}
	}
}

// resolve gives the edge of a kernel entry: the local end is the process
// (when it is a known listening process) or the host; the remote end is an
// address, unless it is local to the same network namespace and a known
// process listens there.
func (v *serverView) resolve(e *flowEntry) edgeKey {
	info := v.procs.info(e.pid, e.comm, e.key.cgroup)
	k := edgeKey{
		side: e.key.side, client: e.key.client, server: e.key.server, port: e.key.port,
		process: info.comm, container: info.container,
	}
	hostEnd := endpoint{id: v.host.id}
	local := hostEnd
	if p, ok := v.processes[info.name()]; ok && info.comm != "" {
		local = endpoint{id: p.id}
	}
	if e.key.side == sideServer {
		k.destination = local
		if v.host.isLocal(e.key.netns, e.key.client) {
			k.source = hostEnd
		} else {
			k.source = endpoint{id: e.key.client.String()}
		}
		return k
	}
	k.source = local
	k.destination = endpoint{id: netip.AddrPortFrom(e.key.server, e.key.port).String()}
	if lp, ok := v.listeners[listenKey{e.key.netns, e.key.port}]; ok {
		if e.key.server.IsLoopback() || e.key.server == lp.l.addr ||
			(lp.l.addr.IsUnspecified() && v.host.isLocal(e.key.netns, e.key.server)) {
			k.destination = endpoint{id: lp.p.id}
		}
	}
	return k
}

// entities are the host and process states of one collection.
func (v *serverView) entities(interval time.Duration) []entity.Entity {
	h := v.host
	addrs := make([]any, 0, len(h.addrs))
	addrStrs := make([]string, 0, len(h.addrs))
	for _, a := range h.addrs {
		addrs = append(addrs, a.String())
		addrStrs = append(addrStrs, a.String())
	}
	hostBody := map[string]any{
		"hostname":       h.name,
		"os_type":        "linux",
		"kernel_release": h.kernel,
		"addresses":      addrs,
	}
	if h.machine != "" {
		hostBody["machine_id"] = h.machine
	}
	out := []entity.Entity{{
		Ref:            entity.Ref{Type: internalid.TypeHost, InternalID: h.id},
		Name:           h.name,
		Description:    map[string]any{"host.name": h.name},
		Addresses:      addrStrs,
		Body:           hostBody,
		ReportInterval: interval,
	}}
	names := make([]string, 0, len(v.processes))
	for n := range v.processes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		p := v.processes[n]
		slices.Sort(p.pids)
		slices.Sort(p.listen)
		slices.Sort(p.addresses)
		pids := make([]any, len(p.pids))
		for i, pid := range p.pids {
			pids[i] = int64(pid)
		}
		listen := make([]any, len(p.listen))
		for i, l := range p.listen {
			listen[i] = l
		}
		desc := map[string]any{"process.executable.name": p.info.comm, "host.name": h.name}
		body := map[string]any{"command": p.info.comm, "pids": pids, "listen": listen, "host": h.name}
		if p.info.container != "" {
			desc["container.id"] = p.info.container
			body["container_id"] = p.info.container
		}
		out = append(out, entity.Entity{
			Ref:         entity.Ref{Type: internalid.TypeProcess, InternalID: p.id},
			Name:        p.info.comm,
			Description: desc,
			Addresses:   p.addresses,
			Links: []entity.Link{{
				Type:      entity.RelParentChild,
				Direction: entity.Incoming,
				Target:    entity.Ref{Type: internalid.TypeHost, InternalID: h.id},
			}},
			Body:           body,
			ReportInterval: interval,
		})
	}
	return out
}
