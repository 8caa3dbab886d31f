// Package metricrules evaluates the coordimap-agent's metric rules against
// Prometheus and Google Cloud Monitoring and builds the
// coordimap.metric_trigger elements that name the graph elements whose
// metrics cross a threshold. The processor owns the schedule and the
// records; this package holds the rule schema, the predefined templates,
// the resolvers, the provider clients and the trigger payload.
package metricrules

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Providers.
const (
	ProviderPrometheus    = "prometheus"
	ProviderGCPMonitoring = "gcp_monitoring"
)

// Modes.
const (
	ModeCustom     = "custom"
	ModePredefined = "predefined"
)

// Rule is one metric_rules entry, with the coordimap-agent's schema plus
// data_source, for and resolved.
type Rule struct {
	ID       string `mapstructure:"id"`
	Name     string `mapstructure:"name"`
	Provider string `mapstructure:"provider"`
	Mode     string `mapstructure:"mode"`
	// DataSource is the data_source_id (by default the receiver's component
	// ID, e.g. coordimap_kubernetes) whose scope the targets belong to and
	// whose requests carry the trigger elements.
	DataSource string `mapstructure:"data_source"`
	// Lookback is the rule's window, a Prometheus duration ("5m"); the
	// template's when empty, else 5m.
	Lookback   string           `mapstructure:"lookback"`
	Threshold  *ThresholdConfig `mapstructure:"threshold"`
	Target     *TargetConfig    `mapstructure:"target"`
	Custom     CustomConfig     `mapstructure:"custom"`
	Predefined PredefinedConfig `mapstructure:"predefined"`
	// Enabled false keeps the rule out of evaluation (the original agent
	// evaluated it anyway).
	Enabled *bool `mapstructure:"enabled"`
	// For is how long a target must match before its first trigger; 0
	// (default) triggers at once, as the original agent did.
	For time.Duration `mapstructure:"for"`
	// Resolved sends a trigger of type metric_rule_resolved when targets
	// that fired stop matching. Off by default.
	Resolved bool `mapstructure:"resolved"`

	_ struct{}
}

// ThresholdConfig overrides a template's threshold field by field: a rule
// that sets only value keeps the template's operator.
type ThresholdConfig struct {
	Operator string   `mapstructure:"operator"`
	Value    *float64 `mapstructure:"value"`
}

// TargetConfig says how a series' labels name a graph element.
type TargetConfig struct {
	Resolver           string `mapstructure:"resolver"`
	NamespaceLabel     string `mapstructure:"namespace_label"`
	NameLabel          string `mapstructure:"name_label"`
	ZoneLabel          string `mapstructure:"zone_label"`
	RegionLabel        string `mapstructure:"region_label"`
	MappingKeyTemplate string `mapstructure:"mapping_key_template"`
}

// CustomConfig is the provider query of a custom rule.
type CustomConfig struct {
	// Query is PromQL (prometheus).
	Query string `mapstructure:"query"`
	// Filter or MetricType select the series (gcp_monitoring).
	Filter             string   `mapstructure:"filter"`
	MetricType         string   `mapstructure:"metric_type"`
	AlignmentPeriod    string   `mapstructure:"alignment_period"`
	PerSeriesAligner   string   `mapstructure:"per_series_aligner"`
	CrossSeriesReducer string   `mapstructure:"cross_series_reducer"`
	GroupByFields      []string `mapstructure:"group_by_fields"`
}

// PredefinedConfig names a template and its params.
type PredefinedConfig struct {
	Name   string         `mapstructure:"name"`
	Params map[string]any `mapstructure:"params"`
}

// Threshold is a resolved threshold.
type Threshold struct {
	Operator string
	Value    float64
}

// Target is a resolved target (no field left to a default).
type Target struct {
	Resolver           string
	NamespaceLabel     string
	NameLabel          string
	ZoneLabel          string
	RegionLabel        string
	MappingKeyTemplate string
}

// Resolved is a rule with its template applied and defaults filled in: what
// is evaluated and what data_source_config.metric_rules carries.
type Resolved struct {
	ID, Name, Provider, DataSource string
	Query                          string
	Filter, MetricType             string
	Lookback                       string
	AlignmentPeriod                string
	PerSeriesAligner               string
	CrossSeriesReducer             string
	GroupByFields                  []string
	Threshold                      Threshold
	Target                         Target
	// Enabled is what the rule said (nil: not said, enabled).
	Enabled  *bool
	For      time.Duration
	Resolved bool

	lookback time.Duration
}

// IsEnabled reports whether the rule is evaluated.
func (r *Resolved) IsEnabled() bool { return r.Enabled == nil || *r.Enabled }

// LookbackDuration is Lookback parsed.
func (r *Resolved) LookbackDuration() time.Duration { return r.lookback }

// Operators in the order the README lists them.
var operators = []string{">", ">=", "<", "<=", "==", "!="}

// Compare reports whether v crosses t.
func (t Threshold) Compare(v float64) bool {
	switch t.Operator {
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case "==":
		return v == t.Value
	case "!=":
		return v != t.Value
	}
	return false
}

// fieldError names the rule and the field of a mistake.
func fieldError(index int, id, field, format string, args ...any) error {
	who := fmt.Sprintf("metric_rules[%d]", index)
	if id != "" {
		who += fmt.Sprintf(" (id %q)", id)
	}
	return fmt.Errorf("%s: %s: %s", who, field, fmt.Sprintf(format, args...))
}

// ResolveAll applies templates and defaults to every rule and reports every
// mistake, each naming the rule and its field; the rules without mistakes
// come back even then.
func ResolveAll(rules []Rule) ([]Resolved, error) {
	var errs []error
	out := make([]Resolved, 0, len(rules))
	seen := map[string]int{}
	for i := range rules {
		r := &rules[i]
		if r.ID != "" {
			if first, dup := seen[r.ID]; dup {
				errs = append(errs, fieldError(i, r.ID, "id", "duplicate, first at metric_rules[%d]", first))
			} else {
				seen[r.ID] = i
			}
		}
		res, rerrs := resolve(i, r)
		errs = append(errs, rerrs...)
		if len(rerrs) == 0 {
			out = append(out, res)
		}
	}
	return out, errors.Join(errs...)
}

func resolve(i int, r *Rule) (Resolved, []error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldError(i, r.ID, field, format, args...))
	}
	if strings.TrimSpace(r.ID) == "" {
		bad("id", "required")
	}
	if r.DataSource == "" {
		bad("data_source", "required (the data_source_id of the receiver the targets belong to, e.g. coordimap_kubernetes)")
	}
	if r.For < 0 {
		bad("for", "must not be negative")
	}
	res := Resolved{
		ID: r.ID, Name: r.Name, Provider: r.Provider, DataSource: r.DataSource,
		Lookback: r.Lookback, Enabled: r.Enabled, For: r.For, Resolved: r.Resolved,
	}
	if res.Name == "" {
		res.Name = res.ID
	}
	switch r.Provider {
	case ProviderPrometheus, ProviderGCPMonitoring:
	case "":
		bad("provider", "required (%s or %s)", ProviderPrometheus, ProviderGCPMonitoring)
		return res, errs
	default:
		bad("provider", "unknown provider %q (want %s or %s)", r.Provider, ProviderPrometheus, ProviderGCPMonitoring)
		return res, errs
	}

	var tmplThreshold Threshold
	var tmplTarget Target
	switch strings.ToLower(strings.TrimSpace(r.Mode)) {
	case ModeCustom:
		if r.Predefined.Name != "" || len(r.Predefined.Params) > 0 {
			bad("predefined", "set in a custom rule")
		}
		c := r.Custom
		res.Query, res.Filter, res.MetricType = c.Query, c.Filter, c.MetricType
		res.AlignmentPeriod, res.PerSeriesAligner = c.AlignmentPeriod, c.PerSeriesAligner
		res.CrossSeriesReducer, res.GroupByFields = c.CrossSeriesReducer, c.GroupByFields
		tmplThreshold = Threshold{Operator: ">"}
		if r.Target == nil {
			bad("target", "required in a custom rule")
		}
		if r.Threshold == nil || r.Threshold.Value == nil {
			bad("threshold.value", "required in a custom rule")
		}
	case ModePredefined:
		if c := r.Custom; c.Query != "" || c.Filter != "" || c.MetricType != "" {
			bad("custom", "set in a predefined rule")
		}
		t, ok := templates[r.Provider][r.Predefined.Name]
		if !ok {
			if r.Predefined.Name == "" {
				bad("predefined.name", "required")
			} else {
				bad("predefined.name", "unknown %s template %q (known: %s)", r.Provider, r.Predefined.Name, strings.Join(TemplateNames(r.Provider), ", "))
			}
			return res, errs
		}
		p, perrs := t.check(r.Predefined.Params)
		for _, e := range perrs {
			bad("predefined.params."+e.param, "%s", e.msg)
		}
		if len(perrs) > 0 {
			return res, errs
		}
		b := t.build(p)
		res.Query, res.MetricType = b.query, b.metricType
		res.AlignmentPeriod, res.PerSeriesAligner = b.alignmentPeriod, b.perSeriesAligner
		if res.Lookback == "" {
			res.Lookback = b.lookback
		}
		tmplThreshold, tmplTarget = b.threshold, t.target
	case "":
		bad("mode", "required (%s or %s)", ModeCustom, ModePredefined)
		return res, errs
	default:
		bad("mode", "unknown mode %q (want %s or %s)", r.Mode, ModeCustom, ModePredefined)
		return res, errs
	}

	if res.Lookback == "" {
		res.Lookback = "5m"
	}
	if d, err := parseDuration(res.Lookback); err != nil {
		bad("lookback", "%v", err)
	} else {
		res.lookback = d
	}

	res.Threshold = tmplThreshold
	if t := r.Threshold; t != nil {
		if t.Operator != "" {
			res.Threshold.Operator = t.Operator
		}
		if t.Value != nil {
			res.Threshold.Value = *t.Value
		}
	}
	if !contains(operators, res.Threshold.Operator) {
		bad("threshold.operator", "unknown operator %q (want one of %s)", res.Threshold.Operator, strings.Join(operators, " "))
	}

	res.Target = tmplTarget
	if t := r.Target; t != nil {
		override(&res.Target.Resolver, t.Resolver)
		override(&res.Target.NamespaceLabel, t.NamespaceLabel)
		override(&res.Target.NameLabel, t.NameLabel)
		override(&res.Target.ZoneLabel, t.ZoneLabel)
		override(&res.Target.RegionLabel, t.RegionLabel)
		override(&res.Target.MappingKeyTemplate, t.MappingKeyTemplate)
	}
	errs = append(errs, checkTarget(i, r.ID, &res.Target)...)
	errs = append(errs, checkQuery(i, r.ID, &res)...)
	return res, errs
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkQuery validates the provider fields: PromQL parsed, Cloud Monitoring
// filter or metric type present, aligners and reducers known.
func checkQuery(i int, id string, r *Resolved) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fieldError(i, id, field, format, args...))
	}
	switch r.Provider {
	case ProviderPrometheus:
		if r.Filter != "" || r.MetricType != "" || r.AlignmentPeriod != "" || r.PerSeriesAligner != "" || r.CrossSeriesReducer != "" || len(r.GroupByFields) > 0 {
			bad("custom", "filter, metric_type, alignment_period, per_series_aligner, cross_series_reducer and group_by_fields are gcp_monitoring settings")
		}
		if strings.TrimSpace(r.Query) == "" {
			bad("custom.query", "required for a prometheus rule")
		} else if err := checkPromQL(r.Query); err != nil {
			bad("custom.query", "invalid PromQL: %v", err)
		}
	case ProviderGCPMonitoring:
		if r.Query != "" {
			bad("custom.query", "a prometheus setting; gcp_monitoring rules use filter or metric_type")
		}
		if strings.TrimSpace(r.Filter) == "" && strings.TrimSpace(r.MetricType) == "" {
			bad("custom.filter", "filter or metric_type is required for a gcp_monitoring rule")
		}
		if r.AlignmentPeriod != "" {
			if d, err := time.ParseDuration(r.AlignmentPeriod); err != nil || d <= 0 || d%time.Second != 0 {
				bad("custom.alignment_period", "%q is not a positive whole number of seconds such as 300s", r.AlignmentPeriod)
			}
		}
		if r.PerSeriesAligner != "" && !contains(aligners, r.PerSeriesAligner) {
			bad("custom.per_series_aligner", "unknown aligner %q", r.PerSeriesAligner)
		}
		if r.CrossSeriesReducer != "" && !contains(reducers, r.CrossSeriesReducer) {
			bad("custom.cross_series_reducer", "unknown reducer %q", r.CrossSeriesReducer)
		}
		if (r.PerSeriesAligner != "" || r.CrossSeriesReducer != "") && r.AlignmentPeriod == "" {
			bad("custom.alignment_period", "required with per_series_aligner or cross_series_reducer")
		}
	}
	return errs
}

// Aligners and reducers of Cloud Monitoring's Aggregation.
var (
	aligners = []string{
		"ALIGN_NONE", "ALIGN_DELTA", "ALIGN_RATE", "ALIGN_INTERPOLATE", "ALIGN_NEXT_OLDER",
		"ALIGN_MIN", "ALIGN_MAX", "ALIGN_MEAN", "ALIGN_COUNT", "ALIGN_SUM", "ALIGN_STDDEV",
		"ALIGN_COUNT_TRUE", "ALIGN_COUNT_FALSE", "ALIGN_FRACTION_TRUE",
		"ALIGN_PERCENTILE_99", "ALIGN_PERCENTILE_95", "ALIGN_PERCENTILE_50", "ALIGN_PERCENTILE_05",
		"ALIGN_PERCENT_CHANGE",
	}
	reducers = []string{
		"REDUCE_NONE", "REDUCE_MEAN", "REDUCE_MIN", "REDUCE_MAX", "REDUCE_SUM", "REDUCE_STDDEV",
		"REDUCE_COUNT", "REDUCE_COUNT_TRUE", "REDUCE_COUNT_FALSE", "REDUCE_FRACTION_TRUE",
		"REDUCE_PERCENTILE_99", "REDUCE_PERCENTILE_95", "REDUCE_PERCENTILE_50", "REDUCE_PERCENTILE_05",
	}
)
