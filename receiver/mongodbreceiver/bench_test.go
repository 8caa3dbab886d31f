package mongodbreceiver

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/mongotest"
)

const (
	benchDB          = "bench1k"
	benchCollections = 1000
	benchDocs        = 5
)

var (
	benchOnce sync.Once
	benchErr  error
)

// createBenchDatabase fills database bench1k with 1,000 collections of 5
// documents (7 fields of 6 types) and one secondary index each, once per
// test binary.
func createBenchDatabase(s *mongotest.Server) error {
	c, err := connectAdmin(s)
	if err != nil {
		return err
	}
	ctx := context.Background()
	defer c.Disconnect(ctx)
	db := c.Database(benchDB)
	if err := db.Drop(ctx); err != nil {
		return err
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range benchCollections {
		coll := db.Collection(fmt.Sprintf("c%04d", i))
		docs := make([]any, 0, benchDocs)
		for j := range benchDocs {
			docs = append(docs, bson.D{
				{Key: "name", Value: fmt.Sprintf("n%d", j)}, {Key: "qty", Value: int32(j)}, {Key: "price", Value: float64(j) / 2},
				{Key: "at", Value: at}, {Key: "tags", Value: bson.A{"a", "b"}}, {Key: "meta", Value: bson.D{{Key: "k", Value: j}}},
				{Key: "owner_id", Value: bson.NewObjectID()},
			})
		}
		if _, err := coll.InsertMany(ctx, docs); err != nil {
			return err
		}
		if _, err := coll.Indexes().CreateOne(ctx, mongo.IndexModel{
			Keys: bson.D{{Key: "name", Value: 1}, {Key: "at", Value: -1}}, Options: options.Index().SetUnique(i%2 == 0),
		}); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkCrawl1kCollections times one full crawl of a database with
// 1,000 collections (2,000 indexes, 20 sampled documents each at most):
// the commands, the entities and the pdata batch handed to the next
// consumer. It reports the peak live heap seen during the crawls and the
// commands sent per crawl.
func BenchmarkCrawl1kCollections(b *testing.B) {
	s := testServer(b)
	benchOnce.Do(func() {
		start := time.Now()
		benchErr = createBenchDatabase(s)
		b.Logf("created %d collections in %s", benchCollections, time.Since(start).Round(time.Millisecond))
	})
	require.NoError(b, benchErr)

	benchCrawl(b, testConfig(s, benchDB))
}

// benchCrawl times the crawls of a receiver for cfg, once connected and
// discovered, with the entities and the commands of one crawl.
func benchCrawl(b *testing.B, cfg *Config) {
	b.Helper()
	r, cmds := newCountingReceiver(b, cfg)
	require.NoError(b, r.crawl(context.Background())) // connect, discover, fall back outside the timing
	cmds()
	crawltest.BenchCrawl(b, r.crawl)
	total := 0
	for _, n := range cmds() {
		total += n
	}
	b.ReportMetric(float64(len(r.parts.Seen(benchDB))), "entities/op")
	b.ReportMetric(float64(total)/float64(b.N), "commands/op")
}

// BenchmarkCrawl1kCollectionsReplay is the same crawl against the replay
// server (a replica set whose 1,000 collections answer with canned
// replies: two indexes, 20 sampled documents of 7 fields): it measures the
// receiver's own cost, without FerretDB's SQLite behind each command.
func BenchmarkCrawl1kCollectionsReplay(b *testing.B) {
	var colls bson.A
	for i := range benchCollections {
		colls = append(colls, bson.D{
			{Key: "name", Value: fmt.Sprintf("c%04d", i)}, {Key: "type", Value: "collection"}, {Key: "options", Value: bson.D{}},
			{Key: "info", Value: bson.D{{Key: "readOnly", Value: false}, {Key: "uuid", Value: bson.Binary{Subtype: 4, Data: make([]byte, 16)}}}},
		})
	}
	cursor := func(ns string, batch bson.A) bson.Raw {
		return mustDoc(bson.D{{Key: "cursor", Value: bson.D{{Key: "id", Value: int64(0)}, {Key: "ns", Value: ns}, {Key: "firstBatch", Value: batch}}}, {Key: "ok", Value: 1.0}})
	}
	listCollections := cursor("bench1k.$cmd.listCollections", colls)
	indexes := cursor("bench1k.c", bson.A{
		bson.D{{Key: "v", Value: 2}, {Key: "key", Value: bson.D{{Key: "_id", Value: 1}}}, {Key: "name", Value: "_id_"}},
		bson.D{{Key: "v", Value: 2}, {Key: "key", Value: bson.D{{Key: "name", Value: 1}, {Key: "at", Value: -1}}}, {Key: "name", Value: "name_1_at_-1"}, {Key: "unique", Value: true}},
	})
	var sample bson.A
	for range 20 {
		var f bson.A
		for _, kt := range [][2]string{{"_id", "objectId"}, {"name", "string"}, {"qty", "int"}, {"price", "double"}, {"at", "date"}, {"tags", "array"}, {"owner_id", "objectId"}} {
			f = append(f, bson.D{{Key: "k", Value: kt[0]}, {Key: "t", Value: kt[1]}})
		}
		sample = append(sample, bson.D{{Key: "f", Value: f}})
	}
	sampled := cursor("bench1k.c", sample)
	ops := cursor("admin.$cmd.aggregate", bson.A{})
	var s *replayServer
	var hello, rsConfig bson.Raw
	s = newReplayServer(b, func(name, db string, _ bson.Raw) bson.Raw {
		switch name {
		case "hello", "isMaster":
			return hello
		case "replSetGetConfig":
			return rsConfig
		case "listDatabases":
			return mustDoc(bson.D{{Key: "databases", Value: bson.A{bson.D{{Key: "name", Value: benchDB}}}}, {Key: "ok", Value: 1.0}})
		case "listCollections":
			return listCollections
		case "listIndexes":
			return indexes
		case "aggregate":
			if db == "admin" {
				return ops
			}
			return sampled
		}
		return nil
	})
	hello = recorded(b, "hello_rs0", s.addr())
	rsConfig = recorded(b, "replSetGetConfig_rs0", s.addr())

	cfg := recordedConfig(s)
	cfg.Databases = []string{benchDB}
	benchCrawl(b, cfg)
}
