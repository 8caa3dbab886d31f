package graphmcp

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// Finding and reading assets.

// --- search_assets

type searchInput struct {
	Query          string   `json:"query,omitempty" jsonschema:"what to find, case-insensitive: a name, IP address, ARN, UID, label value …; each word matches the start of the ID, name, group, an attribute value or a part of the name or ID, and when nothing matches so, any substring of them or of the data; empty lists every asset"`
	Types          []string `json:"types,omitempty" jsonschema:"only these asset types, e.g. kubernetes.pod or aws.rds (graph_summary lists the types present)"`
	DataSourceID   string   `json:"data_source_id,omitempty" jsonschema:"only assets this data source reported (list_data_sources)"`
	ScopeID        string   `json:"scope_id,omitempty" jsonschema:"only this scope: a cluster UID, cloud account or project, database system ID"`
	Group          string   `json:"group,omitempty" jsonschema:"only this namespace, VPC or region"`
	Status         string   `json:"status,omitempty" jsonschema:"only this status, e.g. Running or available"`
	IncludeDeleted bool     `json:"include_deleted,omitempty" jsonschema:"also return deleted assets (still in history)"`
	AsOf           string   `json:"as_of,omitempty" jsonschema:"search the graph as it was then: an RFC 3339 time or a duration ago (90m, 24h, 7d)"`
	Limit          int      `json:"limit,omitempty" jsonschema:"assets per page"`
	Cursor         string   `json:"cursor,omitempty" jsonschema:"next_cursor of the previous page"`
}

type searchOutput struct {
	Assets     []assetRef `json:"assets"`
	Total      int        `json:"total" jsonschema:"assets matching, over all pages"`
	Truncated  bool       `json:"truncated" jsonschema:"more assets match than this page holds"`
	NextCursor string     `json:"next_cursor,omitempty" jsonschema:"pass as cursor for the next page"`
}

func (t *tools) searchAssets(ctx context.Context, in searchInput) (searchOutput, error) {
	asOf, err := parseWhen(in.AsOf, t.now())
	if err != nil {
		return searchOutput{}, fmt.Errorf("as_of: %w", err)
	}
	// The store's cursor holds a control character: the model gets it
	// base64-encoded, which survives being copied.
	after, err := base64.RawURLEncoding.DecodeString(in.Cursor)
	if err != nil {
		return searchOutput{}, fmt.Errorf("cursor %q is not a next_cursor search_assets returned", in.Cursor)
	}
	page, err := t.store.Nodes(ctx, graphstore.NodeFilter{Query: in.Query, Types: in.Types, DataSourceID: in.DataSourceID,
		ScopeID: in.ScopeID, Group: in.Group, Status: in.Status, IncludeDeleted: in.IncludeDeleted, AsOf: asOf,
		Limit: searchBound.clamp(in.Limit), After: string(after)})
	if err != nil {
		return searchOutput{}, err
	}
	out := searchOutput{Assets: make([]assetRef, 0, len(page.Nodes)), Total: page.Total,
		NextCursor: base64.RawURLEncoding.EncodeToString([]byte(page.Next)), Truncated: page.Next != ""}
	for _, n := range page.Nodes {
		out.Assets = append(out.Assets, ref(n))
	}
	return out, nil
}

// --- get_asset

type getAssetInput struct {
	ID           string `json:"id" jsonschema:"the asset's internal ID (search_assets finds it)"`
	ScopeID      string `json:"scope_id,omitempty" jsonschema:"the scope holding it, when several do (default: the live one seen last)"`
	IncludeData  bool   `json:"include_data,omitempty" jsonschema:"include the asset's data (the source object)"`
	HistoryLimit int    `json:"history_limit,omitempty" jsonschema:"newest history entries returned"`
}

type assetOutput struct {
	Asset         *graphstore.Node    `json:"asset"`
	DataTruncated bool                `json:"data_truncated,omitempty" jsonschema:"the data was larger than 256 KiB and left out"`
	Relationships relationshipCounts  `json:"relationships"`
	History       []graphstore.Change `json:"history" jsonschema:"changes of the asset, oldest first: its versions"`
	// HistoryTruncated says older changes were left out.
	HistoryTruncated bool `json:"history_truncated"`
}

type relationshipCounts struct {
	Outgoing int `json:"outgoing" jsonschema:"live relationships with the asset as source"`
	Incoming int `json:"incoming" jsonschema:"live relationships with the asset as destination"`
}

func (t *tools) getAsset(ctx context.Context, in getAssetInput) (assetOutput, error) {
	n, err := t.resolve(ctx, in.ScopeID, in.ID)
	if err != nil {
		return assetOutput{}, err
	}
	out := assetOutput{Asset: n}
	if !in.IncludeData {
		n.Data = nil
	} else if len(n.Data) > maxDataBytes {
		n.Data, out.DataTruncated = nil, true
	}
	edges, err := t.store.EdgesOf(ctx, []string{n.ID}, graphstore.Both, nil, time.Time{})
	if err != nil {
		return assetOutput{}, err
	}
	for _, e := range edges {
		if e.Source == n.ID {
			out.Relationships.Outgoing++
		}
		if e.Destination == n.ID {
			out.Relationships.Incoming++
		}
	}
	limit := historyBound.clamp(in.HistoryLimit)
	hist, err := t.store.History(ctx, n.ID, limit+1)
	if err != nil {
		return assetOutput{}, err
	}
	if len(hist) > limit {
		hist, out.HistoryTruncated = hist[len(hist)-limit:], true
	}
	out.History = hist
	return out, nil
}
