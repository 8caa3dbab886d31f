package graphmcp

import (
	"context"
	"slices"
	"strings"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// Summaries of the graph: its data sources, counts and relationship types.

// --- list_data_sources

type dataSourcesOutput struct {
	DataSources []graphstore.DataSource `json:"data_sources"`
}

func (t *tools) listDataSources(ctx context.Context, _ noInput) (dataSourcesOutput, error) {
	ds, err := t.store.DataSources(ctx)
	if err != nil {
		return dataSourcesOutput{}, err
	}
	for i := range ds {
		if ds[i].Scopes == nil {
			ds[i].Scopes = []string{}
		}
	}
	return dataSourcesOutput{DataSources: ds}, nil
}

// --- graph_summary

type summaryOutput struct {
	graphstore.Summary
	Backend string `json:"backend" jsonschema:"the store's database: sqlite or postgresql"`
}

type summaryInput struct {
	DataSourceID string `json:"data_source_id,omitempty" jsonschema:"count only what this data source reported (list_data_sources); empty: the whole graph"`
}

func (t *tools) graphSummary(ctx context.Context, in summaryInput) (summaryOutput, error) {
	var sum graphstore.Summary
	var err error
	if in.DataSourceID != "" {
		sum, err = t.store.SummaryOf(ctx, in.DataSourceID)
	} else {
		sum, err = t.store.Summary(ctx)
	}
	if err != nil {
		return summaryOutput{}, err
	}
	return summaryOutput{Summary: sum, Backend: t.store.Backend()}, nil
}

// --- list_relationship_types

type relationshipTypesOutput struct {
	RelationshipTypes []relationshipTypeCount `json:"relationship_types"`
}

type relationshipTypeCount struct {
	Type  string `json:"type"`
	Count int    `json:"count" jsonschema:"live relationships of this type"`
}

func (t *tools) listRelationshipTypes(ctx context.Context, _ noInput) (relationshipTypesOutput, error) {
	sum, err := t.store.Summary(ctx)
	if err != nil {
		return relationshipTypesOutput{}, err
	}
	out := relationshipTypesOutput{RelationshipTypes: []relationshipTypeCount{}}
	for typ, n := range sum.ByRelation {
		out.RelationshipTypes = append(out.RelationshipTypes, relationshipTypeCount{Type: typ, Count: n})
	}
	slices.SortStableFunc(out.RelationshipTypes, func(a, b relationshipTypeCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Type, b.Type)
	})
	return out, nil
}
