package flowsreceiver

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The workload of the server-mode tests, between two network namespaces:
// b connects to a; a answers each request of reqBytes with respBytes and
// closes.
const (
	serverPort = 8080
	closedPort = 8081
	reqBytes   = 1000
	respBytes  = 2000
	goodConns  = 5
	refused    = 3
	// byteSlack allows for the SYN and FIN that the kernel's byte
	// counters may include.
	byteSlack = 2
)

// helperEnv makes the test binary act as a helper process (see
// TestHelperProcess) instead of running tests.
const helperEnv = "FLOWS_TEST_HELPER"

// What the "client" helper does: helperRequests requests to helperAddr,
// then helperRefused connects to helperRefusedAddr, which must refuse.
const (
	helperAddr        = "FLOWS_TEST_ADDR"
	helperRequests    = "FLOWS_TEST_REQUESTS"
	helperRefusedAddr = "FLOWS_TEST_REFUSED_ADDR"
	helperRefused     = "FLOWS_TEST_REFUSED"
)

// TestHelperProcess is not a test: run by other tests as a separate
// process, it starts a receiver without privileges ("unprivileged"), serves
// TCP on an address ("serve:<addr>": reqBytes in, respBytes out per
// connection) or makes a client's connections ("client"). Serving and
// client helpers write "ready" and exit when their stdin closes, so that
// the process is alive when the test collects.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	switch {
	case mode == "":
		return // only a helper process, started by other tests
	case mode == "unprivileged":
		cfg := createDefaultConfig().(*Config)
		cfg.ScopeID = "s"
		ev := startDegraded(t, cfg, func(*flowsReceiver) {})
		fmt.Println("STATUS:", ev.Err())
		return
	case strings.HasPrefix(mode, "serve:"):
		ln, err := net.Listen("tcp4", strings.TrimPrefix(mode, "serve:"))
		require.NoError(t, err)
		defer ln.Close()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					if _, err := io.ReadFull(c, make([]byte, reqBytes)); err == nil {
						_, _ = c.Write(make([]byte, respBytes))
					}
				}()
			}
		}()
	case mode == "client":
		n, _ := strconv.Atoi(os.Getenv(helperRequests))
		for range n {
			require.NoError(t, helperRequest(os.Getenv(helperAddr)))
		}
		n, _ = strconv.Atoi(os.Getenv(helperRefused))
		for range n {
			c, err := net.DialTimeout("tcp4", os.Getenv(helperRefusedAddr), 5*time.Second)
			if err == nil {
				c.Close()
			}
			require.ErrorContains(t, err, "connection refused")
		}
	default:
		t.Fatalf("unknown helper mode %q", mode)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func helperRequest(addr string) error {
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write(make([]byte, reqBytes)); err != nil {
		return err
	}
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if len(got) != respBytes {
		return fmt.Errorf("%s answered %d bytes, want %d", addr, len(got), respBytes)
	}
	return nil
}

// helperBinary copies the test binary to a directory anyone may read, under
// the given name (the name becomes the helper's command).
func helperBinary(t *testing.T, name string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "flowsreceiver")
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	b, err := os.ReadFile(self)
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, b, 0o755))
	return path
}

// helperProc is a workload process (the test binary, see helper_test.go)
// running in a network namespace.
type helperProc struct {
	pid    uint32
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *bytes.Buffer
	done   bool
}

// startHelper starts bin (the test binary or a copy) as a helper in h's
// namespace with env and waits until it is ready; it stops at the test's
// cleanup.
func startHelper(t *testing.T, h netnsHost, bin string, env ...string) *helperProc {
	t.Helper()
	cmd := h.Command(bin, "-test.run=^TestHelperProcess$")
	var err error
	cmd.Env = append(os.Environ(), env...)
	hp := &helperProc{cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = hp.stderr
	hp.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	hp.pid = uint32(cmd.Process.Pid)
	t.Cleanup(hp.stop)
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		hp.stop()
		t.Fatalf("helper did not start: %q %v: %s", line, err, hp.stderr.String())
	}
	return hp
}

// stop ends the helper (it exits when its stdin closes) and waits for it.
func (hp *helperProc) stop() {
	if hp.done {
		return
	}
	hp.done = true
	_ = hp.stdin.Close()
	_ = hp.cmd.Wait()
}
