package flowsreceiver

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// fakeProcs writes /proc/<pid>/{comm,cgroup,exe} for each process.
func fakeProcs(t *testing.T, procs map[uint32][3]string) procFS {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.FormatUint(uint64(pid), 10))
		require.NoError(t, os.MkdirAll(dir, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "comm"), []byte(p[0]+"\n"), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup"), []byte(p[1]+"\n"), 0o644))
		require.NoError(t, os.Symlink(p[2], filepath.Join(dir, "exe")))
	}
	return procFS{root: root}
}

// Server-mode resolution on a host with the host's namespace (1), a
// Docker container (2) and a systemd service: identities, remote and
// local ends, and what is hidden.
func TestServerViewResolve(t *testing.T) {
	const ctr = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
	fs := fakeProcs(t, map[uint32][3]string{
		10: {"nginx", "0::/system.slice/docker-" + ctr + ".scope", "/usr/sbin/nginx"},
		11: {"nginx", "0::/system.slice/docker-" + ctr + ".scope", "/usr/sbin/nginx"}, // a worker
		20: {"nginx", "0::/system.slice/nginx.service", "/usr/sbin/nginx"},
		30: {"curl", "0::/user.slice/user-1000.slice/session-2.scope", "/usr/bin/curl"},
	})
	h := &host{name: "web1", id: internalid.Host("s", "web1"), netns: 1, addrs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}}
	v := newServerView("s", h, newProcCache(fs, t.TempDir()))
	a := netip.MustParseAddr
	ctrAddr, hostAddr, remote := a("172.17.0.2"), a("192.0.2.10"), a("198.51.100.7")
	entry := func(side side, client, server netip.Addr, port uint16, netns, pid uint32) flowEntry {
		return flowEntry{key: flowKey{client: client, server: server, port: port, side: side, netns: netns, cgroup: uint64(pid)},
			counters: counters{opened: 1}, pid: pid, comm: "kernel-comm"}
	}
	entries := []flowEntry{
		entry(sideServer, remote, ctrAddr, 80, 2, 10),               // remote → the container's nginx
		entry(sideClient, hostAddr, ctrAddr, 80, 1, 30),             // curl on the host → the container
		entry(sideServer, a("172.17.0.1"), ctrAddr, 80, 2, 11),      // its server end
		entry(sideClient, hostAddr, remote, 443, 1, 20),             // the host's nginx → a remote server
		entry(sideClient, a("127.0.0.1"), a("127.0.0.1"), 81, 1, 0), // unknown → the host's nginx
		entry(sideServer, a("127.0.0.1"), a("127.0.0.1"), 81, 1, 20),
		entry(sideClient, a("172.17.0.1"), ctrAddr, 9, 1, 30), // a closed port of the container
	}
	entries[2].key.client = a("172.17.0.1")
	entries[1].key.client = a("172.17.0.1")
	ls := []listener{
		{netns: 2, port: 80, addr: a("0.0.0.0"), pid: 10, cgroup: 10, comm: "nginx"},
		{netns: 1, port: 81, addr: a("127.0.0.1"), pid: 20, cgroup: 20, comm: "nginx"},
	}
	v.learn(entries, ls)
	v.addListeners(ls)
	v.addFlows(entries, func(*flowEntry) bool { return true })

	container := internalid.Process("s", "web1", "docker=3f2a9c1b7d4e:/usr/sbin/nginx")
	service := internalid.Process("s", "web1", "unit=nginx.service:/usr/sbin/nginx")
	curl := internalid.Process("s", "web1", "/usr/bin/curl")
	assert.ElementsMatch(t, []string{container, service, curl}, sortedKeys(v.processes))
	assert.Equal(t, []uint32{10, 11}, v.processes[container].pids, "one element for the container's nginx processes")
	assert.Equal(t, []string{"172.17.0.2:80"}, v.processes[container].addresses, "the wildcard bind, in the container's namespace")
	assert.Empty(t, v.processes[service].addresses, "loopback is not announced")
	assert.Equal(t, "nginx (docker 3f2a9c1b7d4e)", v.processes[container].displayName())
	assert.Equal(t, "nginx (nginx.service)", v.processes[service].displayName())

	type end struct {
		src, dst string
		hidden   bool
	}
	want := []end{
		{remote.String(), container, false},
		{curl, container, false},
		{curl, container, true}, // reported by the client end
		{service, "198.51.100.7:443", false},
		{h.id, service, true}, // host → own process is the parent_child link
		{h.id, service, true},
		{curl, h.id, false}, // nobody listens: the container's host
	}
	for i := range entries {
		k := v.resolve(&entries[i])
		assert.Equal(t, want[i], end{k.source.id, k.destination.id, k.hidden}, "entry %d", i)
	}
}

// A pod's process (containerd): its pod UID is the context, the runtime's
// files name it, and with the cluster UID known it links to its pod.
func TestServerViewPodProcess(t *testing.T) {
	const ctr = "c0000000000000000000000000000000000000000000000000000000000000c0"
	const pod = "0b8e7c1a-5d2f-4e3b-9a1c-7f6e5d4c3b2a"
	fs := fakeProcs(t, map[uint32][3]string{
		7: {"java", "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0b8e7c1a_5d2f_4e3b_9a1c_7f6e5d4c3b2a.slice/cri-containerd-" + ctr + ".scope", "/usr/bin/java"},
	})
	root := t.TempDir()
	spec := filepath.Join(root, "run/containerd/io.containerd.runtime.v2.task/k8s.io", ctr, "config.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(spec), 0o755))
	require.NoError(t, os.WriteFile(spec, []byte(`{"annotations":{"io.kubernetes.cri.container-name":"api","io.kubernetes.cri.image-name":"api:2",
		"io.kubernetes.cri.sandbox-name":"api-7c9f","io.kubernetes.cri.sandbox-namespace":"shop","io.kubernetes.cri.sandbox-uid":"`+pod+`"}}`), 0o600))
	h := &host{name: "node1", id: internalid.Host("s", "node1"), netns: 1}
	v := newServerView("s", h, newProcCache(fs, root))
	v.cluster = clusterUID
	ls := []listener{{netns: 5, port: 8080, addr: netip.MustParseAddr("0.0.0.0"), pid: 7, cgroup: 7, comm: "java"}}
	v.addListeners(ls)
	id := internalid.Process("s", "node1", "pod="+pod+":/usr/bin/java")
	require.Contains(t, v.processes, id)
	e := v.processes[id].entity(h, v.cluster, 0)
	assert.Equal(t, "java (pod shop/api-7c9f)", e.Name)
	for k, want := range map[string]string{attrPodUID: pod, attrPodName: "api-7c9f", attrNamespaceName: "shop",
		attrContainerName: "api", attrImageName: "api:2", attrRuntime: runtimeContainerd, attrContainer: ctr} {
		assert.Equal(t, want, e.Description[k], k)
	}
	require.Len(t, e.Links, 2)
	assert.Equal(t, internalid.Kubernetes(clusterUID, "shop", typePod, "api-7c9f"), e.Links[1].Target.InternalID)
	assert.True(t, e.Links[1].External)
	assert.Equal(t, entity.Incoming, e.Links[1].Direction)
}

// A process that exited keeps its identity: the executable path and cgroup
// last read for its cgroup and command.
func TestProcCacheRemembersExited(t *testing.T) {
	fs := fakeProcs(t, map[uint32][3]string{
		10: {"nginx", "0::/system.slice/nginx.service", "/usr/sbin/nginx"},
	})
	c := newProcCache(fs, t.TempDir())
	alive := c.info(10, "nginx", 77)
	assert.Equal(t, procInfo{comm: "nginx", exe: "/usr/sbin/nginx", cg: cgroupInfo{unit: "nginx.service"}}, alive)
	require.NoError(t, os.RemoveAll(filepath.Join(fs.root, "10")))
	c.reset()
	assert.Equal(t, alive, c.info(10, "nginx", 77), "gone: remembered")
	assert.Equal(t, alive, c.info(0, "nginx", 77), "no pid (a listener found before start)")
	assert.Equal(t, procInfo{comm: "worker", cg: alive.cg}, c.info(11, "worker", 77), "another command of the cgroup: its unit, not its path")
}
