package mongodbreceiver

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Server error codes the receiver tells apart.
const (
	codeFailedToParse        = 9 // FerretDB: database-level aggregate
	codeUnauthorized         = 13
	codeAuthenticationFailed = 18
	codeNamespaceNotFound    = 26
	codeCommandNotFound      = 59
	codeNoReplication        = 76 // not running with --replSet
	codeNotYetInitialized    = 94 // replica set not initiated
	codeNotImplemented       = 238
	codeInvalidPipelineOp    = 168   // unknown expression ($objectToArray before 3.4.4)
	codeUnknownOperator      = 15952 // unknown expression, older servers
	codeUnrecognizedStage    = 40324 // unknown stage ($sample before 3.2, $currentOp before 3.6)
)

// Commands per crawl (see README, "Cost"): listDatabases and currentOp
// once; listCollections per database; listIndexes and one sample read per
// collection (none for views, no sample when sample_size is 0). hello and
// replSetGetConfig (or the config.version read on mongos) run once, to
// discover the scope. Every cursor is read in one batch.

// client is the receiver's seam over the driver: every command the
// receiver sends is here. Only the crawl loop uses it.
type client struct {
	mc *mongo.Client
	// samplePipeline is false once the server refused the sampling
	// pipeline ($sample + $objectToArray); whole documents are read
	// instead.
	samplePipeline bool
	// opsStage is false once the server refused the $currentOp stage; the
	// currentOp command is used instead.
	opsStage bool
}

func newClient(mc *mongo.Client) *client {
	return &client{mc: mc, samplePipeline: true, opsStage: true}
}

func (c *client) close(ctx context.Context) error { return c.mc.Disconnect(ctx) }

// hello asks what the deployment is (isMaster on servers before 4.4.2).
func (c *client) hello(ctx context.Context) (helloInfo, error) {
	admin := c.mc.Database("admin")
	raw, err := admin.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Raw()
	if hasCode(err, codeCommandNotFound) {
		raw, err = admin.RunCommand(ctx, bson.D{{Key: "isMaster", Value: 1}}).Raw()
	}
	if err != nil {
		return helloInfo{}, fmt.Errorf("hello: %w", err)
	}
	return parseHello(raw), nil
}

// replicaSetID reads settings.replicaSetId of the replica set
// configuration (replSetGetConfig, in clusterMonitor).
func (c *client) replicaSetID(ctx context.Context) (string, error) {
	raw, err := c.mc.Database("admin").RunCommand(ctx, bson.D{{Key: "replSetGetConfig", Value: 1}}).Raw()
	if err != nil {
		return "", fmt.Errorf("replSetGetConfig: %w", err)
	}
	return parseReplicaSetID(raw)
}

// clusterID reads the clusterId of a sharded cluster from config.version
// (through mongos; clusterMonitor may read it).
func (c *client) clusterID(ctx context.Context) (string, error) {
	raw, err := c.mc.Database("config").Collection("version").FindOne(ctx, bson.D{}).Raw()
	if err != nil {
		return "", fmt.Errorf("reading config.version: %w", err)
	}
	return parseClusterID(raw)
}

// databases lists the databases the user may see (listDatabases with
// nameOnly; without the listDatabases privilege the server lists the
// databases the user has privileges on).
func (c *client) databases(ctx context.Context) ([]string, error) {
	names, err := c.mc.ListDatabaseNames(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("listDatabases: %w", err)
	}
	return names, nil
}

// collections lists a database's collections, views and time series,
// system collections (system.*) excepted.
func (c *client) collections(ctx context.Context, db string) ([]collectionInfo, error) {
	cur, err := c.mc.Database(db).ListCollections(ctx, bson.D{})
	if err != nil {
		return nil, fmt.Errorf("listCollections in %q: %w", db, err)
	}
	var out []collectionInfo
	err = drain(ctx, cur, func(doc bson.Raw) error {
		ci, err := parseCollection(doc)
		if err != nil {
			return err
		}
		if !isSystemCollection(ci.Name) {
			out = append(out, ci)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listCollections in %q: %w", db, err)
	}
	return out, nil
}

// errGone says a collection was dropped while the crawl read it.
var errGone = errors.New("collection dropped during the crawl")

// indexes lists a collection's indexes.
func (c *client) indexes(ctx context.Context, db, coll string) ([]indexInfo, error) {
	cur, err := c.mc.Database(db).Collection(coll).Indexes().List(ctx)
	if hasCode(err, codeNamespaceNotFound) {
		return nil, errGone
	}
	if err != nil {
		return nil, fmt.Errorf("listIndexes on %s.%s: %w", db, coll, err)
	}
	var out []indexInfo
	err = drain(ctx, cur, func(doc bson.Raw) error {
		ix, err := parseIndex(doc)
		if err == nil {
			out = append(out, ix)
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listIndexes on %s.%s: %w", db, coll, err)
	}
	return out, nil
}

// sampleStages are the sampling pipeline: n random documents, of which
// the server returns only each top-level field's name and $type, so that
// large documents cost nothing to transfer.
func sampleStages(n int) bson.A {
	return bson.A{
		bson.D{{Key: "$sample", Value: bson.D{{Key: "size", Value: n}}}},
		bson.D{{Key: "$project", Value: bson.D{
			{Key: "_id", Value: 0},
			{Key: "f", Value: bson.D{{Key: "$map", Value: bson.D{
				{Key: "input", Value: bson.D{{Key: "$objectToArray", Value: "$$ROOT"}}},
				{Key: "in", Value: bson.D{
					{Key: "k", Value: "$$this.k"},
					{Key: "t", Value: bson.D{{Key: "$type", Value: "$$this.v"}}},
				}},
			}}}},
		}}},
	}
}

// sample infers a collection's top-level fields from at most n documents:
// the sampling pipeline, or, on a server that refuses it (FerretDB, very
// old MongoDB), the first n documents in natural order.
func (c *client) sample(ctx context.Context, db, coll string, n int) (fieldTypes, error) {
	var ft fieldTypes
	collection := c.mc.Database(db).Collection(coll)
	if c.samplePipeline {
		cur, err := collection.Aggregate(ctx, sampleStages(n), options.Aggregate().SetBatchSize(int32(n)))
		switch {
		case hasCode(err, codeNotImplemented, codeUnrecognizedStage, codeInvalidPipelineOp, codeUnknownOperator):
			c.samplePipeline = false
		case hasCode(err, codeNamespaceNotFound):
			return ft, errGone
		case err != nil:
			return ft, fmt.Errorf("sampling %s.%s: %w", db, coll, err)
		default:
			if err := drain(ctx, cur, ft.addProjected); err != nil {
				return ft, fmt.Errorf("sampling %s.%s: %w", db, coll, err)
			}
			return ft, nil
		}
	}
	cur, err := collection.Find(ctx, bson.D{}, options.Find().SetLimit(int64(n)).SetBatchSize(int32(n)))
	if hasCode(err, codeNamespaceNotFound) {
		return ft, errGone
	}
	if err != nil {
		return ft, fmt.Errorf("sampling %s.%s: %w", db, coll, err)
	}
	if err := drain(ctx, cur, ft.addDocument); err != nil {
		return ft, fmt.Errorf("sampling %s.%s: %w", db, coll, err)
	}
	return ft, nil
}

// opsStages read every connection, idle ones included, keeping only what
// the receiver needs. On mongos, localOps reports the router's own
// clients.
func opsStages(mongos bool) bson.A {
	stage := bson.D{{Key: "allUsers", Value: true}, {Key: "idleConnections", Value: true}}
	if mongos {
		stage = append(stage, bson.E{Key: "localOps", Value: true})
	}
	return bson.A{
		bson.D{{Key: "$currentOp", Value: stage}},
		bson.D{{Key: "$match", Value: bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "client", Value: bson.D{{Key: "$exists", Value: true}}}},
			bson.D{{Key: "client_s", Value: bson.D{{Key: "$exists", Value: true}}}},
		}}}}},
		bson.D{{Key: "$project", Value: bson.D{
			{Key: "_id", Value: 0},
			{Key: "client", Value: 1},
			{Key: "client_s", Value: 1},
			{Key: "appName", Value: 1},
			{Key: "connectionId", Value: 1},
			{Key: "desc", Value: 1},
			{Key: "ns", Value: 1},
		}}},
	}
}

// opsBatch is the cursor batch of the $currentOp read: entries are small
// once projected, so one batch holds thousands of connections.
const opsBatch = 10000

// currentOps reads the connections to the server: the $currentOp stage
// (inprog privilege, in clusterMonitor), or the currentOp command with
// $all on a server without the stage.
func (c *client) currentOps(ctx context.Context, mongos bool) ([]clientOp, error) {
	admin := c.mc.Database("admin")
	if c.opsStage {
		cur, err := admin.Aggregate(ctx, opsStages(mongos), options.Aggregate().SetBatchSize(opsBatch))
		switch {
		case hasCode(err, codeNotImplemented, codeUnrecognizedStage, codeFailedToParse):
			c.opsStage = false
		case err != nil:
			return nil, fmt.Errorf("$currentOp: %w", err)
		default:
			var ops []clientOp
			err := drain(ctx, cur, func(doc bson.Raw) error {
				if op, ok := parseOp(doc); ok {
					ops = append(ops, op)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("$currentOp: %w", err)
			}
			return ops, nil
		}
	}
	raw, err := admin.RunCommand(ctx, bson.D{{Key: "currentOp", Value: 1}, {Key: "$all", Value: true}}).Raw()
	if err != nil {
		return nil, fmt.Errorf("currentOp: %w", err)
	}
	return parseCurrentOp(raw)
}

// drain hands every document of a cursor to fn and closes the cursor.
func drain(ctx context.Context, cur *mongo.Cursor, fn func(bson.Raw) error) error {
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
		defer cancel()
		_ = cur.Close(closeCtx)
	}()
	for cur.Next(ctx) {
		if err := fn(cur.Current); err != nil {
			return err
		}
	}
	return cur.Err()
}

// hasCode says whether err is a server error with one of the codes.
func hasCode(err error, codes ...int) bool {
	if err == nil {
		return false
	}
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	for _, code := range codes {
		if se.HasErrorCode(code) {
			return true
		}
	}
	return false
}

func isSystemCollection(name string) bool {
	return len(name) >= 7 && name[:7] == "system."
}
