package crawltest

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// fakeConfig and fakeReceiver make the smallest crawling receiver: at start
// it emits one batch and reports StatusOK, or fails when told to.
type fakeConfig struct {
	Fail bool `mapstructure:"fail"`
}

type fakeReceiver struct {
	cfg    *fakeConfig
	next   consumer.Logs
	logger *zap.Logger
}

func (f *fakeReceiver) Start(ctx context.Context, host component.Host) error {
	if f.cfg.Fail {
		return errors.New("tls: cannot read the CA file")
	}
	f.logger.Info("crawled", zap.String("endpoint", "127.0.0.1:40123"))
	if err := f.next.ConsumeLogs(ctx, fakeBatch()); err != nil {
		return err
	}
	componentstatus.ReportStatus(host, componentstatus.NewEvent(componentstatus.StatusOK))
	return nil
}

func (f *fakeReceiver) Shutdown(context.Context) error { return nil }

func fakeFactory() receiver.Factory {
	return receiver.NewFactory(component.MustNewType("coordimap_fake"),
		func() component.Config { return &fakeConfig{} },
		receiver.WithLogs(func(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Logs) (receiver.Logs, error) {
			return &fakeReceiver{cfg: cfg.(*fakeConfig), next: next, logger: set.Logger}, nil
		}, component.StabilityLevelAlpha))
}

// fakeBatch is what a database receiver emits for a test server at
// 127.0.0.1:40123.
func fakeBatch() plog.Logs {
	now := time.Now()
	b := entity.NewBatch(entity.Source{
		ScopeID: "s1", DataSourceType: "fake", DataSourceID: "fake",
		Config:     map[string]string{"db_port": "40123", "db_host": "127.0.0.1"},
		Attributes: map[string]string{"server.port": "40123"},
	})
	if err := b.AddState(now, entity.Entity{
		Ref:  entity.Ref{Type: "fake.database", InternalID: "s1/app"},
		Name: "app",
		Body: map[string]any{"server_version": "15.7", "endpoint": "127.0.0.1:40123", "port": int64(40123), "tables": int64(3)},
	}); err != nil {
		panic(err)
	}
	b.AddDelete(now, entity.Ref{Type: "fake.table", InternalID: "s1/app/gone"})
	if err := b.AddObservation(now, entity.Observation{
		Type: entity.RelGenericFlow, SourceID: "10.0.0.1", DestinationID: "s1/app", DestinationPort: 40123,
		Connections: 1, LastSeen: now,
	}); err != nil {
		panic(err)
	}
	return b.Logs()
}

func TestStart(t *testing.T) {
	r := Start(t, fakeFactory(), "test", &fakeConfig{})
	assert.Equal(t, "coordimap_fake/test", r.ID.String())
	batches := r.WaitBatches(t, 1)
	require.Len(t, batches, 1)
	r.WaitOK(t)

	assert.Len(t, r.Records(), 3)
	assert.Equal(t, []string{"fake.table s1/app/gone"}, r.Deletes())
	assert.Equal(t, entity.Set{{Type: "fake.database", InternalID: "s1/app"}: {}}, States(batches[0]))
	assert.Equal(t, "crawled endpoint=127.0.0.1:40123\n", r.LogText())

	var seen receiver.Logs
	Start(t, fakeFactory(), "before", &fakeConfig{}, func(rcv receiver.Logs) { seen = rcv })
	assert.NotNil(t, seen, "before sees the receiver")
}

func TestLifecycleChecks(t *testing.T) {
	f := fakeFactory()
	assert.IsType(t, &fakeConfig{}, CheckFactory(t, f, "coordimap_fake"))
	CheckShutdownWithoutStart(t, f, &fakeConfig{})
	require.NoError(t, StartError(t, f, &fakeConfig{}))
	require.ErrorContains(t, StartError(t, f, &fakeConfig{Fail: true}), "tls")
}

func TestCheckConfig(t *testing.T) {
	f := fakeFactory()
	CheckConfig(t, f, component.MustNewID("coordimap_fake"), &fakeConfig{}, "")
	CheckConfig(t, f, component.MustNewIDWithName("coordimap_fake", "fail"), &fakeConfig{Fail: true}, "")
	CheckError(t, nil, "")
	CheckError(t, errors.New("a\nb"), "a\nb")
}

func TestDatabase(t *testing.T) {
	afterSlash := func(id string) string { _, db, _ := strings.Cut(id, "/"); return db }
	ld := fakeBatch()
	assert.Equal(t, "app", Database(ld, "fake.database", afterSlash), "the database's state")
	assert.Equal(t, "app/gone", Database(ld, "other.database", afterSlash), "the first delete")
	assert.Empty(t, Database(plog.NewLogs(), "fake.database", afterSlash))
}

func TestGoldenNormalize(t *testing.T) {
	g := Golden{Server: "127.0.0.1:40123", Canonical: "127.0.0.1:5432", Varying: []string{"server_version"}}
	ld := g.Normalize(fakeBatch())
	records := Records(ld)
	require.Len(t, records, 2, "client flows left out")
	body := records[0].Body().AsRaw()
	assert.Equal(t, map[string]any{"server_version": "<server_version>", "endpoint": "127.0.0.1:5432", "port": int64(5432), "tables": int64(3)}, body)
	assert.Zero(t, records[0].Time().UnixNano(), "timestamps zeroed")
	assert.Equal(t, "5432", entity.ReadSource(ld.ResourceLogs().At(0).Resource()).Config["db_port"])
	port, _ := ld.ResourceLogs().At(0).Resource().Attributes().Get("server.port")
	assert.Equal(t, "5432", port.Str())

	// Maps end in key order.
	var keys []string
	for k := range records[0].Body().All() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"endpoint", "port", "server_version", "tables"}, keys)

	g.KeepObservations = true
	g.Varying = []string{entity.AttrRelLastSeen}
	records = Records(g.Normalize(fakeBatch()))
	require.Len(t, records, 3)
	o := records[2].Observation()
	assert.Equal(t, int64(5432), o.DestinationPort)
	assert.True(t, o.LastSeen.IsZero(), "last_seen zeroed")
}

func TestGoldenCheck(t *testing.T) {
	g := Golden{Server: "127.0.0.1:40123", Canonical: "127.0.0.1:5432"}
	file := filepath.Join(t.TempDir(), "fake.yaml")
	require.NoError(t, golden.WriteLogsToFile(file, g.Normalize(fakeBatch())))
	g.Check(t, file, fakeBatch())

	// Every mutation of the batch must be seen, the record kinds included
	// (CompareLogs alone ignores event names).
	record := func(ld plog.Logs, i int) plog.LogRecord {
		return ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(i)
	}
	for name, mutate := range map[string]func(plog.Logs){
		"body value":  func(ld plog.Logs) { record(ld, 0).Body().Map().PutInt("tables", 4) },
		"record kind": func(ld plog.Logs) { record(ld, 1).SetEventName(entity.EventState) },
		"resource attribute": func(ld plog.Logs) {
			ld.ResourceLogs().At(0).Resource().Attributes().PutStr(entity.AttrScopeID, "s2")
		},
		"record removed": func(ld plog.Logs) {
			ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
				return entity.View(lr).Kind() == entity.KindDelete
			})
		},
	} {
		ld := fakeBatch()
		mutate(ld)
		assert.Error(t, g.compare(file, g.Normalize(ld)), name)
	}
	assert.NoError(t, g.compare(file, g.Normalize(fakeBatch())), "the unmutated batch still matches")
}

func TestBenchCrawl(t *testing.T) {
	crawls := 0
	res := testing.Benchmark(func(b *testing.B) {
		BenchCrawl(b, func(context.Context) error {
			crawls++
			_ = make([]byte, 1<<20)
			return nil
		})
	})
	assert.Positive(t, crawls)
	assert.Contains(t, res.Extra, "peak-heap-MB")
}
