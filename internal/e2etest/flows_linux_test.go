package e2etest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/netnstest"
)

// The workload of TestCollectorFlowsBetweenNamespaces.
const (
	goodConns = 5
	refused   = 3
)

// The client of TestCollectorFlowsBetweenNamespaces: requests to the
// server, connects to a closed port, then waits until its stdin closes so
// that it is running when the collector collects.
const flowsClient = `
import http.client, socket, sys
host, port, closed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for _ in range(%d):
    c = http.client.HTTPConnection(host, port, timeout=5)
    c.request("GET", "/")
    c.getresponse().read()
    c.close()
for _ in range(%d):
    try:
        socket.create_connection((host, closed), timeout=5).close()
        sys.exit("the closed port accepted a connection")
    except ConnectionRefusedError:
        pass
print("done", flush=True)
sys.stdin.read()
`

// The scenario, through the built collector: an HTTP server
// (python3) in one network namespace, a client (python3) in another, joined
// by a veth pair, while python3 and the collector also run on the host.
// The request bodies hold two distinct process elements and exactly one
// ebpf_flow edge client → server, no self-loop, the host → process edges
// are parent_child in every body, and the graph file counts the refused
// connects on the client → host edge.
func TestCollectorFlowsBetweenNamespaces(t *testing.T) {
	bin := collectorBinary(t)
	p := netnstest.New(t)
	python, err := exec.LookPath("python3")
	if err != nil {
		netnstest.Unavailable(t, fmt.Errorf("python3: %w", err))
	}
	// The interpreter itself, not a wrapper script (pyenv's shims).
	out, err := exec.Command(python, "-c", "import sys; print(sys.executable)").Output()
	require.NoError(t, err)
	python = strings.TrimSpace(string(out))

	fake, srv := newAPI(t)
	cfgPath, graph := writeConfig(t, "coordimap_flows", `
    deployed_at: server
    scope_id: e2e-flows
    collection_interval: 1s`, srv.URL, "e2e-api-key")
	dir := filepath.Dir(graph)
	cmd, log, exited := runCollector(t, bin, cfgPath)
	hostname, err := os.Hostname()
	require.NoError(t, err)
	hostID := internalid.Host("e2e-flows", hostname)
	awaitElements(t, fake, []string{hostID}, log, exited)

	// Another python3 on the host, in the host's namespace.
	startPython(t, exec.Command(python, "-c", `import sys; print("done", flush=True); sys.stdin.read()`))
	server := startPython(t, p.A.Command(python, "-u", "-m", "http.server", "8080", "--bind", "0.0.0.0", "--directory", dir))
	startPython(t, p.B.Command(python, "-c", fmt.Sprintf(flowsClient, goodConns, refused), p.A.Addr.String(), "8080", "8081"))
	exe, err := os.Readlink("/proc/" + strconv.Itoa(server.Process.Pid) + "/exe")
	require.NoError(t, err)
	id := func(h netnstest.Host) string {
		return internalid.Process("e2e-flows", hostname, internalid.ProcessName(internalid.ProcessContext{Netns: h.Name}, exe))
	}
	serverID, clientID := id(p.A), id(p.B)
	require.NotEqual(t, serverID, clientID)
	awaitElements(t, fake, []string{serverID, clientID, clientID + "." + serverID}, log, exited)
	// The graph file has the counters: the refused connects to a's closed
	// port are on the client → host edge (nobody listens there).
	var conns, failed int64
	awaitGraph(t, graph, func(edges []graphEdge) bool {
		for _, e := range edges {
			switch {
			case e.Source == clientID && e.Destination == serverID && e.Type == "ebpf_flow":
				conns = e.Connections
			case e.Source == clientID && e.Destination == hostID && e.Type == "ebpf_flow":
				failed = e.FailedConnections
			}
		}
		return conns >= goodConns && failed >= refused
	}, log, exited)
	// Two collections more, for the relations across batches.
	fake.mu.Lock()
	n := len(fake.bodies)
	fake.mu.Unlock()
	for deadline := time.Now().Add(time.Minute); ; {
		fake.mu.Lock()
		more := len(fake.bodies) >= n+2
		fake.mu.Unlock()
		if more {
			break
		}
		require.True(t, time.Now().Before(deadline), "no more requests:\n%s", log.String())
		time.Sleep(100 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, <-exited, log.String())

	fake.mu.Lock()
	bodies := fake.bodies
	fake.mu.Unlock()
	pairEdges, processes := 0, map[string]bool{}
	for _, b := range bodies {
		elems := bodyElements(t, b)
		perBody := 0
		for _, e := range elems {
			if e.Type == internalid.TypeProcess {
				processes[e.ID] = true
				continue
			}
			if e.Type != "coordimap.relationship_skipinsert" {
				continue
			}
			var rel struct {
				Source       string `json:"source_id"`
				Destination  string `json:"destination_id"`
				RelationType int    `json:"relation_type"`
			}
			require.NoError(t, json.Unmarshal(e.Data, &rel))
			assert.NotEqual(t, rel.Source, rel.Destination, "self-loop %s", e.ID)
			if rel.Source == hostID && strings.Contains(rel.Destination, "-process-") {
				assert.Equal(t, 3, rel.RelationType, "host → process is parent_child: %s", e.ID)
			}
			ends := map[string]bool{rel.Source: true, rel.Destination: true}
			if ends[serverID] && ends[clientID] {
				assert.Equal(t, clientID, rel.Source, "client → server")
				assert.Equal(t, 104, rel.RelationType, "ebpf_flow")
				perBody++
			}
		}
		assert.LessOrEqual(t, perBody, 1, "one edge per pair in a request")
		pairEdges += perBody
	}
	assert.Positive(t, pairEdges)
	assert.True(t, processes[serverID] && processes[clientID], "processes: %v", processes)
	var pythons []string
	for id := range processes {
		if strings.HasSuffix(id, ":"+exe) || strings.HasSuffix(id, "-"+exe) {
			pythons = append(pythons, id)
		}
	}
	assert.Len(t, pythons, 2, "the server and the client, each its own element: %v", pythons)

	assert.Equal(t, int64(goodConns), conns, "connections client → server in the graph file")
	assert.Equal(t, int64(refused), failed, "refused connects on the client → host edge in the graph file")
}

// graphEdge is an edge of the exporter's graph file.
type graphEdge struct {
	Source            string `json:"source"`
	Destination       string `json:"destination"`
	Type              string `json:"type"`
	Connections       int64  `json:"connections"`
	FailedConnections int64  `json:"failed_connections"`
}

// awaitGraph waits up to a minute until the graph file at path has edges
// that done accepts; it fails at once if the collector exits.
func awaitGraph(t *testing.T, path string, done func([]graphEdge) bool, out *bytes.Buffer, exited chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var doc struct{ Edges []graphEdge }
		if raw, err := os.ReadFile(path); err == nil && json.Unmarshal(raw, &doc) == nil && done(doc.Edges) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the graph file never had the edges; collector output:\n%s", out.String())
		}
		select {
		case err := <-exited:
			t.Fatalf("collector exited early: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startPython starts cmd (a python3 that prints one line when ready) and
// waits for that line; it is stopped at the test's cleanup by closing its
// stdin, then killed.
func startPython(t *testing.T, cmd *exec.Cmd) *exec.Cmd {
	t.Helper()
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	_, err = bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("%s did not start: %v: %s", cmd.Path, err, stderr.String())
	}
	return cmd
}

// bodyElements decodes the elements of one request body.
func bodyElements(t *testing.T, body string) []element {
	t.Helper()
	var req requestBody
	require.NoError(t, json.Unmarshal([]byte(body), &req))
	return req.CloudCrawlData.CrawledData.Data
}
