package e2etest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
	"github.com/coordimap/otelcol-coordimap/internal/promtest"
)

// agentTrigger is the coordimap-agent's trigger payload (its struct, in
// its field order), to check the element hash the collector sends.
type agentTrigger struct {
	TriggerType    string `json:"trigger_type"`
	Provider       string `json:"provider"`
	DataSourceID   string `json:"data_source_id"`
	DataSourceType string `json:"data_source_type"`
	RuleID         string `json:"rule_id"`
	RuleName       string `json:"rule_name"`
	Query          string `json:"query,omitempty"`
	Window         string `json:"window,omitempty"`
	Threshold      struct {
		Operator string  `json:"operator"`
		Value    float64 `json:"value"`
	} `json:"threshold"`
	Targets []struct {
		InternalID string            `json:"internal_id"`
		Value      float64           `json:"value"`
		Labels     map[string]string `json:"labels,omitempty"`
	} `json:"targets"`
	TriggeredAt time.Time `json:"triggered_at"`
}

// TestCollectorDeliversMetricTriggers: the built collector evaluates a
// rule against a real Prometheus for the data source of a real
// PostgreSQL, resolves the series through external_mappings to the
// database's element, and the trigger reaches the Coordimap API with the
// agent's ID, payload and hash, next to data_source_config.metric_rules.
func TestCollectorDeliversMetricTriggers(t *testing.T) {
	bin := collectorBinary(t)
	pg, err := pgtest.Start()
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { _ = pg.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, pg.DSN("postgres"))
	require.NoError(t, err)
	_, err = conn.Exec(ctx, "CREATE DATABASE shopdb")
	require.NoError(t, err)
	var sysid string
	require.NoError(t, conn.QueryRow(ctx, "SELECT system_identifier::text FROM pg_control_system()").Scan(&sysid))
	conn.Close(ctx)

	metrics := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, `pg_stat_activity_count{datname="shopdb"} 150`)
		fmt.Fprintln(w, `pg_stat_activity_count{datname="postgres"} 3`)
	}))
	defer metrics.Close()
	prom := promtest.Start(t, strings.TrimPrefix(metrics.URL, "http://"))
	prom.WaitForSeries(t, "pg_stat_activity_count", 2)

	fake := &api{elements: map[string]element{}, keys: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  coordimap_postgres:
    endpoint: %s
    username: postgres
    databases: [shopdb]
    tls:
      insecure: true
    collection_interval: 1h
processors:
  coordimap:
    external_mappings: ["pg-shopdb@%s/shopdb-@"]
    evaluation_interval: 1h
    prometheus:
      endpoint: %s
    metric_rules:
      - id: busy-db
        name: Busy database
        provider: prometheus
        mode: custom
        data_source: coordimap_postgres
        custom:
          query: max by (datname) (pg_stat_activity_count)
        lookback: 5m
        threshold: {operator: ">=", value: 100}
        target:
          resolver: external_mapping
          mapping_key_template: "pg-$${label.datname}"
exporters:
  coordimap:
    endpoint: %s
    api_key: e2e-api-key
service:
  pipelines:
    logs:
      receivers: [coordimap_postgres]
      processors: [coordimap]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, pg.Endpoint(), sysid, prom.URL, srv.URL), 0o600))
	cmd, out, exited := runCollector(t, bin, cfgPath)
	_ = cmd

	target := sysid + "/shopdb-@"
	var trig element
	deadline := time.Now().Add(90 * time.Second)
	for trig.ID == "" {
		fake.mu.Lock()
		for id, e := range fake.elements {
			if e.Type == "coordimap.metric_trigger" {
				trig = fake.elements[id]
			}
		}
		fake.mu.Unlock()
		if trig.ID != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no trigger arrived; collector output:\n%s", out.String())
		}
		select {
		case err := <-exited:
			t.Fatalf("collector exited early: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	assert.Regexp(t, `^metric-trigger:coordimap_postgres:busy-db:\d{12}:`+strings.ReplaceAll(target, "/", `\/`)+`$`, trig.ID)
	assert.Equal(t, "Busy database", trig.Name)

	// The agent's code path on the same input gives the same bytes.
	var got agentTrigger
	require.NoError(t, json.Unmarshal(trig.Data, &got))
	require.Len(t, got.Targets, 1)
	assert.Equal(t, target, got.Targets[0].InternalID)
	assert.Equal(t, 150.0, got.Targets[0].Value)
	assert.Equal(t, "shopdb", got.Targets[0].Labels["datname"])
	assert.Equal(t, "postgres", got.DataSourceType)
	assert.Equal(t, "max by (datname) (pg_stat_activity_count)", got.Query)
	ref, err := json.Marshal(got)
	require.NoError(t, err)
	assert.Equal(t, string(ref), string(trig.Data))
	sum := sha256.Sum256(ref)
	assert.Equal(t, hex.EncodeToString(sum[:]), trig.Hash)

	fake.mu.Lock()
	defer fake.mu.Unlock()
	var withRules int
	for _, b := range fake.bodies {
		if strings.Contains(b, `"data_source_config":{"metric_rules":[{"enabled"`) || strings.Contains(b, `"data_source_config":{"metric_rules":[{"id":"busy-db"`) {
			withRules++
		}
	}
	assert.Equal(t, len(fake.bodies), withRules, "every request of the data source carries its rules")
	assert.Contains(t, fake.bodies[0], `"mapping_key_template":"pg-${label.datname}"`)
}
