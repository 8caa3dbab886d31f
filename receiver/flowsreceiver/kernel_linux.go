//go:build linux && (386 || amd64 || arm || arm64 || loong64 || mips64le || mipsle || ppc64le || riscv64)

package flowsreceiver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"

	"github.com/coordimap/otelcol-coordimap/bpf"
	nsutil "github.com/coordimap/otelcol-coordimap/internal/netns"
)

// Linux capability numbers (linux/capability.h).
const (
	capSysAdmin = 21
	capPerfmon  = 38
	capBPF      = 39
)

// batchSize is how many map entries one batch lookup reads.
const batchSize = 1024

// tracer holds the loaded programs, their links and maps.
type tracer struct {
	coll  *ebpf.Collection
	links []link.Link
	mode  string
	// fallbackReason is why tp_btf was not used, when it was not.
	fallbackReason error

	flowsMap, listenersMap, statsMap *ebpf.Map

	// Buffers reused by every read.
	keys    []bpf.FlowsFlowKey
	vals    []bpf.FlowsFlowVal
	entries []flowEntry
}

// preflight names what is missing before anything is loaded, so that the
// status says "CAP_BPF missing" rather than "operation not permitted".
func preflight(btfPath string) error {
	var missing []string
	if eff, err := effectiveCaps(); err == nil {
		admin := eff&(1<<capSysAdmin) != 0
		if eff&(1<<capBPF) == 0 && !admin {
			missing = append(missing, "CAP_BPF missing")
		}
		if eff&(1<<capPerfmon) == 0 && !admin {
			missing = append(missing, "CAP_PERFMON missing")
		}
	}
	if len(missing) > 0 {
		missing[len(missing)-1] += " (run as root, or grant CAP_BPF and CAP_PERFMON)"
	}
	if _, err := os.Stat(btfPath); err != nil {
		missing = append(missing, fmt.Sprintf("BTF not found at %s (the kernel needs CONFIG_DEBUG_INFO_BTF=y)", btfPath))
	}
	if len(missing) > 0 {
		return errors.New(strings.Join(missing, "; "))
	}
	return nil
}

// effectiveCaps reads the effective capability set of the process.
func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("no CapEff in /proc/self/status")
}

// loadTracer checks the prerequisites, loads the programs and attaches them:
// tp_btf where the kernel allows it, raw tracepoints otherwise.
func loadTracer(opts tracerOptions) (*tracer, error) {
	if err := preflight(opts.btfPath); err != nil {
		return nil, err
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; newer ones
	// to the memory cgroup, and this is a no-op. A failure shows as a load
	// error below.
	_ = rlimit.RemoveMemlock()

	spec, err := bpf.LoadFlows()
	if err != nil {
		return nil, err
	}
	if err := spec.Variables[bpf.FlowsVarFilterIfindex].Set(opts.filterIfindex); err != nil {
		return nil, err
	}
	if err := spec.Variables[bpf.FlowsVarFilterNetns].Set(opts.filterNetns); err != nil {
		return nil, err
	}

	var btfErr error
	if !opts.forceRawTP {
		t, err := attachWith(spec, attachTPBTF)
		if err == nil {
			return t, nil
		}
		btfErr = err
	}
	t, err := attachWith(spec, attachRawTP)
	if err != nil {
		if btfErr != nil {
			return nil, fmt.Errorf("%s: %w; %s: %w", attachTPBTF, btfErr, attachRawTP, err)
		}
		return nil, fmt.Errorf("%s: %w", attachRawTP, err)
	}
	t.fallbackReason = btfErr
	return t, nil
}

// attachWith loads the two programs of one attachment mode (and the maps)
// and attaches them.
func attachWith(spec *ebpf.CollectionSpec, mode string) (*tracer, error) {
	state, retransmit := bpf.FlowsProgTpBtfState, bpf.FlowsProgTpBtfRetransmit
	if mode == attachRawTP {
		state, retransmit = bpf.FlowsProgRawTpState, bpf.FlowsProgRawTpRetransmit
	}
	s := spec.Copy()
	for name := range s.Programs {
		if name != state && name != retransmit {
			delete(s.Programs, name)
		}
	}
	delete(s.Maps, bpf.FlowsMapTestSk)
	coll, err := ebpf.NewCollection(s)
	if err != nil {
		return nil, fmt.Errorf("loading BPF programs: %w", explainLoadError(err))
	}
	t := &tracer{
		coll:         coll,
		mode:         mode,
		flowsMap:     coll.Maps[bpf.FlowsMapFlows],
		listenersMap: coll.Maps[bpf.FlowsMapListeners],
		statsMap:     coll.Maps[bpf.FlowsMapStats],
	}
	for _, name := range []string{state, retransmit} {
		prog := coll.Programs[name]
		var l link.Link
		if mode == attachTPBTF {
			l, err = link.AttachTracing(link.TracingOptions{Program: prog})
		} else {
			l, err = link.AttachRawTracepoint(link.RawTracepointOptions{Name: s.Programs[name].AttachTo, Program: prog})
		}
		if err != nil {
			_ = t.close()
			return nil, fmt.Errorf("attaching %s to %s: %w", name, s.Programs[name].AttachTo, explainLoadError(err))
		}
		t.links = append(t.links, l)
	}
	return t, nil
}

// explainLoadError adds what EPERM usually means.
func explainLoadError(err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("%w (CAP_BPF and CAP_PERFMON are needed; a locked-down kernel refuses some program types)", err)
	}
	return err
}

func (t *tracer) close() error {
	var errs []error
	for i := len(t.links) - 1; i >= 0; i-- {
		errs = append(errs, t.links[i].Close())
	}
	t.links = nil
	if t.coll != nil {
		t.coll.Close()
		t.coll = nil
	}
	return errors.Join(errs...)
}

// flows reads the whole flows map. The slice is reused by the next call.
func (t *tracer) flows() ([]flowEntry, error) {
	if t.keys == nil {
		t.keys = make([]bpf.FlowsFlowKey, batchSize)
		t.vals = make([]bpf.FlowsFlowVal, batchSize)
	}
	offset := monotonicOffset()
	t.entries = t.entries[:0]
	var cursor ebpf.MapBatchCursor
	for {
		n, err := t.flowsMap.BatchLookup(&cursor, t.keys, t.vals, nil)
		for i := range n {
			t.entries = append(t.entries, decodeFlow(&t.keys[i], &t.vals[i], offset))
		}
		if errors.Is(err, ebpf.ErrKeyNotExist) {
			return t.entries, nil
		}
		if errors.Is(err, ebpf.ErrNotSupported) {
			return t.iterateFlows(offset)
		}
		if err != nil {
			return nil, fmt.Errorf("reading the flows map: %w", err)
		}
	}
}

// iterateFlows is the fallback for kernels without batch operations (<5.6).
func (t *tracer) iterateFlows(offset time.Duration) ([]flowEntry, error) {
	t.entries = t.entries[:0]
	var k bpf.FlowsFlowKey
	var v bpf.FlowsFlowVal
	it := t.flowsMap.Iterate()
	for it.Next(&k, &v) {
		t.entries = append(t.entries, decodeFlow(&k, &v, offset))
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("reading the flows map: %w", err)
	}
	return t.entries, nil
}

func decodeFlow(k *bpf.FlowsFlowKey, v *bpf.FlowsFlowVal, offset time.Duration) flowEntry {
	e := flowEntry{
		key: flowKey{
			client: netip.AddrFrom16(k.Client).Unmap(),
			server: netip.AddrFrom16(k.Server).Unmap(),
			port:   k.Port,
			side:   side(k.Side),
			netns:  k.Netns,
			cgroup: k.Cgroup,
		},
		counters: counters{
			opened:        v.Opened,
			failed:        v.Failed,
			closed:        v.Closed,
			retransmits:   v.Retransmits,
			bytesSent:     v.BytesSent,
			bytesReceived: v.BytesReceived,
		},
		pid:  v.Pid,
		comm: cString(v.Comm[:]),
	}
	if v.LastNs != 0 {
		e.last = time.Unix(0, int64(v.LastNs)).Add(offset)
	}
	return e
}

// monotonicOffset converts bpf_ktime_get_ns (CLOCK_MONOTONIC) to wall time.
func monotonicOffset() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return time.Duration(time.Now().UnixNano() - ts.Nano())
}

// listeners reads the listening ports the kernel knows.
func (t *tracer) listeners() ([]listener, error) {
	var out []listener
	var k bpf.FlowsListenKey
	var v bpf.FlowsListenVal
	it := t.listenersMap.Iterate()
	for it.Next(&k, &v) {
		out = append(out, listener{
			netns:  k.Netns,
			port:   k.Port,
			addr:   netip.AddrFrom16(v.Addr).Unmap(),
			pid:    v.Pid,
			cgroup: v.Cgroup,
			comm:   cString(v.Comm[:]),
		})
	}
	if err := it.Err(); err != nil {
		return nil, fmt.Errorf("reading the listeners map: %w", err)
	}
	return out, nil
}

// addListeners records listening sockets found in /proc, that is opened
// before the programs were attached. What the programs recorded since wins.
func (t *tracer) addListeners(ls []listener) error {
	var errs []error
	for _, l := range ls {
		v := bpf.FlowsListenVal{Pid: l.pid, Cgroup: l.cgroup, Addr: l.addr.As16()}
		for i := 0; i < len(v.Comm)-1 && i < len(l.comm); i++ {
			v.Comm[i] = int8(l.comm[i])
		}
		err := t.listenersMap.Update(bpf.FlowsListenKey{Netns: l.netns, Port: l.port}, v, ebpf.UpdateNoExist)
		if err != nil && !errors.Is(err, ebpf.ErrKeyExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stats sums the per-CPU counters of what could not be recorded.
func (t *tracer) stats() (kernelStats, error) {
	sum := func(idx bpf.FlowsStat) (uint64, error) {
		var perCPU []uint64
		if err := t.statsMap.Lookup(uint32(idx), &perCPU); err != nil {
			return 0, err
		}
		var s uint64
		for _, v := range perCPU {
			s += v
		}
		return s, nil
	}
	var st kernelStats
	var err error
	if st.socksFull, err = sum(bpf.FlowsStatSTAT_SOCKS_FULL); err != nil {
		return st, err
	}
	if st.listenersFull, err = sum(bpf.FlowsStatSTAT_LISTENERS_FULL); err != nil {
		return st, err
	}
	st.flowsFull, err = sum(bpf.FlowsStatSTAT_FLOWS_FULL)
	return st, err
}

// kernelRelease is uname -r.
func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}

// resolveInterface finds the index of device name and the inode of the
// network namespace it is in: the namespace at nsPath, or the collector's
// when nsPath is "".
func resolveInterface(name, nsPath string) (ifindex, netns uint32, err error) {
	if nsPath == "" {
		nsPath = "/proc/self/ns/net"
	}
	if netns, err = nsutil.Inode(nsPath); err != nil {
		return 0, 0, err
	}
	var iface *net.Interface
	err = nsutil.Do(nsPath, func() error {
		var err error
		iface, err = net.InterfaceByName(name)
		return err
	})
	if err != nil {
		return 0, 0, fmt.Errorf("no device %q in the network namespace: %w", name, err)
	}
	return uint32(iface.Index), netns, nil
}
