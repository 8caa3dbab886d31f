package mongodbreceiver

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// Unit tests of replies.go on recorded replies (testdata/replies, shaped
// like mongod/mongos 7.0 replies) and on hand-built documents.

func TestParseHello(t *testing.T) {
	rs := parseHello(recorded(t, "hello_rs0", "127.0.0.1:27017"))
	assert.Equal(t, helloInfo{SetName: "rs0"}, rs)
	assert.Equal(t, helloInfo{Mongos: true}, parseHello(recorded(t, "hello_mongos", "")))
	assert.Equal(t, helloInfo{}, parseHello(recorded(t, "hello_standalone", "")))
}

func TestParseScopeIDs(t *testing.T) {
	id, err := parseReplicaSetID(recorded(t, "replSetGetConfig_rs0", ""))
	require.NoError(t, err)
	assert.Equal(t, "6650f1a2c3d4e5f607182930", id)

	// A configuration without replicaSetId (replica sets initiated before
	// MongoDB 3.2 keep none until reconfigured), or an error reply.
	_, err = parseReplicaSetID(mustDoc(bson.D{{Key: "config", Value: bson.D{{Key: "_id", Value: "rs0"}, {Key: "settings", Value: bson.D{}}}}}))
	assert.ErrorIs(t, err, errNoReplicaSetID)
	_, err = parseReplicaSetID(recorded(t, "replSetGetConfig_unauthorized", ""))
	assert.ErrorIs(t, err, errNoReplicaSetID)

	batch, ok := recorded(t, "find_config_version", "").Lookup("cursor", "firstBatch").ArrayOK()
	require.True(t, ok)
	doc, ok := batch.Index(0).DocumentOK()
	require.True(t, ok)
	id, err = parseClusterID(doc)
	require.NoError(t, err)
	assert.Equal(t, "6650f0aa11b2c3d4e5f60718", id)
	_, err = parseClusterID(mustDoc(bson.D{{Key: "_id", Value: 1}}))
	assert.ErrorIs(t, err, errNoClusterID)
}

func TestResolveScope(t *testing.T) {
	rsID := discovered{id: "6650f1a2c3d4e5f607182930", source: "replica set ID"}
	rsName := discovered{id: "rs0", source: "replica set name", weak: true, why: "(Unauthorized) not authorized"}
	none := discovered{why: "the server is a standalone mongod (not a replica set member nor mongos), which has no ID"}
	tests := []struct {
		name, configured string
		d                discovered
		scope, warning   string
		err              string
	}{
		{name: "discovered ID", d: rsID, scope: rsID.id},
		{name: "name fallback warns", d: rsName, scope: "rs0", warning: "Using the replica set name as scope_id"},
		{name: "standalone without scope", d: none, err: "scope_id is not configured and cannot be discovered: the server is a standalone mongod"},
		{name: "standalone with scope", configured: "s1", d: none, scope: "s1"},
		{name: "same as discovered", configured: rsID.id, d: rsID, scope: rsID.id},
		{name: "differs", configured: "legacy", d: rsID, scope: "legacy", warning: "Configured scope_id differs from the deployment's replica set ID"},
		{name: "differs from the name", configured: "legacy", d: rsName, scope: "legacy", warning: "differs from the deployment's replica set name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scope, warning, err := resolveScope(tt.configured, tt.d)
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				assert.ErrorContains(t, err, "set scope_id")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.scope, scope)
			if tt.warning == "" {
				assert.Empty(t, warning)
			} else {
				assert.Contains(t, warning, tt.warning)
			}
		})
	}
}

// listCollections entries of the recorded shop database.
func recordedCollections(t *testing.T) map[string]collectionInfo {
	t.Helper()
	batch, ok := recorded(t, "listCollections_shop", "").Lookup("cursor", "firstBatch").ArrayOK()
	require.True(t, ok)
	vals, err := batch.Values()
	require.NoError(t, err)
	out := map[string]collectionInfo{}
	for _, v := range vals {
		c, err := parseCollection(v.Document())
		require.NoError(t, err)
		out[c.Name] = c
	}
	return out
}

func TestParseCollections(t *testing.T) {
	colls := recordedCollections(t)

	users := colls["users"]
	assert.Equal(t, kindCollection, users.Kind)
	assert.Equal(t, "11be6601-b711-43c6-b6c4-276ad52f51cb", users.UUID)
	assert.Equal(t, "strict", users.ValidationLevel)
	assert.Equal(t, "error", users.ValidationAction)
	assert.Equal(t, map[string]any{"$jsonSchema": map[string]any{
		"bsonType": "object",
		"required": []any{"email", "name"},
		"properties": map[string]any{
			"email": map[string]any{"bsonType": "string", "pattern": "^.+@.+$"},
			"age":   map[string]any{"bsonType": []any{"int", "null"}, "minimum": int64(0)},
		},
	}}, users.Validator)
	assert.Nil(t, users.Options)

	view := colls["big_orders"]
	assert.Equal(t, kindView, view.Kind)
	assert.Equal(t, "orders", view.ViewOn)
	assert.True(t, view.ReadOnly)
	assert.Equal(t, `[{"$match":{"total":{"$gte":{"$numberDecimal":"100"}}}},{"$project":{"user_id":1,"total":1,"placed":1}}]`, view.PipelineJSON)
	assert.Equal(t, []any{
		map[string]any{"$match": map[string]any{"total": map[string]any{"$gte": "100"}}},
		map[string]any{"$project": map[string]any{"user_id": int64(1), "total": int64(1), "placed": int64(1)}},
	}, view.Pipeline)

	ts := colls["events"]
	assert.Equal(t, kindTimeseries, ts.Kind)
	assert.Equal(t, map[string]any{"timeseries": map[string]any{
		"timeField": "ts", "metaField": "meta", "granularity": "seconds", "bucketMaxSpanSeconds": int64(3600),
	}}, ts.Options)

	assert.Contains(t, colls["sessions"].Options, "clusteredIndex")
	assert.Equal(t, int64(3600), colls["sessions"].Options["expireAfterSeconds"])

	// The client leaves system collections out.
	assert.True(t, isSystemCollection("system.views"))
	assert.True(t, isSystemCollection("system.buckets.events"))
	assert.False(t, isSystemCollection("systems"))

	_, err := parseCollection(mustDoc(bson.D{{Key: "type", Value: "collection"}}))
	assert.Error(t, err)
	// Before MongoDB 3.4 entries had no type.
	old, err := parseCollection(mustDoc(bson.D{{Key: "name", Value: "c"}, {Key: "options", Value: bson.D{}}}))
	require.NoError(t, err)
	assert.Equal(t, kindCollection, old.Kind)
}

func TestParseIndexes(t *testing.T) {
	parse := func(file string) map[string]indexInfo {
		batch, ok := recorded(t, file, "").Lookup("cursor", "firstBatch").ArrayOK()
		require.True(t, ok)
		vals, err := batch.Values()
		require.NoError(t, err)
		out := map[string]indexInfo{}
		for _, v := range vals {
			ix, err := parseIndex(v.Document())
			require.NoError(t, err)
			out[ix.Name] = ix
		}
		return out
	}
	users := parse("listIndexes_users")
	assert.Equal(t, indexInfo{Name: "_id_", Keys: []indexKey{{"_id", "asc"}}}, users["_id_"])
	assert.True(t, users["email_1"].Unique)
	assert.Contains(t, users["email_1"].Options, "collation")
	// A text index lists the fields of its weights, not _fts/_ftsx.
	assert.Equal(t, []indexKey{{"name", "text"}}, users["name_text"].Keys)
	assert.Equal(t, []indexKey{{"location", "2dsphere"}}, users["location_2dsphere"].Keys)
	// Doubles as key directions (1.0, -1.0) are orders too.
	assert.Equal(t, []indexKey{{"name", "asc"}, {"age", "desc"}}, users["name_1_age_-1"].Keys)
	assert.Equal(t, map[string]any{"sparse": true}, users["name_1_age_-1"].Options)

	orders := parse("listIndexes_orders")
	assert.Equal(t, []indexKey{{"user_id", "asc"}, {"status", "asc"}}, orders["user_id_1_status_1"].Keys)
	assert.Equal(t, map[string]any{
		"partialFilterExpression": map[string]any{"total": map[string]any{"$gt": "100"}},
		"hidden":                  true,
	}, orders["big_totals"].Options)
	assert.Equal(t, int64(2592000), orders["placed_1"].Options["expireAfterSeconds"])
	assert.Equal(t, []indexKey{{"sku", "hashed"}}, orders["sku_hashed"].Keys)
	assert.Equal(t, []indexKey{{"$**", "asc"}}, orders["$**_1"].Keys)

	// A compound text index keeps its other keys around the text fields.
	ix, err := parseIndex(mustDoc(bson.D{
		{Key: "v", Value: 2},
		{Key: "key", Value: bson.D{{Key: "shop", Value: 1}, {Key: "_fts", Value: "text"}, {Key: "_ftsx", Value: 1}, {Key: "at", Value: -1}}},
		{Key: "name", Value: "shop_1_title_text_body_text_at_-1"},
		{Key: "weights", Value: bson.D{{Key: "title", Value: 10}, {Key: "body", Value: 1}}},
		{Key: "unique", Value: 1.0},
	}))
	require.NoError(t, err)
	assert.Equal(t, []indexKey{{"shop", "asc"}, {"body", "text"}, {"title", "text"}, {"at", "desc"}}, ix.Keys)
	assert.True(t, ix.Unique, "unique: 1.0 is true")
}

func TestParseCurrentOp(t *testing.T) {
	ops, err := parseCurrentOp(recorded(t, "currentOp_command", ""))
	require.NoError(t, err)
	assert.Equal(t, []clientOp{
		{Address: "10.1.0.21:51000", Conn: "201", AppName: "orders-api", Database: "shop"},
		{Address: "10.1.0.21:51002", Conn: "202", AppName: "orders-api"},
		{Address: "10.1.0.23:43000", Conn: "401", Database: "shop"}, // from command.$db
		{Address: "10.1.0.9:40112", Conn: "101", AppName: appName, Database: "admin"},
	}, ops, "internal threads (no client) are skipped")

	flows := clientFlows(ops, func(db string) bool { return db == "shop" })
	assert.Equal(t, []clientFlow{
		{Address: "10.1.0.21", Database: "shop", Connections: 2},
		{Address: "10.1.0.23", Database: "shop", Connections: 1},
	}, flows)

	_, err = parseCurrentOp(mustDoc(bson.D{{Key: "ok", Value: 1.0}}))
	assert.Error(t, err)

	// mongos before 5.0 names the client client_s; an op without
	// connectionId is identified by desc.
	op, ok := parseOp(mustDoc(bson.D{{Key: "client_s", Value: "10.0.0.1:5000"}, {Key: "desc", Value: "conn9"}, {Key: "ns", Value: "a.b"}}))
	require.True(t, ok)
	assert.Equal(t, clientOp{Address: "10.0.0.1:5000", Conn: "conn9", Database: "a"}, op)
}

func TestClientFlowsAmbiguousIdle(t *testing.T) {
	ops := []clientOp{
		{Address: "10.0.0.1:1", Conn: "1", Database: "a"},
		{Address: "10.0.0.1:2", Conn: "2", Database: "b"},
		{Address: "10.0.0.1:3", Conn: "3"}, // idle, its address uses two databases
		{Address: "10.0.0.2:1", Conn: "4"}, // idle only
		{Address: "10.0.0.3:1", Conn: "5", Database: "a"},
		{Address: "10.0.0.3:1", Conn: "5", Database: "a"}, // same connection twice
	}
	flows := clientFlows(ops, func(string) bool { return true })
	assert.Equal(t, []clientFlow{
		{Address: "10.0.0.1", Database: "a", Connections: 1},
		{Address: "10.0.0.3", Database: "a", Connections: 1},
		{Address: "10.0.0.1", Database: "b", Connections: 1},
	}, flows)
}

// The sampling pipeline (the server names each field's $type) and the
// fallback (whole documents, typed here) give the same column types.
func TestFieldTypesBothWays(t *testing.T) {
	doc := bson.D{
		{Key: "_id", Value: bson.NewObjectID()},
		{Key: "d", Value: 1.5}, {Key: "s", Value: "x"}, {Key: "o", Value: bson.D{}}, {Key: "a", Value: bson.A{}},
		{Key: "bin", Value: bson.Binary{Data: []byte{1}}}, {Key: "u", Value: bson.Undefined{}},
		{Key: "b", Value: true}, {Key: "dt", Value: bson.NewDateTimeFromTime(time.Unix(0, 0))}, {Key: "n", Value: nil},
		{Key: "re", Value: bson.Regex{Pattern: "a"}}, {Key: "js", Value: bson.JavaScript("f()")},
		{Key: "sym", Value: bson.Symbol("s")}, {Key: "i", Value: int32(1)}, {Key: "ts", Value: bson.Timestamp{T: 1}},
		{Key: "l", Value: int64(1)}, {Key: "dec", Value: bson.NewDecimal128(0, 1)},
		{Key: "min", Value: bson.MinKey{}}, {Key: "max", Value: bson.MaxKey{}},
	}
	var whole fieldTypes
	require.NoError(t, whole.addDocument(mustDoc(doc)))

	// What $type answers for each of those fields.
	aliases := []string{"objectId", "double", "string", "object", "array", "binData", "undefined", "bool", "date", "null",
		"regex", "javascript", "symbol", "int", "timestamp", "long", "decimal", "minKey", "maxKey"}
	var f bson.A
	for i, e := range doc {
		f = append(f, bson.D{{Key: "k", Value: e.Key}, {Key: "t", Value: aliases[i]}})
	}
	var projected fieldTypes
	require.NoError(t, projected.addProjected(mustDoc(bson.D{{Key: "f", Value: f}})))
	assert.Equal(t, whole.fields(), projected.fields())

	types := map[string]string{}
	for _, fi := range whole.fields() {
		types[fi.Name] = fi.Types[0]
	}
	// The original agent's names where it had one.
	assert.Equal(t, "objectId", types["_id"])
	assert.Equal(t, "string", types["s"])
	assert.Equal(t, "int64", types["l"])
	assert.Equal(t, "int32", types["i"])
	assert.Equal(t, "document", types["o"])
	assert.Equal(t, "datetime", types["dt"])
	assert.Equal(t, "array", types["a"])
	assert.Equal(t, "double", types["d"])
	assert.True(t, slices.IsSortedFunc(whole.fields(), func(a, b fieldInfo) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	}))
	assert.Equal(t, 1, whole.docs)
}

func TestToValue(t *testing.T) {
	uuid := bson.Binary{Subtype: bson.TypeBinaryUUID, Data: []byte{0x11, 0xbe, 0x66, 0x01, 0xb7, 0x11, 0x43, 0xc6, 0xb6, 0xc4, 0x27, 0x6a, 0xd5, 0x2f, 0x51, 0xcb}}
	doc := mustDoc(bson.D{
		{Key: "nan", Value: math.NaN()},
		{Key: "inf", Value: math.Inf(-1)},
		{Key: "uuid", Value: uuid},
		{Key: "bin", Value: bson.Binary{Data: []byte("hi")}},
		{Key: "date", Value: bson.NewDateTimeFromTime(time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC))},
		{Key: "re", Value: bson.Regex{Pattern: "^a", Options: "i"}},
		{Key: "ts", Value: bson.Timestamp{T: 7, I: 8}},
		{Key: "dec", Value: mustDecimal("42")},
		{Key: "i32", Value: int32(-3)},
		{Key: "oid", Value: oid("65a000000000000000000001")},
		{Key: "null", Value: nil},
		{Key: "min", Value: bson.MinKey{}},
		{Key: "arr", Value: bson.A{int32(1), "x"}},
	})
	got := toValue(bson.RawValue{Type: bson.TypeEmbeddedDocument, Value: doc})
	assert.Equal(t, map[string]any{
		"nan": "NaN", "inf": "-Inf",
		"uuid": "11be6601-b711-43c6-b6c4-276ad52f51cb",
		"bin":  "aGk=",
		"date": "2026-01-02T03:04:05.006Z",
		"re":   "/^a/i",
		"ts":   "Timestamp(7, 8)",
		"dec":  "42",
		"i32":  int64(-3),
		"oid":  "65a000000000000000000001",
		"null": nil,
		"min":  "MinKey",
		"arr":  []any{int64(1), "x"},
	}, got)
}

func TestReferencedCollection(t *testing.T) {
	refs := referenceIndex([]collectionInfo{
		{Name: "users", Kind: kindCollection},
		{Name: "Categories", Kind: kindCollection},
		{Name: "categories", Kind: kindCollection},
		{Name: "boxes", Kind: kindCollection},
		{Name: "vip_users", Kind: kindView},
		{Name: "order", Kind: kindTimeseries},
	})
	for field, want := range map[string]string{
		"user_id":     "users",
		"userId":      "users",
		"userID":      "users",
		"user":        "users",
		"category_id": "Categories", // first by name among case variants
		"box_id":      "boxes",
		"order_id":    "order",
		"vip_user_id": "", // views are not referenced
		"id":          "",
		"_id":         "",
		"video_id":    "",
	} {
		assert.Equal(t, want, referencedCollection(field, refs), field)
	}
}

func mustDecimal(s string) bson.Decimal128 {
	d, err := bson.ParseDecimal128(s)
	if err != nil {
		panic(err)
	}
	return d
}
