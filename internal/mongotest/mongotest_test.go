package mongotest

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func dial(endpoint string) error {
	c, err := net.DialTimeout("tcp", endpoint, time.Second)
	if err == nil {
		c.Close()
	}
	return err
}

func TestStartPauseResume(t *testing.T) {
	s, err := Start(Options{Username: "u", Password: "p@ss:word"})
	if err != nil {
		Unavailable(t, err)
	}
	defer s.Close()
	if err := dial(s.Endpoint()); err != nil {
		t.Fatalf("server not listening: %v", err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := dial(s.Endpoint()); err == nil {
		t.Fatal("server still listening after Pause")
	}
	if err := s.Pause(); err != nil {
		t.Fatalf("Pause twice: %v", err)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := dial(s.Endpoint()); err != nil {
		t.Fatalf("server not listening after Resume: %v", err)
	}
	if err := s.Resume(); err == nil {
		t.Fatal("Resume of a running server must fail")
	}

	// The URI carries the credentials, escaped, and the auth database.
	u, err := url.Parse(s.URI())
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	if u.Scheme != "mongodb" || u.Host != s.Endpoint() || u.User.Username() != "u" || pw != "p@ss:word" ||
		u.Query().Get("authSource") != AuthDatabase {
		t.Fatalf("URI %q", s.URI())
	}
	// The password is not on the command line.
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(s.cmd.Process.Pid), "cmdline"))
	if err == nil && strings.Contains(string(b), "p@ss:word") {
		t.Fatal("password on the command line")
	}

	dir := s.Dir
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("Close left %s", dir)
	}
}

func TestBinaryOverride(t *testing.T) {
	t.Setenv(EnvBinary, "/nonexistent/ferretdb")
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), EnvBinary) {
		t.Fatalf("want an error naming %s, got %v", EnvBinary, err)
	}
	t.Setenv(EnvBinary, "")
	t.Setenv("TOOLS_DIR", t.TempDir())
	p, err := Binary()
	if err != nil {
		Unavailable(t, err)
	}
	if filepath.Base(p) != "ferretdb-"+Version {
		t.Fatalf("binary %s", p)
	}
}
