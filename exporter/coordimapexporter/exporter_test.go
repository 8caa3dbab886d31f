package coordimapexporter

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.uber.org/goleak"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("go.opencensus.io/stats/view.(*worker).start"))
}

const apiKey = "test-api-key-not-for-logs"

// fakeAPI is an httptest Coordimap API: it answers with the next scripted
// reply (the last one repeats) and records what it was sent.
type fakeAPI struct {
	*httptest.Server
	mu      sync.Mutex
	replies []reply
	bodies  []string
	keys    []string
}

type reply struct {
	code       int
	body       string
	retryAfter string
}

var ok200 = reply{code: 200, body: `{"status":{"http_code":200,"message":"ok"}}`}

func newFakeAPI(t *testing.T, replies ...reply) *fakeAPI {
	f := &fakeAPI{replies: replies}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, string(body))
		f.keys = append(f.keys, r.Header.Get("Api-Key"))
		rep := f.replies[0]
		if len(f.replies) > 1 {
			f.replies = f.replies[1:]
		}
		f.mu.Unlock()
		if rep.retryAfter != "" {
			w.Header().Set("Retry-After", rep.retryAfter)
		}
		w.WriteHeader(rep.code)
		_, _ = io.WriteString(w, rep.body)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) received() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.bodies...)
}

func apiConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.ClientConfig.Endpoint = endpoint
	cfg.APIKey = apiKey
	cfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	cfg.RetryConfig.InitialInterval = 10 * time.Millisecond
	cfg.RetryConfig.MaxInterval = 50 * time.Millisecond
	cfg.RetryConfig.MaxElapsedTime = 5 * time.Second
	return cfg
}

func startExporter(t *testing.T, cfg *Config, host component.Host) *logsExporter {
	t.Helper()
	set := exportertest.NewNopSettings(Type)
	set.ID = component.NewID(Type) // the persistent queue is keyed by it
	if testing.Verbose() {
		set.Logger = zaptest.NewLogger(t)
	}
	exp, err := NewFactory().CreateLogs(context.Background(), set, cfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(context.Background(), host))
	return exp.(*logsExporter)
}

func TestExportToAPI(t *testing.T) {
	api := newFakeAPI(t, ok200)
	exp := startExporter(t, apiConfig(api.URL), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	require.NoError(t, exp.Shutdown(context.Background()))

	bodies := api.received()
	require.Len(t, bodies, 3)
	for i, b := range bodies {
		assert.Equal(t, apiKey, api.keys[i])
		req := decodeRequest(t, []byte(b))
		assert.Equal(t, "pg-main", req.CloudCrawlData.DataSource.DataSourceID)
	}
}

func TestRetriesThrottlingAndServerErrors(t *testing.T) {
	api := newFakeAPI(t,
		reply{code: 429, retryAfter: "0", body: "slow down"},
		reply{code: 502, body: "bad gateway"},
		reply{code: 200, body: `{"status":{"http_code":500,"message":"db busy"}}`},
		// A proxy or captive portal answering 200 with its own page.
		reply{code: 200, body: "<html>proxy login</html>"},
		ok200)
	exp := startExporter(t, apiConfig(api.URL), componenttest.NewNopHost())
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	require.NoError(t, exp.Shutdown(context.Background()))
	// Each try sends all three partitions: the first fails all three
	// (429, 502, API 500), the second fails the first (the proxy's page),
	// the third succeeds.
	assert.Len(t, api.received(), 9)
}

func TestPermanentErrors(t *testing.T) {
	for name, rep := range map[string]reply{
		"bad request":  {code: 400, body: `{"status":{"http_code":400,"message":"bad"}}`},
		"unauthorized": {code: 401, body: "no"},
		"api says 403": {code: 200, body: `{"status":{"http_code":403,"error_code":"E1","message":"wrong key"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			api := newFakeAPI(t, rep)
			exp := startExporter(t, apiConfig(api.URL), componenttest.NewNopHost())
			err := exp.ConsumeLogs(context.Background(), fixtureLogs(t))
			require.Error(t, err)
			assert.True(t, consumererror.IsPermanent(err), err)
			assert.NotContains(t, err.Error(), apiKey)
			require.NoError(t, exp.Shutdown(context.Background()))
			assert.Len(t, api.received(), 3, "each partition tried once, none retried")
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	assert.Equal(t, 7*time.Second, retryAfter("7"))
	assert.Zero(t, retryAfter(""))
	assert.Zero(t, retryAfter("soon"))
	d := retryAfter(time.Now().Add(time.Minute).UTC().Format(http.TimeFormat))
	assert.Greater(t, d, 50*time.Second)
}

func TestIncrementalSendsOnlyChanges(t *testing.T) {
	api := newFakeAPI(t, ok200)
	cfg := apiConfig(api.URL)
	cfg.Incremental = true
	cfg.FullResyncPeriod = time.Hour
	e := newAPIExporter(cfg, exportertest.NewNopSettings(Type))
	now := crawlTime
	e.now = func() time.Time { return now }
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))

	count := func() int {
		n := 0
		for _, b := range api.received() {
			n += len(decodeRequest(t, []byte(b)).CloudCrawlData.CrawledData.Data)
		}
		return n
	}
	require.NoError(t, e.push(context.Background(), fixtureLogs(t)))
	first := count()
	assert.Equal(t, 10, first)

	now = now.Add(time.Minute)
	require.NoError(t, e.push(context.Background(), fixtureLogs(t)))
	assert.Equal(t, first, count(), "nothing changed, nothing sent")

	changed := fixtureLogs(t)
	lr := changed.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(3)
	lr.Body().Map().PutInt("rows", 43)
	require.NoError(t, e.push(context.Background(), changed))
	assert.Equal(t, first+1, count(), "only the changed table")

	now = now.Add(time.Hour)
	require.NoError(t, e.push(context.Background(), fixtureLogs(t)))
	assert.Equal(t, 2*first+1, count(), "full resync after full_resync_period")
}

func TestIncrementalForgetsDeletedEntities(t *testing.T) {
	api := newFakeAPI(t, ok200)
	cfg := apiConfig(api.URL)
	cfg.Incremental = true
	e := newAPIExporter(cfg, exportertest.NewNopSettings(Type))
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	src := entity.Source{ScopeID: "s", DataSourceType: "postgres", DataSourceID: "ds"}
	state := entity.Entity{Ref: entity.Ref{Type: "postgres.table", InternalID: "s/db-public@t"}, Name: "t"}

	b := entity.NewBatch(src)
	require.NoError(t, b.AddState(crawlTime, state))
	require.NoError(t, e.push(context.Background(), b.Logs()))
	b = entity.NewBatch(src)
	b.AddDelete(crawlTime, state.Ref)
	require.NoError(t, e.push(context.Background(), b.Logs()))
	b = entity.NewBatch(src)
	require.NoError(t, b.AddState(crawlTime, state))
	require.NoError(t, e.push(context.Background(), b.Logs()))
	assert.Len(t, api.received(), 2, "the entity that came back is sent again")
}

// TestPersistentQueueSurvivesRestart: with sending_queue on file_storage,
// what could not be delivered before a restart is delivered after it.
func TestPersistentQueueSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	storageID := component.MustNewID("file_storage")
	newHost := func() (*extensionHost, func()) {
		f := filestorage.NewFactory()
		cfg := f.CreateDefaultConfig().(*filestorage.Config)
		cfg.Directory = dir
		ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), cfg)
		require.NoError(t, err)
		require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
		return &extensionHost{ext: map[component.ID]component.Component{storageID: ext}},
			func() { require.NoError(t, ext.Shutdown(context.Background())) }
	}
	queued := func(endpoint string) *Config {
		cfg := apiConfig(endpoint)
		q := exporterhelper.NewDefaultQueueConfig()
		q.StorageID = &storageID
		q.Batch = configoptional.None[exporterhelper.BatchConfig]()
		cfg.QueueConfig = configoptional.Some(q)
		cfg.RetryConfig.MaxElapsedTime = time.Hour
		return cfg
	}

	down := newFakeAPI(t, reply{code: 503, body: "maintenance"})
	host, stop := newHost()
	exp := startExporter(t, queued(down.URL), host)
	require.NoError(t, exp.ConsumeLogs(context.Background(), fixtureLogs(t)))
	require.Eventually(t, func() bool { return len(down.received()) > 0 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	stop()

	up := newFakeAPI(t, ok200)
	host, stop = newHost()
	exp = startExporter(t, queued(up.URL), host)
	require.Eventually(t, func() bool { return len(up.received()) >= 3 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, exp.Shutdown(context.Background()))
	stop()
	ids := map[string]bool{}
	for _, b := range up.received() {
		ids[decodeRequest(t, []byte(b)).CloudCrawlData.CrawlInternalID] = true
	}
	assert.Equal(t, map[string]bool{"app-": true, "app-public": true, "pg-main": true}, ids)
}

type extensionHost struct {
	ext map[component.ID]component.Component
}

func (h *extensionHost) GetExtensions() map[component.ID]component.Component { return h.ext }

func TestSecretsNeverLeave(t *testing.T) {
	api := newFakeAPI(t, reply{code: 400, body: "no"})
	exp := startExporter(t, apiConfig(api.URL), componenttest.NewNopHost())
	err := exp.ConsumeLogs(context.Background(), fixtureLogs(t))
	require.Error(t, err)
	require.NoError(t, exp.Shutdown(context.Background()))
	for _, b := range api.received() {
		assert.NotContains(t, b, "must-not-leak")
		assert.NotContains(t, b, apiKey)
	}
	assert.False(t, strings.Contains(err.Error(), apiKey))
}

// An api_key sent over plain HTTP to another machine is warned about at
// start; to this machine (a local relay, the tests) it is not.
func TestStartWarnsOfPlainHTTP(t *testing.T) {
	for endpoint, warned := range map[string]int{
		"http://127.0.0.1:8080/ingest":       0,
		"https://api.coordimap.com/x":        0,
		"http://collector.example.com/x":     1,
		"http://user:pw@10.0.0.5:8080/infra": 1,
	} {
		core, logs := observer.New(zap.WarnLevel)
		set := exportertest.NewNopSettings(Type)
		set.Logger = zap.New(core)
		e := newAPIExporter(apiConfig(endpoint), set)
		require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
		assert.Equal(t, warned, logs.FilterMessageSnippet("cross the network in clear").Len(), endpoint)
		for _, l := range logs.All() {
			assert.NotContains(t, l.ContextMap()["endpoint"], "pw", "credentials in the URL are redacted")
		}
	}
}
