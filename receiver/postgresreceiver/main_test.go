package postgresreceiver

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/goleak"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

// One throwaway PostgreSQL for the whole package, started by the first test
// that needs it and stopped by TestMain.
var (
	serverOnce sync.Once
	server     *pgtest.Server
	serverErr  error
)

func TestMain(m *testing.M) {
	// pgx's context watcher of a query cancelled at Shutdown waits for an
	// Unwatch that pgconn's asynchronous close sends late (or, in pgx
	// v5.7.6, sometimes never); it holds no connection of ours.
	crawltest.Main(m, func() error {
		if server == nil {
			return nil
		}
		return server.Close()
	}, goleak.IgnoreTopFunction("github.com/jackc/pgx/v5/pgconn/ctxwatch.(*ContextWatcher).Watch.func1"))
}

// Role with a password, for the password tests; pg_hba.conf makes the
// server ask it for one (every other role is trusted).
const (
	pwUser     = "coordimap_pw"
	pwPassword = "Sup3r-Secret-Pa55word"
)

// testServer returns the package's server with the fixtures loaded, or ends
// the test (skip locally, fail under CI=true).
func testServer(tb testing.TB) *pgtest.Server {
	tb.Helper()
	serverOnce.Do(func() {
		server, serverErr = pgtest.Start()
		if serverErr == nil {
			serverErr = loadFixtures(server)
		}
	})
	if serverErr != nil {
		pgtest.Unavailable(tb, serverErr)
	}
	return server
}

func loadFixtures(s *pgtest.Server) error {
	ctx := context.Background()
	for db, file := range map[string]string{"app": "fixture.sql", "crm": "fixture_crm.sql"} {
		if err := adminExec(ctx, s, "postgres", "CREATE DATABASE "+db); err != nil {
			return err
		}
		script, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			return err
		}
		if err := adminExec(ctx, s, db, string(script)); err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
	}
	if err := adminExec(ctx, s, "postgres", fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'; GRANT pg_monitor TO %s", pwUser, pwPassword, pwUser)); err != nil {
		return err
	}
	// The first matching line wins: ask pwUser for its password.
	hba := filepath.Join(s.Dir, "data", "pg_hba.conf")
	old, err := os.ReadFile(hba)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("host all %s 127.0.0.1/32 scram-sha-256\n", pwUser)
	if err := os.WriteFile(hba, append([]byte(line), old...), 0o600); err != nil {
		return err
	}
	return adminExec(ctx, s, "postgres", "SELECT pg_reload_conf()")
}

// adminExec runs a script as the superuser (simple protocol, so several
// statements may be sent at once).
func adminExec(ctx context.Context, s *pgtest.Server, db, script string) error {
	conn, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, script)
	return err
}

func adminQueryString(tb testing.TB, s *pgtest.Server, db, query string) string {
	tb.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DSN(db))
	require.NoError(tb, err)
	defer conn.Close(ctx)
	var out string
	require.NoError(tb, conn.QueryRow(ctx, query).Scan(&out))
	return out
}

// testConfig is a configuration for the test server as the superuser.
func testConfig(s *pgtest.Server, dbs ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = s.Endpoint()
	cfg.Username = "postgres"
	cfg.TLS.Insecure = true
	cfg.Databases = dbs
	cfg.CollectionInterval = time.Hour
	return cfg
}

// start creates the receiver through the factory, as the collector does,
// and starts it; the test stops it.
func start(t *testing.T, name string, cfg *Config) *crawltest.Receiver {
	t.Helper()
	return crawltest.Start(t, NewFactory(), name, cfg)
}

// batchDatabase is the database a batch describes: the name of its
// postgres.database entity, or the database of its first delete
// (<scope>/<database>-<schema>@<name>).
func batchDatabase(ld plog.Logs) string {
	return crawltest.Database(ld, typeDatabase, func(id string) string {
		_, rest, _ := strings.Cut(id, "/")
		db, _, _ := strings.Cut(rest, "-")
		return db
	})
}
