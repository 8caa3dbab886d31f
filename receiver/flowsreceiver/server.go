package flowsreceiver

import (
	"net"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// host is what server mode knows of the machine.
type host struct {
	name    string
	id      string
	netns   uint32       // the collector's network namespace: the host's
	addrs   []netip.Addr // non-loopback addresses of that namespace
	kernel  string
	machine string // machine ID, when read
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

// process is a coordimap.process entity being built for one collection.
type process struct {
	id    string
	info  procInfo
	netns uint32
	ctx   internalid.ProcessContext
	meta  containerMeta
	pids  []uint32
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

type listenKey struct {
	netns uint32
	port  uint16
}

// pairKey is a flow as both of its ends see it.
type pairKey struct {
	client, server netip.Addr
	port           uint16
}

// serverView resolves the flows of one collection in server mode.
//
// A process is one program in one network namespace of the host (see
// identify); a listening address belongs to the namespace it was bound in.
// Which namespace an address is local to is learned from the kernel's
// flows (the local end of every socket) and listeners, and from the host's
// interfaces: a connection from one namespace to an address of another
// resolves to the process listening there.
type serverView struct {
	scope string
	// cluster is the Kubernetes cluster UID when external_mappings gives
	// one ("*@<uid>"): processes of pods then link to their pod.
	cluster string
	host    *host
	procs   *procCache
	// processes by ID.
	processes map[string]*process
	// listeners by namespace and port, with their process.
	listeners map[listenKey]listenerProc
	// owners are the namespaces each non-loopback address is local to;
	// addrsOf is the reverse.
	owners  map[netip.Addr][]uint32
	addrsOf map[uint32][]netip.Addr
	// clients are the processes of client ends by flow (for the server
	// ends of flows between two namespaces of the host); acceptors are the
	// processes of server ends by namespace and flow (a listener closed
	// since).
	clients   map[pairKey]endpoint
	acceptors map[acceptKey]endpoint
}

type acceptKey struct {
	netns uint32
	pair  pairKey
}

type listenerProc struct {
	l listener
	p *process
}

func newServerView(scope string, h *host, procs *procCache) *serverView {
	return &serverView{
		scope: scope, host: h, procs: procs,
		processes: map[string]*process{}, listeners: map[listenKey]listenerProc{},
		owners: map[netip.Addr][]uint32{}, addrsOf: map[uint32][]netip.Addr{},
		clients: map[pairKey]endpoint{}, acceptors: map[acceptKey]endpoint{},
	}
}

// learn records which namespaces the addresses are local to: the host's
// interfaces, the addresses listeners bound, and the local end of every
// flow in the kernel's map (the map keeps flows until it evicts them, so
// addresses are remembered as long as their flows).
func (v *serverView) learn(entries []flowEntry, ls []listener) {
	for _, a := range v.host.addrs {
		v.own(a, v.host.netns)
	}
	for _, l := range ls {
		v.own(l.addr, l.netns)
	}
	for i := range entries {
		k := &entries[i].key
		if k.side == sideClient {
			v.own(k.client, k.netns)
		} else {
			v.own(k.server, k.netns)
		}
	}
}

func (v *serverView) own(a netip.Addr, netns uint32) {
	if !a.IsValid() || a.IsLoopback() || a.IsUnspecified() || slices.Contains(v.owners[a], netns) {
		return
	}
	v.owners[a] = append(v.owners[a], netns)
	v.addrsOf[netns] = append(v.addrsOf[netns], a)
}

// netnsOf is the namespace of this host that address a, connected to from
// a socket in namespace from, is local to: from itself for loopback and
// its own addresses, else the one namespace that has it. ok is false for a
// remote address, or one that several other namespaces have.
func (v *serverView) netnsOf(from uint32, a netip.Addr) (uint32, bool) {
	if a.IsLoopback() || a.IsUnspecified() {
		return from, true
	}
	owners := v.owners[a]
	if slices.Contains(owners, from) {
		return from, true
	}
	if len(owners) == 1 {
		return owners[0], true
	}
	return 0, false
}

// process returns the process entity of info in namespace netns, creating
// it; nil when the process is unknown (its connections are the host's).
func (v *serverView) process(info procInfo, netns uint32) *process {
	if info.comm == "" {
		return nil
	}
	ctx, meta := v.identify(info, netns)
	id := internalid.Process(v.scope, v.host.name, internalid.ProcessName(ctx, info.program()))
	p := v.processes[id]
	if p == nil {
		p = &process{id: id, info: info, netns: netns, ctx: ctx, meta: meta}
		v.processes[id] = p
	}
	return p
}

// identify gives what tells a program apart on the host: its pod or
// container (from the cgroup path; the runtime's files may add the pod),
// else its network namespace when it is not the host's (the `ip netns`
// name, stable across restarts of the process, else the inode) and its
// systemd service.
func (v *serverView) identify(info procInfo, netns uint32) (internalid.ProcessContext, containerMeta) {
	cg := info.cg
	meta := v.procs.meta.lookup(cg.runtime, cg.container)
	ctx := internalid.ProcessContext{Pod: cg.pod, Runtime: cg.runtime, Container: cg.container, Unit: cg.unit}
	if ctx.Pod == "" {
		ctx.Pod = meta.pod
	}
	if ctx.Pod == "" && ctx.Container == "" && netns != v.host.netns {
		ctx.Netns = v.procs.netnsName(netns)
	}
	return ctx, meta
}

// addListeners registers the listening sockets and their processes.
func (v *serverView) addListeners(ls []listener) {
	for _, l := range ls {
		p := v.process(v.procs.info(l.pid, l.comm, l.cgroup), l.netns)
		if p == nil {
			continue // unknown owner: the host answers for it
		}
		p.addPid(l.pid)
		p.listen = addUnique(p.listen, netip.AddrPortFrom(l.addr, l.port).String())
		switch {
		case l.addr.IsLoopback():
		case l.addr.IsUnspecified():
			for _, a := range v.addrsOf[l.netns] {
				if a.Is4() || l.addr.Is6() { // [::] is dual-stack
					p.addresses = addUnique(p.addresses, netip.AddrPortFrom(a, l.port).String())
				}
			}
		default:
			p.addresses = addUnique(p.addresses, netip.AddrPortFrom(l.addr, l.port).String())
		}
		v.listeners[listenKey{l.netns, l.port}] = listenerProc{l: l, p: p}
	}
}

// addFlows registers the processes of the flows with traffic or open
// connections since the last collection (so that a program that stopped
// connecting and serving goes away), the addresses servers were reached
// on, and the processes of both ends of each flow for resolve.
func (v *serverView) addFlows(entries []flowEntry, live func(*flowEntry) bool) {
	for i := range entries {
		e := &entries[i]
		if e.pid == 0 || !live(e) {
			continue
		}
		p := v.process(v.procs.info(e.pid, e.comm, e.key.cgroup), e.key.netns)
		if p == nil {
			continue
		}
		p.addPid(e.pid)
		pair := pairKey{e.key.client, e.key.server, e.key.port}
		if e.key.side == sideClient {
			v.clients[pair] = p.endpoint()
			continue
		}
		v.acceptors[acceptKey{e.key.netns, pair}] = p.endpoint()
		if !e.key.server.IsLoopback() && !e.key.server.IsUnspecified() {
			p.addresses = addUnique(p.addresses, netip.AddrPortFrom(e.key.server, e.key.port).String())
		}
	}
}

func (p *process) endpoint() endpoint { return endpoint{id: p.id, process: true} }

// resolve gives the edge of a kernel entry.
//
// Client end: the local process → the server, which is the process that
// listens on its port in the namespace the server address is local to, the
// host when none does (a closed port of this host), or the ip:port of a
// remote server. Server end: the client's ip → the local process. When
// both ends are on this host (loopback, or two namespaces), the client
// end's entry reports the pair and the server end's is hidden from the
// records (it stays in the metrics), as are self-loops and host → own
// process flows: that relation is the process entity's parent_child.
func (v *serverView) resolve(e *flowEntry) edgeKey {
	info := v.procs.info(e.pid, e.comm, e.key.cgroup)
	k := edgeKey{
		side: e.key.side, client: e.key.client, server: e.key.server, port: e.key.port,
		process: path.Base(info.program()), container: info.cg.container,
	}
	hostEnd := endpoint{id: v.host.id}
	local := hostEnd
	if p := v.process(info, e.key.netns); p != nil && e.pid != 0 {
		local = p.endpoint()
	}
	pair := pairKey{e.key.client, e.key.server, e.key.port}
	if e.key.side == sideServer {
		k.destination = local
		k.source = endpoint{id: e.key.client.String()}
		if _, ok := v.netnsOf(e.key.netns, e.key.client); ok {
			k.hidden = true
			k.source = hostEnd
			if c, ok := v.clients[pair]; ok {
				k.source = c
			}
		}
	} else {
		k.source = local
		k.destination = endpoint{id: netip.AddrPortFrom(e.key.server, e.key.port).String()}
		if ns, ok := v.netnsOf(e.key.netns, e.key.server); ok {
			k.destination = hostEnd
			if lp, ok := v.listeners[listenKey{ns, e.key.port}]; ok && accepts(lp.l.addr, e.key.server) {
				k.destination = lp.p.endpoint()
			} else if a, ok := v.acceptors[acceptKey{ns, pair}]; ok {
				k.destination = a
			}
		}
	}
	if k.source == k.destination || (k.source == hostEnd && k.destination.process) {
		k.hidden = true
	}
	return k
}

// accepts reports whether a socket bound to bound takes connections to a
// (an address local to its namespace).
func accepts(bound, a netip.Addr) bool {
	return bound.IsUnspecified() || bound == a || (bound.IsLoopback() && a.IsLoopback())
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
	for _, id := range sortedKeys(v.processes) {
		out = append(out, v.processes[id].entity(h, v.cluster, interval))
	}
	return out
}

// Process entity attributes (OTel semantic conventions where they exist).
const (
	attrExecutablePath = "process.executable.path"
	attrCommand        = "process.command"
	attrRuntime        = "container.runtime"
	attrContainerName  = "container.name"
	attrImageName      = "container.image.name"
	attrPodUID         = "k8s.pod.uid"
	attrPodName        = "k8s.pod.name"
	attrNamespaceName  = "k8s.namespace.name"
	attrSystemdUnit    = "systemd.unit"
	attrNetns          = "coordimap.network_namespace"
)

func (p *process) entity(h *host, cluster string, interval time.Duration) entity.Entity {
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
	program := p.info.program()
	desc := map[string]any{attrProcess: path.Base(program), attrCommand: p.info.comm, "host.name": h.name}
	body := map[string]any{"command": p.info.comm, "pids": pids, "listen": listen, "host": h.name}
	if p.info.exe != "" {
		desc[attrExecutablePath] = p.info.exe
		body["executable"] = p.info.exe
	}
	put := func(descKey, bodyKey, v string) {
		if v != "" {
			desc[descKey] = v
			body[bodyKey] = v
		}
	}
	put(attrContainer, "container_id", p.ctx.Container)
	put(attrRuntime, "container_runtime", p.ctx.Runtime)
	put(attrContainerName, "container_name", p.meta.name)
	put(attrImageName, "container_image", p.meta.image)
	put(attrPodUID, "pod_uid", p.ctx.Pod)
	put(attrPodName, "pod_name", p.meta.podName)
	put(attrNamespaceName, "pod_namespace", p.meta.podNamespace)
	put(attrSystemdUnit, "systemd_unit", p.ctx.Unit)
	if p.netns != h.netns {
		put(attrNetns, "network_namespace", p.ctx.Netns)
		if p.ctx.Netns == "" {
			body["network_namespace"] = strconv.FormatUint(uint64(p.netns), 10)
		}
	}
	links := []entity.Link{{
		Type:      entity.RelParentChild,
		Direction: entity.Incoming,
		Target:    entity.Ref{Type: internalid.TypeHost, InternalID: h.id},
	}}
	if cluster != "" && p.meta.podName != "" && p.meta.podNamespace != "" {
		// The pod's element belongs to the coordimap_kubernetes receiver.
		links = append(links, entity.Link{
			Type: entity.RelParentChild, Direction: entity.Incoming, External: true,
			Target: entity.Ref{Type: typePod, InternalID: internalid.Kubernetes(cluster, p.meta.podNamespace, typePod, p.meta.podName)},
		})
	}
	return entity.Entity{
		Ref:            entity.Ref{Type: internalid.TypeProcess, InternalID: p.id},
		Name:           p.displayName(),
		Description:    desc,
		Addresses:      p.addresses,
		Links:          links,
		Body:           body,
		ReportInterval: interval,
	}
}

// displayName is the program's base name and what tells it apart:
// "nginx (docker web)", "java (pod shop/api-0)", "python3.11 (netns blue)".
func (p *process) displayName() string {
	name := path.Base(p.info.program())
	var where string
	switch {
	case p.meta.podName != "":
		where = "pod " + p.meta.podNamespace + "/" + p.meta.podName
	case p.ctx.Pod != "":
		where = "pod " + p.ctx.Pod
	case p.ctx.Container != "":
		runtime := p.ctx.Runtime
		if runtime == "" {
			runtime = "container"
		}
		where = runtime + " " + or1(p.meta.name, shortID(p.ctx.Container))
	case p.ctx.Netns != "" && p.ctx.Unit != "":
		where = p.ctx.Unit + ", netns " + p.ctx.Netns
	case p.ctx.Netns != "":
		where = "netns " + p.ctx.Netns
	case p.ctx.Unit != "":
		where = p.ctx.Unit
	}
	if where == "" {
		return name
	}
	return name + " (" + where + ")"
}

func or1(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
