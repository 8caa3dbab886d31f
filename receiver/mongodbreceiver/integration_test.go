package mongodbreceiver

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/mongotest"
)

const goldenScope = "65f0c0ffee0000000000abcd"

// TestGolden crawls the fixture databases and compares each database's
// batch with testdata/golden/<db>.yaml. Regenerate with -update.
func TestGolden(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "shop", "crm")
	cfg.ScopeID = goldenScope
	cfg.DataSourceID = "mongo-main"
	r := start(t, "golden", cfg)
	batches := r.WaitBatches(t, 2)
	r.WaitOK(t)

	for _, ld := range batches {
		db := batchDatabase(ld)
		t.Run(db, func(t *testing.T) {
			goldenFiles(s).Check(t, filepath.Join("testdata", "golden", db+".yaml"), ld)
		})
	}
	// What the receiver remembers for deletes is exactly what it emitted.
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
	parts := &r.Rcv.(*mongoReceiver).parts
	for _, ld := range batches {
		assert.Equal(t, crawltest.States(ld), parts.Seen(batchDatabase(ld)))
	}
	// FerretDB has neither $sample nor $currentOp: the receiver fell back
	// to find and currentOp, and says nothing about clients (empty inprog).
	assert.Zero(t, r.Logs.FilterMessageSnippet("Cannot read client connections").Len(), r.LogText())
}

// goldenFiles keeps what depends on the test server out of the golden
// files: its random port and the collection UUIDs.
func goldenFiles(s *mongotest.Server) crawltest.Golden {
	return crawltest.Golden{Server: s.Endpoint(), Canonical: "127.0.0.1:27017", Varying: []string{"uuid"}}
}

// TestDeletes drops a collection, then the whole database, between
// crawls: entity.delete records for exactly what went away, once.
func TestDeletes(t *testing.T) {
	s := testServer(t)
	ctx := context.Background()
	db := adminClient(t, s).Database("droptest")
	require.NoError(t, db.Drop(ctx))
	_, err := db.Collection("keep").InsertOne(ctx, bson.D{{Key: "x", Value: 1}})
	require.NoError(t, err)
	_, err = db.Collection("doomed").InsertOne(ctx, bson.D{{Key: "name", Value: "n"}})
	require.NoError(t, err)
	_, err = db.Collection("doomed").Indexes().CreateOne(ctx, mongo.IndexModel{Keys: bson.D{{Key: "name", Value: 1}}})
	require.NoError(t, err)

	cfg := testConfig(s) // "*": a dropped database is noticed too
	cfg.ScopeID = "s1"
	cfg.CollectionInterval = 200 * time.Millisecond
	r := start(t, "deletes", cfg)
	r.WaitBatches(t, 1)
	require.Eventually(t, func() bool {
		for _, ld := range r.Sink.AllLogs() {
			if batchDatabase(ld) == "droptest" {
				return true
			}
		}
		return false
	}, 30*time.Second, 20*time.Millisecond)
	require.Empty(t, r.Deletes(), "the first crawl deletes nothing")

	require.NoError(t, db.Collection("doomed").Drop(ctx))
	require.Eventually(t, func() bool { return len(r.Deletes()) > 0 }, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		"mongodb.collection s1/droptest/doomed",
		"mongodb.index s1/droptest/doomed/doomed._id_",
		"mongodb.index s1/droptest/doomed/doomed.name_1",
	}, r.Deletes())

	// Later crawls do not delete again.
	n := len(r.Sink.AllLogs())
	r.WaitBatches(t, n+3)
	assert.Len(t, r.Deletes(), 3)

	// Dropping the database deletes everything it still had.
	require.NoError(t, db.Drop(ctx))
	require.Eventually(t, func() bool { return len(r.Deletes()) > 3 }, 30*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, []string{
		"mongodb.collection s1/droptest/doomed",
		"mongodb.index s1/droptest/doomed/doomed._id_",
		"mongodb.index s1/droptest/doomed/doomed.name_1",
		"mongodb.database s1/droptest",
		"mongodb.collection s1/droptest/keep",
		"mongodb.index s1/droptest/keep/keep._id_",
	}, r.Deletes())
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("no longer crawled").Len())
}

// TestServerDown pauses the server: the receiver reports a recoverable
// error (logged once, however many intervals pass), then StatusOK and
// records again once the server is back; it never deletes anything.
func TestServerDown(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "crm")
	cfg.ScopeID = "s1"
	cfg.CollectionInterval = 100 * time.Millisecond
	const selectTimeout = 500 * time.Millisecond
	r := start(t, "down", cfg, func(r *mongoReceiver) { r.selectTimeout = selectTimeout })
	// Several failed crawls: each waits for server selection.
	err := crawltest.CheckServerDown(t, r, s, s.Endpoint(), 5*(selectTimeout+cfg.CollectionInterval))
	assert.Contains(t, err.Error(), testUser)
	after := r.Sink.AllLogs()
	assert.Equal(t, "crm", batchDatabase(after[len(after)-1]))
}

// TestWrongPassword: the error names the receiver, the hosts and the
// user, says authentication failed, and the password appears nowhere.
func TestWrongPassword(t *testing.T) {
	s := testServer(t)
	const wrong = "Wr0ng-Pa55word-Never-Shown"
	cfg := testConfig(s, "crm")
	cfg.Password = wrong
	cfg.ScopeID = "s1"
	r := start(t, "wrongpw", cfg)
	err := crawltest.CheckWrongPassword(t, r, s.Endpoint(), testUser, wrong)
	assert.ErrorContains(t, err, "Authentication failed")
	assert.Equal(t, "authentication", errorClass(err))

	// The same with the credentials in the URI.
	cfg = testConfig(s, "crm")
	cfg.Hosts, cfg.Username, cfg.Password = nil, "", ""
	cfg.URI = configopaque.String(configURI(s, testUser, wrong))
	cfg.ScopeID = "s1"
	r = start(t, "wrongpw-uri", cfg)
	err = crawltest.CheckWrongPassword(t, r, s.Endpoint(), testUser, wrong)
	assert.ErrorContains(t, err, "Authentication failed")
}

// configURI is a mongodb:// URI for the server with these credentials.
func configURI(s *mongotest.Server, user, password string) string {
	return "mongodb://" + user + ":" + password + "@" + s.Endpoint() + "/?authSource=" + mongotest.AuthDatabase
}

// TestSecretsNeverEmitted crawls with the credentials in the URI, then in
// username/password, and looks for the password and the URI in everything
// emitted and logged.
func TestSecretsNeverEmitted(t *testing.T) {
	s := testServer(t)
	uriCfg := testConfig(s, "shop", "crm")
	uriCfg.Hosts, uriCfg.Username, uriCfg.Password = nil, "", ""
	uriCfg.URI = configopaque.String(configURI(s, testUser, testPassword))
	for name, cfg := range map[string]*Config{"uri": uriCfg, "fields": testConfig(s, "shop", "crm")} {
		t.Run(name, func(t *testing.T) {
			cfg.ScopeID = "s1"
			r := start(t, "secrets-"+name, cfg)
			batches := r.WaitBatches(t, 2)
			r.WaitOK(t)
			var m plog.JSONMarshaler
			for _, ld := range batches {
				b, err := m.MarshalLogs(ld)
				require.NoError(t, err)
				assert.NotContains(t, string(b), testPassword)
				assert.NotContains(t, string(b), "mongodb://")
				assert.Contains(t, string(b), "mongodb.collection")
				src := entity.ReadSource(ld.ResourceLogs().At(0).Resource())
				assert.Equal(t, testUser, src.Config["db_user"])
				assert.Equal(t, s.Endpoint(), src.Config["db_host"])
				assert.Equal(t, "shop,crm", src.Config["db_name"])
				assert.Equal(t, "disable", src.Config["tls"])
				for k, v := range src.Config {
					assert.NotContains(t, k, "pass")
					assert.NotContains(t, k, "uri")
					assert.NotContains(t, v, testPassword)
				}
			}
			logs := r.LogText()
			assert.NotContains(t, logs, testPassword)
			assert.NotContains(t, logs, "mongodb://")
		})
	}
}

// TestStandaloneNeedsScope: FerretDB, like a standalone mongod, has no
// replica set ID; without scope_id the receiver says so, naming the field,
// and emits nothing.
func TestStandaloneNeedsScope(t *testing.T) {
	s := testServer(t)
	r := start(t, "noscope", testConfig(s, "crm"))
	msg := r.WaitError(t).Error()
	t.Log(msg)
	assert.Contains(t, msg, "scope_id is not configured")
	assert.Contains(t, msg, "standalone")
	assert.Contains(t, msg, "set scope_id")
	assert.Empty(t, r.Sink.AllLogs())
}

// TestDiscoverDatabases: "*" crawls every database but admin, config and
// local (FerretDB keeps its user in admin).
func TestDiscoverDatabases(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s)
	cfg.ScopeID = "s1"
	r := start(t, "discover", cfg)
	r.WaitOK(t)
	var dbs []string
	for _, ld := range r.Sink.AllLogs() {
		dbs = append(dbs, batchDatabase(ld))
	}
	assert.Subset(t, dbs, []string{"crm", "shop"})
	assert.NotContains(t, dbs, "admin")
	src := entity.ReadSource(r.Sink.AllLogs()[0].ResourceLogs().At(0).Resource())
	assert.Equal(t, "*", src.Config["db_name"])
}

// TestSampleSize: sample_size bounds the documents read per collection;
// 0 reads none.
func TestSampleSize(t *testing.T) {
	s := testServer(t)
	for _, n := range []int{1, 0} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			cfg := testConfig(s, "shop")
			cfg.ScopeID = "s1"
			cfg.SampleSize = n
			r := start(t, "sample", cfg)
			ld := r.WaitBatches(t, 1)[0]
			for _, rec := range crawltest.Records(ld) {
				if rec.Type() != typeCollection || rec.Name() != "shop.users" {
					continue
				}
				sampled, _ := rec.Body().Get("sampled_documents")
				assert.Equal(t, int64(n), sampled.Int())
				cols, _ := rec.Body().Get("columns")
				if n == 0 {
					assert.Zero(t, cols.Slice().Len())
				} else {
					assert.Positive(t, cols.Slice().Len())
				}
				return
			}
			t.Fatal("no shop.users")
		})
	}
}

// TestCommandsPerCrawl: a crawl sends listDatabases and currentOp once,
// listCollections per database, listIndexes and one sample read per
// collection, nothing per view or index; scope discovery only once.
func TestCommandsPerCrawl(t *testing.T) {
	s := testServer(t)
	cfg := testConfig(s, "shop", "crm")
	r, cmds := newCountingReceiver(t, cfg)
	ctx := context.Background()
	require.NoError(t, r.crawl(ctx)) // discovery and the FerretDB fallbacks happen here
	cmds()
	require.NoError(t, r.crawl(ctx))
	got := cmds()
	collections := 0
	for _, db := range r.parts.Names() {
		for k := range r.parts.Seen(db) {
			if k.Type == typeCollection {
				collections++
			}
		}
	}
	want := map[string]int{
		"listDatabases":   1,
		"currentOp":       1,
		"listCollections": 2,
		"listIndexes":     collections,
		"find":            collections, // FerretDB: no $sample, so find with limit
	}
	assert.Equal(t, want, got)
	total := 0
	for _, n := range got {
		total += n
	}
	assert.LessOrEqual(t, total, 2+2+2*collections)
}

// newCountingReceiver is a receiver driven by the test (no loop) whose
// driver commands are counted; the returned func gives the counts since
// its last call, without the handshake and authentication commands of new
// connections.
func newCountingReceiver(tb testing.TB, cfg *Config) (*mongoReceiver, func() map[string]int) {
	tb.Helper()
	if cfg.ScopeID == "" {
		cfg.ScopeID = "s1"
	}
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), consumertest.NewNop())
	var mu sync.Mutex
	counts := map[string]int{}
	r.monitor = &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		mu.Lock()
		defer mu.Unlock()
		counts[e.CommandName]++
	}}
	tb.Cleanup(r.closeClient)
	return r, func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		out := map[string]int{}
		for k, v := range counts {
			switch k {
			case "hello", "isMaster", "saslStart", "saslContinue", "endSessions":
			default:
				out[k] = v
			}
		}
		clear(counts)
		return out
	}
}
