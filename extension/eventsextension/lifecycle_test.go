package eventsextension

import (
	"context"
	"encoding/json"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const lifecycleTopic = "coordimap.lifecycle"

// writeLifecycle: a namespace and a pod linked to it are created, the pod
// is updated, then deleted, then the partition's full crawl completes;
// each write waits for the one before to be published (an event's "after"
// is the entity as stored when it is published).
func writeLifecycle(t *testing.T, g *graphextension.GraphExtension, r *running) {
	t.Helper()
	ctx := context.Background()
	write := func(b graphstore.Batch) {
		require.NoError(t, g.Write(ctx, b))
		r.waitCursor(t, lastSeq(t, g))
	}
	ns := pod(0, 0)
	ns.ID, ns.Type, ns.Name, ns.Data = "s1-shop-kubernetes.namespace-", "kubernetes.namespace", "shop", []byte(`{"name":"shop"}`)
	p := pod(1, 1)
	p.Links = []graphstore.Edge{{Source: ns.ID, Destination: p.ID, Type: "parent_child", RelationType: 3}}
	write(graphstore.Batch{Nodes: []graphstore.NodeState{ns, p}})
	p2 := pod(1, 2)
	p2.Links = p.Links
	write(graphstore.Batch{Nodes: []graphstore.NodeState{p2}})
	write(graphstore.Batch{Deletes: []graphstore.NodeDelete{{ScopeID: "s1", ID: p.ID, At: t0.Add(time.Minute)}}})
	write(graphstore.Batch{FullCrawls: []graphstore.FullCrawl{{DataSourceID: "k8s",
		Partition: "shop.kubernetes.namespace", Since: t0, At: t0.Add(2 * time.Minute)}}})
}

// lifecycle runs writeLifecycle through a publisher with this encoding
// and returns the records of data source k8s.
func lifecycle(t *testing.T, edit func(*Config)) []message {
	c := newCluster(t, kfake.SeedTopics(1, lifecycleTopic))
	g, h := startGraph(t, t.TempDir(), nil)
	r := startPublisher(t, h, c, func(cfg *Config) {
		cfg.Topic = lifecycleTopic
		cfg.InitialSnapshot = false
		edit(cfg)
	})
	base := lastSeq(t, g) // the collector's own entity
	writeLifecycle(t, g, r)
	last := lastSeq(t, g)
	var out []message
	for _, m := range consume(t, c, int(last), lifecycleTopic) {
		if m.headers[HeaderDataSource] == "k8s" {
			out = append(out, m)
		}
	}
	require.Len(t, out, int(last-base))
	return out
}

func TestLifecycleJSON(t *testing.T) {
	msgs := lifecycle(t, func(cfg *Config) { cfg.IncludeState = true })
	var types, keys []string
	for _, m := range msgs {
		types = append(types, m.ev.Type)
		keys = append(keys, m.key)
		assert.Equal(t, m.ev.Type, m.headers[HeaderType])
		assert.Equal(t, "application/json", m.headers[HeaderContentType])
	}
	assert.Equal(t, []string{EntityCreated, EntityCreated, RelationshipCreated, EntityUpdated, EntityDeleted,
		RelationshipDeleted, ResyncCompleted}, types)
	const podID, nsID = "s1-shop-kubernetes.pod-p00001", "s1-shop-kubernetes.namespace-"
	assert.Equal(t, []string{nsID, podID, nsID + "." + podID, podID, podID, nsID + "." + podID,
		"k8s/shop.kubernetes.namespace"}, keys)

	created, updated, deleted := msgs[1].ev, msgs[3].ev, msgs[4].ev
	assert.Equal(t, "kubernetes.pod", updated.EntityType)
	assert.Equal(t, []string{"data.version"}, updated.ChangedFields)
	assert.Equal(t, created.AfterHash, updated.BeforeHash)
	assert.NotEqual(t, updated.BeforeHash, updated.AfterHash)
	assert.Equal(t, version(t, created.After), version(t, updated.Before), "before is what was published last")
	assert.Equal(t, 1.0, version(t, updated.Before))
	assert.Equal(t, 2.0, version(t, updated.After))
	assert.Equal(t, 2.0, version(t, deleted.Before))
	assert.Empty(t, deleted.After)
	rel := msgs[2].ev
	assert.Equal(t, "parent_child", rel.RelationshipType)
	assert.Equal(t, nsID, rel.Source)
	assert.Equal(t, podID, rel.Destination)
	resync := msgs[6].ev
	assert.Equal(t, "shop.kubernetes.namespace", resync.Partition)
	assert.Equal(t, t0.Add(2*time.Minute), resync.Time)
}

func version(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var n graphstore.Node
	require.NoError(t, json.Unmarshal(raw, &n), string(raw))
	var data map[string]any
	require.NoError(t, json.Unmarshal(n.Data, &data))
	return data["version"]
}

// TestLifecycleOTLP: both OTLP encodings decode (as a contrib kafkareceiver
// does) to the same logs, compared with the golden file.
func TestLifecycleOTLP(t *testing.T) {
	decoded := map[string]plog.Logs{}
	for enc, u := range map[string]plog.Unmarshaler{EncodingOTLPProto: &plog.ProtoUnmarshaler{}, EncodingOTLPJSON: &plog.JSONUnmarshaler{}} {
		t.Run(enc, func(t *testing.T) {
			all := plog.NewLogs()
			for _, m := range lifecycle(t, func(cfg *Config) { cfg.Encoding = enc }) {
				ld, err := u.UnmarshalLogs(m.value)
				require.NoError(t, err, m.key)
				ld.ResourceLogs().MoveAndAppendTo(all.ResourceLogs())
			}
			decoded[enc] = all
		})
	}
	file := filepath.Join("testdata", "lifecycle.yaml")
	if *update {
		require.NoError(t, golden.WriteLogsToFile(file, decoded[EncodingOTLPProto]))
	}
	want, err := golden.ReadLogs(file)
	require.NoError(t, err)
	for enc, got := range decoded {
		assert.NoError(t, plogtest.CompareLogs(want, got, plogtest.IgnoreResourceLogsOrder()), enc)
	}
}
