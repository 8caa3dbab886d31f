// Package promtest starts a throwaway Prometheus server (Debian's
// prometheus package) on 127.0.0.1 for integration tests, scraping one
// in-test /metrics endpoint every second.
//
// A test that cannot start one is skipped, unless CI=true, where it fails:
// CI must never skip silently.
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/testneed"
)

// Binary is the Prometheus server program.
var Binary = "/usr/bin/prometheus"

// Server is one running Prometheus.
type Server struct {
	URL string
	cmd *exec.Cmd
	dir string
}

// Unavailable ends the test: skip on a developer machine, fail under CI.
func Unavailable(tb testing.TB, err error) {
	tb.Helper()
	testneed.Unavailable(tb, "Prometheus", "apt-get install prometheus", err)
}

// Start runs Prometheus scraping target (host:port, path /metrics) every
// second; the test's cleanup stops it. It ends the test (Unavailable) when
// the binary is missing.
func Start(tb testing.TB, target string) *Server {
	tb.Helper()
	if _, err := os.Stat(Binary); err != nil {
		Unavailable(tb, err)
	}
	dir := tb.TempDir()
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: test\n    honor_labels: true\n    static_configs:\n      - targets: [%q]\n", target)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		tb.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		tb.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	cmd := exec.Command(Binary, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	logf, err := os.Create(filepath.Join(dir, "log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		Unavailable(tb, err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, dir: dir}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(filepath.Join(dir, "log"))
			tb.Fatalf("prometheus not ready: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitForSeries polls until query returns at least n series, or fails the
// test after a minute (the first scrape lands ~12 s after start).
func (s *Server) WaitForSeries(tb testing.TB, query string, n int) {
	tb.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		got, err := s.count(query)
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("query %q: %d series, want %d (err %v)", query, got, n, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (s *Server) count(query string) (int, error) {
	resp, err := http.Get(s.URL + "/api/v1/query?query=" + url.QueryEscape(query))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	return len(body.Data.Result), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
