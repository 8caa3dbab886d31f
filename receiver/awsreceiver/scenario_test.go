package awsreceiver

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/exporter/exporterhelper"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/exporter/coordimapexporter"
	"github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor"
	"github.com/coordimap/otelcol-coordimap/receiver/awsflowlogsreceiver"
)

// coordimapAPI is an httptest Coordimap endpoint: it keeps every element
// it receives, with the data source that sent it.
type coordimapAPI struct {
	mu    sync.Mutex
	elems []apiElement
}

type apiElement struct {
	DataSource string
	ID         string `json:"id"`
	Type       string `json:"type"`
	Data       []byte `json:"data"`
}

func (a *coordimapAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req struct {
		CloudCrawlData struct {
			CrawledData struct {
				Data []apiElement `json:"data"`
			} `json:"crawled_data"`
			DataSource struct {
				ID string `json:"data_source_id"`
			} `json:"data_source"`
		} `json:"cloud_crawl_data"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	for _, e := range req.CloudCrawlData.CrawledData.Data {
		e.DataSource = req.CloudCrawlData.DataSource.ID
		a.elems = append(a.elems, e)
	}
	a.mu.Unlock()
	_, _ = io.WriteString(w, `{"status":{"http_code":200,"message":"ok"}}`)
}

func (a *coordimapAPI) received(dataSource string) []apiElement {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []apiElement
	for _, e := range a.elems {
		if e.DataSource == dataSource {
			out = append(out, e)
		}
	}
	return out
}

// The account of issue 17, by hand (testdata/scenario over testdata/api):
// three instances (web-1, web-2, worker), the RDS PostgreSQL shop-db
// (its RDSNetworkInterface ENI), a NAT gateway and the ALB shop-alb; a
// subnet flow log in the default format (both ENIs of each flow, request
// and response records, a rejected SSH attempt from the internet, an
// HTTPS client of the ALB) and a custom v5 one on the worker's ENI. Both
// receivers, the coordimap processor and the coordimap exporter run as a
// pipeline to an httptest Coordimap endpoint.
func TestScenarioIssue17(t *testing.T) {
	ctx := context.Background()
	aws := newFakeAPI(t)
	aws.overlay = "scenario"
	bucket := newScenarioBucket(t, map[string]string{
		"AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/22/123456789012_vpcflowlogs_eu-west-1_fl-subnet_20261122T1000Z_a.log.gz": "flows-default.log",
		"AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/22/123456789012_vpcflowlogs_eu-west-1_fl-eni_20261122T1000Z_b.log.gz":    "flows-v5.log",
	})
	api := &coordimapAPI{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	// exporter ← processor ← both receivers.
	ecfg := coordimapexporter.NewFactory().CreateDefaultConfig().(*coordimapexporter.Config)
	ecfg.ClientConfig.Endpoint = srv.URL
	ecfg.APIKey = "scenario-key"
	ecfg.QueueConfig = configoptional.None[exporterhelper.QueueBatchConfig]()
	exp, err := coordimapexporter.NewFactory().CreateLogs(ctx, exportertest.NewNopSettings(coordimapexporter.Type), ecfg)
	require.NoError(t, err)
	require.NoError(t, exp.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, exp.Shutdown(ctx)) })
	pfac := coordimapprocessor.NewFactory()
	proc, err := pfac.CreateLogs(ctx, processortest.NewNopSettings(coordimapprocessor.Type), pfac.CreateDefaultConfig(), exp)
	require.NoError(t, err)
	require.NoError(t, proc.Start(ctx, componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, proc.Shutdown(ctx)) })

	// The inventory: one crawl.
	cfg := testConfig(aws.url)
	cfg.Regions = []string{"eu-west-1"}
	cfg.DataSourceID = "aws"
	inv := newReceiver(cfg, receivertest.NewNopSettings(typeStr), proc)
	inv.client, err = newClient(ctx, cfg)
	require.NoError(t, err)
	require.NoError(t, inv.crawl(ctx))

	// The flow logs: the crawl at start.
	ffac := awsflowlogsreceiver.NewFactory()
	fcfg := ffac.CreateDefaultConfig().(*awsflowlogsreceiver.Config)
	fcfg.Bucket, fcfg.Region, fcfg.Endpoints.S3 = "flow-logs", "eu-west-1", bucket
	fcfg.AccessKeyID, fcfg.SecretAccessKey = "AKIDFAKEFAKEFAKE", "fake-secret"
	fcfg.Endpoints.EC2, fcfg.Endpoints.RDS = aws.url, aws.url
	fcfg.ResolveMaxAge = 100 * 365 * 24 * time.Hour // the recorded flows are from 2025
	fcfg.MaxAge = 0                                 // and their objects are dated 2026-11-22
	fcfg.CollectionInterval = time.Hour
	fcfg.DataSourceID = "aws-flows"
	flows, err := ffac.CreateLogs(ctx, receivertest.NewNopSettings(ffac.Type()), fcfg, proc)
	require.NoError(t, err)
	require.NoError(t, flows.Start(ctx, componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return len(api.received("aws-flows")) > 0 }, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, flows.Shutdown(ctx))

	// Inventory: the owner is the bare account ID, and its edges start there.
	invIDs := map[string]string{}
	for _, e := range api.received("aws") {
		invIDs[e.ID] = e.Type
	}
	assert.Equal(t, TypeOwner, invIDs["123456789012"])
	assert.Contains(t, invIDs, "123456789012.123456789012@vpc-0a1b2c3d4e5f60001", "owner → VPC")
	assert.NotContains(t, invIDs, "123456789012@123456789012")
	const (
		web1   = "123456789012@i-0aaaaaaaaaaaaaaa1"
		web2   = "123456789012@i-0aaaaaaaaaaaaaaa2"
		worker = "123456789012@i-0bbbbbbbbbbbbbbb3"
		rds    = "123456789012@shop-db.cabcdefghijk.eu-west-1.rds.amazonaws.com"
		alb    = "123456789012@arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188"
	)
	for id, typ := range map[string]string{web1: TypeInstance, web2: TypeInstance, worker: TypeInstance, rds: TypeRDS, alb: TypeALB} {
		assert.Equal(t, typ, invIDs[id], id)
	}

	// Flows: exactly one aws_network_flow edge per client → server pair,
	// the database end the RDS instance, public peers as elements.
	type edge struct {
		Source       string `json:"source_id"`
		Destination  string `json:"destination_id"`
		RelationType int    `json:"relation_type"`
	}
	var edges []string
	peers := map[string]map[string]any{}
	for _, e := range api.received("aws-flows") {
		switch e.Type {
		case "coordimap.relationship_skipinsert":
			var d edge
			require.NoError(t, json.Unmarshal(e.Data, &d))
			assert.Equal(t, 105, d.RelationType)
			edges = append(edges, d.Source+" > "+d.Destination)
		case coordimapprocessor.TypeExternalIP:
			var d map[string]any
			require.NoError(t, json.Unmarshal(e.Data, &d))
			peers[e.ID] = d
		default:
			t.Errorf("unexpected element %s %s", e.Type, e.ID)
		}
	}
	// ElementsMatch counts duplicates: a pair twice, or reversed, fails.
	assert.ElementsMatch(t, []string{
		web1 + " > " + rds,
		web2 + " > " + rds,
		worker + " > " + rds,
		worker + " > external-ip@52.94.5.1",
		alb + " > " + web1,
		"external-ip@198.51.100.23 > " + web1,
		"external-ip@203.0.113.9 > " + alb,
	}, edges)
	require.Len(t, peers, 3)
	assert.Equal(t, map[string]any{"attempts": float64(2), "packets": float64(2), "bytes": float64(120)}, peers["external-ip@198.51.100.23"]["rejected"])
	assert.Equal(t, float64(1), peers["external-ip@203.0.113.9"]["accepted"].(map[string]any)["connections"])
	assert.Equal(t, float64(9000), peers["external-ip@203.0.113.9"]["accepted"].(map[string]any)["bytes_received"])
	assert.Equal(t, float64(1), peers["external-ip@52.94.5.1"]["flows_as_destination"])
}

// newScenarioBucket serves the bucket flow-logs with objects (key →
// testdata/scenario file, gzipped as AWS delivers them) from gofakes3 and
// returns its URL.
func newScenarioBucket(t *testing.T, objects map[string]string) string {
	t.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	require.NoError(t, backend.CreateBucket("flow-logs"))
	for key, file := range objects {
		raw, err := os.ReadFile(filepath.Join("testdata", "scenario", file))
		require.NoError(t, err)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, err = zw.Write(raw)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		_, err = backend.PutObject("flow-logs", key, map[string]string{}, bytes.NewReader(gz.Bytes()), int64(gz.Len()), nil)
		require.NoError(t, err)
	}
	return srv.URL
}
