// Package mongotest starts a throwaway MongoDB wire-protocol server on
// 127.0.0.1 for integration tests: FerretDB v1.24.0 with its SQLite backend.
//
// Debian has no mongod, so the server is FerretDB, built from the Go module
// proxy by build-ferretdb.sh as ferretdb-v1.24.0 into $TOOLS_DIR (default
// <repo>/.cache/tools; the Makefile runs it before the tests); see Binary
// for where it is looked for, and COORDIMAP_FERRETDB to override the path.
// Each server lives in a fresh temporary directory. A test that cannot get a
// server is skipped, unless CI=true, where it fails: CI must never skip
// silently.
//
// What FerretDB v1.24 cannot do, and tests must get elsewhere: views,
// collection validators, the $sample stage, replica sets (no setName, no
// replSetGetConfig), roles (every authenticated user may do everything),
// and currentOp (always an empty inprog).
package mongotest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// Version is the FerretDB release the harness runs.
const Version = "v1.24.0"

// EnvBinary names the environment variable that overrides the binary path.
const EnvBinary = "COORDIMAP_FERRETDB"

// AuthDatabase is where the user of a server started with auth lives.
const AuthDatabase = "admin"

const (
	startTimeout = 30 * time.Second
	stopTimeout  = 15 * time.Second
)

// Options of a server.
type Options struct {
	// Username and Password, when Username is set, turn on authentication
	// (FerretDB's SCRAM-SHA-256/SCRAM-SHA-1, --test-enable-new-auth) with
	// this user created in AuthDatabase: every command but the handshake
	// then needs it.
	Username, Password string
	// TLSCertFile and TLSKeyFile, when set, make the server also listen
	// with TLS, on TLSPort.
	TLSCertFile, TLSKeyFile string
}

// Server is one running throwaway FerretDB.
type Server struct {
	Dir  string
	Port int
	// TLSPort is the TLS listener's port, 0 without TLS.
	TLSPort int
	opts    Options
	bin     string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Endpoint is host:port of the server.
func (s *Server) Endpoint() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// TLSEndpoint is host:port of the TLS listener.
func (s *Server) TLSEndpoint() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.TLSPort))
}

// Username is the server's user, empty when it runs without
// authentication.
func (s *Server) Username() string { return s.opts.Username }

// Password is the password of the server's user.
func (s *Server) Password() string { return s.opts.Password }

// URI is a mongodb:// connection string for the server's plain listener,
// with the credentials of its user when it has one.
func (s *Server) URI() string {
	u := url.URL{Scheme: "mongodb", Host: s.Endpoint(), Path: "/"}
	q := url.Values{}
	if s.opts.Username != "" {
		u.User = url.UserPassword(s.opts.Username, s.opts.Password)
		q.Set("authSource", AuthDatabase)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Unavailable ends the test: skip on a developer machine, fail under CI.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	testneed.Unavailable(tb, "FerretDB", "run internal/mongotest/build-ferretdb.sh", err)
}

// Binary finds the FerretDB binary: $COORDIMAP_FERRETDB, else
// ferretdb-v1.24.0 in $TOOLS_DIR, in $HOME/.cache/otelcol-coordimap/tools
// (the Makefile's default TOOLS_DIR) or in <repo>/.cache/tools, where
// <repo> is the directory above the working directory that holds the
// module's go.mod.
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	name := "ferretdb-" + Version
	var dirs []string
	if d := os.Getenv("TOOLS_DIR"); d != "" {
		dirs = append(dirs, d)
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, ".cache", "otelcol-coordimap", "tools"))
	}
	root, rootErr := repoRoot()
	if rootErr == nil {
		dirs = append(dirs, filepath.Join(root, ".cache", "tools"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	script := "internal/mongotest/build-ferretdb.sh"
	if rootErr == nil {
		script = filepath.Join(root, script)
	}
	return "", fmt.Errorf("FerretDB binary %s not found in %s (build it with %s)", name, strings.Join(dirs, ", "), script)
}

func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/coordimap/otelcol-coordimap\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod of github.com/coordimap/otelcol-coordimap) not found above the working directory")
		}
		dir = parent
	}
}

// Start starts a server in a new directory on a free port; the caller stops
// it with Close. It returns an error when the binary is missing or the
// server does not come up.
func Start(opts Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "coordimap-mongo-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{Dir: dir, Port: port, opts: opts, bin: bin}
	if opts.TLSCertFile != "" {
		if s.TLSPort, err = freePort(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := s.Resume(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Resume starts the server again after Pause (or for the first time), on
// the same port and data, and waits until it accepts connections.
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("mongotest: server already running")
	}
	args := []string{
		"--handler=sqlite",
		"--sqlite-url=file:" + s.Dir + "/",
		"--state-dir=" + s.Dir,
		"--telemetry=disable",
		"--debug-addr=-",
		"--log-level=warn",
		"--listen-addr=" + s.Endpoint(),
	}
	if s.opts.TLSCertFile != "" {
		args = append(args,
			"--listen-tls="+s.TLSEndpoint(),
			"--listen-tls-cert-file="+s.opts.TLSCertFile,
			"--listen-tls-key-file="+s.opts.TLSKeyFile)
	}
	env := os.Environ()
	if s.opts.Username != "" {
		args = append(args, "--test-enable-new-auth",
			"--setup-database="+AuthDatabase, "--setup-username="+s.opts.Username)
		// The password goes through the environment, not the command line
		// (ps shows arguments to every user).
		env = append(env, "FERRETDB_SETUP_PASSWORD="+s.opts.Password)
	}
	logFile, err := os.OpenFile(filepath.Join(s.Dir, "ferretdb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.Dir
	cmd.Env = env
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.cmd, s.done = cmd, done

	deadline := time.Now().Add(startTimeout)
	for {
		if s.listening() {
			return nil
		}
		select {
		case <-done:
			s.cmd, s.done = nil, nil
			return fmt.Errorf("FerretDB exited at start: %s", s.logTail())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stopLocked()
			return fmt.Errorf("FerretDB did not listen on %s within %s: %s", s.Endpoint(), startTimeout, s.logTail())
		}
	}
}

// listening says whether every listener accepts connections.
func (s *Server) listening() bool {
	endpoints := []string{s.Endpoint()}
	if s.TLSPort != 0 {
		endpoints = append(endpoints, s.TLSEndpoint())
	}
	for _, e := range endpoints {
		c, err := net.DialTimeout("tcp", e, time.Second)
		if err != nil {
			return false
		}
		c.Close()
	}
	return true
}

// Pause stops the server, keeping its data.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	return s.stopLocked()
}

func (s *Server) stopLocked() error {
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("FerretDB did not stop within %s and was killed", stopTimeout)
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Pause()
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// logTail is the end of the server's log, for errors.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "ferretdb.log"))
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return strings.TrimSpace(string(b))
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
