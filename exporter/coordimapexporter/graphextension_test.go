package coordimapexporter

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension"
)

func startGraphExtension(t *testing.T) extension.Extension {
	t.Helper()
	f := graphextension.NewFactory()
	cfg := f.CreateDefaultConfig().(*graphextension.Config)
	cfg.ServerConfig.NetAddr.Endpoint = "" // no HTTP needed here
	cfg.SQLite.Path = filepath.Join(t.TempDir(), "graph.db")
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(graphextension.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), &extensionHost{}))
	t.Cleanup(func() { require.NoError(t, ext.Shutdown(context.Background())) })
	return ext
}

// The exporter writes into the coordimap_graph extension, and graph_file
// becomes an export of its store.
func TestGraphExtensionReceivesRecords(t *testing.T) {
	ext := startGraphExtension(t)
	graphID := component.MustNewID("coordimap_graph")
	path := filepath.Join(t.TempDir(), "graph.json")
	cfg := createDefaultConfig().(*Config)
	cfg.Graph = &graphID
	cfg.GraphFile = path
	cfg.GraphFlushInterval = 20 * time.Millisecond
	require.NoError(t, cfg.Validate())
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), &extensionHost{ext: map[component.ID]component.Component{graphID: ext}}))
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))

	store := ext.(*graphextension.GraphExtension).Store()
	sum, err := store.Summary(context.Background())
	require.NoError(t, err)
	assert.Positive(t, sum.ByType["postgres.table"])

	require.Eventually(t, func() bool { _, err := os.Stat(path); return err == nil }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc graphDocument
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Len(t, doc.Nodes, sum.Nodes)
	assert.Len(t, doc.Edges, sum.Edges)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "the graph file holds the whole topology")
}

func TestGraphExtensionMissing(t *testing.T) {
	graphID := component.MustNewID("coordimap_graph")
	cfg := createDefaultConfig().(*Config)
	cfg.Graph = &graphID
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	err = exp.Start(context.Background(), &extensionHost{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `graph: extension "coordimap_graph" is not configured`)
	require.NoError(t, exp.Shutdown(context.Background()))
}

// Another otelcol-coordimap pointed at the extension's ingest endpoint
// fills its store: the Coordimap wire format round-trips.
func TestExporterToIngestEndpoint(t *testing.T) {
	f := graphextension.NewFactory()
	gcfg := f.CreateDefaultConfig().(*graphextension.Config)
	gcfg.ServerConfig.NetAddr.Endpoint = "127.0.0.1:0"
	gcfg.SQLite.Path = filepath.Join(t.TempDir(), "graph.db")
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(graphextension.Type), gcfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), &extensionHost{}))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()
	g := ext.(*graphextension.GraphExtension)

	cfg := createDefaultConfig().(*Config)
	cfg.APIKey = apiKey
	cfg.ClientConfig.Endpoint = strings.TrimSuffix(g.URL(), "/") + graphextension.IngestPath
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	exp, err := NewFactory().CreateLogs(context.Background(), exportertest.NewNopSettings(Type), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	require.NoError(t, exp.Shutdown(context.Background()))

	sum, err := g.Store().Summary(context.Background())
	require.NoError(t, err)
	assert.Positive(t, sum.ByType["postgres.table"])
	assert.Positive(t, sum.Edges)
	n, err := g.Store().Node(context.Background(), "", "7710/app-@")
	require.NoError(t, err)
	assert.Equal(t, "pg-main", n.DataSourceID)
}
