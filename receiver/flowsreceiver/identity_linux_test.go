package flowsreceiver

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// testExecutable is the test binary, as started and as /proc/<pid>/exe
// gives it.
func testExecutable(t *testing.T) (self, exe string) {
	t.Helper()
	self, err := os.Executable()
	require.NoError(t, err)
	exe, err = filepath.EvalSymlinks(self)
	require.NoError(t, err)
	return self, exe
}

// pairIDs are the IDs of the host and of the test binary's processes in
// the pair's namespaces (serverModeConfig's scope).
func pairIDs(t *testing.T, p *netnsPair) (hostID, a, b string) {
	t.Helper()
	_, exe := testExecutable(t)
	hostname, err := os.Hostname()
	require.NoError(t, err)
	const scope = "flows-test-scope"
	id := func(h netnsHost) string {
		return internalid.Process(scope, hostname, internalid.ProcessName(internalid.ProcessContext{Netns: h.Name}, exe))
	}
	return internalid.Host(scope, hostname), id(p.A), id(p.B)
}

// collectBatch runs one collection and returns its batch.
func collectBatch(t *testing.T, run *running) plog.Logs {
	t.Helper()
	n := len(run.logs.AllLogs())
	require.NoError(t, run.r.collect(context.Background()))
	require.Len(t, run.logs.AllLogs(), n+1)
	return run.logs.AllLogs()[n]
}

// processStates are the batch's coordimap.process states by ID.
func processStates(ld plog.Logs) map[string]entity.Record {
	out := map[string]entity.Record{}
	for _, rec := range records(ld) {
		if rec.Kind() == entity.KindState && rec.Type() == internalid.TypeProcess {
			out[rec.InternalID()] = rec
		}
	}
	return out
}

func pidsOf(rec entity.Record) []int64 {
	v, _ := rec.Body().Get("pids")
	var out []int64
	for _, p := range v.Slice().All() {
		out = append(out, p.Int())
	}
	return out
}

// assertHostProcessStructural checks that the host → process relation is
// the processes' parent_child link, never a flow, and that no flow is a
// self-loop.
func assertHostProcessStructural(t *testing.T, ld plog.Logs, hostID string) {
	t.Helper()
	for id, rec := range processStates(ld) {
		links := rec.Links()
		require.Len(t, links, 1, id)
		assert.Equal(t, entity.RelParentChild, links[0].Type, id)
		assert.Equal(t, hostID, links[0].Target.InternalID, id)
	}
	for _, o := range observationList(ld, "") {
		assert.NotEqual(t, o.SourceID, o.DestinationID, "self-loop")
		if o.SourceID == hostID {
			assert.NotContains(t, o.DestinationID, "-process-", "host → process is structural, not a flow")
		}
	}
}

// TestSameProgramInTwoNamespaces is the case of two containers running
// the same program: one program (this test binary) serves in namespace a
// (on the wildcard address) and connects from namespace b, while it also
// runs on the host (this test). The two are two elements, the flow runs
// client → server with no self-loop, the connects to a closed port of a
// are counted on a's host, a restarted server keeps its element, and the
// host → process relation stays structural in every batch.
func TestSameProgramInTwoNamespaces(t *testing.T) {
	requireRoot(t)
	p := newNetnsPair(t)
	run := start(t, "namespaces", serverModeConfig(), nil)
	self, exe := testExecutable(t)
	hostID, serverID, clientID := pairIDs(t, p)

	server := netip.AddrPortFrom(p.A.Addr, serverPort).String()
	closed := netip.AddrPortFrom(p.A.Addr, closedPort).String()
	serveEnv := []string{helperEnv + "=serve:0.0.0.0:8080"}
	srv := startHelper(t, p.A, self, serveEnv...)
	cli := startHelper(t, p.B, self, helperEnv+"=client", helperAddr+"="+server, helperRequests+"=5",
		helperRefusedAddr+"="+closed, helperRefused+"=3")
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == goodConns && c["server "+server].closed == goodConns &&
			c["client "+closed].failed == refused
	})
	batch := collectBatch(t, run)

	procs := processStates(batch)
	require.Contains(t, procs, serverID, "processes: %v", sortedKeys(procs))
	require.Contains(t, procs, clientID, "processes: %v", sortedKeys(procs))
	assert.Equal(t, []int64{int64(srv.pid)}, pidsOf(procs[serverID]))
	assert.Equal(t, []int64{int64(cli.pid)}, pidsOf(procs[clientID]))
	assert.Equal(t, []string{server}, procs[serverID].Addresses(), "the wildcard bind, in a's namespace")
	assert.Empty(t, procs[clientID].Addresses())
	for _, id := range []string{serverID, clientID} {
		path, _ := procs[id].Description().Get(attrExecutablePath)
		assert.Equal(t, exe, path.Str(), id)
	}
	ns, _ := procs[serverID].Description().Get(attrNetns)
	assert.Equal(t, p.A.Name, ns.Str())
	assert.Equal(t, filepath.Base(exe)+" (netns "+p.A.Name+")", procs[serverID].Name())

	got := observations(batch, p.Subnet)
	require.Len(t, got, 2, "observations: %v", sortedKeys(got))
	assertWorkload(t, got[clientID+" → "+serverID])
	o := got[clientID+" → "+hostID]
	assert.Equal(t, int64(refused), o.FailedConnections, "the closed port of a, on its host")
	assert.Zero(t, o.Connections)
	assertHostProcessStructural(t, batch, hostID)

	// The server restarts: a new pid, the same element.
	srv.stop()
	waitListenersGone(t, run.r, p.A.Netns)
	srv2 := startHelper(t, p.A, self, serveEnv...)
	require.NotEqual(t, srv.pid, srv2.pid)
	cli2 := startHelper(t, p.B, self, helperEnv+"=client", helperAddr+"="+server, helperRequests+"=2")
	waitKernel(t, run.r, p.Subnet, func(c map[string]counters) bool {
		return c["client "+server].closed == goodConns+2 && c["server "+server].closed == goodConns+2
	})
	batch = collectBatch(t, run)
	procs = processStates(batch)
	require.Contains(t, procs, serverID, "processes: %v", sortedKeys(procs))
	assert.Equal(t, []int64{int64(srv2.pid)}, pidsOf(procs[serverID]))
	assert.Equal(t, []int64{int64(cli2.pid)}, pidsOf(procs[clientID]), "the first client is quiet")
	got = observations(batch, p.Subnet)
	require.Len(t, got, 1, "observations: %v", sortedKeys(got))
	assert.Equal(t, int64(2), got[clientID+" → "+serverID].Connections)
	assertHostProcessStructural(t, batch, hostID)

	// A quiet collection: the host → process relation is still only the
	// links.
	assertHostProcessStructural(t, collectBatch(t, run), hostID)
}
