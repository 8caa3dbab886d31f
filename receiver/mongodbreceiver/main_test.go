package mongodbreceiver

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
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
	"github.com/coordimap/otelcol-coordimap/internal/mongotest"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

// One throwaway FerretDB for the whole package, with authentication on,
// started by the first test that needs it and stopped by TestMain.
var (
	serverOnce sync.Once
	server     *mongotest.Server
	serverErr  error
	fixtureErr error
	// tlsCA is the server certificate (its own CA) of the TLS listener.
	tlsCA  string
	tlsDir string
)

// The server's user. FerretDB has no roles: every authenticated user may
// do everything, so least privileges cannot be tested here.
const (
	testUser     = "coordimap"
	testPassword = "Sup3r-Secret-M0ngo-Pa55word"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		if err := server.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping FerretDB:", err)
		}
	}
	if tlsDir != "" {
		os.RemoveAll(tlsDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left running:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// testServer returns the package's server with the fixtures loaded, or ends
// the test (skip locally, fail under CI=true).
func testServer(tb testing.TB) *mongotest.Server {
	tb.Helper()
	serverOnce.Do(func() {
		var cert, key string
		if tlsDir, serverErr = os.MkdirTemp("", "coordimap-mongo-tls-"); serverErr != nil {
			return
		}
		if cert, key, serverErr = writeServerCert(tlsDir); serverErr != nil {
			return
		}
		tlsCA = cert
		server, serverErr = mongotest.Start(mongotest.Options{
			Username: testUser, Password: testPassword,
			TLSCertFile: cert, TLSKeyFile: key,
		})
		if serverErr == nil {
			fixtureErr = loadFixtures(server)
		}
	})
	if serverErr != nil {
		mongotest.Unavailable(tb, serverErr)
	}
	require.NoError(tb, fixtureErr, "loading the fixtures")
	return server
}

// adminClient connects to the test server as its user, for fixtures.
func adminClient(tb testing.TB, s *mongotest.Server) *mongo.Client {
	tb.Helper()
	c, err := connectAdmin(s)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = c.Disconnect(context.Background()) })
	return c
}

func connectAdmin(s *mongotest.Server) (*mongo.Client, error) {
	return mongo.Connect(options.Client().ApplyURI(s.URI()).SetServerSelectionTimeout(10 * time.Second))
}

func oid(hex string) bson.ObjectID {
	id, err := bson.ObjectIDFromHex(hex)
	if err != nil {
		panic(err)
	}
	return id
}

// loadFixtures creates two databases: shop (collections with unique,
// compound and sparse indexes, documents of many types, a capped
// collection, an ObjectId reference) and crm (a collection and an empty
// one). FerretDB has no views or validators; replies_test.go covers them
// with recorded mongod replies.
func loadFixtures(s *mongotest.Server) error {
	c, err := connectAdmin(s)
	if err != nil {
		return err
	}
	ctx := context.Background()
	defer c.Disconnect(ctx)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	shop := c.Database("shop")
	if _, err := shop.Collection("users").InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: oid("65a000000000000000000001")}, {Key: "name", Value: "Ada"}, {Key: "email", Value: "ada@example.com"},
			{Key: "age", Value: int32(36)}, {Key: "created", Value: created}, {Key: "tags", Value: bson.A{"admin"}},
			{Key: "address", Value: bson.D{{Key: "city", Value: "London"}}}},
		bson.D{{Key: "_id", Value: oid("65a000000000000000000002")}, {Key: "name", Value: "Grace"}, {Key: "email", Value: "grace@example.com"},
			{Key: "age", Value: nil}, {Key: "created", Value: created}, {Key: "active", Value: true}},
	}); err != nil {
		return err
	}
	if _, err := shop.Collection("users").Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)},
		{Keys: bson.D{{Key: "name", Value: 1}, {Key: "age", Value: -1}}, Options: options.Index().SetName("name_age")},
	}); err != nil {
		return err
	}
	if _, err := shop.Collection("orders").InsertMany(ctx, []any{
		bson.D{{Key: "_id", Value: oid("65b000000000000000000001")}, {Key: "user_id", Value: oid("65a000000000000000000001")},
			{Key: "total", Value: 12.5}, {Key: "items", Value: bson.A{bson.D{{Key: "sku", Value: "A-1"}, {Key: "qty", Value: int32(2)}}}},
			{Key: "status", Value: "paid"}, {Key: "placed", Value: created}, {Key: "lines", Value: int64(1)}},
		bson.D{{Key: "_id", Value: oid("65b000000000000000000002")}, {Key: "user_id", Value: oid("65a000000000000000000002")},
			{Key: "total", Value: int32(7)}, {Key: "status", Value: "new"}, {Key: "placed", Value: created}, {Key: "lines", Value: int64(0)}},
	}); err != nil {
		return err
	}
	if _, err := shop.Collection("orders").Indexes().CreateMany(ctx, []mongo.IndexModel{
		{Keys: bson.D{{Key: "user_id", Value: 1}, {Key: "status", Value: 1}, {Key: "placed", Value: -1}}},
	}); err != nil {
		return err
	}
	if err := shop.CreateCollection(ctx, "events", options.CreateCollection().SetCapped(true).SetSizeInBytes(1<<20)); err != nil {
		return err
	}
	if _, err := shop.Collection("events").InsertOne(ctx, bson.D{{Key: "kind", Value: "login"}, {Key: "at", Value: created}}); err != nil {
		return err
	}
	crm := c.Database("crm")
	if _, err := crm.Collection("contacts").InsertOne(ctx, bson.D{{Key: "_id", Value: "c-1"}, {Key: "name", Value: "Lin"}, {Key: "phone", Value: "+44"}}); err != nil {
		return err
	}
	if _, err := crm.Collection("contacts").Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "phone", Value: 1}}, Options: options.Index().SetUnique(true).SetSparse(true),
	}); err != nil {
		return err
	}
	return crm.CreateCollection(ctx, "notes")
}

// testConfig is a configuration for the test server as its user.
func testConfig(s *mongotest.Server, dbs ...string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{s.Endpoint()}
	cfg.Username = testUser
	cfg.Password = testPassword
	cfg.TLS.Insecure = true
	if len(dbs) > 0 {
		cfg.Databases = dbs
	}
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
func start(t *testing.T, name string, cfg *Config, opts ...func(*mongoReceiver)) *running {
	t.Helper()
	require.NoError(t, cfg.Validate())
	core, logs := observer.New(zap.DebugLevel)
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, name)
	set.Logger = zap.New(core)
	sink := &consumertest.LogsSink{}
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	for _, o := range opts {
		o(rcv.(*mongoReceiver))
	}
	host := newStatusHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return &running{rcv: rcv, sink: sink, host: host, logs: logs, id: set.ID}
}

// waitBatches waits until the sink holds at least n batches.
func (r *running) waitBatches(t *testing.T, n int) []plog.Logs {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.sink.AllLogs()) >= n }, 60*time.Second, 20*time.Millisecond,
		"waiting for %d batches; status %v %v", n, r.host.Last().Status(), r.host.Last().Err())
	return r.sink.AllLogs()
}

// waitStatus waits until the last reported status is st.
func (r *running) waitStatus(t *testing.T, st componentstatus.Status) *componentstatus.Event {
	t.Helper()
	require.Eventually(t, func() bool { return r.host.Last().Status() == st }, 60*time.Second, 10*time.Millisecond,
		"waiting for status %v", st)
	return r.host.Last()
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

// batchDatabase is the database a batch describes: the name of its
// mongodb.database entity, or the database of its first delete.
func batchDatabase(ld plog.Logs) string {
	for _, r := range records(ld) {
		if r.Kind() == entity.KindState && r.Type() == typeDatabase {
			return r.Name()
		}
	}
	for _, r := range records(ld) {
		if r.Kind() == entity.KindDelete {
			parts := strings.SplitN(r.InternalID(), "/", 3)
			if len(parts) >= 2 {
				return parts[1]
			}
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
