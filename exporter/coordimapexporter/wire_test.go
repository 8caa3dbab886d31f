package coordimapexporter

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

var crawlTime = time.Date(2026, 11, 22, 10, 30, 0, 120000000, time.UTC)

// fixtureLogs is a small PostgreSQL crawl: a database mapped to its Cloud SQL
// host, one schema, two tables with a foreign key, an index, a deleted
// table and a client connection.
func fixtureLogs(t testing.TB) plog.Logs {
	const scope, db = "7710", "app"
	b := entity.NewBatch(entity.Source{
		ScopeID: scope, DataSourceType: "postgres", DataSourceID: "pg-main",
		Config: map[string]string{"db_host": "10.0.0.5:5432", "db_name": "app", "db_pass": "must-not-leak"},
	})
	dbID := internalid.PostgresDatabase(scope, db)
	schemaID := internalid.PostgresSchema(scope, db, "public")
	orders := internalid.Postgres(scope, db, "public", "orders")
	customers := internalid.Postgres(scope, db, "public", "customers")
	add := func(e entity.Entity) { require.NoError(t, b.AddState(crawlTime, e)) }
	add(entity.Entity{
		Ref: entity.Ref{Type: "postgres.database", InternalID: dbID}, Name: db, Partition: "app-",
		Body: map[string]any{"db_name": db, "db_host": "10.0.0.5:5432", "schemas": []any{"public"}},
		Links: []entity.Link{{Type: entity.RelParentChild, Direction: entity.Incoming, External: true,
			Target: entity.Ref{Type: "gcp.cloud_sql", InternalID: "123456-europe-west3-a-gcp.cloud_sql-orders-db"}}},
	})
	add(entity.Entity{
		Ref: entity.Ref{Type: "postgres.schema", InternalID: schemaID}, Name: "public", Partition: "app-public",
		Body:  map[string]any{"name": "public", "tables": []any{"customers", "orders"}, "views": []any{}, "database": db},
		Links: []entity.Link{{Type: entity.RelER, Direction: entity.Incoming, Target: entity.Ref{Type: "postgres.database", InternalID: dbID}}},
	})
	add(entity.Entity{
		Ref: entity.Ref{Type: "postgres.table", InternalID: customers}, Name: "customers", Partition: "app-public",
		Body:  map[string]any{"name": "customers", "schema": "public", "note": "<b>&"},
		Links: []entity.Link{{Type: entity.RelER, Direction: entity.Incoming, Target: entity.Ref{Type: "postgres.schema", InternalID: schemaID}}},
	})
	add(entity.Entity{
		Ref: entity.Ref{Type: "postgres.table", InternalID: orders}, Name: "orders", Partition: "app-public", Status: "Green",
		Body: map[string]any{"schema": "public", "name": "orders", "rows": int64(42), "ratio": 0.5, "columns": []any{
			map[string]any{"name": "id", "type": "integer", "position": int64(1), "table": orders}}},
		Links: []entity.Link{
			{Type: entity.RelER, Direction: entity.Incoming, Target: entity.Ref{Type: "postgres.schema", InternalID: schemaID}},
			{Type: entity.RelER, Direction: entity.Outgoing, Target: entity.Ref{Type: "postgres.table", InternalID: customers}},
			// unresolved: the processor found no mapping, so no edge
			{Type: entity.RelParentChild, External: true, Target: entity.Ref{Type: "x"}, MappingKey: "k", IDTemplate: "{scope}-x"},
		},
	})
	b.AddDelete(crawlTime, entity.Ref{Type: "postgres.table", InternalID: internalid.Postgres(scope, db, "public", "gone")})
	require.NoError(t, b.AddObservation(crawlTime, entity.Observation{
		Type: entity.RelGenericFlow, External: entity.ExternalSource, SourceID: "10.1.2.3", DestinationID: dbID, Connections: 2,
	}))
	require.NoError(t, b.AddObservation(crawlTime, entity.Observation{
		Type: entity.RelEBPFFlow, SourceID: "uid-shop-kubernetes.pod-api", DestinationID: dbID, Connections: 5, LastSeen: crawlTime,
	}))
	return b.Logs()
}

func requestBodies(t testing.TB, ld plog.Logs, maxBytes int) [][]byte {
	conv := convert(ld)
	var out [][]byte
	for _, k := range conv.order {
		p := conv.partitions[k]
		out = append(out, encodeRequests(newEnvelope(p.source, p.name, crawlTime), p.elems, maxBytes)...)
	}
	return out
}

// TestRequestGolden pins the request bodies byte for byte.
func TestRequestGolden(t *testing.T) {
	bodies := requestBodies(t, fixtureLogs(t), defaultMaxRequestBytes)
	require.Len(t, bodies, 3) // app-, app-public, and the flow under the data source ID
	got := bytes.Join(bodies, []byte("\n"))
	golden := filepath.Join("testdata", "requests.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
	assert.NotContains(t, string(got), "must-not-leak")
	assert.NotContains(t, string(got), "db_pass")
}

// agentRequest mirrors the original agent's request structs (field names
// and types), to prove the API can decode what we send.
type agentRequest struct {
	CloudCrawlData struct {
		DataSource struct {
			Info struct {
				Name string `json:"name"`
				Desc string `json:"desc"`
				Type string `json:"type"`
			} `json:"data_source_info"`
			DataSourceID string `json:"data_source_id"`
			Config       struct {
				ValuePairs []struct {
					Key   string `json:"key"`
					Value string `json:"value"`
				} `json:"value_pairs"`
			} `json:"data_source_config"`
		} `json:"data_source"`
		CrawledData struct {
			Data []agentElement `json:"data"`
		} `json:"crawled_data"`
		Timestamp       time.Time `json:"timestamp"`
		CrawlInternalID string    `json:"crawl_internal_id"`
	} `json:"cloud_crawl_data"`
}

type agentElement struct {
	RetrievedAt time.Time `json:"retrieved_at"`
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	ID          string    `json:"id"`
	Hash        string    `json:"hash"`
	Data        []byte    `json:"data"`
	IsJSONData  bool      `json:"is_json_data"`
	Version     string    `json:"version"`
	Status      string    `json:"status"`
}

func decodeRequest(t testing.TB, body []byte) agentRequest {
	t.Helper()
	var req agentRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&req))
	return req
}

func TestRequestsDecodeAsTheAgentsStructs(t *testing.T) {
	bodies := requestBodies(t, fixtureLogs(t), defaultMaxRequestBytes)
	byPartition := map[string]agentRequest{}
	for _, b := range bodies {
		req := decodeRequest(t, b)
		byPartition[req.CloudCrawlData.CrawlInternalID] = req
		assert.Equal(t, "pg-main", req.CloudCrawlData.DataSource.DataSourceID)
		assert.Equal(t, "pg-main", req.CloudCrawlData.DataSource.Info.Name)
		assert.Equal(t, "postgres", req.CloudCrawlData.DataSource.Info.Type)
		assert.True(t, req.CloudCrawlData.Timestamp.Equal(crawlTime))
		for _, el := range req.CloudCrawlData.CrawledData.Data {
			assert.Equal(t, sha256Hex(el.Data), el.Hash, el.ID)
			assert.True(t, json.Valid(el.Data), el.ID)
			assert.True(t, el.IsJSONData)
			assert.True(t, el.RetrievedAt.Equal(crawlTime))
		}
	}
	require.Len(t, byPartition, 3)

	db := byPartition["app-"].CloudCrawlData.CrawledData.Data
	require.Len(t, db, 2)
	assert.Equal(t, "postgres.database", db[0].Type)
	assert.Equal(t, "7710/app-@", db[0].ID)
	assert.Equal(t, "NoStatus", db[0].Status)
	assert.Equal(t, "coordimap.relationship_skipinsert", db[1].Type)
	assert.Equal(t, "123456-europe-west3-a-gcp.cloud_sql-orders-db.7710/app-@", db[1].ID)
	assert.JSONEq(t, `{"source_id":"123456-europe-west3-a-gcp.cloud_sql-orders-db","destination_id":"7710/app-@",
		"relationship_type":"coordimap.relationship.external.source_side","relation_type":3}`, string(db[1].Data))

	var ids []string
	for _, el := range byPartition["app-public"].CloudCrawlData.CrawledData.Data {
		ids = append(ids, el.ID)
	}
	assert.Equal(t, []string{
		"7710/app-public@", "7710/app-@.7710/app-public@",
		"7710/app-public@customers", "7710/app-public@.7710/app-public@customers",
		"7710/app-public@orders", "7710/app-public@.7710/app-public@orders",
		"7710/app-public@orders.7710/app-public@customers",
	}, ids)

	// the flow to a bare IP is not sent; the one between internal IDs is
	flows := byPartition["pg-main"].CloudCrawlData.CrawledData.Data
	require.Len(t, flows, 1)
	assert.JSONEq(t, `{"source_id":"uid-shop-kubernetes.pod-api","destination_id":"7710/app-@",
		"relationship_type":"coordimap.relationship_skipinsert","relation_type":104}`, string(flows[0].Data))
}

// TestRelationshipHashMatchesAgent checks a relationship element against the
// data and hash the original agent's code produces for the same edge.
func TestRelationshipHashMatchesAgent(t *testing.T) {
	el := newRelationship(&arena{}, crawlTime, "scope1/mydb-@", "scope1/mydb-public@", entity.RelER, entity.NotExternal)
	assert.Equal(t, "eyJzb3VyY2VfaWQiOiJzY29wZTEvbXlkYi1AIiwiZGVzdGluYXRpb25faWQiOiJzY29wZTEvbXlkYi1wdWJsaWNAIiwicmVsYXRpb25zaGlwX3R5cGUiOiJjb29yZGltYXAucmVsYXRpb25zaGlwX3NraXBpbnNlcnQiLCJyZWxhdGlvbl90eXBlIjo0fQ==",
		base64.StdEncoding.EncodeToString(el.data))
	assert.Equal(t, "e19b97b2d0ded5c345d5eaa1019ab203b321652c1d3d2764ab4a6b515f036da8", hex.EncodeToString(el.hash[:]))
	assert.Equal(t, "scope1/mydb-@.scope1/mydb-public@", el.id)
	assert.Equal(t, el.id, el.name)
}

func TestSplitAtMaxRequestBytes(t *testing.T) {
	b := entity.NewBatch(entity.Source{ScopeID: "s", DataSourceType: "postgres", DataSourceID: "ds"})
	for i := range 200 {
		require.NoError(t, b.AddState(crawlTime, entity.Entity{
			Ref:  entity.Ref{Type: "postgres.table", InternalID: internalid.Postgres("s", "db", "public", "t"+string(rune('a'+i%26))+string(rune('a'+i/26)))},
			Name: "t", Body: map[string]any{"pad": string(bytes.Repeat([]byte("x"), 100))},
		}))
	}
	const limit = 8 << 10
	bodies := requestBodies(t, b.Logs(), limit)
	require.Greater(t, len(bodies), 1)
	seen := map[string]bool{}
	for _, body := range bodies {
		assert.LessOrEqual(t, len(body), limit)
		for _, el := range decodeRequest(t, body).CloudCrawlData.CrawledData.Data {
			assert.False(t, seen[el.ID], "element %s sent twice", el.ID)
			seen[el.ID] = true
		}
	}
	assert.Len(t, seen, 200)
}

func TestElementOncePerRequest(t *testing.T) {
	b := entity.NewBatch(entity.Source{ScopeID: "s", DataSourceType: "postgres", DataSourceID: "ds"})
	for _, name := range []string{"first", "second"} {
		require.NoError(t, b.AddState(crawlTime, entity.Entity{
			Ref: entity.Ref{Type: "postgres.table", InternalID: "s/db-public@t"}, Name: name, Body: map[string]any{"v": name},
		}))
	}
	bodies := requestBodies(t, b.Logs(), defaultMaxRequestBytes)
	require.Len(t, bodies, 1)
	els := decodeRequest(t, bodies[0]).CloudCrawlData.CrawledData.Data
	require.Len(t, els, 1)
	assert.Equal(t, "second", els[0].Name)
}
