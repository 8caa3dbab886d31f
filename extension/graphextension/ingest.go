package graphextension

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// IngestPath is where the original coordimap-agent (and the coordimap
// exporter) post crawls.
const IngestPath = "/collector/crawlers/infra"

// maxIngestBytes bounds one request body.
const maxIngestBytes = 64 << 20

// The Coordimap API's request, as the original agent sends it.
type crawlRequest struct {
	CloudCrawlData struct {
		CrawlInternalID string `json:"crawl_internal_id"`
		CrawledData     struct {
			Data []crawlElement `json:"data"`
		} `json:"crawled_data"`
		DataSource struct {
			DataSourceID   string `json:"data_source_id"`
			DataSourceInfo struct {
				Name string `json:"name"`
				Desc string `json:"desc"`
				Type string `json:"type"`
			} `json:"data_source_info"`
		} `json:"data_source"`
		Timestamp time.Time `json:"timestamp"`
	} `json:"cloud_crawl_data"`
}

type crawlElement struct {
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

// relationshipData is a relationship element's data.
type relationshipData struct {
	SourceID         string `json:"source_id"`
	DestinationID    string `json:"destination_id"`
	RelationshipType string `json:"relationship_type"`
	RelationType     int    `json:"relation_type"`
}

const (
	relationshipElement        = "coordimap.relationship_skipinsert"
	relationshipExternalPrefix = "coordimap.relationship.external."
)

// relationTypes is the wire's relation_type back to our relationship type.
var relationTypes = func() map[int]string {
	m := map[int]string{}
	for name, code := range entity.RelationCodes {
		if _, ok := m[code]; !ok || name == entity.RelParentChild {
			m[code] = name
		}
	}
	return m
}()

func apiAnswer(w http.ResponseWriter, code int, msg string) {
	body := map[string]any{"status": map[string]any{"http_code": code, "message": msg}}
	writeJSON(w, code, body)
}

func (g *GraphExtension) authorised(r *http.Request) bool {
	if len(g.cfg.Ingest.APIKeys) == 0 {
		return true
	}
	got := []byte(r.Header.Get("Api-Key"))
	for _, k := range g.cfg.Ingest.APIKeys {
		if subtle.ConstantTimeCompare(got, []byte(k)) == 1 {
			return true
		}
	}
	return false
}

// ingest takes one Coordimap API request into the store: elements become
// nodes, relationship elements edges (flows for the flow relation codes).
// A request is a partition's snapshot: when a newer snapshot of the same
// data source and crawl_internal_id arrives, what the previous one did not
// contain is deleted.
func (g *GraphExtension) ingest(w http.ResponseWriter, r *http.Request) {
	if !g.authorised(r) {
		apiAnswer(w, http.StatusUnauthorized, "unknown Api-Key")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxIngestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			apiAnswer(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxIngestBytes))
			return
		}
		apiAnswer(w, http.StatusBadRequest, "reading the request: "+err.Error())
		return
	}
	b, err := crawlBatch(body)
	if err != nil {
		apiAnswer(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := g.Write(r.Context(), b); err != nil {
		g.logger.Warn("Ingest failed", zap.Error(err))
		apiAnswer(w, http.StatusServiceUnavailable, "the graph store refused the write; retry")
		return
	}
	apiAnswer(w, http.StatusOK, "ok")
}

// crawlBatch decodes a Coordimap API request into a batch.
func crawlBatch(body []byte) (graphstore.Batch, error) {
	var req crawlRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return graphstore.Batch{}, fmt.Errorf("not a Coordimap crawl request: %w", err)
	}
	c := req.CloudCrawlData
	ds := c.DataSource.DataSourceID
	if ds == "" {
		return graphstore.Batch{}, errors.New("cloud_crawl_data.data_source.data_source_id: required")
	}
	at := c.Timestamp
	if at.IsZero() {
		at = time.Now()
	}
	partition := c.CrawlInternalID
	if partition == "" {
		partition = ds
	}
	var b graphstore.Batch
	for i, el := range c.CrawledData.Data {
		if el.ID == "" || el.Type == "" {
			return graphstore.Batch{}, fmt.Errorf("cloud_crawl_data.crawled_data.data[%d]: id and type are required", i)
		}
		if el.Type == relationshipElement {
			var rel relationshipData
			if err := json.Unmarshal(el.Data, &rel); err != nil || rel.SourceID == "" || rel.DestinationID == "" {
				return graphstore.Batch{}, fmt.Errorf("cloud_crawl_data.crawled_data.data[%d] (%s): not relationship data", i, el.ID)
			}
			e := graphstore.Edge{
				Source: rel.SourceID, Destination: rel.DestinationID, RelationType: rel.RelationType,
				Type:         relationTypes[rel.RelationType],
				External:     strings.TrimPrefix(strings.TrimPrefix(rel.RelationshipType, relationshipElement), relationshipExternalPrefix),
				DataSourceID: ds, ScopeID: ds, FirstSeen: at, LastSeen: at,
			}
			if e.Type == "" {
				e.Type = fmt.Sprintf("relation_%d", rel.RelationType)
			}
			if rel.RelationType >= entity.RelationCodeGenericFlow {
				e.Observed = true
				b.Observations = append(b.Observations, e)
			} else {
				b.Edges = append(b.Edges, e)
			}
			continue
		}
		data := el.Data
		if !el.IsJSONData || !json.Valid(data) {
			raw, _ := json.Marshal(map[string]string{"raw": string(el.Data)})
			data = raw
		}
		status := el.Status
		if status == "NoStatus" {
			status = ""
		}
		b.Nodes = append(b.Nodes, graphstore.NodeState{
			// The wire carries no scope: the data source stands for it.
			ScopeID: ds, ID: el.ID, Type: el.Type, Name: el.Name, Status: status, Version: el.Version,
			DataSourceID: ds, DataSourceType: c.DataSource.DataSourceInfo.Type, Partition: partition,
			Data: data, At: at,
		})
	}
	b.Crawls = []graphstore.CrawlMark{{DataSourceID: ds, Partition: partition, At: at}}
	return b, nil
}
