package metricrules

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Trigger types of the payload.
const (
	TriggerTypeMetricRule = "metric_rule"
	// TriggerTypeResolved is new: targets that fired and stopped matching
	// (only with the rule's resolved: true).
	TriggerTypeResolved = "metric_rule_resolved"
)

// Sample is one series of a provider's answer.
type Sample struct {
	Value          float64
	Labels         map[string]string
	ResourceLabels map[string]string
}

// TargetHit is one target of a trigger.
type TargetHit struct {
	InternalID     string
	Value          float64
	Labels         map[string]string
	ResourceLabels map[string]string
}

// DataSource is what a trigger says about the data source it belongs to.
type DataSource struct {
	ID, Type string
}

// Match keeps the series of samples that cross the rule's threshold and
// name a target, one per target (the last one wins, as in the original
// agent), sorted by internal ID. A NaN or infinite value is skipped (the
// original agent failed to encode the trigger and lost the whole cycle).
func Match(r *Resolved, ctx *Context, samples []Sample) []TargetHit {
	byID := map[string]int{}
	var hits []TargetHit
	for _, s := range samples {
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || !r.Threshold.Compare(s.Value) {
			continue
		}
		id, ok := ResolveTarget(&r.Target, ctx, s.Labels, s.ResourceLabels)
		if !ok {
			continue
		}
		h := TargetHit{InternalID: id, Value: s.Value, Labels: s.Labels, ResourceLabels: s.ResourceLabels}
		if i, dup := byID[id]; dup {
			hits[i] = h
			continue
		}
		byID[id] = len(hits)
		hits = append(hits, h)
	}
	slices.SortFunc(hits, func(a, b TargetHit) int { return strings.Compare(a.InternalID, b.InternalID) })
	return hits
}

// ElementID is the trigger's element ID, as the original agent built it.
func ElementID(ds DataSource, r *Resolved, at time.Time, hits []TargetHit) string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.InternalID
	}
	return internalid.MetricTrigger(ds.ID, r.ID, at, ids)
}

// Payload is the trigger element's data, with the original agent's field
// order and omissions (its metrictrigger.Trigger struct), so that the
// element hash is the same for the same input. Prometheus rules carry their
// query, Cloud Monitoring rules their filter and metric_type (in metadata).
func Payload(triggerType string, ds DataSource, r *Resolved, at time.Time, hits []TargetHit) entity.Ordered {
	p := entity.Ordered{
		{Key: "trigger_type", Value: triggerType},
		{Key: "provider", Value: r.Provider},
		{Key: "data_source_id", Value: ds.ID},
		{Key: "data_source_type", Value: ds.Type},
		{Key: "rule_id", Value: r.ID},
		{Key: "rule_name", Value: r.Name},
	}
	if r.Provider == ProviderPrometheus && r.Query != "" {
		p = append(p, entity.Field{Key: "query", Value: r.Query})
	}
	if r.Provider == ProviderGCPMonitoring && r.Filter != "" {
		p = append(p, entity.Field{Key: "filter", Value: r.Filter})
	}
	if r.Lookback != "" {
		p = append(p, entity.Field{Key: "window", Value: r.Lookback})
	}
	p = append(p, entity.Field{Key: "threshold", Value: entity.Ordered{
		{Key: "operator", Value: r.Threshold.Operator},
		{Key: "value", Value: r.Threshold.Value},
	}})
	targets := make([]entity.Ordered, len(hits))
	for i, h := range hits {
		t := entity.Ordered{{Key: "internal_id", Value: h.InternalID}, {Key: "value", Value: h.Value}}
		if len(h.Labels) > 0 {
			t = append(t, entity.Field{Key: "labels", Value: h.Labels})
		}
		if len(h.ResourceLabels) > 0 {
			t = append(t, entity.Field{Key: "resource_labels", Value: h.ResourceLabels})
		}
		targets[i] = t
	}
	p = append(p, entity.Field{Key: "targets", Value: targets})
	if r.Provider == ProviderGCPMonitoring && r.MetricType != "" {
		p = append(p, entity.Field{Key: "metadata", Value: map[string]string{"metric_type": r.MetricType}})
	}
	return append(p, entity.Field{Key: "triggered_at", Value: at.UTC().Format(time.RFC3339Nano)})
}

// Entity is the coordimap.metric_trigger state record of a trigger.
func Entity(triggerType string, ds DataSource, r *Resolved, at time.Time, hits []TargetHit) entity.Entity {
	return entity.Entity{
		Ref:         entity.Ref{Type: internalid.TypeMetricTrigger, InternalID: ElementID(ds, r, at, hits)},
		Name:        r.Name,
		OrderedBody: Payload(triggerType, ds, r, at, hits),
	}
}

// wireRule is a rule in data_source_config.metric_rules, as the original
// agent's agent.MetricRule marshalled.
type wireRule struct {
	ID                 string        `json:"id"`
	Name               string        `json:"name"`
	Provider           string        `json:"provider"`
	Query              string        `json:"query,omitempty"`
	Filter             string        `json:"filter,omitempty"`
	MetricType         string        `json:"metric_type,omitempty"`
	Lookback           string        `json:"lookback,omitempty"`
	AlignmentPeriod    string        `json:"alignment_period,omitempty"`
	PerSeriesAligner   string        `json:"per_series_aligner,omitempty"`
	CrossSeriesReducer string        `json:"cross_series_reducer,omitempty"`
	GroupByFields      []string      `json:"group_by_fields,omitempty"`
	Threshold          wireThreshold `json:"threshold"`
	Target             wireTarget    `json:"target"`
	Enabled            *bool         `json:"enabled,omitempty"`
}

type wireThreshold struct {
	Operator string  `json:"operator"`
	Value    float64 `json:"value"`
}

type wireTarget struct {
	Resolver           string `json:"resolver"`
	NamespaceLabel     string `json:"namespace_label,omitempty"`
	NameLabel          string `json:"name_label,omitempty"`
	ZoneLabel          string `json:"zone_label,omitempty"`
	RegionLabel        string `json:"region_label,omitempty"`
	MappingKeyTemplate string `json:"mapping_key_template,omitempty"`
	MappingValueType   string `json:"mapping_value_type,omitempty"`
}

// WireRules is the JSON array of rules for data_source_config.metric_rules,
// in the original agent's shape (mapping_value_type internal_id, as its
// defaults filled in), keys sorted like the rest of the envelope.
func WireRules(rules []*Resolved) string {
	out := make([]wireRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, wireRule{
			ID: r.ID, Name: r.Name, Provider: r.Provider, Query: r.Query, Filter: r.Filter,
			MetricType: r.MetricType, Lookback: r.Lookback, AlignmentPeriod: r.AlignmentPeriod,
			PerSeriesAligner: r.PerSeriesAligner, CrossSeriesReducer: r.CrossSeriesReducer,
			GroupByFields: r.GroupByFields,
			Threshold:     wireThreshold{r.Threshold.Operator, r.Threshold.Value},
			Target: wireTarget{
				Resolver: r.Target.Resolver, NamespaceLabel: r.Target.NamespaceLabel, NameLabel: r.Target.NameLabel,
				ZoneLabel: r.Target.ZoneLabel, RegionLabel: r.Target.RegionLabel,
				MappingKeyTemplate: r.Target.MappingKeyTemplate, MappingValueType: "internal_id",
			},
			Enabled: r.Enabled,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return ""
	}
	var generic []map[string]any
	if err := json.Unmarshal(b, &generic); err != nil {
		return ""
	}
	if b, err = json.Marshal(generic); err != nil {
		return ""
	}
	return string(b)
}
