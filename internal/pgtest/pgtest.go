// Package pgtest starts a throwaway PostgreSQL server on 127.0.0.1 for
// integration tests, from the Debian postgresql-15 package.
//
// When COORDIMAP_TEST_POSTGRES_DIR is unset, each server lives in a fresh
// temporary directory. A test that cannot get a server is skipped, unless
// CI=true, where it fails: CI must never skip silently.
package pgtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// BinDir is where Debian installs PostgreSQL 15's server programs.
var BinDir = "/usr/lib/postgresql/15/bin"

// Server is one running throwaway PostgreSQL.
type Server struct {
	Dir  string
	Port int
}

// Endpoint is host:port of the server.
func (s *Server) Endpoint() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// DSN is a connection string for the superuser "postgres" (trust auth).
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@%s/%s?sslmode=disable", s.Endpoint(), db)
}

// Unavailable ends the test: skip on a developer machine, fail under CI.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	testneed.Unavailable(tb, "PostgreSQL", "install postgresql-15", err)
}

// Start initialises and starts a server in a new directory; the caller stops
// it with Close. It returns an error when the binaries or privileges are
// missing.
func Start() (*Server, error) {
	if _, err := os.Stat(filepath.Join(BinDir, "initdb")); err != nil {
		return nil, fmt.Errorf("initdb not found in %s: %w", BinDir, err)
	}
	dir, err := os.MkdirTemp("", "coordimap-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir}
	if err := s.chownToPostgres(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %w: %s", err, out)
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.Port = port
	if err := s.Resume(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Resume starts the server again after Pause (or for the first time).
func (s *Server) Resume() error {
	data := filepath.Join(s.Dir, "data")
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", s.Port, s.Dir)
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(s.Dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		return fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	return nil
}

// Pause stops the server, keeping its data.
func (s *Server) Pause() error {
	out, err := s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-w", "-m", "fast", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Pause()
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// run executes a PostgreSQL program, as user postgres when we are root
// (initdb and the server refuse to run as root).
func (s *Server) run(prog string, args ...string) ([]byte, error) {
	path := filepath.Join(BinDir, prog)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.Dir = s.Dir
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.Bytes(), err
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		return out.Bytes(), fmt.Errorf("%s timed out", prog)
	}
}

func (s *Server) chownToPostgres() error {
	if os.Geteuid() != 0 {
		return nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return fmt.Errorf("user postgres: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return os.Chown(s.Dir, uid, gid)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
