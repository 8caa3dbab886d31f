package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/coordimap/otelcol-coordimap/internal/graphmcp/mcptest"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

// binEnv names the built command to test (make test sets it to
// _build/coordimap-mcp); unset, the test binary runs main itself.
const binEnv = "COORDIMAP_MCP_BIN"

const runMainEnv = "COORDIMAP_MCP_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// command is coordimap-mcp as a subprocess.
func command(t *testing.T, env []string, args ...string) *exec.Cmd {
	t.Helper()
	bin := os.Getenv(binEnv)
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		bin = exe
		env = append(env, runMainEnv+"=1")
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

// serve connects an MCP client to the command over its stdio.
func serve(t *testing.T, cmd *exec.Cmd) (*mcp.ClientSession, *bytes.Buffer) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "coordimap-mcp-test", Version: "v0"}, nil).
		Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connecting to coordimap-mcp: %v\nstderr:\n%s", err, stderr.String())
	}
	return cs, &stderr
}

// closeAndWait ends the session (closing the command's stdin) and checks
// that the command stopped on its own.
func closeAndWait(t *testing.T, cs *mcp.ClientSession, cmd *exec.Cmd, stderr *bytes.Buffer) {
	t.Helper()
	start := time.Now()
	cs.Close()
	if cmd.ProcessState == nil {
		t.Fatalf("coordimap-mcp still runs after the session closed\nstderr:\n%s", stderr)
	}
	if !cmd.ProcessState.Success() || time.Since(start) > 4*time.Second {
		t.Errorf("coordimap-mcp stopped with %v after %v (want success, promptly on end of input)\nstderr:\n%s",
			cmd.ProcessState, time.Since(start), stderr)
	}
}

func TestStdioSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coordimap-graph.db")
	mcptest.Write(t, path)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cmd := command(t, nil, "--store", path)
	cs, stderr := serve(t, cmd)
	mcptest.Check(t, cs, "sqlite")
	closeAndWait(t, cs, cmd, stderr)
	if !strings.Contains(stderr.String(), path) {
		t.Errorf("the log does not name the store:\n%s", stderr)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("serving changed the store file")
	}
}

// The default store is ./coordimap-graph.db, where the extension writes it.
func TestStdioDefaultStore(t *testing.T) {
	dir := t.TempDir()
	mcptest.Write(t, filepath.Join(dir, "coordimap-graph.db"))
	cmd := command(t, nil)
	cmd.Dir = dir
	cs, stderr := serve(t, cmd)
	s := mcptest.Session{T: t, CS: cs}
	var asset struct {
		Asset struct {
			Name string `json:"name"`
		} `json:"asset"`
	}
	s.Call("get_asset", map[string]any{"id": mcptest.RDS}, &asset)
	if asset.Asset.Name != "orders" {
		t.Errorf("get_asset = %+v", asset)
	}
	if msg := s.CallError("get_asset", map[string]any{"id": "no-such-id"}); !strings.Contains(msg, `no asset with id "no-such-id"`) {
		t.Errorf("unknown ID: %s", msg)
	}
	closeAndWait(t, cs, cmd, stderr)
}

// The DSN comes from the environment, so its password stays off the
// command line.
func TestStdioPostgres(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	defer pg.Close()
	dsn := pg.DSN("postgres")
	w, err := graphstore.OpenPostgres(context.Background(), dsn, 2, graphstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mcptest.Fill(t, w)
	w.Close()
	cmd := command(t, []string{DSNEnv + "=" + dsn})
	cs, stderr := serve(t, cmd)
	mcptest.Check(t, cs, "postgresql")
	closeAndWait(t, cs, cmd, stderr)
	if strings.Contains(stderr.String(), dsn) {
		t.Errorf("the log shows the DSN:\n%s", stderr)
	}
}

func TestMissingStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nope.db")
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"--store", path}, func(string) string { return "" }, nil, &stderr, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no graph store at "+path) {
		t.Errorf("run on a missing store = %v", err)
	}
	if _, statErr := os.Stat(path); statErr == nil {
		t.Error("a missing store was created")
	}
}

func TestVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, func(string) string { return "" }, nil, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != "coordimap-mcp "+version+"\n" {
		t.Errorf("--version printed %q", got)
	}
}

func TestParseArgs(t *testing.T) {
	env := func(dsn string) func(string) string {
		return func(k string) string {
			if k == DSNEnv {
				return dsn
			}
			return ""
		}
	}
	for _, c := range []struct {
		name    string
		args    []string
		env     string
		want    config
		wantErr string
	}{
		{name: "default", want: config{store: defaultStore}},
		{name: "store", args: []string{"--store", "/x/g.db"}, want: config{store: "/x/g.db"}},
		{name: "dsn flag", args: []string{"--postgres-dsn", "postgres://a@b/c"}, want: config{postgresDSN: "postgres://a@b/c"}},
		{name: "dsn env", env: "postgres://a@b/c", want: config{postgresDSN: "postgres://a@b/c"}},
		{name: "flag beats env", args: []string{"--postgres-dsn", "postgres://flag"}, env: "postgres://env",
			want: config{postgresDSN: "postgres://flag"}},
		{name: "both stores", args: []string{"--store", "g.db"}, env: "postgres://a@b/c", wantErr: "choose one store"},
		{name: "argument", args: []string{"g.db"}, wantErr: `unexpected argument "g.db"`},
		{name: "unknown flag", args: []string{"--stor", "g.db"}, wantErr: "flag provided but not defined"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parseArgs(c.args, env(c.env), &stderr)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("error %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("parseArgs = %+v, %v; want %+v", got, err, c.want)
			}
		})
	}
	var stderr bytes.Buffer
	if _, err := parseArgs([]string{"--help"}, env(""), &stderr); !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr.String(), DSNEnv) {
		t.Errorf("--help: %v\n%s", err, stderr.String())
	}
}

// The command reads the store while a collector writes it: a write made
// after it started shows in its answers.
func TestStdioBesideWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coordimap-graph.db")
	w, err := graphstore.OpenSQLite(context.Background(), path, graphstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	mcptest.Fill(t, w)
	cmd := command(t, nil, "--store", path)
	cs, stderr := serve(t, cmd)
	s := mcptest.Session{T: t, CS: cs}
	type page struct {
		Total int `json:"total"`
	}
	var before, after page
	s.Call("search_assets", map[string]any{"query": "late-bucket"}, &before)
	if err := w.Apply(context.Background(), graphstore.Batch{Nodes: []graphstore.NodeState{{ScopeID: mcptest.AWSScope,
		ID: mcptest.AWSScope + "@late-bucket", Type: "aws.s3_bucket", Name: "late-bucket", DataSourceID: "aws",
		DataSourceType: "aws", Data: []byte(`{}`), At: time.Now()}}}); err != nil {
		t.Fatal(err)
	}
	s.Call("search_assets", map[string]any{"query": "late-bucket"}, &after)
	if before.Total != 0 || after.Total != 1 {
		t.Errorf("late-bucket found %d times before the write, %d after; want 0, 1", before.Total, after.Total)
	}
	closeAndWait(t, cs, cmd, stderr)
}
