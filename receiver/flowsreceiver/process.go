package flowsreceiver

import (
	"path/filepath"
	"strconv"

	nsutil "github.com/coordimap/otelcol-coordimap/internal/netns"
)

// procInfo is what the receiver knows of the process of a socket.
type procInfo struct {
	comm string // command (/proc/<pid>/comm, else the kernel's)
	exe  string // executable path, "" when unknown
	cg   cgroupInfo
}

// program is the executable path, or the command when the path is not
// known.
func (p procInfo) program() string {
	if p.exe != "" {
		return p.exe
	}
	return p.comm
}

// progKey is how a process is remembered after it exits: the kernel keeps
// its cgroup and command in the flows it made.
type progKey struct {
	cgroup uint64
	comm   string
}

// procCache reads /proc once per pid per collection. A pid that is gone
// falls back to what was last read for its cgroup and command (executable
// path, container), so that a program keeps its identity after it exits.
type procCache struct {
	fs   procFS
	meta *runtimeMeta
	// netnsDir holds the named network namespaces (`ip netns`).
	netnsDir string
	byPid    map[uint32]procInfo
	// Across collections.
	byCgrp map[uint64]cgroupInfo
	byProg map[progKey]string
	// netnsNames: inode → name, read once per collection.
	netnsNames map[uint32]string
}

func newProcCache(fs procFS, hostRoot string) *procCache {
	return &procCache{
		fs: fs, meta: newRuntimeMeta(hostRoot), netnsDir: filepath.Join(hostRoot, "run/netns"),
		byPid: map[uint32]procInfo{}, byCgrp: map[uint64]cgroupInfo{}, byProg: map[progKey]string{},
	}
}

// maxCgroups bounds the caches kept across collections (cgroups and
// programs of containers that are gone accumulate).
const maxCgroups = 16384

// reset starts a collection: pids may have been reused since the last one.
func (c *procCache) reset() {
	clear(c.byPid)
	c.netnsNames = nil
	if len(c.byCgrp) > maxCgroups {
		clear(c.byCgrp)
	}
	if len(c.byProg) > maxCgroups {
		clear(c.byProg)
	}
}

func (c *procCache) info(pid uint32, kernelComm string, cgroup uint64) procInfo {
	if pid == 0 {
		return c.remembered(kernelComm, cgroup)
	}
	if p, ok := c.byPid[pid]; ok {
		return p
	}
	p := procInfo{comm: kernelComm}
	if comm, ok := c.fs.comm(pid); ok {
		p.comm = comm
		p.exe = c.fs.exe(pid)
		p.cg, _ = c.fs.cgroup(pid)
		if cgroup != 0 {
			c.byCgrp[cgroup] = p.cg
		}
		if p.exe != "" {
			c.byProg[progKey{cgroup, kernelComm}] = p.exe
		}
	} else {
		p = c.remembered(kernelComm, cgroup)
	}
	c.byPid[pid] = p
	return p
}

func (c *procCache) remembered(kernelComm string, cgroup uint64) procInfo {
	return procInfo{comm: kernelComm, exe: c.byProg[progKey{cgroup, kernelComm}], cg: c.byCgrp[cgroup]}
}

// netnsName names a network namespace: its `ip netns` name when it has
// one (stable while the namespace lives), else its inode number.
func (c *procCache) netnsName(inode uint32) string {
	if c.netnsNames == nil {
		c.netnsNames = nsutil.Names(c.netnsDir)
	}
	if name, ok := c.netnsNames[inode]; ok {
		return name
	}
	return strconv.FormatUint(uint64(inode), 10)
}
