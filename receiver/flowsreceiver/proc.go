package flowsreceiver

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// procFS reads process facts from a /proc mount: the command and container
// of a pid, and the listening sockets that existed before the programs were
// attached.
type procFS struct {
	root string // "/proc"
}

// comm is /proc/<pid>/comm: the process's command, at most 15 bytes.
func (p procFS) comm(pid uint32) (string, bool) {
	b, err := os.ReadFile(filepath.Join(p.root, strconv.FormatUint(uint64(pid), 10), "comm"))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// cgroup is what the cgroup of pid tells (container, pod, systemd unit);
// ok is false when the process is gone.
func (p procFS) cgroup(pid uint32) (cgroupInfo, bool) {
	b, err := os.ReadFile(filepath.Join(p.root, strconv.FormatUint(uint64(pid), 10), "cgroup"))
	if err != nil {
		return cgroupInfo{}, false
	}
	return parseCgroupFile(string(b)), true
}

// exe is the executable path of pid ("" when it may not be read: another
// user's process without CAP_SYS_PTRACE, or a process that is gone).
func (p procFS) exe(pid uint32) string {
	link, err := os.Readlink(filepath.Join(p.root, strconv.FormatUint(uint64(pid), 10), "exe"))
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(link, " (deleted)")
}

// netns is the inode number of the network namespace of pid.
func (p procFS) netns(pid string) (uint32, error) {
	link, err := os.Readlink(filepath.Join(p.root, pid, "ns", "net"))
	if err != nil {
		return 0, err
	}
	return parseNsLink(link)
}

// parseNsLink reads "net:[4026531840]".
func parseNsLink(link string) (uint32, error) {
	_, rest, ok := strings.Cut(link, "[")
	inum, _, ok2 := strings.Cut(rest, "]")
	if !ok || !ok2 {
		return 0, fmt.Errorf("namespace link %q", link)
	}
	n, err := strconv.ParseUint(inum, 10, 32)
	return uint32(n), err
}

// selfNetns is the network namespace of the collector.
func (p procFS) selfNetns() (uint32, error) { return p.netns("self") }

// cgroupID is the cgroup v2 ID of pid: the inode of its cgroup directory,
// which is what bpf_get_current_cgroup_id returns.
func (p procFS) cgroupID(pid string, cgroup2Root string) uint64 {
	if cgroup2Root == "" {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(p.root, pid, "cgroup"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			var st syscall.Stat_t
			if syscall.Stat(filepath.Join(cgroup2Root, path), &st) == nil {
				return st.Ino
			}
		}
	}
	return 0
}

// cgroup2Root is where the cgroup v2 hierarchy is mounted ("" if nowhere),
// from /proc/self/mountinfo.
func (p procFS) cgroup2Root() string {
	b, err := os.ReadFile(filepath.Join(p.root, "self", "mountinfo"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		// id parent major:minor root mountpoint options ... - fstype source super
		pre, post, ok := strings.Cut(line, " - ")
		if !ok || !strings.HasPrefix(post, "cgroup2 ") {
			continue
		}
		if f := strings.Fields(pre); len(f) >= 5 {
			return f[4]
		}
	}
	return ""
}

// scanListeners finds the listening TCP sockets of every process it can
// see: per network namespace, the LISTEN lines of /proc/<pid>/net/tcp{,6},
// then which process holds each socket (/proc/<pid>/fd). It is run once at
// start, after the programs are attached, for sockets that were already
// listening; a process it may not read is skipped.
func (p procFS) scanListeners() ([]listener, error) {
	dirs, err := os.ReadDir(p.root)
	if err != nil {
		return nil, err
	}
	cg2 := p.cgroup2Root()
	type sock struct {
		netns uint32
		port  uint16
		addr  netip.Addr
	}
	byInode := map[uint64]sock{}
	scanned := map[uint32]bool{}
	type proc struct {
		pid   string
		netns uint32
	}
	var procs []proc
	for _, d := range dirs {
		if _, err := strconv.ParseUint(d.Name(), 10, 32); err != nil {
			continue
		}
		ns, err := p.netns(d.Name())
		if err != nil {
			continue
		}
		procs = append(procs, proc{d.Name(), ns})
		if scanned[ns] {
			continue
		}
		for _, file := range []string{"tcp", "tcp6"} {
			b, err := os.ReadFile(filepath.Join(p.root, d.Name(), "net", file))
			if err != nil {
				continue
			}
			for _, s := range parseProcNetListeners(b) {
				byInode[s.inode] = sock{netns: ns, port: s.port, addr: s.addr}
			}
		}
		scanned[ns] = true
	}
	var out []listener
	seen := map[[2]uint64]bool{}
	for _, pr := range procs {
		fdDir := filepath.Join(p.root, pr.pid, "fd")
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			link, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
			if err != nil || !strings.HasPrefix(link, "socket:[") {
				continue
			}
			ino, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]"), 10, 64)
			if err != nil {
				continue
			}
			s, ok := byInode[ino]
			if !ok {
				continue
			}
			k := [2]uint64{uint64(s.netns), uint64(s.port)}
			if seen[k] {
				continue
			}
			seen[k] = true
			pid, _ := strconv.ParseUint(pr.pid, 10, 32)
			comm, _ := p.comm(uint32(pid))
			out = append(out, listener{
				netns: s.netns, port: s.port, addr: s.addr,
				pid: uint32(pid), cgroup: p.cgroupID(pr.pid, cg2), comm: comm,
			})
		}
	}
	return out, nil
}

type procNetSocket struct {
	addr  netip.Addr
	port  uint16
	inode uint64
}

// parseProcNetListeners reads the LISTEN (state 0A) sockets of a
// /proc/net/tcp or tcp6 file.
func parseProcNetListeners(b []byte) []procNetSocket {
	var out []procNetSocket
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Scan() // header
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
		if len(f) < 10 || f[3] != "0A" {
			continue
		}
		addr, port, err := parseProcNetAddr(f[1])
		if err != nil {
			continue
		}
		inode, err := strconv.ParseUint(f[9], 10, 64)
		if err != nil || inode == 0 {
			continue
		}
		out = append(out, procNetSocket{addr: addr, port: port, inode: inode})
	}
	return out
}

// parseProcNetAddr reads "0100007F:1F90" (IPv4) or the 32-hex-digit IPv6
// form: the address as the kernel's 32-bit words in host byte order, the
// port in hex.
func parseProcNetAddr(s string) (netip.Addr, uint16, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.Addr{}, 0, errors.New("no port")
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.Addr{}, 0, fmt.Errorf("address %q", a)
	}
	// Each 32-bit word is printed in host byte order (little endian on
	// every CPU this receiver runs on).
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return addr.Unmap(), uint16(port), nil
}

// readMachineID reads a machine-id file (systemd's /etc/machine-id).
func readMachineID(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	id := strings.TrimSpace(string(b))
	if id == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return id, nil
}
