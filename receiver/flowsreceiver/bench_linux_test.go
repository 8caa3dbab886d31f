package flowsreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"golang.org/x/sys/unix"

	"github.com/coordimap/otelcol-coordimap/bpf"
	nsutil "github.com/coordimap/otelcol-coordimap/internal/netns"
)

// Overhead benchmarks. See README.md ("Overhead") for the figures and
// commands:
//
//	go test -run '^$' -bench ConnectStorm -benchtime 100000x -count 3 ./receiver/flowsreceiver
//	go test -run '^$' -bench Collect ./receiver/flowsreceiver
//	go test -run '^$' -bench Load10k -benchtime 15x ./receiver/flowsreceiver

// benchNetns is a network namespace with loopback up, so the storm's
// sockets and TIME_WAITs stay out of the machine's namespace.
func benchNetns(tb testing.TB) string {
	tb.Helper()
	requireRoot(tb)
	name := "cmfbench" + strconv.Itoa(os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		unavailable(tb, fmt.Errorf("ip netns add: %v: %s", err, out))
	}
	tb.Cleanup(func() { _ = exec.Command("ip", "netns", "del", name).Run() })
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		tb.Fatalf("lo up: %v: %s", err, out)
	}
	return "/run/netns/" + name
}

// stormServer listens on 127.0.0.1 in the namespace and closes every
// connection it accepts at once (the server closes first, so the client
// ports do not linger in TIME_WAIT).
type stormServer struct {
	fd   int
	addr unix.SockaddrInet4
	wg   sync.WaitGroup
}

func newStormServer(tb testing.TB, nsPath string) *stormServer {
	tb.Helper()
	s := &stormServer{}
	require.NoError(tb, nsutil.Do(nsPath, func() error {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		s.fd = fd
		if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
			return err
		}
		if err := unix.Listen(fd, 4096); err != nil {
			return err
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return err
		}
		s.addr = *sa.(*unix.SockaddrInet4)
		return nil
	}))
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		runtime.LockOSThread()
		for {
			nfd, _, err := unix.Accept4(s.fd, unix.SOCK_CLOEXEC)
			if errors.Is(err, unix.EINTR) || errors.Is(err, unix.ECONNABORTED) {
				continue
			}
			if err != nil {
				return
			}
			_ = unix.Close(nfd)
		}
	}()
	return s
}

func (s *stormServer) close() {
	_ = unix.Shutdown(s.fd, unix.SHUT_RDWR) // wakes Accept4
	s.wg.Wait()
	_ = unix.Close(s.fd)
}

// storm makes n connections to s, one after another: socket, connect,
// read until the server's FIN, close.
func storm(nsPath string, s *stormServer, n int) error {
	return nsutil.Do(nsPath, func() error {
		buf := make([]byte, 1)
		for range n {
			fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
			if err != nil {
				return err
			}
			if err := unix.Connect(fd, &s.addr); err != nil {
				_ = unix.Close(fd)
				return err
			}
			for {
				if _, err := unix.Read(fd, buf); !errors.Is(err, unix.EINTR) {
					break
				}
			}
			if err := unix.Close(fd); err != nil {
				return err
			}
		}
		return nil
	})
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConnectStorm times b.N loopback connections (connect, accept,
// close; 10 state changes per connection, both ends on this host) without
// programs, with an empty program on the tracepoint (the cost of the
// tracepoint and of the kernel's run-time accounting itself), and with the
// receiver's programs (tp_btf, and the raw_tp fallback).
//
// cpu-ns/conn is the process's CPU per connection (user and system; on
// loopback the softirq work runs in the sending task); on a shared machine
// its differences are noise-bound. bpf-ns/conn is what the kernel measured
// inside the programs (kernel.bpf_stats_enabled), which includes two clock
// reads per run: subtract the empty program's figure to get the programs'
// own cost.
func BenchmarkConnectStorm(b *testing.B) {
	ns := benchNetns(b)
	for _, v := range []struct {
		name string
		load func(testing.TB) (*tracer, func())
	}{
		{"without_programs", nil},
		{"empty_program", loadEmpty},
		{"with_programs", func(tb testing.TB) (*tracer, func()) { return loadForBench(tb, false) }},
		{"with_programs_raw_tp", func(tb testing.TB) (*tracer, func()) { return loadForBench(tb, true) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			var t *tracer
			if v.load != nil {
				var unload func()
				t, unload = v.load(b)
				defer unload()
				stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
				require.NoError(b, err)
				defer stats.Close()
			}
			s := newStormServer(b, ns)
			defer s.close()
			require.NoError(b, storm(ns, s, 100)) // warm up
			before, runsBefore := progRuntime(b, t), progRuns(b, t)
			cpu0 := cpuTime()
			b.ResetTimer()
			require.NoError(b, storm(ns, s, b.N))
			b.StopTimer()
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/conn")
			if t != nil {
				b.ReportMetric(float64(progRuntime(b, t)-before)/float64(b.N), "bpf-ns/conn")
				b.ReportMetric(float64(progRuns(b, t)-runsBefore)/float64(b.N), "bpf-runs/conn")
			}
		})
	}
}

func loadForBench(tb testing.TB, rawTP bool) (*tracer, func()) {
	t, err := loadTracer(tracerOptions{btfPath: "/sys/kernel/btf/vmlinux", forceRawTP: rawTP})
	require.NoError(tb, err)
	return t, func() { _ = t.close() }
}

// loadEmpty attaches a program that returns at once to the same
// tracepoint, as a tracer so that the stats helpers read it.
func loadEmpty(tb testing.TB) (*tracer, func()) {
	spec := &ebpf.CollectionSpec{Programs: map[string]*ebpf.ProgramSpec{"empty": {
		Type: ebpf.RawTracepoint, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()},
	}}}
	coll, err := ebpf.NewCollection(spec)
	require.NoError(tb, err)
	l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "inet_sock_set_state", Program: coll.Programs["empty"]})
	require.NoError(tb, err)
	t := &tracer{coll: coll, links: []link.Link{l}}
	return t, func() { _ = t.close() }
}

// progRuntime is the time the kernel spent in the attached programs.
func progRuntime(tb testing.TB, t *tracer) time.Duration {
	if t == nil {
		return 0
	}
	var total time.Duration
	for _, p := range t.coll.Programs {
		st, err := p.Stats()
		require.NoError(tb, err)
		total += st.Runtime
	}
	return total
}

// progRuns is how many times the attached programs ran.
func progRuns(tb testing.TB, t *tracer) uint64 {
	if t == nil {
		return 0
	}
	var total uint64
	for _, p := range t.coll.Programs {
		st, err := p.Stats()
		require.NoError(tb, err)
		total += st.RunCount
	}
	return total
}

// BenchmarkCollect measures one collection (read the kernel map, resolve,
// build records and metrics) with n flows in the map, all of them changed
// since the previous collection.
func BenchmarkCollect(b *testing.B) {
	requireRoot(b)
	for _, n := range []int{100, 1000, 10000} {
		b.Run(strconv.Itoa(n)+"_flows", func(b *testing.B) {
			cfg := serverModeConfig()
			r := newReceiver(cfg, benchSettings())
			r.logs = consumertest.NewNop()
			r.metrics = consumertest.NewNop()
			require.NoError(b, r.setup())
			defer r.Shutdown(context.Background())
			keys, vals := syntheticFlows(n)
			ctx := context.Background()
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				for j := range vals {
					vals[j].Opened++
					vals[j].Closed++
					vals[j].BytesSent += 100
				}
				_, err := r.tracer.flowsMap.BatchUpdate(keys, vals, nil)
				require.NoError(b, err)
				b.StartTimer()
				require.NoError(b, r.collect(ctx))
			}
			b.ReportMetric(float64(n), "flows")
		})
	}
}

// syntheticFlows are n distinct client-side flows of this process.
func syntheticFlows(n int) ([]bpf.FlowsFlowKey, []bpf.FlowsFlowVal) {
	keys := make([]bpf.FlowsFlowKey, n)
	vals := make([]bpf.FlowsFlowVal, n)
	comm := [16]int8{}
	for i, c := range "bench" {
		comm[i] = int8(c)
	}
	for i := range n {
		keys[i] = bpf.FlowsFlowKey{
			Client: netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}).As16(),
			Server: netip.AddrFrom4([4]byte{10, 2, byte(i % 7), 1}).As16(),
			Port:   uint16(5000 + i%50), Side: uint8(sideClient), Netns: 1, Cgroup: 1,
		}
		vals[i] = bpf.FlowsFlowVal{Pid: uint32(os.Getpid()), Comm: comm, LastNs: 1}
	}
	return keys, vals
}

// BenchmarkLoad10k drives about 10,000 connections per second through the
// attached programs for b.N seconds (use -benchtime <seconds>x), collects
// every second, and reports the receiver's costs: bpf-ns/conn (kernel
// accounting included, see BenchmarkConnectStorm), bpf-%core, collect-µs
// (user space, per collection), flows (map entries), maps-MiB (kernel maps'
// memlock) and heap-MiB (Go heap growth).
func BenchmarkLoad10k(b *testing.B) {
	ns := benchNetns(b)
	stats, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	require.NoError(b, err)
	defer stats.Close()
	run := start(b, "load", serverModeConfig(), nil)
	s := newStormServer(b, ns)
	defer s.close()

	var ms0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	bpf0 := progRuntime(b, run.r.tracer)
	const rate, tick = 10000, 10 * time.Millisecond
	per := rate * int(tick) / int(time.Second)
	conns := 0
	var collectTime time.Duration
	b.ResetTimer()
	begin := time.Now()
	for range b.N {
		second := time.Now()
		for time.Since(second) < time.Second {
			t0 := time.Now()
			require.NoError(b, storm(ns, s, per))
			conns += per
			if d := tick - time.Since(t0); d > 0 {
				time.Sleep(d)
			}
		}
		c0 := time.Now()
		require.NoError(b, run.r.collect(context.Background()))
		collectTime += time.Since(c0)
	}
	elapsed := time.Since(begin)
	b.StopTimer()
	bpfTime := progRuntime(b, run.r.tracer) - bpf0
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	var memlock uint64
	for _, m := range run.r.tracer.coll.Maps {
		if info, err := m.Info(); err == nil {
			if v, ok := info.Memlock(); ok {
				memlock += v
			}
		}
	}
	run.r.mu.Lock()
	entries, err := run.r.tracer.flows()
	run.r.mu.Unlock()
	require.NoError(b, err)

	b.ReportMetric(float64(conns)/elapsed.Seconds(), "conn/s")
	b.ReportMetric(float64(bpfTime)/float64(conns), "bpf-ns/conn")
	b.ReportMetric(100*bpfTime.Seconds()/elapsed.Seconds(), "bpf-%core")
	b.ReportMetric(float64(collectTime.Microseconds())/float64(b.N), "collect-µs")
	b.ReportMetric(float64(len(entries)), "flows")
	b.ReportMetric(float64(memlock)/(1<<20), "maps-MiB")
	b.ReportMetric((float64(ms1.HeapInuse)-float64(ms0.HeapInuse))/(1<<20), "heap-MiB")
}

func benchSettings() receiver.Settings { return receivertest.NewNopSettings(typeStr) }
