package awsflowlogsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap_aws_flow_logs", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, 5*time.Minute, cfg.CollectionInterval)
	assert.Equal(t, "default", cfg.LogFormat)
	assert.True(t, cfg.ResolveEndpoints)
	assert.Empty(t, cfg.Endpoints)
	assert.Nil(t, cfg.Storage)

	_, err := f.CreateMetrics(context.Background(), receivertest.NewNopSettings(f.Type()), cfg, consumertest.NewNop())
	assert.Error(t, err)
}

func TestShutdownWithoutStart(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Bucket, cfg.Region = "b", "us-east-1"
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// A storage ID that names no extension fails Start: running without the
// checkpoint the user asked for would re-read everything after a restart.
func TestStartStorageMissing(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Bucket, cfg.Region = "b", "us-east-1"
	id := component.MustNewID("file_storage")
	cfg.Storage = &id
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	err = rcv.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, `storage: extension "file_storage" not found`)
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// An unreachable endpoint does not stop the collector: Start succeeds, the
// crawl fails and is retried, Shutdown returns.
func TestLifecycleUnreachable(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1")
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), cfg, consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

// The old endpoint keys still work, with a warning naming the new one.
func TestDeprecatedEndpointKeysWarn(t *testing.T) {
	s3 := newFakeS3(t)
	s3.put(t, keyPrefix+"a_20261122T1000Z.log.gz", "default.log", false)
	cfg := testConfig("")
	cfg.Endpoints.S3, cfg.Endpoint = "", s3.url
	core, logs := observer.New(zap.WarnLevel)
	set := receivertest.NewNopSettings(typeStr)
	set.Logger = zap.New(core)
	sink := new(consumertest.LogsSink)
	r := newReceiver(cfg, set, sink)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	firstBatch(t, r, sink) // read through the old key
	warned := logs.FilterMessageSnippet("Deprecated setting").All()
	require.Len(t, warned, 1)
	assert.Equal(t, map[string]any{"setting": "endpoint", "instead": "endpoints.s3"}, warned[0].ContextMap())
}
