package mongodbreceiver

import (
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.uber.org/zap/zapcore"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// scenario is a deployment made of recorded replies (testdata/replies).
type scenario struct {
	hello            string // hello_rs0, hello_mongos, hello_standalone
	replSetGetConfig string // reply file; "" on a standalone server
	currentOp        string // reply file of the $currentOp aggregation
}

var replicaSet = scenario{hello: "hello_rs0", replSetGetConfig: "replSetGetConfig_rs0", currentOp: "currentOp_stage"}

// serve starts a replay server for the scenario.
func (sc scenario) serve(t *testing.T) *replayServer {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "replies", "*.json"))
	require.NoError(t, err)
	var s *replayServer
	replies := map[string]bson.Raw{}
	s = newReplayServer(t, func(name, db string, cmd bson.Raw) bson.Raw {
		arg, _ := cmd.Lookup(name).StringValueOK()
		switch name {
		case "hello", "isMaster":
			return replies[sc.hello]
		case "replSetGetConfig":
			if sc.replSetGetConfig == "" {
				return commandError(76, "NoReplicationEnabled", "not running with --replSet")
			}
			return replies[sc.replSetGetConfig]
		case "listDatabases":
			return replies["listDatabases"]
		case "listCollections":
			return replies["listCollections_"+db]
		case "listIndexes":
			return replies["listIndexes_"+arg]
		case "aggregate":
			if db == "admin" {
				return replies[sc.currentOp]
			}
			return replies["sample_"+arg]
		case "find":
			if db == "config" && arg == "version" {
				return replies["find_config_version"]
			}
		}
		return nil
	})
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		replies[name] = recorded(t, name, s.addr())
	}
	return s
}

// recordedConfig is a configuration for a replay server: no credentials,
// no TLS, no scope (discovered).
func recordedConfig(s *replayServer) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{s.addr()}
	cfg.TLS.Insecure = true
	cfg.CollectionInterval = time.Hour
	return cfg
}

const recordedReplicaSetID = "6650f1a2c3d4e5f607182930"

// TestRecordedReplicaSet crawls a replica set primary made of recorded
// mongod 7.0 replies: the scope is settings.replicaSetId, views, a
// validator, a time series and a clustered collection come out, and the
// clients of currentOp become flows. Compared with
// testdata/golden/recorded_shop.yaml (regenerate with -update).
func TestRecordedReplicaSet(t *testing.T) {
	s := replicaSet.serve(t)
	cfg := recordedConfig(s)
	cfg.DataSourceID = "mongo-rs0"
	r := start(t, "recorded", cfg)
	ld := r.WaitBatches(t, 1)[0]
	r.WaitOK(t)
	require.Len(t, r.Sink.AllLogs(), 1, "admin, config and local are not crawled")

	src := entity.ReadSource(ld.ResourceLogs().At(0).Resource())
	assert.Equal(t, recordedReplicaSetID, src.ScopeID)

	// Clients: the receiver's own connection, databases not crawled and
	// idle-only clients are left out; idle connections count for the one
	// database their address uses.
	var flows []string
	for _, rec := range crawltest.Records(ld) {
		if rec.Kind() == entity.KindObservation {
			o := rec.Observation()
			assert.Equal(t, entity.RelGenericFlow, o.Type)
			assert.Equal(t, entity.ExternalSource, o.External)
			assert.Equal(t, "shop", o.Partition)
			assert.Equal(t, int64(s.ln.Addr().(*net.TCPAddr).Port), o.DestinationPort)
			flows = append(flows, o.SourceID+" -> "+o.DestinationID+" x"+strconv.FormatInt(o.Connections, 10))
		}
	}
	assert.Equal(t, []string{
		"10.1.0.21 -> " + recordedReplicaSetID + "/shop x3",
		"10.1.0.23 -> " + recordedReplicaSetID + "/shop x1",
		"fd00::5 -> " + recordedReplicaSetID + "/shop x1",
	}, flows)

	// The replay server's port is random; the clients are part of the
	// recording.
	replayGolden := crawltest.Golden{
		Server: s.addr(), Canonical: "127.0.0.1:27017",
		Varying: []string{entity.AttrRelLastSeen}, KeepObservations: true,
	}
	replayGolden.Check(t, filepath.Join("testdata", "golden", "recorded_shop.yaml"), ld)

	// Commands: scope discovery, then per crawl listDatabases and
	// $currentOp once, listCollections per database, listIndexes and one
	// sample per collection (4: users, orders, events, sessions); none for
	// the views and the system collections.
	var cmds []string
	for _, c := range s.commands() {
		if !strings.HasSuffix(c, ".isMaster") && !strings.HasSuffix(c, ".hello") && !strings.HasSuffix(c, ".endSessions") {
			cmds = append(cmds, c)
		}
	}
	assert.Equal(t, []string{
		"admin.replSetGetConfig",
		"admin.listDatabases",
		"admin.aggregate",
		"shop.listCollections",
		"shop.listIndexes", "shop.aggregate", // events
		"shop.listIndexes", "shop.aggregate", // orders
		"shop.listIndexes", "shop.aggregate", // sessions
		"shop.listIndexes", "shop.aggregate", // users
	}, cmds)
	assert.Zero(t, r.Logs.FilterLevelExact(zapcore.WarnLevel).Len(), r.LogText())
}

// TestRecordedRefusals: a user without replSetGetConfig nor inprog (no
// clusterMonitor) still crawls: the replica set name is the scope (a
// warning says why and what to grant) and there are no clients (an info
// log says why), each logged once.
func TestRecordedRefusals(t *testing.T) {
	sc := replicaSet
	sc.replSetGetConfig = "replSetGetConfig_unauthorized"
	sc.currentOp = "currentOp_unauthorized"
	s := sc.serve(t)
	cfg := recordedConfig(s)
	cfg.CollectionInterval = 100 * time.Millisecond
	r := start(t, "refused", cfg)
	r.WaitBatches(t, 3)
	r.WaitOK(t)
	for _, ld := range r.Sink.AllLogs() {
		assert.Equal(t, "rs0", entity.ReadSource(ld.ResourceLogs().At(0).Resource()).ScopeID)
		for _, rec := range crawltest.Records(ld) {
			assert.NotEqual(t, entity.KindObservation, rec.Kind())
		}
	}
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("Using the replica set name as scope_id").Len(), r.LogText())
	assert.Contains(t, r.LogText(), "clusterMonitor")
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("Cannot read client connections").Len(), r.LogText())
}

// TestRecordedMongos: through mongos the scope is the cluster's clusterId
// (config.version), and $currentOp asks for the router's own clients.
func TestRecordedMongos(t *testing.T) {
	sc := scenario{hello: "hello_mongos", currentOp: "currentOp_stage"}
	s := sc.serve(t)
	r := start(t, "mongos", recordedConfig(s))
	ld := r.WaitBatches(t, 1)[0]
	assert.Equal(t, "6650f0aa11b2c3d4e5f60718", entity.ReadSource(ld.ResourceLogs().At(0).Resource()).ScopeID)
	assert.Contains(t, s.commands(), "config.find")
	assert.NotContains(t, s.commands(), "admin.replSetGetConfig")
	stage, ok := s.lastCommand("admin.aggregate").Lookup("pipeline").Array().Index(0).Document().Lookup("$currentOp").DocumentOK()
	require.True(t, ok)
	assert.True(t, stage.Lookup("localOps").Boolean(), "the router's own clients")
}

// TestRecordedScopeMismatch: a configured scope_id wins over the
// discovered replica set ID, with one warning.
func TestRecordedScopeMismatch(t *testing.T) {
	s := replicaSet.serve(t)
	cfg := recordedConfig(s)
	cfg.ScopeID = "legacy-scope"
	cfg.CollectionInterval = 100 * time.Millisecond
	r := start(t, "mismatch", cfg)
	lds := r.WaitBatches(t, 3)
	assert.Equal(t, "legacy-scope", entity.ReadSource(lds[0].ResourceLogs().At(0).Resource()).ScopeID)
	assert.Equal(t, 1, r.Logs.FilterMessageSnippet("differs from the deployment's replica set ID").Len(), r.LogText())
}

// TestRecordedStandalone: a standalone mongod has no ID; with scope_id set
// it crawls without warnings.
func TestRecordedStandalone(t *testing.T) {
	sc := scenario{hello: "hello_standalone", currentOp: "currentOp_stage"}
	s := sc.serve(t)
	cfg := recordedConfig(s)
	cfg.ScopeID = "standalone-1"
	r := start(t, "standalone", cfg)
	ld := r.WaitBatches(t, 1)[0]
	assert.Equal(t, "standalone-1", entity.ReadSource(ld.ResourceLogs().At(0).Resource()).ScopeID)
	assert.Zero(t, r.Logs.FilterLevelExact(zapcore.WarnLevel).Len(), r.LogText())
	assert.False(t, slices.Contains(s.commands(), "admin.replSetGetConfig"), "hello says standalone: no replSetGetConfig")
	stage := s.lastCommand("admin.aggregate").Lookup("pipeline").Array().Index(0).Document().Lookup("$currentOp").Document()
	_, err := stage.LookupErr("localOps")
	assert.Error(t, err, "localOps only on mongos")
}
