package postgresreceiver

import (
	"context"
	"flag"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

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
	batches := r.waitBatches(t, 2)

	for _, ld := range batches {
		db := batchDatabase(ld)
		t.Run(db, func(t *testing.T) {
			actual := normalize(t, s, ld)
			file := filepath.Join("testdata", "golden", db+".yaml")
			if *update {
				require.NoError(t, golden.WriteLogsToFile(file, actual))
				return
			}
			expected, err := golden.ReadLogs(file)
			require.NoError(t, err)
			require.NoError(t, plogtest.CompareLogs(expected, actual,
				plogtest.IgnoreTimestamp(), plogtest.IgnoreObservedTimestamp()))
			// CompareLogs does not look at event names.
			exp, act := records(expected), records(actual)
			require.Len(t, act, len(exp))
			for i := range exp {
				assert.Equal(t, exp[i].Kind(), act[i].Kind(), "record %d (%s)", i, act[i].InternalID())
			}
		})
	}
	// What the receiver remembers for deletes is exactly what it emitted.
	require.NoError(t, r.rcv.Shutdown(context.Background()))
	seen := r.rcv.(*pgReceiver).seen
	for _, ld := range batches {
		emitted := entity.Set{}
		for _, rec := range records(ld) {
			if rec.Kind() == entity.KindState {
				emitted[entity.Key{Type: rec.Type(), InternalID: rec.InternalID()}] = struct{}{}
			}
		}
		assert.Equal(t, emitted, seen[batchDatabase(ld)])
	}
	// The configured scope differs from the server's: warned once.
	assert.Equal(t, 1, r.logs.FilterMessageSnippet("differs from the server's system_identifier").Len())
}

// normalize keeps what depends on the test server out of the golden files:
// its random port, its version, and the clients connected at the time.
func normalize(t *testing.T, s *pgtest.Server, ld plog.Logs) plog.Logs {
	t.Helper()
	out := plog.NewLogs()
	ld.CopyTo(out)
	port := strconv.Itoa(s.Port)
	var fix func(v pcommon.Value)
	fixMap := func(m pcommon.Map) {
		for k, v := range m.All() {
			if k == "server_version" {
				v.SetStr("<server_version>")
				continue
			}
			fix(v)
		}
	}
	fix = func(v pcommon.Value) {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			str := strings.ReplaceAll(v.Str(), s.Endpoint(), "127.0.0.1:5432")
			if str == port {
				str = "5432"
			}
			v.SetStr(str)
		case pcommon.ValueTypeInt:
			if v.Int() == int64(s.Port) {
				v.SetInt(5432)
			}
		case pcommon.ValueTypeMap:
			fixMap(v.Map())
			sortMap(v.Map())
		case pcommon.ValueTypeSlice:
			for _, e := range v.Slice().All() {
				fix(e)
			}
		}
	}
	for _, rl := range out.ResourceLogs().All() {
		fixMap(rl.Resource().Attributes())
		sortMap(rl.Resource().Attributes())
		for _, sl := range rl.ScopeLogs().All() {
			sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				return entity.View(lr).Kind() == entity.KindObservation
			})
			for _, lr := range sl.LogRecords().All() {
				lr.SetTimestamp(0)
				lr.SetObservedTimestamp(0)
				fixMap(lr.Attributes())
				sortMap(lr.Attributes())
				fix(lr.Body())
			}
		}
	}
	return out
}

// sortMap orders a map's keys, so that regenerating a golden file only
// shows real changes (bodies are built from Go maps, in random order).
func sortMap(m pcommon.Map) {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	sorted := pcommon.NewMap()
	sorted.EnsureCapacity(len(keys))
	for _, k := range keys {
		v, _ := m.Get(k)
		v.CopyTo(sorted.PutEmpty(k))
	}
	sorted.MoveTo(m)
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
	first := r.waitBatches(t, 1)[0]
	for _, rec := range records(first) {
		require.NotEqual(t, entity.KindDelete, rec.Kind(), "first crawl deletes nothing")
	}

	require.NoError(t, adminExec(ctx, s, "droptest", "DROP TABLE doomed"))
	var deletes []string
	require.Eventually(t, func() bool {
		deletes = nil
		for _, ld := range r.sink.AllLogs() {
			for _, rec := range records(ld) {
				if rec.Kind() == entity.KindDelete {
					deletes = append(deletes, rec.Type()+" "+rec.InternalID())
				}
			}
		}
		return len(deletes) > 0
	}, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		"postgres.table s1/droptest-public@doomed",
		"postgres.index s1/droptest-public@doomed_pkey",
		"postgres.index s1/droptest-public@doomed_name_idx",
	}, deletes)

	// Later crawls do not delete again.
	n := len(r.sink.AllLogs())
	r.waitBatches(t, n+2)
	count := 0
	for _, ld := range r.sink.AllLogs() {
		for _, rec := range records(ld) {
			if rec.Kind() == entity.KindDelete {
				count++
			}
		}
	}
	assert.Equal(t, 3, count)
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
	r.waitBatches(t, 1)
	require.Eventually(t, func() bool { return r.host.Last().Status() == componentstatus.StatusOK }, 10*time.Second, 10*time.Millisecond)

	require.NoError(t, s.Pause())
	paused := true
	t.Cleanup(func() {
		if paused {
			_ = s.Resume()
		}
	})
	require.Eventually(t, func() bool {
		return r.host.Last().Status() == componentstatus.StatusRecoverableError
	}, 30*time.Second, 10*time.Millisecond)
	ev := r.host.Last()
	require.Error(t, ev.Err())
	assert.Contains(t, ev.Err().Error(), r.id.String())
	assert.Contains(t, ev.Err().Error(), s.Endpoint())
	time.Sleep(5 * cfg.CollectionInterval) // several failed crawls
	assert.Equal(t, 1, r.logs.FilterMessageSnippet("crawl failed").Len(), "logged once per state change:\n%s", logText(r.logs))

	batches := len(r.sink.AllLogs())
	require.NoError(t, s.Resume())
	paused = false
	require.Eventually(t, func() bool { return r.host.Last().Status() == componentstatus.StatusOK }, 30*time.Second, 10*time.Millisecond)
	after := r.waitBatches(t, batches+1)
	assert.Equal(t, 1, r.logs.FilterMessageSnippet("crawl recovered").Len())
	for _, ld := range after {
		for _, rec := range records(ld) {
			require.NotEqual(t, entity.KindDelete, rec.Kind(), "no deletes because the server was down")
		}
	}
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
	require.Eventually(t, func() bool {
		return r.host.Last().Status() == componentstatus.StatusRecoverableError
	}, 30*time.Second, 10*time.Millisecond)
	msg := r.host.Last().Err().Error()
	t.Log(msg)
	assert.Contains(t, msg, r.id.String())
	assert.Contains(t, msg, s.Endpoint())
	assert.Contains(t, msg, pwUser)
	assert.Contains(t, msg, "password authentication failed")
	assert.NotContains(t, msg, wrong)
	assert.NotContains(t, logText(r.logs), wrong)
	assert.Empty(t, r.sink.AllLogs())
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
	batches := r.waitBatches(t, 2)
	require.Eventually(t, func() bool { return r.host.Last().Status() == componentstatus.StatusOK }, 10*time.Second, 10*time.Millisecond)

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
	assert.NotContains(t, logText(r.logs), pwPassword)

	// Without any grant on the schemas or tables, the role sees everything
	// the superuser saw in TestGolden.
	unscoped := func(ld plog.Logs) []string {
		var out []string
		for _, rec := range records(ld) {
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
		for _, ld := range r.sink.AllLogs() {
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
	var deleted []string
	require.Eventually(t, func() bool {
		deleted = nil
		for _, ld := range r.sink.AllLogs() {
			for _, rec := range records(ld) {
				if rec.Kind() == entity.KindDelete {
					deleted = append(deleted, rec.InternalID())
				}
			}
		}
		return len(deleted) > 0
	}, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		internalid.PostgresDatabase(sid, "ephemeral"),
		internalid.PostgresSchema(sid, "ephemeral", "public"),
		internalid.Postgres(sid, "ephemeral", "public", "t"),
		internalid.Postgres(sid, "ephemeral", "public", "t_pkey"),
	}, deleted)
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
	ld := r.waitBatches(t, 1)[0]
	var obs []entity.Observation
	for _, rec := range records(ld) {
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
