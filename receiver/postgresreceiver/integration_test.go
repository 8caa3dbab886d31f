package postgresreceiver

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

const goldenScope = "7710000000000000001"

// TestGolden crawls the fixture databases and compares each database's
// batch with testdata/golden/<db>.yaml. Regenerate with -update.
func TestGolden(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "app", "crm")
	cfg.ScopeID = goldenScope
	cfg.DataSourceID = "pg-main"
	cfg.MappingInternalID = "gcp:europe-west1-b:pg-main:123456"
	r := start(t, "golden", cfg)
	batches := r.WaitBatches(t, 2)

	for _, ld := range batches {
		db := batchDatabase(ld)
		t.Run(db, func(t *testing.T) {
			goldenFiles(s).Check(t, filepath.Join("testdata", "golden", db+".yaml"), ld)
		})
	}
	// What the receiver remembers for deletes is exactly what it emitted.
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
	parts := &r.Rcv.(*pgReceiver).parts
	for _, ld := range batches {
		assert.Equal(t, crawltest.States(ld), parts.Seen(batchDatabase(ld)))
	}
	// The configured scope differs from the server's: warned once.
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("differs from the server's system_identifier").Len())
}

// goldenFiles keeps what depends on the test server out of the golden
// files: its random port, its version, and the clients connected at the
// time.
func goldenFiles(s *pgtest.Server) crawltest.Golden {
	return crawltest.Golden{Server: s.Endpoint(), Canonical: "127.0.0.1:5432", Varying: []string{"server_version"}}
}

// TestDeletes drops a table between two crawls and expects entity.delete
// records for it and its indexes, and nothing else deleted.
func TestDeletes(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	require.NoError(t, adminExec(ctx, s, "postgres", "DROP DATABASE IF EXISTS droptest WITH (FORCE)"))
	require.NoError(t, adminExec(ctx, s, "postgres", "CREATE DATABASE droptest"))
	require.NoError(t, adminExec(ctx, s, "droptest", `
		CREATE TABLE keep (id int PRIMARY KEY);
		CREATE TABLE doomed (id int PRIMARY KEY, name text, keep_id int REFERENCES keep (id));
		CREATE INDEX doomed_name_idx ON doomed (name);`))

	cfg := testConfig(s, "droptest")
	cfg.ScopeID = "s1"
	cfg.CollectionInterval = 200 * time.Millisecond
	r := start(t, "deletes", cfg)
	r.WaitBatches(t, 1)
	require.Empty(t, r.Deletes(), "the first crawl deletes nothing")

	require.NoError(t, adminExec(ctx, s, "droptest", "DROP TABLE doomed"))
	require.Eventually(t, func() bool { return len(r.Deletes()) > 0 }, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		"postgres.table s1/droptest-public@doomed",
		"postgres.index s1/droptest-public@doomed_pkey",
		"postgres.index s1/droptest-public@doomed_name_idx",
	}, r.Deletes())

	// Later crawls do not delete again.
	n := len(r.Sink.AllLogs())
	r.WaitBatches(t, n+2)
	assert.Len(t, r.Deletes(), 3)
}

// TestServerDown pauses the server: the receiver reports a recoverable
// error (logged once, however many intervals pass), then StatusOK and
// records again once the server is back; it never deletes anything.
func TestServerDown(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "crm")
	cfg.ScopeID = "s1"
	cfg.CollectionInterval = 100 * time.Millisecond
	r := start(t, "down", cfg)
	crawltest.CheckServerDown(t, r, s, s.Endpoint(), 5*cfg.CollectionInterval)
}

// TestWrongPassword: the error names the receiver, the endpoint and the
// user, and the password appears nowhere.
func TestWrongPassword(t *testing.T) {
	s := testServer(t)
	const wrong = "Wr0ng-Pa55word-Never-Shown"
	cfg := testConfig(s, "crm")
	cfg.Username = pwUser
	cfg.Password = wrong
	r := start(t, "wrongpw", cfg)
	err := crawltest.CheckWrongPassword(t, r, s.Endpoint(), pwUser, wrong)
	assert.ErrorContains(t, err, "password authentication failed")
}

// TestPasswordNeverEmitted crawls as a password-protected, non-superuser
// role (the least privileges the README lists) and looks for the password
// in everything emitted and logged.
func TestPasswordNeverEmitted(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "app", "crm")
	cfg.Username = pwUser
	cfg.Password = pwPassword
	cfg.MappingInternalID = "aws:123456789012:db-1"
	r := start(t, "pw", cfg)
	batches := r.WaitBatches(t, 2)
	r.WaitOK(t)

	var m plog.JSONMarshaler
	for _, ld := range batches {
		b, err := m.MarshalLogs(ld)
		require.NoError(t, err)
		assert.NotContains(t, string(b), pwPassword)
		assert.Contains(t, string(b), `"db_user"`)
		assert.Contains(t, string(b), "postgres.table", "a non-superuser sees the structure")
		src := entity.ReadSource(ld.ResourceLogs().At(0).Resource())
		assert.Equal(t, pwUser, src.Config["db_user"])
		assert.Equal(t, "disable", src.Config["ssl_mode"])
		for k, v := range src.Config {
			assert.NotContains(t, k, "pass")
			assert.NotContains(t, v, pwPassword)
		}
	}
	assert.NotContains(t, r.LogText(), pwPassword)

	// Without any grant on the schemas or tables, the role sees everything
	// the superuser saw in TestGolden.
	unscoped := func(ld plog.Logs) []string {
		var out []string
		for _, rec := range crawltest.Records(ld) {
			if rec.Kind() == entity.KindState {
				_, id, _ := strings.Cut(rec.InternalID(), "/")
				out = append(out, rec.Type()+" "+id)
			}
		}
		return out
	}
	for _, ld := range batches {
		db := batchDatabase(ld)
		expected, err := golden.ReadLogs(filepath.Join("testdata", "golden", db+".yaml"))
		require.NoError(t, err)
		assert.ElementsMatch(t, unscoped(expected), unscoped(ld), db)
	}
	// The scope was discovered.
	sid := adminQueryString(t, s, "postgres", "SELECT system_identifier::text FROM pg_control_system()")
	assert.Equal(t, sid, entity.ReadSource(batches[0].ResourceLogs().At(0).Resource()).ScopeID)
}

// TestDiscoverDatabases crawls every database the user may connect to
// (templates excluded) and deletes the entities of a database once it is
// dropped.
func TestDiscoverDatabases(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	require.NoError(t, adminExec(ctx, s, "postgres", "DROP DATABASE IF EXISTS ephemeral WITH (FORCE)"))
	require.NoError(t, adminExec(ctx, s, "postgres", "CREATE DATABASE ephemeral"))
	require.NoError(t, adminExec(ctx, s, "ephemeral", "CREATE TABLE t (id int PRIMARY KEY)"))
	cfg := testConfig(s)
	cfg.CollectionInterval = 200 * time.Millisecond
	r := start(t, "discover", cfg)

	sid := adminQueryString(t, s, "postgres", "SELECT system_identifier::text FROM pg_control_system()")
	crawled := func() map[string]bool {
		dbs := map[string]bool{}
		for _, ld := range r.Sink.AllLogs() {
			dbs[batchDatabase(ld)] = true
		}
		return dbs
	}
	require.Eventually(t, func() bool {
		dbs := crawled()
		return dbs["postgres"] && dbs["app"] && dbs["crm"] && dbs["ephemeral"]
	}, 30*time.Second, 20*time.Millisecond)
	assert.False(t, crawled()["template0"])
	assert.False(t, crawled()["template1"])

	require.NoError(t, adminExec(ctx, s, "postgres", "DROP DATABASE ephemeral WITH (FORCE)"))
	require.Eventually(t, func() bool { return len(r.Deletes()) > 0 }, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		typeDatabase + " " + internalid.PostgresDatabase(sid, "ephemeral"),
		typeSchema + " " + internalid.PostgresSchema(sid, "ephemeral", "public"),
		typeTable + " " + internalid.Postgres(sid, "ephemeral", "public", "t"),
		typeIndex + " " + internalid.Postgres(sid, "ephemeral", "public", "t_pkey"),
	}, r.Deletes())
}

// TestClients sees a client connected over TCP as a generic_flow
// observation to its database, and not the receiver's own sessions.
func TestClients(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DSN("crm")+"&application_name=billing")
	require.NoError(t, err)
	defer conn.Close(ctx)
	conn2, err := pgx.Connect(ctx, s.DSN("crm")+"&application_name=billing")
	require.NoError(t, err)
	defer conn2.Close(ctx)

	cfg := testConfig(s, "crm")
	cfg.ScopeID = "s1"
	r := start(t, "clients", cfg)
	ld := r.WaitBatches(t, 1)[0]
	var obs []entity.Observation
	for _, rec := range crawltest.Records(ld) {
		if rec.Kind() == entity.KindObservation {
			obs = append(obs, rec.Observation())
		}
	}
	require.Len(t, obs, 1, "one address, the receiver's own sessions excluded")
	o := obs[0]
	assert.Equal(t, entity.RelGenericFlow, o.Type)
	assert.Equal(t, entity.ExternalSource, o.External)
	assert.Equal(t, "127.0.0.1", o.SourceID)
	assert.Equal(t, "s1/crm-@", o.DestinationID)
	assert.Equal(t, int64(s.Port), o.DestinationPort)
	assert.Equal(t, int64(2), o.Connections)
	assert.Equal(t, "crm-", o.Partition)
	assert.False(t, o.LastSeen.IsZero())
}

// TestConnectionBudget: with more databases than connections to spare, the
// crawler keeps one connection (to the server-wide database) between
// crawls; each other database's is closed once it has been crawled.
func TestConnectionBudget(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	for _, db := range []string{"budget1", "budget2", "budget3"} {
		require.NoError(t, adminExec(ctx, s, "postgres", "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"))
		require.NoError(t, adminExec(ctx, s, "postgres", "CREATE DATABASE "+db))
	}
	cfg := testConfig(s)
	cfg.ScopeID = "s1"
	r := start(t, "budget", cfg)

	want := strings.Split(adminQueryString(t, s, "postgres", "SELECT string_agg(datname, ',') FROM pg_database WHERE NOT datistemplate"), ",")
	require.Eventually(t, func() bool {
		dbs := map[string]bool{}
		for _, ld := range r.Sink.AllLogs() {
			dbs[batchDatabase(ld)] = true
		}
		for _, db := range want {
			if !dbs[db] {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "every database crawled")

	open := func() string {
		return adminQueryString(t, s, "postgres",
			"SELECT coalesce(string_agg(datname, ',' ORDER BY datname), '') FROM pg_stat_activity WHERE application_name = '"+applicationName+"'")
	}
	require.Eventually(t, func() bool { return open() == "postgres" }, 30*time.Second, 20*time.Millisecond,
		"after the crawl only the server-wide connection stays open; open: %s", open())
}
