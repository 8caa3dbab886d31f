package graphstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// benchGraph is 100,000 nodes in 100 groups; each links to its group's hub
// and to two other nodes: 300,000 edges. Batches of 1,000 nodes, as a
// crawl's push would be.
const benchPerBatch = 1000

// benchBatch is the start-th batch of the bench graph, made when needed so
// the measured heap is the store's, not the input's.
func benchBatch(start, nodes int) Batch {
	const perBatch = benchPerBatch
	rng := rand.New(rand.NewPCG(1, uint64(start)))
	id := func(i int) string { return fmt.Sprintf("123456789012@i-%08d", i) }
	{
		var b Batch
		for i := start; i < min(start+perBatch, nodes); i++ {
			hub := (i / 1000) * 1000
			links := []Edge{
				{Source: id(hub), Destination: id(i), Type: entity.RelParentChild, RelationType: 3},
				{Source: id(i), Destination: id(rng.IntN(nodes)), Type: "uses", RelationType: 3},
				{Source: id(i), Destination: id(rng.IntN(nodes)), Type: entity.RelAWSNetworkFlow, RelationType: 105},
			}
			if hub == i {
				links[0].Destination = id((i + 1) % nodes)
			}
			b.Nodes = append(b.Nodes, NodeState{
				ScopeID: "123456789012", ID: id(i), Type: "aws.instance", Name: fmt.Sprintf("web-%d", i),
				DataSourceID: "aws", DataSourceType: "aws", Partition: "aws", At: t0,
				Attributes: map[string]any{"vpc_id": fmt.Sprintf("vpc-%03d", i/1000), "private_ip": fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)},
				Data:       []byte(fmt.Sprintf(`{"InstanceId":"i-%08d","InstanceType":"m5.large","State":{"Name":"running"},"Tags":[{"Key":"Name","Value":"web-%d"}]}`, i, i)),
				Links:      links, LinksKnown: true,
			})
		}
		return b
	}
}

// peakHeap samples the live heap until stop is closed.
func peakHeap(stop <-chan struct{}) *atomic.Uint64 {
	var peak atomic.Uint64
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return &peak
}

const benchNodes = 100_000

// BenchmarkIngest writes the 100,000-node / 300,000-edge graph into an
// empty store: records/s counts nodes and edges.
func BenchmarkIngest(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				var path string
				var s *Store
				if be.name == "sqlite" {
					path = filepath.Join(b.TempDir(), "graph.db")
					var err error
					s, err = OpenSQLite(context.Background(), path, Options{})
					require.NoError(b, err)
				} else {
					s = be.open(b, Options{})
				}
				runtime.GC()
				stop := make(chan struct{})
				peak := peakHeap(stop)
				b.StartTimer()
				cpu0, server0 := cpuTime(), serverCPU()
				start := time.Now()
				for start := 0; start < benchNodes; start += benchPerBatch {
					require.NoError(b, s.Apply(context.Background(), benchBatch(start, benchNodes)))
				}
				el := time.Since(start)
				cpu := cpuTime() - cpu0
				server := serverCPU() - server0
				b.StopTimer()
				close(stop)
				// The CPU of both ends: this process and, for PostgreSQL, the server.
				b.ReportMetric(float64(benchNodes*4)/(cpu+server).Seconds(), "records/cpu-s")
				if server > 0 {
					b.ReportMetric(server.Seconds(), "server-cpu-s")
				}
				b.ReportMetric(float64(benchNodes*4)/el.Seconds(), "records/s")
				b.ReportMetric(float64(benchNodes)/el.Seconds(), "nodes/s")
				b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
				if path != "" {
					for _, suffix := range []string{"", "-wal"} {
						if fi, err := os.Stat(path + suffix); err == nil {
							b.ReportMetric(float64(fi.Size())/(1<<20), "db"+suffix+"-MB")
						}
					}
				}
				s.Close()
				b.StartTimer()
			}
		})
	}
}

// BenchmarkIngestUnchanged writes the same graph again an hour later, as
// the next crawl of an unchanged infrastructure does: every node is known
// and unchanged (its state hash matches), so only its last-seen time moves.
func BenchmarkIngestUnchanged(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b, Options{})
			for start := 0; start < benchNodes; start += benchPerBatch {
				require.NoError(b, s.Apply(context.Background(), benchBatch(start, benchNodes)))
			}
			seq, err := s.LastSeq(context.Background())
			require.NoError(b, err)
			at := t0
			for b.Loop() {
				at = at.Add(time.Hour)
				cpu0, server0 := cpuTime(), serverCPU()
				start := time.Now()
				for start := 0; start < benchNodes; start += benchPerBatch {
					batch := benchBatch(start, benchNodes)
					for i := range batch.Nodes {
						batch.Nodes[i].At = at
					}
					require.NoError(b, s.Apply(context.Background(), batch))
				}
				el := time.Since(start)
				cpu := cpuTime() - cpu0 + serverCPU() - server0
				b.ReportMetric(float64(benchNodes*4)/cpu.Seconds(), "records/cpu-s")
				b.ReportMetric(float64(benchNodes*4)/el.Seconds(), "records/s")
			}
			last, err := s.LastSeq(context.Background())
			require.NoError(b, err)
			require.Equal(b, seq, last, "an unchanged crawl adds no change")
		})
	}
}

var (
	queryOnce  sync.Map // backend name → *Store
	queryMutex sync.Mutex
)

func loadedStore(b *testing.B, be backend) *Store {
	queryMutex.Lock()
	defer queryMutex.Unlock()
	if s, ok := queryOnce.Load(be.name); ok {
		return s.(*Store)
	}
	var s *Store
	if be.name == "sqlite" {
		var err error
		s, err = OpenSQLite(context.Background(), filepath.Join(os.TempDir(), fmt.Sprintf("graph-bench-%d.db", os.Getpid())), Options{})
		require.NoError(b, err)
	} else {
		s = be.open(b, Options{})
	}
	for start := 0; start < benchNodes; start += benchPerBatch {
		require.NoError(b, s.Apply(context.Background(), benchBatch(start, benchNodes)))
	}
	queryOnce.Store(be.name, s)
	return s
}

// BenchmarkQueries measures search, depth-2 neighbourhood and path on the
// 100,000-node graph; p50 and p99 per query, in wall time and in the
// process's CPU time (which a loaded machine inflates less).
func BenchmarkQueries(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) { benchQueries(b, be) })
	}
}

func benchQueries(b *testing.B, be backend) {
	s := loadedStore(b, be)
	rng := rand.New(rand.NewPCG(3, 4))
	id := func() string { return fmt.Sprintf("123456789012@i-%08d", rng.IntN(benchNodes)) }
	ctx := context.Background()
	for _, q := range []struct {
		name string
		run  func() error
	}{
		{"search", func() error {
			i := rng.IntN(benchNodes)
			_, err := s.Nodes(ctx, NodeFilter{Query: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), Limit: 50})
			return err
		}},
		{"search-by-name-prefix", func() error {
			_, err := s.Nodes(ctx, NodeFilter{Query: "web-4242", Limit: 50})
			return err
		}},
		{"neighbourhood-depth2", func() error {
			_, err := s.Neighbourhood(ctx, id(), Traversal{Depth: 2})
			return err
		}},
		{"path", func() error {
			_, err := s.Path(ctx, id(), id(), Traversal{})
			if IsNotFound(err) {
				return nil
			}
			return err
		}},
	} {
		b.Run(q.name, func(b *testing.B) {
			var lat, cpu []time.Duration
			server0 := serverCPU()
			for b.Loop() {
				cpu0, start := cpuTime(), time.Now()
				require.NoError(b, q.run())
				lat = append(lat, time.Since(start))
				cpu = append(cpu, cpuTime()-cpu0)
			}
			if server := serverCPU() - server0; server > 0 {
				// Per query the server's share is too fine for /proc's ticks:
				// its mean.
				b.ReportMetric(float64(server.Microseconds())/1000/float64(len(lat)), "server-cpu-ms/op")
			}
			for _, m := range []struct {
				name string
				v    []time.Duration
			}{{"", lat}, {"cpu-", cpu}} {
				slices.Sort(m.v)
				b.ReportMetric(float64(m.v[len(m.v)/2].Microseconds())/1000, "p50-"+m.name+"ms")
				b.ReportMetric(float64(m.v[len(m.v)*99/100].Microseconds())/1000, "p99-"+m.name+"ms")
			}
		})
	}
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time of the test PostgreSQL server's processes (the
// postmaster, its children, and the children it has reaped), read from
// /proc; 0 when there is no server or no /proc.
func serverCPU() time.Duration {
	if pgServer == nil {
		return 0
	}
	raw, err := os.ReadFile(filepath.Join(pgServer.Dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _, _ := strings.Cut(string(raw), "\n")
	// Fields after the command: state ppid … utime(14) stime(15) cutime(16) cstime(17).
	stat := func(p string) (ppid string, ticks int64, reaped int64) {
		raw, err := os.ReadFile("/proc/" + p + "/stat")
		if err != nil {
			return "", 0, 0
		}
		f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
		n := func(i int) int64 { v, _ := strconv.ParseInt(f[i-3], 10, 64); return v }
		return f[1], n(14) + n(15), n(16) + n(17)
	}
	_, total, reaped := stat(pid)
	total += reaped
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		if ppid, ticks, _ := stat(p.Name()); ppid == pid {
			total += ticks
		}
	}
	return time.Duration(total) * time.Second / 100 // USER_HZ
}
