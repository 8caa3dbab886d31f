package awsflowlogsreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/filestorage"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/extensiontest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/goleak"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

const (
	testBucket  = "flow-logs"
	testAccount = "123456789012"
	keyPrefix   = "AWSLogs/" + testAccount + "/vpcflowlogs/us-east-1/2026/11/22/"
)

// fakeS3 is gofakes3 in process: the real SDK client talks HTTP to it.
// Objects are stored through the backend so their LastModified follows
// clock, which each put advances by a minute.
type fakeS3 struct {
	backend *s3mem.Backend
	clock   gofakes3.TimeSourceAdvancer
	url     string
}

func newFakeS3(t *testing.T) *fakeS3 {
	t.Helper()
	return newFakeS3At(t, time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC), nil)
}

// newFakeS3At starts the fake's clock at start; wrap, when set, wraps its
// handler.
func newFakeS3At(t *testing.T, start time.Time, wrap func(http.Handler) http.Handler) *fakeS3 {
	t.Helper()
	clock := gofakes3.FixedTimeSource(start)
	backend := s3mem.New(s3mem.WithTimeSource(clock))
	h := gofakes3.New(backend).Server()
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	require.NoError(t, backend.CreateBucket(testBucket))
	return &fakeS3{backend: backend, clock: clock, url: srv.URL}
}

// put stores testdata/objects/<fixture>, gzipped like AWS delivers it
// unless plain.
func (f *fakeS3) put(t *testing.T, key, fixture string, plain bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "objects", fixture))
	require.NoError(t, err)
	body := raw
	if !plain {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err = zw.Write(raw)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		body = buf.Bytes()
	}
	f.putBytes(t, key, body)
}

func (f *fakeS3) putBytes(t *testing.T, key string, body []byte) {
	t.Helper()
	_, err := f.backend.PutObject(testBucket, key, map[string]string{}, bytes.NewReader(body), int64(len(body)), nil)
	require.NoError(t, err)
	f.clock.Advance(time.Minute)
}

func testConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Bucket = testBucket
	cfg.Region = "us-east-1"
	cfg.Endpoints.S3 = endpoint
	cfg.AccessKeyID = "AKIDFAKEFAKEFAKE"
	cfg.SecretAccessKey = "fake-secret"
	cfg.CollectionInterval = time.Hour // only the crawl at start
	cfg.ResolveEndpoints = false
	// The recorded objects are from 2026-11-22: max_age would skip them.
	cfg.StartFrom = "2026-11-22T00:00:00Z"
	return cfg
}

// resolving turns endpoint resolution on, against the fake EC2 API.
func resolving(cfg *Config, ec2 *fakeEC2) *Config {
	cfg.ResolveEndpoints = true
	cfg.Endpoints.EC2 = ec2.url
	cfg.Endpoints.RDS = ec2.url // the fake answers RDS's Query API too
	// The recorded flows are from 2025: resolve their addresses anyway.
	cfg.ResolveMaxAge = 100 * 365 * 24 * time.Hour
	return cfg
}

// startReceiver starts a receiver whose component ID is fixed (the storage
// key derives from it) and returns it with its sink.
func startReceiver(t *testing.T, cfg *Config, host component.Host, name string, mods ...func(*flowLogsReceiver)) (*flowLogsReceiver, *consumertest.LogsSink) {
	t.Helper()
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, name)
	sink := new(consumertest.LogsSink)
	r := newReceiver(cfg, set, sink)
	for _, m := range mods {
		m(r)
	}
	require.NoError(t, r.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, r.Shutdown(context.Background())) })
	return r, sink
}

// firstBatch waits for the crawl at start to emit, then stops the receiver
// (which waits for the crawl to finish, checkpoint included).
func firstBatch(t *testing.T, r *flowLogsReceiver, sink *consumertest.LogsSink) []plog.Logs {
	t.Helper()
	require.Eventually(t, func() bool { return sink.LogRecordCount() > 0 }, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
	return sink.AllLogs()
}

func compareGolden(t *testing.T, name string, actual plog.Logs) {
	t.Helper()
	crawltest.Golden{KeepObservations: true}.Check(t, filepath.Join("testdata", "golden", name+".yaml"), actual)
}

// The default format and a custom v5 format (fields in another order,
// with packet addresses), both gzip with their header line; the scope is
// discovered from the records' account-id. The ends are resolved with the
// interfaces of us-east-1 (the default object's key; two pages) and
// eu-west-1 (the custom object's region field, which wins over its key).
func TestGoldenDefaultAndCustom(t *testing.T) {
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+testAccount+"_vpcflowlogs_us-east-1_fl-0001_20261122T1000Z_aaaa.log.gz", "default.log", false)
	s3.put(t, keyPrefix+testAccount+"_vpcflowlogs_us-east-1_fl-0002_20261122T1000Z_bbbb.log.gz", "custom.log", false)
	s3.put(t, "elsewhere/other.log.gz", "default.log", false) // outside prefix

	ec2 := newFakeEC2(t)
	cfg := resolving(testConfig(s3.url), ec2)
	cfg.Prefix = "AWSLogs/"
	r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "golden")
	logs := firstBatch(t, r, sink)
	require.Len(t, logs, 1)
	compareGolden(t, "default_custom", logs[0])
	assert.EqualValues(t, 3, r.totalMalformed, "short row, garbage, bad number")
	ec2.requireCalls(t, map[string]int{
		"us-east-1 DescribeNetworkInterfaces":             1,
		"us-east-1 DescribeNetworkInterfaces enis-page-2": 1,
		"eu-west-1 DescribeNetworkInterfaces":             1,
		"eu-west-1 DescribeDBInstances":                   1, // its RDS ENI: the DB end is the DB instance
	})
}

// log_format: all as the seed documents it, in a plain (not gzip) object
// without a header line.
func TestGoldenFormatAll(t *testing.T) {
	s3 := newFakeS3(t)
	s3.put(t, "all/flows.log", "all.log", true)

	ec2 := newFakeEC2(t)
	cfg := resolving(testConfig(s3.url), ec2)
	cfg.Prefix = "all/"
	cfg.LogFormat = "all"
	cfg.ScopeID = "210987654321" // differs from the records: warned, used
	r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "all")
	logs := firstBatch(t, r, sink)
	require.Len(t, logs, 1)
	// The logging ENI is gone from us-east-1 (the records' region field;
	// the key has none): the instance-id field names the end that
	// flow-direction points at.
	compareGolden(t, "all", logs[0])
	ec2.requireCalls(t, map[string]int{
		"us-east-1 DescribeNetworkInterfaces":             1,
		"us-east-1 DescribeNetworkInterfaces enis-page-2": 1,
	})
	assert.EqualValues(t, 1, r.totalMalformed)
	scope, ok := logs[0].ResourceLogs().At(0).Resource().Attributes().Get(entity.AttrScopeID)
	require.True(t, ok)
	assert.Equal(t, "210987654321", scope.Str())
}

type extensionHost struct {
	component.Host
	ext map[component.ID]component.Component
}

func (h *extensionHost) GetExtensions() map[component.ID]component.Component { return h.ext }

// A restart with the checkpoint in file_storage reads only the objects
// delivered since, and an object that could not be read is read later.
func TestCheckpointSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	storageID := component.MustNewID("file_storage")
	newHost := func() (*extensionHost, func()) {
		f := filestorage.NewFactory()
		fcfg := f.CreateDefaultConfig().(*filestorage.Config)
		fcfg.Directory = dir
		ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), fcfg)
		require.NoError(t, err)
		require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
		return &extensionHost{Host: componenttest.NewNopHost(), ext: map[component.ID]component.Component{storageID: ext}},
			func() { require.NoError(t, ext.Shutdown(context.Background())) }
	}
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a_20261122T1000Z.log.gz", "default.log", false)
	s3.putBytes(t, keyPrefix+"b_20261122T1005Z.log.gz", []byte{0x1f, 0x8b, 0x08, 0x00}) // truncated gzip
	cfg := testConfig(s3.url)
	cfg.Prefix = "AWSLogs/"
	cfg.Storage = &storageID

	// Run 1: a is read and emitted; b fails and is not checkpointed.
	host, stop := newHost()
	// However often the crawl is retried before the test stops it, b is
	// not given up.
	r, sink := startReceiver(t, cfg, host, "resume", func(r *flowLogsReceiver) { r.corruptAttempts = 1 << 30 })
	logs := firstBatch(t, r, sink)
	require.Len(t, logs, 1)
	assert.Equal(t, []string{"10.0.1.5>10.0.2.7", "203.0.113.9>10.0.1.5"}, edges(logs))
	stop()

	// b is replaced by a readable object, c is delivered.
	s3.put(t, keyPrefix+"b_20261122T1005Z.log.gz", "all.log", true)
	s3.put(t, keyPrefix+"c_20261122T1010Z.log.gz", "custom.log", false)

	// Run 2: b and c only, not a again.
	host, stop = newHost()
	cfg.LogFormat = "all" // b has no header; c has its own
	r, sink = startReceiver(t, cfg, host, "resume")
	logs = firstBatch(t, r, sink)
	assert.Equal(t, []string{
		"10.0.3.9>10.0.4.2", "10.0.3.9>52.94.5.1", "10.0.5.5>10.0.5.6", "10.0.5.9>10.0.5.5", "100.64.1.20>10.0.3.9", "198.51.100.23>10.0.3.9",
	}, edges(logs))
	stop()

	// Run 3: only d, delivered since.
	s3.put(t, keyPrefix+"d_20261122T1015Z.log.gz", "default.log", false)
	host, stop = newHost()
	r, sink = startReceiver(t, cfg, host, "resume")
	logs = firstBatch(t, r, sink)
	assert.Equal(t, []string{"10.0.1.5>10.0.2.7", "203.0.113.9>10.0.1.5"}, edges(logs))
	stop()
}

func edges(all []plog.Logs) []string {
	var out []string
	for _, l := range all {
		rls := l.ResourceLogs()
		for i := 0; i < rls.Len(); i++ {
			sls := rls.At(i).ScopeLogs()
			for j := 0; j < sls.Len(); j++ {
				recs := sls.At(j).LogRecords()
				for k := 0; k < recs.Len(); k++ {
					a := recs.At(k).Attributes()
					src, _ := a.Get(entity.AttrRelSource)
					dst, _ := a.Get(entity.AttrRelDestination)
					out = append(out, src.Str()+">"+dst.Str())
				}
			}
		}
	}
	return out
}

// A corrupt object is given up after corruptAttempts crawls: recorded as
// read, so the checkpoint moves on; the readable objects are emitted.
func TestCorruptObjectGivenUp(t *testing.T) {
	s3 := newFakeS3(t)
	s3.putBytes(t, keyPrefix+"a_bad.log.gz", []byte{0x1f, 0x8b, 0x08, 0x00, 0x00})
	s3.put(t, keyPrefix+"b_good.log.gz", "default.log", false)
	cfg := testConfig(s3.url)
	r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "corrupt", func(r *flowLogsReceiver) { r.corruptAttempts = 1 })
	logs := firstBatch(t, r, sink)
	assert.Equal(t, []string{"10.0.1.5>10.0.2.7", "203.0.113.9>10.0.1.5"}, edges(logs))
	assert.EqualValues(t, 1, r.skipped)
	assert.Contains(t, r.cp.Done, keyPrefix+"a_bad.log.gz")
	assert.False(t, r.cp.Horizon.IsZero(), "the horizon moved")
}

// Shutdown leaves no connection behind while the servers are still up (in
// a collector they are AWS, and stay): the SDK's kept-alive connections are
// closed, with their goroutines.
func TestShutdownClosesConnections(t *testing.T) {
	before := goleak.IgnoreCurrent()
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a_20261122T1000Z.log.gz", "default.log", false)
	r, sink := startReceiver(t, testConfig(s3.url), componenttest.NewNopHost(), "close")
	firstBatch(t, r, sink) // shuts the receiver down
	// The fake S3 server is still running: only its listener and the
	// goroutines serving a connection that is still open may be left.
	goleak.VerifyNone(t, before, goleak.IgnoreTopFunction("net/http.(*conn).serve"),
		goleak.IgnoreAnyFunction("net/http/httptest.(*Server).goServe.func1"))
}
