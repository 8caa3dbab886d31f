// Package mariadbtest starts a throwaway MariaDB server on 127.0.0.1 for
// integration tests, from the Debian mariadb-server package (MariaDB 10.11
// on Debian 12).
//
// Each server lives in a fresh temporary directory: mariadb-install-db
// creates its data directory, then mariadbd listens on 127.0.0.1 on a free
// port, with its socket in that directory. The server resolves no host
// names (skip-name-resolve), so the process list shows client IPs, and it
// offers TLS with a self-signed certificate for 127.0.0.1 (see
// [Server.CAFile]); plain connections keep working. The superuser is root
// without a password, over TCP from 127.0.0.1 and over the socket.
//
// A test that cannot get a server is skipped, unless CI=true, where it
// fails: CI must never skip silently.
package mariadbtest

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/coordimap/otelcol-coordimap/internal/testcert"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// Programs, as Debian installs them.
var (
	InstallDB = "/usr/bin/mariadb-install-db"
	Daemon    = "/usr/sbin/mariadbd"
)

const (
	startTimeout = 2 * time.Minute
	stopTimeout  = time.Minute
)

// Server is one running throwaway MariaDB.
type Server struct {
	// Dir holds the data directory (data/), the socket, the error log and
	// the TLS files.
	Dir  string
	Port int
	// CAFile is the server's self-signed certificate, for clients that
	// verify it (it is its own CA; its name is 127.0.0.1).
	CAFile string

	cmd  *exec.Cmd
	done chan struct{} // closed when the server process has exited
	err  error         // its exit status, once done is closed
}

// Endpoint is host:port of the server.
func (s *Server) Endpoint() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)) }

// Socket is the path of the server's unix socket.
func (s *Server) Socket() string { return filepath.Join(s.Dir, "mysqld.sock") }

// Config is a go-sql-driver configuration for root over TCP, with
// multi-statement scripts allowed; db may be empty.
func (s *Server) Config(db string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "tcp"
	cfg.Addr = s.Endpoint()
	cfg.DBName = db
	cfg.MultiStatements = true
	cfg.Timeout = 10 * time.Second
	cfg.Logger = &mysql.NopLogger{}
	return cfg
}

// DSN is Config(db) as a data source name for sql.Open("mysql", …).
func (s *Server) DSN(db string) string { return s.Config(db).FormatDSN() }

// Exec runs a script of one or more statements as root. Compound
// statements (CREATE PROCEDURE … BEGIN … END) need no DELIMITER.
func (s *Server) Exec(ctx context.Context, db, script string) error {
	conn, err := mysql.NewConnector(s.Config(db))
	if err != nil {
		return err
	}
	pool := sql.OpenDB(conn)
	defer pool.Close()
	_, err = pool.ExecContext(ctx, script)
	return err
}

// Unavailable ends the test: skip on a developer machine, fail under CI.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	testneed.Unavailable(tb, "MariaDB", "install mariadb-server", err)
}

// Start initialises and starts a server in a new directory; the caller stops
// it with Close. It returns an error when the programs are missing or the
// server does not come up.
func Start() (*Server, error) {
	for _, prog := range []string{InstallDB, Daemon} {
		if _, err := os.Stat(prog); err != nil {
			return nil, fmt.Errorf("%s not found: %w", prog, err)
		}
	}
	dir, err := os.MkdirTemp("", "coordimap-mariadb-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir}
	if err := s.init(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.Resume(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) init() error {
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(s.Dir, "data"),
		"--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Geteuid() == 0 { // mariadbd refuses root unless told to
		args = append(args, "--user=root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, InstallDB, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("mariadb-install-db: %w: %s", err, out)
	}
	if s.CAFile, _, err = testcert.Write(s.Dir); err != nil {
		return fmt.Errorf("TLS certificate: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	return nil
}

// Resume starts the server again after Pause (or for the first time) and
// waits until it answers queries.
func (s *Server) Resume() error {
	if s.cmd != nil {
		return errors.New("mariadbtest: server already running")
	}
	args := []string{
		"--no-defaults",
		"--datadir=" + filepath.Join(s.Dir, "data"),
		"--socket=" + s.Socket(),
		"--pid-file=" + filepath.Join(s.Dir, "mysqld.pid"),
		"--log-error=" + filepath.Join(s.Dir, "error.log"),
		"--tmpdir=" + s.Dir,
		"--port=" + strconv.Itoa(s.Port),
		"--bind-address=127.0.0.1",
		"--skip-name-resolve",
		"--skip-log-bin",
		"--max-connections=200",
		"--ssl-cert=" + filepath.Join(s.Dir, "server.crt"),
		"--ssl-key=" + filepath.Join(s.Dir, "server.key"),
		// A throwaway server: no durability, faster DDL.
		"--innodb-flush-log-at-trx-commit=0",
		"--innodb-doublewrite=0",
		"--sync-frm=0",
	}
	if os.Geteuid() == 0 {
		args = append(args, "--user=root")
	}
	cmd := exec.Command(Daemon, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mariadbd: %w", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(); err != nil {
		_ = s.Pause()
		return fmt.Errorf("mariadbd did not start: %w\n%s%s", err, out.Bytes(), s.logTail())
	}
	return nil
}

// waitReady pings the server until it answers, it exits, or startTimeout.
func (s *Server) waitReady() error {
	conn, err := mysql.NewConnector(s.Config(""))
	if err != nil {
		return err
	}
	pool := sql.OpenDB(conn)
	defer pool.Close()
	deadline := time.Now().Add(startTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := pool.PingContext(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited: %v", s.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %s: %w", startTimeout, err)
		}
	}
}

// Pause stops the server (SIGTERM, a clean shutdown), keeping its data.
func (s *Server) Pause() error {
	if s.cmd == nil {
		return nil
	}
	defer func() { s.cmd = nil }()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(stopTimeout):
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	return fmt.Errorf("mariadbd did not stop within %s; killed", stopTimeout)
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Pause()
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// logTail is the end of the server's error log, for start failures.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "error.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
