package coordimapexporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// TestIncrementalStateBoundedUnderPodChurn runs 100,000 pods through the
// incremental exporter, 1,000 per 10-minute crawl, each deleted one crawl
// after it appeared. Deletes forget the pods, but nothing deletes their
// edges: the incremental state must still hold only what was sent within
// the last two full_resync_periods, however long the churn goes on.
func TestIncrementalStateBoundedUnderPodChurn(t *testing.T) {
	const (
		perCrawl = 1000
		crawls   = 100
		interval = 10 * time.Minute
		resync   = time.Hour
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // keep nothing: the test measures the exporter
		_, _ = io.WriteString(w, ok200.body)
	}))
	t.Cleanup(api.Close)
	cfg := apiConfig(api.URL)
	cfg.Incremental = true
	cfg.FullResyncPeriod = resync
	e := newAPIExporter(cfg, exportertest.NewNopSettings(Type))
	now := crawlTime
	e.now = func() time.Time { return now }
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))

	src := entity.Source{ScopeID: "uid", DataSourceType: "kubernetes", DataSourceID: "k8s"}
	ns := entity.Ref{Type: "kubernetes.namespace", InternalID: "uid-shop-kubernetes.namespace-"}
	podRef := func(i int) entity.Ref {
		return entity.Ref{Type: "kubernetes.pod", InternalID: fmt.Sprintf("uid-shop-kubernetes.pod-api-%06d", i)}
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	var sizeAt20, heapAt20 int
	// The largest state in the first and the second half of the run.
	var peak [2]int
	for c := range crawls {
		b := entity.NewBatch(src)
		for i := c * perCrawl; i < (c+1)*perCrawl; i++ {
			require.NoError(t, b.AddState(now, entity.Entity{
				Ref: podRef(i), Name: podRef(i).InternalID, Partition: "shop.kubernetes.namespace",
				Body:  map[string]any{"phase": "Running"},
				Links: []entity.Link{{Type: entity.RelParentChild, Direction: entity.Incoming, Target: ns}},
			}))
		}
		for i := (c - 1) * perCrawl; c > 0 && i < c*perCrawl; i++ {
			b.AddDelete(now, podRef(i))
		}
		require.NoError(t, e.push(context.Background(), b.Logs()))
		now = now.Add(interval)
		if c >= 12 { // past the first two periods
			peak[2*c/crawls] = max(peak[2*c/crawls], e.sentLen())
		}
		if c == 19 {
			sizeAt20, heapAt20 = e.sentLen(), int(heap())
		}
	}
	size, heapEnd := e.sentLen(), int(heap())
	runtime.KeepAlive(e)
	t.Logf("incremental state after 20 crawls: %d entries, heap %d KiB; after %d crawls (%d pods): %d entries, heap %d KiB; peak %d then %d entries",
		sizeAt20, heapAt20/1024, crawls, crawls*perCrawl, size, heapEnd/1024, peak[0], peak[1])

	// Sent within two full_resync_periods: 12 crawls of edges, plus the
	// pods of the last crawl (not deleted yet).
	bound := int(2*resync/interval)*perCrawl + perCrawl
	assert.LessOrEqual(t, peak[1], bound, "incremental state grows with churn")
	assert.Equal(t, peak[0], peak[1], "state is flat once churn is steady")
}
