package apiservertest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/exporter/coordimapexporter"
)

// exportText sends lds through a coordimap exporter, to a test Coordimap
// API and a graph file, and returns every request body (with each
// element's data decoded from base64 after it) and the graph file,
// concatenated.
func exportText(t *testing.T, lds []plog.Logs) string {
	t.Helper()
	var (
		mu     sync.Mutex
		bodies strings.Builder
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req struct {
			CloudCrawlData struct {
				CrawledData struct {
					Data []struct {
						Data []byte `json:"data"` // base64 on the wire
					} `json:"data"`
				} `json:"crawled_data"`
			} `json:"cloud_crawl_data"`
		}
		err := json.Unmarshal(b, &req)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("request body is not the Coordimap format: %v", err)
		}
		bodies.Write(b)
		for _, el := range req.CloudCrawlData.CrawledData.Data {
			bodies.WriteByte('\n')
			bodies.Write(el.Data)
		}
		_, _ = io.WriteString(w, `{"status":{"http_code":200,"message":"ok"}}`)
	}))
	defer api.Close()

	f := coordimapexporter.NewFactory()
	cfg := f.CreateDefaultConfig().(*coordimapexporter.Config)
	cfg.ClientConfig.Endpoint = api.URL
	cfg.APIKey = "test-key"
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.GraphFile = filepath.Join(t.TempDir(), "graph.json")
	require.NoError(t, cfg.Validate())
	exp, err := f.CreateLogs(context.Background(), exportertest.NewNopSettings(f.Type()), cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), componenttest.NewNopHost()))
	for _, ld := range lds {
		require.NoError(t, exp.ConsumeLogs(context.Background(), ld))
	}
	require.NoError(t, exp.Shutdown(context.Background()))
	graph, err := os.ReadFile(cfg.GraphFile)
	require.NoError(t, err)
	mu.Lock()
	defer mu.Unlock()
	return bodies.String() + "\n" + string(graph)
}
