package graphmcp

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Resource URIs: what a client can attach as context without a tool call.
const (
	DataSourcesURI = "coordimap://data-sources"
	SummaryURI     = "coordimap://summary"
	// AssetURIPrefix is followed by an asset's ID (percent-encoded or not).
	AssetURIPrefix = "coordimap://assets/"
)

const jsonMIME = "application/json"

func (t *tools) registerResources(s *mcp.Server) {
	s.AddResource(&mcp.Resource{URI: DataSourcesURI, Name: "data-sources", Title: "Coordimap data sources", MIMEType: jsonMIME,
		Description: "The data sources that reported to the graph (as list_data_sources)."},
		t.resource(func(ctx context.Context, _ string) (any, error) { return t.listDataSources(ctx, noInput{}) }))
	s.AddResource(&mcp.Resource{URI: SummaryURI, Name: "summary", Title: "Coordimap graph summary", MIMEType: jsonMIME,
		Description: "Counts of the live graph (as graph_summary)."},
		t.resource(func(ctx context.Context, _ string) (any, error) { return t.graphSummary(ctx, summaryInput{}) }))
	s.AddResourceTemplate(&mcp.ResourceTemplate{URITemplate: AssetURIPrefix + "{+id}", Name: "asset", Title: "Coordimap asset",
		MIMEType: jsonMIME, Description: "One asset by internal ID, with its data, relationship counts and history (as get_asset)."},
		t.resource(func(ctx context.Context, uri string) (any, error) {
			id := strings.TrimPrefix(uri, AssetURIPrefix)
			if u, err := url.PathUnescape(id); err == nil {
				id = u
			}
			return t.getAsset(ctx, getAssetInput{ID: id, IncludeData: true, HistoryLimit: historyBound.def})
		}))
}

// resource serves what read returns as a JSON resource; an unknown asset
// is the protocol's resource-not-found.
func (t *tools) resource(read func(ctx context.Context, uri string) (any, error)) mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		ctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		uri := req.Params.URI
		v, err := read(ctx, uri)
		var unknown *unknownAssetError
		if errors.As(err, &unknown) {
			return nil, mcp.ResourceNotFoundError(uri)
		}
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: jsonMIME, Text: string(raw)}}}, nil
	}
}
