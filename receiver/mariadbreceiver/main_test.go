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
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/mariadbtest"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

// One throwaway MariaDB for the whole package, started by the first test
// that needs it and stopped by TestMain.
var (
	serverOnce sync.Once
	server     *mariadbtest.Server
	serverErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	// The server's process waiter is a goroutine: stop it first.
	if server != nil {
		if err := server.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping MariaDB:", err)
		}
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left running:", err)
			code = 1
		}
	}
	os.Exit(code)
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

// statusHost records the status events components report.
type statusHost = statustest.Host

func newStatusHost() *statusHost { return statustest.NewHost() }

// running is a started receiver with what it reports.
type running struct {
	rcv  receiver.Logs
	sink *consumertest.LogsSink
	host *statusHost
	logs *observer.ObservedLogs
	id   component.ID
}

// start creates the receiver through the factory, as the collector does,
// and starts it; the test stops it.
func start(t *testing.T, name string, cfg *Config) *running {
	t.Helper()
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zap.DebugLevel)
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, name)
	set.Logger = zap.New(core)
	sink := &consumertest.LogsSink{}
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	host := newStatusHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return &running{rcv: rcv, sink: sink, host: host, logs: logs, id: set.ID}
}

// waitBatches waits until the sink holds at least n batches.
func (r *running) waitBatches(t *testing.T, n int) []plog.Logs {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.sink.AllLogs()) >= n }, 30*time.Second, 20*time.Millisecond,
		"waiting for %d batches; status %v %v", n, r.host.Last().Status(), r.host.Last().Err())
	return r.sink.AllLogs()
}

// waitOK waits until the receiver reports StatusOK (a whole crawl done).
func (r *running) waitOK(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool { return r.host.Last().Status() == componentstatus.StatusOK }, 30*time.Second, 10*time.Millisecond,
		"status %v %v", r.host.Last().Status(), r.host.Last().Err())
}

// records lists the entity records of a batch.
func records(ld plog.Logs) []entity.Record {
	var out []entity.Record
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				out = append(out, entity.View(lr))
			}
		}
	}
	return out
}

// allRecords lists the records of every batch of the sink.
func allRecords(sink *consumertest.LogsSink) []entity.Record {
	var out []entity.Record
	for _, ld := range sink.AllLogs() {
		out = append(out, records(ld)...)
	}
	return out
}

// batchSchema is the schema a batch describes: the name of its
// mariadb.database state, or the schema of its first delete; "" for a
// batch of server-wide clients.
func batchSchema(ld plog.Logs) string {
	for _, r := range records(ld) {
		if r.Kind() == entity.KindState && r.Type() == typeDatabase {
			return r.Name()
		}
	}
	for _, r := range records(ld) {
		if r.Kind() == entity.KindDelete {
			// <scope>/<schema>@<name>; the scope may hold '/' itself.
			id, _, _ := strings.Cut(r.InternalID(), "@")
			return id[strings.LastIndexByte(id, '/')+1:]
		}
	}
	return ""
}

// logText is everything the receiver logged, fields included.
func logText(logs *observer.ObservedLogs) string {
	var b strings.Builder
	for _, e := range logs.All() {
		b.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
		b.WriteString("\n")
	}
	return b.String()
}
