package metricrules

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// paramKind is what a template param accepts.
type paramKind int

const (
	kindDuration paramKind = iota // a Prometheus duration ("5m")
	kindFloat                     // a number
	kindRegex                     // an RE2 regular expression (label matcher)
	kindLabel                     // a label value (namespace, statefulset …)
	kindString                    // free text (metric type)
	kindAligner                   // a Cloud Monitoring per-series aligner
	kindPeriod                    // a Cloud Monitoring alignment period ("300s")
)

func (k paramKind) String() string {
	return [...]string{"a duration such as 5m", "a number", "a regular expression", "a label value", "a string", "an aligner such as ALIGN_MEAN", "a period in seconds such as 300s"}[k]
}

type param struct {
	name string
	kind paramKind
	def  any // string or float64; "" means no default (the param is optional)
}

// built is what a template's params make.
type built struct {
	query, metricType                 string
	lookback                          string
	alignmentPeriod, perSeriesAligner string
	threshold                         Threshold
}

type template struct {
	name   string
	params []param
	target Target
	build  func(values) built
}

// values are a template's params after checks and defaults: strings and
// float64s by name.
type values map[string]any

func (v values) s(name string) string  { return v[name].(string) }
func (v values) f(name string) float64 { return v[name].(float64) }

type paramError struct{ param, msg string }

// params checks raw against the template's params and fills defaults. The
// original agent replaced an unknown param or one of the wrong type by the
// default without a word; here both are errors.
func (t *template) check(raw map[string]any) (values, []paramError) {
	var errs []paramError
	known := make(map[string]param, len(t.params))
	for _, p := range t.params {
		known[p.name] = p
	}
	for _, k := range sortedKeys(raw) {
		if _, ok := known[k]; !ok {
			names := make([]string, 0, len(t.params))
			for _, p := range t.params {
				names = append(names, p.name)
			}
			errs = append(errs, paramError{k, fmt.Sprintf("unknown param of %s (known: %s)", t.name, strings.Join(names, ", "))})
		}
	}
	v := make(values, len(t.params))
	for _, p := range t.params {
		x, ok := raw[p.name]
		if !ok || x == nil || x == "" {
			v[p.name] = p.def
			continue
		}
		got, msg := checkParam(p.kind, x)
		if msg != "" {
			errs = append(errs, paramError{p.name, msg})
			continue
		}
		v[p.name] = got
	}
	return v, errs
}

func checkParam(k paramKind, x any) (any, string) {
	if k == kindFloat {
		var f float64
		switch n := x.(type) {
		case int:
			f = float64(n)
		case int64:
			f = float64(n)
		case uint64:
			f = float64(n)
		case float64:
			f = n
		case float32:
			f = float64(n)
		default:
			return nil, fmt.Sprintf("want %s, got %T %v", k, x, x)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Sprintf("want a finite number, got %v", f)
		}
		return f, ""
	}
	s, ok := x.(string)
	if !ok {
		return nil, fmt.Sprintf("want %s, got %T %v", k, x, x)
	}
	switch k {
	case kindDuration:
		if _, err := parseDuration(s); err != nil {
			return nil, err.Error()
		}
	case kindRegex:
		if _, err := regexp.Compile("^(?:" + s + ")$"); err != nil {
			return nil, fmt.Sprintf("invalid regular expression: %v", err)
		}
	case kindAligner:
		if !slices.Contains(aligners, s) {
			return nil, fmt.Sprintf("unknown aligner %q", s)
		}
	case kindPeriod:
		if !periodRe.MatchString(s) || s == "0s" {
			return nil, fmt.Sprintf("%q is not a period in seconds such as 300s", s)
		}
	}
	return s, ""
}

var periodRe = regexp.MustCompile(`^[0-9]+s$`)

// promStr quotes s as a PromQL string literal: the original agent pasted
// params between quotes as they were, so a quote or a backslash in a param
// broke the query or changed it.
func promStr(s string) string { return strconv.Quote(s) }

// promNum formats a number as the original agent did (%v).
func promNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

var (
	serviceTarget    = Target{Resolver: ResolverKubernetesService, NamespaceLabel: "destination_workload_namespace", NameLabel: "destination_canonical_service"}
	deploymentIstio  = Target{Resolver: ResolverKubernetesDeployment, NamespaceLabel: "destination_workload_namespace", NameLabel: "destination_workload"}
	podTarget        = Target{Resolver: ResolverKubernetesPod, NamespaceLabel: "namespace", NameLabel: "pod"}
	deploymentTarget = Target{Resolver: ResolverKubernetesDeployment, NamespaceLabel: "namespace", NameLabel: "deployment"}
	pvcTarget        = Target{Resolver: ResolverKubernetesPVC, NamespaceLabel: "namespace", NameLabel: "persistentvolumeclaim"}
	cloudSQLTarget   = Target{Resolver: ResolverGCPCloudSQL, NameLabel: "database_id", RegionLabel: "region"}
	vmTarget         = Target{Resolver: ResolverGCPVMInstance, NameLabel: "instance_name", ZoneLabel: "zone"}
)

const containerSel = `{pod!="",container!="",container!="POD"}`

func gt(v float64) Threshold { return Threshold{Operator: ">", Value: v} }
func lt(v float64) Threshold { return Threshold{Operator: "<", Value: v} }

// pvcSelector is the selector of the PVC templates' namespace and pvc_regex.
func pvcSelector(v values) string {
	var parts []string
	if ns := v.s("namespace"); ns != "" {
		parts = append(parts, "namespace="+promStr(ns))
	}
	if re := v.s("pvc_regex"); re != "" {
		parts = append(parts, "persistentvolumeclaim=~"+promStr(re))
	}
	if len(parts) == 0 {
		return ""
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func volumeRatio(sel string) string {
	return "(kubelet_volume_stats_available_bytes" + sel + " / clamp_min(kubelet_volume_stats_capacity_bytes" + sel + ", 1))"
}

var pvcParams = []param{{"threshold", kindFloat, 0.10}, {"namespace", kindLabel, ""}, {"pvc_regex", kindRegex, ""}}

// templates are the coordimap-agent's predefined rules, by provider and
// name, with its query strings, params and defaults.
var templates = map[string]map[string]*template{
	ProviderPrometheus: index(
		windowed("kubernetes_service_high_5xx", "5m", 1, serviceTarget, func(w string) string {
			return `sum(rate(istio_requests_total{response_code=~"5.."}[` + w + `])) by (destination_workload_namespace, destination_canonical_service)`
		}),
		windowed("kubernetes_deployment_high_5xx", "5m", 1, deploymentIstio, func(w string) string {
			return `sum(rate(istio_requests_total{response_code=~"5.."}[` + w + `])) by (destination_workload_namespace, destination_workload)`
		}),
		&template{
			name:   "kubernetes_service_high_latency",
			params: []param{{"window", kindDuration, "5m"}, {"quantile", kindFloat, 0.95}, {"threshold", kindFloat, 500.0}},
			target: serviceTarget,
			build: func(v values) built {
				w := v.s("window")
				return built{lookback: w, threshold: gt(v.f("threshold")),
					query: `histogram_quantile(` + promNum(v.f("quantile")) + `, sum(rate(istio_request_duration_milliseconds_bucket[` + w + `])) by (le, destination_workload_namespace, destination_canonical_service))`}
			},
		},
		windowed("kubernetes_pod_high_restart_rate", "10m", 3, podTarget, func(w string) string {
			return `sum(increase(kube_pod_container_status_restarts_total[` + w + `])) by (namespace, pod)`
		}),
		&template{
			name:   "kubernetes_pod_crashloop_or_imagepull_error",
			params: []param{{"lookback", kindDuration, "5m"}, {"reason_regex", kindRegex, "CrashLoopBackOff|ImagePullBackOff|ErrImagePull"}},
			target: podTarget,
			build: func(v values) built {
				l := v.s("lookback")
				return built{lookback: l, threshold: gt(0),
					query: `max by (namespace, pod) (max_over_time(kube_pod_container_status_waiting_reason{reason=~` + promStr(v.s("reason_regex")) + `}[` + l + `]))`}
			},
		},
		// The original's `(…)[5m]` is a range over an expression, which
		// PromQL rejects; a subquery `[5m:]` is what it meant.
		lookbackOnly("kubernetes_pod_not_ready", podTarget, func(l string) string {
			return `max by (namespace, pod) (max_over_time((1 - kube_pod_status_ready{condition="true"})[` + l + `:]))`
		}),
		thresholdOnly("kubernetes_deployment_unavailable_replicas", 0, deploymentTarget,
			`max by (namespace, deployment) (kube_deployment_status_replicas_unavailable)`),
		thresholdOnly("kubernetes_deployment_availability_gap", 1, deploymentTarget,
			`max by (namespace, deployment) (kube_deployment_spec_replicas - kube_deployment_status_replicas_available)`),
		windowed("kubernetes_pod_high_cpu_usage", "5m", 0.8, podTarget, func(w string) string {
			return `sum by (namespace, pod) (rate(container_cpu_usage_seconds_total` + containerSel + `[` + w + `]))`
		}),
		thresholdOnly("kubernetes_pod_high_memory_workingset", 1500000000, podTarget,
			`sum by (namespace, pod) (container_memory_working_set_bytes`+containerSel+`)`),
		windowed("kubernetes_pod_cpu_throttling_high", "5m", 0.2, podTarget, func(w string) string {
			return `sum by (namespace, pod) (rate(container_cpu_cfs_throttled_periods_total` + containerSel + `[` + w + `])) / clamp_min(sum by (namespace, pod) (rate(container_cpu_cfs_periods_total` + containerSel + `[` + w + `])), 1e-9)`
		}),
		&template{
			name:   "kubernetes_pod_oom_events",
			params: []param{{"window", kindDuration, "10m"}},
			target: podTarget,
			build: func(v values) built {
				w := v.s("window")
				return built{lookback: w, threshold: gt(0),
					query: `sum by (namespace, pod) (increase(container_oom_events_total{pod!=""}[` + w + `]))`}
			},
		},
		lookbackOnly("kubernetes_pod_unschedulable", podTarget, func(l string) string {
			return `max by (namespace, pod) (max_over_time(kube_pod_status_unschedulable[` + l + `]))`
		}),
		&template{
			name:   "kubernetes_pvc_low_free_space",
			params: pvcParams,
			target: pvcTarget,
			build: func(v values) built {
				return built{lookback: "5m", threshold: lt(v.f("threshold")), query: volumeRatio(pvcSelector(v))}
			},
		},
		&template{
			name: "kubernetes_pvc_free_space_burn_rate",
			params: []param{{"threshold", kindFloat, 0.10}, {"window", kindDuration, "6h"}, {"horizon_seconds", kindFloat, 86400.0},
				{"namespace", kindLabel, ""}, {"pvc_regex", kindRegex, ""}},
			target: pvcTarget,
			build: func(v values) built {
				w, sel := v.s("window"), pvcSelector(v)
				return built{lookback: w, threshold: lt(v.f("threshold")),
					query: `(predict_linear(kubelet_volume_stats_available_bytes` + sel + `[` + w + `], ` + promNum(v.f("horizon_seconds")) + `) / clamp_min(kubelet_volume_stats_capacity_bytes` + sel + `, 1))`}
			},
		},
		&template{
			name:   "kubernetes_inode_low_free",
			params: pvcParams,
			target: pvcTarget,
			build: func(v values) built {
				sel := pvcSelector(v)
				return built{lookback: "5m", threshold: lt(v.f("threshold")),
					query: `(kubelet_volume_stats_inodes_free` + sel + ` / clamp_min(kubelet_volume_stats_inodes` + sel + `, 1))`}
			},
		},
		&template{
			name:   "kubernetes_statefulset_pvc_low_free_space",
			params: []param{{"threshold", kindFloat, 0.10}, {"namespace", kindLabel, ""}, {"statefulset", kindLabel, ""}, {"volume_claim_prefix", kindLabel, ""}},
			target: pvcTarget,
			build: func(v values) built {
				var parts []string
				if ns := v.s("namespace"); ns != "" {
					parts = append(parts, "namespace="+promStr(ns))
				}
				if sts := v.s("statefulset"); sts != "" {
					// Names are literal text inside the regex (the original
					// pasted them in as regex syntax).
					prefix := ".*"
					if p := v.s("volume_claim_prefix"); p != "" {
						prefix = regexp.QuoteMeta(p)
					}
					parts = append(parts, "persistentvolumeclaim=~"+promStr(prefix+"-"+regexp.QuoteMeta(sts)+"-[0-9]+"))
				}
				sel := ""
				if len(parts) > 0 {
					sel = "{" + strings.Join(parts, ",") + "}"
				}
				return built{lookback: "5m", threshold: lt(v.f("threshold")), query: volumeRatio(sel)}
			},
		},
	),
	ProviderGCPMonitoring: index(
		&template{
			name:   "cloudsql_high_cpu",
			params: []param{{"lookback", kindDuration, "5m"}, {"threshold", kindFloat, 0.8}},
			target: cloudSQLTarget,
			build: func(v values) built {
				return built{lookback: v.s("lookback"), threshold: gt(v.f("threshold")),
					metricType: "cloudsql.googleapis.com/database/cpu/utilization"}
			},
		},
		&template{
			name: "cloudsql_high_connections",
			params: []param{{"lookback", kindDuration, "5m"}, {"threshold", kindFloat, 200.0},
				{"metric_type", kindString, "cloudsql.googleapis.com/database/network/connections"},
				{"alignment_period", kindPeriod, "300s"}, {"per_series_aligner", kindAligner, "ALIGN_MEAN"}},
			target: cloudSQLTarget,
			build: func(v values) built {
				return built{lookback: v.s("lookback"), threshold: gt(v.f("threshold")), metricType: v.s("metric_type"),
					alignmentPeriod: v.s("alignment_period"), perSeriesAligner: v.s("per_series_aligner")}
			},
		},
		&template{
			name: "vm_high_cpu",
			params: []param{{"lookback", kindDuration, "5m"}, {"threshold", kindFloat, 0.8},
				{"alignment_period", kindPeriod, "300s"}, {"per_series_aligner", kindAligner, "ALIGN_MEAN"}},
			target: vmTarget,
			build: func(v values) built {
				return built{lookback: v.s("lookback"), threshold: gt(v.f("threshold")),
					metricType:      "compute.googleapis.com/instance/cpu/utilization",
					alignmentPeriod: v.s("alignment_period"), perSeriesAligner: v.s("per_series_aligner")}
			},
		},
	),
}

// windowed is a template of params window and threshold, firing above it.
func windowed(name, window string, threshold float64, target Target, query func(window string) string) *template {
	return &template{
		name:   name,
		params: []param{{"window", kindDuration, window}, {"threshold", kindFloat, threshold}},
		target: target,
		build: func(v values) built {
			w := v.s("window")
			return built{lookback: w, threshold: gt(v.f("threshold")), query: query(w)}
		},
	}
}

// thresholdOnly is a template of one param, threshold, over a 5m window.
func thresholdOnly(name string, threshold float64, target Target, query string) *template {
	return &template{
		name:   name,
		params: []param{{"threshold", kindFloat, threshold}},
		target: target,
		build: func(v values) built {
			return built{lookback: "5m", threshold: gt(v.f("threshold")), query: query}
		},
	}
}

// lookbackOnly is a template of one param, lookback, firing above 0.
func lookbackOnly(name string, target Target, query func(lookback string) string) *template {
	return &template{
		name:   name,
		params: []param{{"lookback", kindDuration, "5m"}},
		target: target,
		build: func(v values) built {
			l := v.s("lookback")
			return built{lookback: l, threshold: gt(0), query: query(l)}
		},
	}
}

func index(ts ...*template) map[string]*template {
	m := make(map[string]*template, len(ts))
	for _, t := range ts {
		m[t.name] = t
	}
	return m
}

// TemplateNames lists a provider's templates, sorted.
func TemplateNames(provider string) []string { return sortedKeys(templates[provider]) }

// TemplateParam describes one param of a template (for docs and tests).
type TemplateParam struct {
	Name    string
	Kind    string
	Default any
}

// TemplateParams lists a template's params in order.
func TemplateParams(provider, name string) []TemplateParam {
	t, ok := templates[provider][name]
	if !ok {
		return nil
	}
	out := make([]TemplateParam, 0, len(t.params))
	for _, p := range t.params {
		out = append(out, TemplateParam{p.name, p.kind.String(), p.def})
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
