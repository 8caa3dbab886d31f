package mariadbreceiver

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/mariadbtest"
)

// One throwaway MariaDB for the whole package, started by the first test
// that needs it and stopped by TestMain.
var (
	serverOnce sync.Once
	server     *mariadbtest.Server
	serverErr  error
)

func TestMain(m *testing.M) {
	crawltest.Main(m, func() error {
		if server == nil {
			return nil
		}
		return server.Close()
	})
}

// A user with a password and the least privileges the README lists.
const (
	pwUser     = "coordimap_pw"
	pwPassword = "Sup3r-Secret-Pa55word"
)

// leastPrivileges is the README's GRANT list for the fixture's schemas.
var leastPrivileges = []string{
	"CREATE USER " + pwUser + "@'%' IDENTIFIED BY '" + pwPassword + "'",
	"GRANT PROCESS ON *.* TO " + pwUser + "@'%'",
	"GRANT SELECT ON mysql.proc TO " + pwUser + "@'%'",
	"GRANT REFERENCES, TRIGGER ON shop.* TO " + pwUser + "@'%'",
	"GRANT REFERENCES, TRIGGER ON catalog.* TO " + pwUser + "@'%'",
}

// testServer returns the package's server with the fixtures loaded, or ends
// the test (skip locally, fail under CI=true).
func testServer(tb testing.TB) *mariadbtest.Server {
	tb.Helper()
	serverOnce.Do(func() {
		server, serverErr = mariadbtest.Start()
		if serverErr == nil {
			serverErr = loadFixtures(server)
		}
	})
	if serverErr != nil {
		mariadbtest.Unavailable(tb, serverErr)
	}
	return server
}

func loadFixtures(s *mariadbtest.Server) error {
	script, err := os.ReadFile(filepath.Join("testdata", "fixture.sql"))
	if err != nil {
		return err
	}
	ctx := context.Background()
	if err := s.Exec(ctx, "", string(script)); err != nil {
		return fmt.Errorf("fixture.sql: %w", err)
	}
	return s.Exec(ctx, "", strings.Join(leastPrivileges, ";\n"))
}

// adminQueryString runs a query as root and returns its single value.
func adminQueryString(tb testing.TB, s *mariadbtest.Server, query string) string {
	tb.Helper()
	db := openDB(tb, s.Config(""))
	var out string
	require.NoError(tb, db.QueryRow(query).Scan(&out))
	return out
}

// openDB opens a pool the test closes at its end.
func openDB(tb testing.TB, cfg *mysql.Config) *sql.DB {
	tb.Helper()
	connector, err := mysql.NewConnector(cfg)
	require.NoError(tb, err)
	db := sql.OpenDB(connector)
	tb.Cleanup(func() { db.Close() })
	return db
}

// testConfig is a configuration for the test server as root.
func testConfig(s *mariadbtest.Server, dbs ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoint = s.Endpoint()
	cfg.Username = "root"
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

// batchSchema is the schema a batch describes: the name of its
// mariadb.database state, or the schema of its first delete; "" for a
// batch of server-wide clients.
func batchSchema(ld plog.Logs) string {
	return crawltest.Database(ld, typeDatabase, func(id string) string {
		// <scope>/<schema>@<name>; the scope may hold '/' itself.
		id, _, _ = strings.Cut(id, "@")
		return id[strings.LastIndexByte(id, '/')+1:]
	})
}
