package mariadbreceiver

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mariadbtest"
)

const goldenScope = "golden-scope"

// schemaBatches waits for a whole crawl and returns its batches by schema
// (server-wide client batches left out).
func schemaBatches(t *testing.T, r *crawltest.Receiver, n int) map[string]plog.Logs {
	t.Helper()
	r.WaitOK(t)
	out := map[string]plog.Logs{}
	for _, ld := range r.WaitBatches(t, n) {
		if s := batchSchema(ld); s != "" {
			out[s] = ld
		}
	}
	return out
}

// TestGolden crawls the fixture schemas and compares each schema's batch
// with testdata/golden/<schema>.yaml. Regenerate with -update.
func TestGolden(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "shop", "catalog")
	cfg.ScopeID = goldenScope
	cfg.DataSourceID = "maria-main"
	cfg.MappingInternalID = "gcp:europe-west1-b:maria-main:123456"
	r := start(t, "golden", cfg)
	batches := schemaBatches(t, r, 2)
	require.Len(t, batches, 2)

	for schema, ld := range batches {
		t.Run(schema, func(t *testing.T) {
			goldenFiles(s).Check(t, filepath.Join("testdata", "golden", schema+".yaml"), ld)
		})
	}

	// Every internal ID is unique within its type, and the indexes that
	// share a name (PRIMARY, idx_created) have one ID per table.
	ids := map[entity.Key]int{}
	var indexIDs []string
	for _, ld := range batches {
		for _, rec := range crawltest.Records(ld) {
			if rec.Kind() == entity.KindState {
				ids[entity.Key{Type: rec.Type(), InternalID: rec.InternalID()}]++
				if rec.Type() == typeIndex && (rec.Name() == "PRIMARY" || rec.Name() == "idx_created") {
					indexIDs = append(indexIDs, rec.InternalID())
				}
			}
		}
	}
	for k, n := range ids {
		assert.Equal(t, 1, n, "%s %s emitted %d times", k.Type, k.InternalID, n)
	}
	assert.Subset(t, indexIDs, []string{
		"golden-scope/shop@customers.PRIMARY", "golden-scope/shop@orders.PRIMARY", "golden-scope/shop@order_items.PRIMARY",
		"golden-scope/shop@customers.idx_created", "golden-scope/shop@orders.idx_created",
		"golden-scope/catalog@products.PRIMARY", "golden-scope/catalog@products.idx_created",
	})

	// What the receiver remembers for deletes is exactly what it emitted.
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
	parts := &r.Rcv.(*mariaReceiver).parts
	for schema, ld := range batches {
		assert.Equal(t, crawltest.States(ld), parts.Seen(schema))
	}
	// The configured scope differs from the server's: warned once.
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("differs from the server's server_uid").Len(), r.LogText())
}

// goldenFiles keeps what depends on the test server out of the golden
// files: its random port and its version, and the clients connected at the
// time.
func goldenFiles(s *mariadbtest.Server) crawltest.Golden {
	return crawltest.Golden{Server: s.Endpoint(), Canonical: "127.0.0.1:3306", Varying: []string{"server_version"}}
}

// TestDeletes drops a table, then the whole schema, between crawls and
// expects entity.delete records for exactly what went away.
func TestDeletes(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	require.NoError(t, s.Exec(ctx, "", `
		DROP DATABASE IF EXISTS droptest;
		CREATE DATABASE droptest;
		CREATE TABLE droptest.keep (id INT PRIMARY KEY);
		CREATE TABLE droptest.doomed (id INT PRIMARY KEY, name VARCHAR(20), keep_id INT,
		  INDEX idx_name (name), CONSTRAINT fk_keep FOREIGN KEY (keep_id) REFERENCES droptest.keep (id));
		CREATE TRIGGER droptest.doomed_ai AFTER INSERT ON droptest.doomed FOR EACH ROW SET @x = NEW.id;
		CREATE VIEW droptest.doomed_view AS SELECT id FROM droptest.doomed;`))

	cfg := testConfig(s, "droptest")
	cfg.ScopeID = "s1"
	cfg.CollectionInterval = 200 * time.Millisecond
	r := start(t, "deletes", cfg)
	r.WaitBatches(t, 1)
	require.Empty(t, r.Deletes(), "the first crawl deletes nothing")

	require.NoError(t, s.Exec(ctx, "", "DROP VIEW droptest.doomed_view; DROP TABLE droptest.doomed"))
	require.Eventually(t, func() bool { return len(r.Deletes()) > 0 }, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		"mariadb.table s1/droptest@doomed",
		"mariadb.index s1/droptest@doomed.PRIMARY",
		"mariadb.index s1/droptest@doomed.idx_name",
		"mariadb.index s1/droptest@doomed.fk_keep",
		"mariadb.trigger s1/droptest@doomed_ai",
		"mariadb.view s1/droptest@doomed_view",
	}, r.Deletes())

	// Later crawls do not delete again.
	n := len(r.Sink.AllLogs())
	r.WaitBatches(t, n+2)
	assert.Len(t, r.Deletes(), 6)

	// The schema goes: its element and what is left in it are deleted,
	// and the missing configured database is logged once.
	require.NoError(t, s.Exec(ctx, "", "DROP DATABASE droptest"))
	require.Eventually(t, func() bool { return len(r.Deletes()) > 6 }, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		"mariadb.database s1/droptest@",
		"mariadb.table s1/droptest@keep",
		"mariadb.index s1/droptest@keep.PRIMARY",
	}, r.Deletes()[6:])
	// Two more crawls end (the second started after the deletes were
	// sent), so a dead loop cannot pass for one with nothing to send.
	n = len(r.Sink.AllLogs())
	crawls := func() int { return r.Logs.FilterMessage("Crawled MariaDB/MySQL").Len() }
	done := crawls()
	require.Eventually(t, func() bool { return crawls() >= done+2 }, 30*time.Second, 20*time.Millisecond, "the crawl loop goes on")
	assert.Len(t, r.Deletes(), 9)
	assert.Equal(t, n, len(r.Sink.AllLogs()), "nothing to send for a schema that is gone")
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("Configured database not found").Len())
}

// TestServerDown stops the server: the receiver reports a recoverable
// error (logged once, however many intervals pass), then StatusOK and
// records again once the server is back; it never deletes anything.
func TestServerDown(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "catalog")
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
	cfg := testConfig(s, "shop")
	cfg.Username = pwUser
	cfg.Password = wrong
	r := start(t, "wrongpw", cfg)
	err := crawltest.CheckWrongPassword(t, r, s.Endpoint(), pwUser, wrong)
	assert.ErrorContains(t, err, "Access denied")
}

// TestPasswordNeverEmitted crawls as a user with a password and the least
// privileges the README lists, and looks for the password in everything
// emitted and logged. That user sees every object root saw in TestGolden.
func TestPasswordNeverEmitted(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s)
	cfg.Username = pwUser
	cfg.Password = pwPassword
	cfg.MappingInternalID = "aws:123456789012:db-1"
	r := start(t, "pw", cfg)
	batches := schemaBatches(t, r, 2)

	var m plog.JSONMarshaler
	for _, ld := range r.Sink.AllLogs() {
		b, err := m.MarshalLogs(ld)
		require.NoError(t, err)
		assert.NotContains(t, string(b), pwPassword)
		src := entity.ReadSource(ld.ResourceLogs().At(0).Resource())
		assert.Equal(t, pwUser, src.Config["db_user"])
		assert.Equal(t, "disable", src.Config["ssl_mode"])
		for k, v := range src.Config {
			assert.NotContains(t, k, "pass")
			assert.NotContains(t, v, pwPassword)
		}
	}
	assert.NotContains(t, r.LogText(), pwPassword)

	// Only the schemas it was granted, and in them everything.
	assert.ElementsMatch(t, []string{"shop", "catalog"}, slices.Collect(mapKeysOf(batches)))
	unscoped := func(ld plog.Logs) []string {
		var out []string
		for _, rec := range crawltest.Records(ld) {
			if rec.Kind() == entity.KindState {
				_, id, _ := strings.Cut(rec.InternalID(), "@")
				out = append(out, rec.Type()+" "+rec.Name()+" "+id)
			}
		}
		return out
	}
	for schema, ld := range batches {
		expected, err := golden.ReadLogs(filepath.Join("testdata", "golden", schema+".yaml"))
		require.NoError(t, err)
		assert.ElementsMatch(t, unscoped(expected), unscoped(ld), schema)
	}
	// The scope was discovered.
	uid := adminQueryString(t, s, "SELECT @@server_uid")
	for _, ld := range batches {
		assert.Equal(t, uid, entity.ReadSource(ld.ResourceLogs().At(0).Resource()).ScopeID)
	}
}

func mapKeysOf[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestDiscoverSchemas crawls every schema the user can see but the system
// ones, with the discovered scope.
func TestDiscoverSchemas(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s)
	r := start(t, "discover", cfg)
	r.WaitOK(t)
	uid := adminQueryString(t, s, "SELECT @@server_uid")
	schemas := map[string]bool{}
	for _, ld := range r.Sink.AllLogs() {
		schemas[batchSchema(ld)] = true
		src := entity.ReadSource(ld.ResourceLogs().At(0).Resource())
		assert.Equal(t, uid, src.ScopeID)
		assert.Equal(t, "mariadb", src.DataSourceType)
		system, _ := ld.ResourceLogs().At(0).Resource().Attributes().Get("db.system.name")
		assert.Equal(t, "mariadb", system.Str())
	}
	assert.True(t, schemas["shop"] && schemas["catalog"] && schemas["archive"], "%v", schemas)
	for _, sys := range systemSchemas {
		assert.False(t, schemas[sys], sys)
	}
	rec := findState(t, r, typeTable, internalid.MariaDB(uid, "archive", "old_orders"))
	assert.Equal(t, "archive", rec.Partition())
	// server_uid is a base64 string: the IDs hold it as it is.
	assert.True(t, strings.HasPrefix(rec.InternalID(), uid+"/archive@"))
}

// findState returns the last state of an entity in the sink.
func findState(t *testing.T, r *crawltest.Receiver, typ, id string) entity.Record {
	t.Helper()
	var found *entity.Record
	for _, rec := range r.Records() {
		if rec.Kind() == entity.KindState && rec.Type() == typ && rec.InternalID() == id {
			found = &rec
		}
	}
	require.NotNil(t, found, "%s %s", typ, id)
	return *found
}

// TestClients sees the TCP sessions of the process list as generic_flow
// observations: to the schema in use, or to the server when there is none;
// socket sessions and the receiver's own are left out.
func TestClients(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	// Two TCP sessions in shop, one in catalog over the socket, one TCP
	// session without a schema.
	hold := func(db, network string) {
		cfg := s.Config(db)
		if network == "unix" {
			cfg.Net, cfg.Addr = "unix", s.Socket()
		}
		pool := openDB(t, cfg)
		conn, err := pool.Conn(ctx)
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		require.NoError(t, conn.PingContext(ctx))
	}
	hold("shop", "tcp")
	hold("shop", "tcp")
	hold("catalog", "unix")
	hold("", "tcp")

	observations := func(r *crawltest.Receiver) []entity.Observation {
		var obs []entity.Observation
		for _, rec := range r.Records() {
			if rec.Kind() == entity.KindObservation {
				obs = append(obs, rec.Observation())
			}
		}
		return obs
	}

	cfg := testConfig(s, "shop", "catalog")
	cfg.ScopeID = "s1"
	r := start(t, "clients", cfg)
	r.WaitOK(t)
	var shop, serverWide []entity.Observation
	for _, o := range observations(r) {
		assert.Equal(t, entity.RelGenericFlow, o.Type)
		assert.Equal(t, "127.0.0.1", o.SourceID)
		assert.Equal(t, int64(s.Port), o.DestinationPort)
		assert.False(t, o.LastSeen.IsZero())
		switch o.DestinationID {
		case "s1/shop@":
			shop = append(shop, o)
		case s.Endpoint():
			serverWide = append(serverWide, o)
		default:
			t.Errorf("unexpected destination %q (socket sessions are skipped)", o.DestinationID)
		}
	}
	require.Len(t, shop, 1)
	assert.Equal(t, int64(2), shop[0].Connections, "the receiver's own session is not counted")
	assert.Equal(t, entity.ExternalSource, shop[0].External)
	assert.Equal(t, "shop", shop[0].Partition)
	require.Len(t, serverWide, 1)
	assert.GreaterOrEqual(t, serverWide[0].Connections, int64(1))
	assert.Equal(t, entity.ExternalSource, serverWide[0].External)
	assert.Empty(t, serverWide[0].Partition)

	// With mapping_internal_id, a session without a schema goes to the
	// element that hosts the server.
	cfg = testConfig(s, "shop")
	cfg.ScopeID = "s1"
	cfg.MappingInternalID = "kube:db:kubernetes.stateful_set:mariadb:cluster-1"
	r = start(t, "clients-mapped", cfg)
	r.WaitOK(t)
	var mapped []entity.Observation
	for _, o := range observations(r) {
		if o.DestinationID == "cluster-1-db-kubernetes.stateful_set-mariadb" {
			mapped = append(mapped, o)
		}
	}
	require.Len(t, mapped, 1)
	assert.Equal(t, entity.ExternalBothSides, mapped[0].External)
}
