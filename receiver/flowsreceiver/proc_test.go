package flowsreceiver

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCgroup(t *testing.T) {
	const id = "3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8"
	const pod = "0b8e7c1a-5d2f-4e3b-9a1c-7f6e5d4c3b2a"
	const podSystemd = "0b8e7c1a_5d2f_4e3b_9a1c_7f6e5d4c3b2a"
	cases := map[string]cgroupInfo{
		// Docker, systemd and cgroupfs drivers.
		"0::/system.slice/docker-" + id + ".scope\n":                       {runtime: runtimeDocker, container: id},
		"12:pids:/docker/" + id + "\n11:memory:/docker/" + id + "\n0::/\n": {runtime: runtimeDocker, container: id},
		// containerd under Kubernetes, systemd driver (and its
		// cgroupfs-style leaf), cgroupfs driver.
		"0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + podSystemd + ".slice/cri-containerd-" + id + ".scope\n": {runtime: runtimeContainerd, container: id, pod: pod},
		"0::/kubepods.slice/kubepods-pod" + podSystemd + ".slice/cri-containerd-" + id + ".scope\n":                                    {runtime: runtimeContainerd, container: id, pod: pod},
		"0::/system.slice/containerd.service/kubepods-besteffort-pod" + podSystemd + ".slice:cri-containerd:" + id + "\n":              {runtime: runtimeContainerd, container: id, pod: pod},
		"0::/kubepods/besteffort/pod" + pod + "/" + id + "\n":                                                                          {container: id, pod: pod},
		// CRI-O; its conmon is not the container.
		"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podSystemd + ".slice/crio-" + id + ".scope\n":        {runtime: runtimeCRIO, container: id, pod: pod},
		"0::/kubepods/burstable/pod" + pod + "/crio-" + id + "\n":                                                                     {runtime: runtimeCRIO, container: id, pod: pod},
		"0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" + podSystemd + ".slice/crio-conmon-" + id + ".scope\n": {pod: pod},
		// Podman, nerdctl.
		"0::/machine.slice/libpod-" + id + ".scope/container\n": {runtime: runtimePodman, container: id},
		"0::/system.slice/nerdctl-" + id + ".scope\n":           {runtime: runtimeContainerd, container: id},
		// systemd services, system and user; sessions are not services.
		"0::/system.slice/nginx.service\n":                                         {unit: "nginx.service"},
		"0::/user.slice/user-1000.slice/user@1000.service/app.slice/api.service\n": {unit: "api.service"},
		"0::/user.slice/user-1000.slice/user@1000.service/init.scope\n":            {},
		"0::/user.slice/user-1000.slice/session-3.scope\n":                         {},
		"1:name=systemd:/system.slice/postgresql@15-main.service\n0::/\n":          {unit: "postgresql@15-main.service"},
		"4:memory:/process_api/c92f2930f23f238ddf3805b9d3ae2603\n0::/\n":           {},
		"0::/\n": {},
		"":       {},
	}
	for in, want := range cases {
		assert.Equal(t, want, parseCgroupFile(in), in)
	}
}

func TestParseProcNetListeners(t *testing.T) {
	tcp := `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   104        0 21234 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 19876 1 0000000000000000 100 0 0 10 0
   2: 0F02000A:0016 0202000A:D3B2 01 00000000:00000000 02:000A8D6F 00000000     0        0 30001 4 0000000000000000 20 4 29 10 -1
`
	got := parseProcNetListeners([]byte(tcp))
	require.Len(t, got, 2)
	assert.Equal(t, procNetSocket{addr: netip.MustParseAddr("127.0.0.1"), port: 5432, inode: 21234}, got[0])
	assert.Equal(t, procNetSocket{addr: netip.MustParseAddr("0.0.0.0"), port: 22, inode: 19876}, got[1])

	tcp6 := `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000F02000A:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0
   2: B80D01200000000000000000010000FD:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0
`
	got = parseProcNetListeners([]byte(tcp6))
	require.Len(t, got, 3)
	assert.Equal(t, netip.MustParseAddr("::"), got[0].addr)
	assert.Equal(t, uint16(8080), got[0].port)
	assert.Equal(t, netip.MustParseAddr("10.0.2.15"), got[1].addr, "IPv4-mapped is unmapped")
	assert.Equal(t, netip.MustParseAddr("2001:db8::fd00:1"), got[2].addr)
}

func TestParseNsLink(t *testing.T) {
	n, err := parseNsLink("net:[4026531840]")
	require.NoError(t, err)
	assert.Equal(t, uint32(4026531840), n)
	_, err = parseNsLink("net:4026531840")
	assert.Error(t, err)
}

func TestProcSelf(t *testing.T) {
	fs := procFS{root: "/proc"}
	ns, err := fs.selfNetns()
	require.NoError(t, err)
	assert.NotZero(t, ns)
	comm, ok := fs.comm(uint32(1))
	assert.True(t, ok)
	assert.NotEmpty(t, comm)
	_, ok = fs.comm(1 << 30)
	assert.False(t, ok)
}
