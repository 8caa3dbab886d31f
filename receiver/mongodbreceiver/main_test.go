package mongodbreceiver

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/mongotest"
	"github.com/coordimap/otelcol-coordimap/internal/testcert"
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
	crawltest.Main(m, func() error {
		defer os.RemoveAll(tlsDir)
		if server == nil {
			return nil
		}
		return server.Close()
	})
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
		if cert, key, serverErr = testcert.Write(tlsDir); serverErr != nil {
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

// start creates the receiver through the factory, as the collector does,
// applies opts to it and starts it; the test stops it.
func start(t *testing.T, name string, cfg *Config, opts ...func(*mongoReceiver)) *crawltest.Receiver {
	t.Helper()
	return crawltest.Start(t, NewFactory(), name, cfg, func(rcv receiver.Logs) {
		for _, o := range opts {
			o(rcv.(*mongoReceiver))
		}
	})
}

// batchDatabase is the database a batch describes: the name of its
// mongodb.database entity, or the database of its first delete
// (<scope>/<database>[/<collection>…]).
func batchDatabase(ld plog.Logs) string {
	return crawltest.Database(ld, typeDatabase, func(id string) string {
		if parts := strings.SplitN(id, "/", 3); len(parts) >= 2 {
			return parts[1]
		}
		return ""
	})
}
