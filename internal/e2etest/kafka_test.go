package e2etest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/plog"
)

// consumeUntil reads topic from the start until done says so.
func consumeUntil(t *testing.T, c *kfake.Cluster, topic string, out *bytes.Buffer, done func(*kgo.Record) bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(100*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: the awaited record never arrived; collector output:\n%s", topic, out.String())
		}
		stop := false
		fs.EachRecord(func(r *kgo.Record) { stop = done(r) || stop })
		if stop {
			return
		}
	}
}

// TestCollectorPublishesToKafka: the built collector publishes the local
// graph's changes with coordimap_events (an original agent's request to
// the ingest endpoint becomes keyed entity.created events) and ships raw
// records with the contrib kafka exporter (OTLP logs in, OTLP proto out),
// both to an in-process Kafka.
func TestCollectorPublishesToKafka(t *testing.T) {
	bin := collectorBinary(t)
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "coordimap.events", "coordimap.records"))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	graphAddr, otlpAddr := freeAddr(t), freeAddr(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  otlp:
    protocols:
      http:
        endpoint: %[3]s
exporters:
  kafka:
    brokers: [%[1]s]
    logs:
      topic: coordimap.records
      encoding: otlp_proto
extensions:
  coordimap_graph:
    endpoint: %[2]s
    sqlite:
      path: %[4]s
  coordimap_events:
    brokers: [%[1]s]
    topic: coordimap.events
service:
  extensions: [coordimap_graph, coordimap_events]
  pipelines:
    logs:
      receivers: [otlp]
      exporters: [kafka]
  telemetry:
    metrics:
      level: none
`, cluster.ListenAddrs()[0], graphAddr, otlpAddr, filepath.Join(dir, "graph.db")), 0o600))
	cmd, out, exited := runCollector(t, bin, cfgPath)

	// An original agent's request to the ingest endpoint.
	f, err := os.Open("../../extension/graphextension/testdata/agent-requests.jsonl")
	require.NoError(t, err)
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	require.True(t, sc.Scan())
	f.Close()
	post := func(url, contentType string, body []byte) {
		require.Eventually(t, func() bool {
			select {
			case err := <-exited:
				t.Fatalf("collector exited: %v\n%s", err, out.String())
			default:
			}
			resp, err := http.Post(url, contentType, bytes.NewReader(body))
			if err != nil {
				return false
			}
			resp.Body.Close()
			return resp.StatusCode == http.StatusOK
		}, 60*time.Second, 100*time.Millisecond, "POST %s; collector output:\n%s", url, out.String())
	}
	post("http://"+graphAddr+"/collector/crawlers/infra", "application/json", sc.Bytes())

	const podID = "2f0c3f6e-7a1b-4c1e-9d2a-000000000001-shop-kubernetes.pod-api-7c9f"
	consumeUntil(t, cluster, "coordimap.events", out, func(r *kgo.Record) bool {
		if string(r.Key) != podID {
			return false
		}
		var ev struct {
			Type, ID, EntityType string
		}
		require.NoError(t, json.Unmarshal(r.Value, &ev))
		assert.Equal(t, "entity.created", ev.Type)
		assert.Equal(t, podID, ev.ID)
		return true
	})

	// Raw records through the contrib kafka exporter.
	ld := plog.NewLogs()
	lr := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.Body().SetStr("e2e raw record")
	body, err := (&plog.JSONMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	post("http://"+otlpAddr+"/v1/logs", "application/json", body)
	consumeUntil(t, cluster, "coordimap.records", out, func(r *kgo.Record) bool {
		got, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(r.Value)
		require.NoError(t, err)
		return got.LogRecordCount() == 1 &&
			got.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Body().Str() == "e2e raw record"
	})

	stopCollector(t, cmd, out, exited)
}
