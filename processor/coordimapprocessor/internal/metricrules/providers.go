package metricrules

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"google.golang.org/api/googleapi"
	monitoring "google.golang.org/api/monitoring/v3"
	"google.golang.org/api/option"
)

// Evaluator runs one rule's query and returns its series.
type Evaluator interface {
	Evaluate(ctx context.Context, r *Resolved, at time.Time) ([]Sample, error)
}

// Prometheus evaluates PromQL with instant queries (/api/v1/query).
type Prometheus struct {
	api     promv1.API
	timeout time.Duration
}

// NewPrometheus uses client (auth, TLS and headers already applied) for
// endpoint. timeout bounds each query, on the server too.
func NewPrometheus(endpoint string, client *http.Client, timeout time.Duration) (*Prometheus, error) {
	c, err := api.NewClient(api.Config{Address: endpoint, Client: client})
	if err != nil {
		return nil, fmt.Errorf("prometheus client: %w", err)
	}
	return &Prometheus{api: promv1.NewAPI(c), timeout: timeout}, nil
}

// Evaluate runs the rule's query at at. A scalar or string answer has no
// labels to name a target with and gives no sample.
func (p *Prometheus) Evaluate(ctx context.Context, r *Resolved, at time.Time) ([]Sample, error) {
	var opts []promv1.Option
	if p.timeout > 0 {
		opts = append(opts, promv1.WithTimeout(p.timeout))
	}
	v, _, _, err := p.api.Query(ctx, r.Query, at, opts...)
	if err != nil {
		return nil, &ProviderError{Provider: ProviderPrometheus, Err: err}
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, nil
	}
	out := make([]Sample, 0, len(vec))
	for _, s := range vec {
		labels := make(map[string]string, len(s.Metric))
		for k, val := range s.Metric {
			labels[string(k)] = string(val)
		}
		out = append(out, Sample{Value: float64(s.Value), Labels: labels})
	}
	return out, nil
}

// ProviderError is a failure to reach or query a provider, as opposed to a
// rule that matched nothing.
type ProviderError struct {
	Provider string
	Err      error
}

func (e *ProviderError) Error() string { return e.Provider + ": " + e.Err.Error() }
func (e *ProviderError) Unwrap() error { return e.Err }

// GCPMonitoring evaluates rules with projects.timeSeries.list.
type GCPMonitoring struct {
	svc       *monitoring.Service
	projectID string
	// retries is how many times a 429 or 503 answer is retried (with
	// backoff, within the context's deadline).
	retries int
	backoff time.Duration
}

// NewGCPMonitoring builds the REST client: credentials from credentialsFile
// or Application Default Credentials, endpoint when not empty.
func NewGCPMonitoring(ctx context.Context, projectID, credentialsFile, endpoint string, extra ...option.ClientOption) (*GCPMonitoring, error) {
	opts := []option.ClientOption{option.WithUserAgent("otelcol-coordimap")}
	if credentialsFile != "" {
		opts = append(opts, option.WithAuthCredentialsFile(option.ServiceAccount, credentialsFile))
	}
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	opts = append(opts, extra...)
	svc, err := monitoring.NewService(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("cloud monitoring client: %w", err)
	}
	return &GCPMonitoring{svc: svc, projectID: projectID, retries: 3, backoff: time.Second}, nil
}

// Evaluate lists the series of the rule's filter over [at-lookback, at],
// every page, and takes each series' newest point.
func (g *GCPMonitoring) Evaluate(ctx context.Context, r *Resolved, at time.Time) ([]Sample, error) {
	filter := strings.TrimSpace(r.Filter)
	if filter == "" {
		filter = `metric.type=` + strconv.Quote(strings.TrimSpace(r.MetricType))
	}
	var out []Sample
	for attempt := 0; ; attempt++ {
		out = out[:0]
		call := g.svc.Projects.TimeSeries.List("projects/" + g.projectID).
			Filter(filter).
			IntervalStartTime(at.UTC().Add(-r.LookbackDuration()).Format(time.RFC3339Nano)).
			IntervalEndTime(at.UTC().Format(time.RFC3339Nano))
		if r.AlignmentPeriod != "" {
			call = call.AggregationAlignmentPeriod(r.AlignmentPeriod)
		}
		if r.PerSeriesAligner != "" {
			call = call.AggregationPerSeriesAligner(r.PerSeriesAligner)
		}
		if r.CrossSeriesReducer != "" {
			call = call.AggregationCrossSeriesReducer(r.CrossSeriesReducer)
		}
		if len(r.GroupByFields) > 0 {
			call = call.AggregationGroupByFields(r.GroupByFields...)
		}
		err := call.Pages(ctx, func(resp *monitoring.ListTimeSeriesResponse) error {
			for _, ts := range resp.TimeSeries {
				v, ok := newestPoint(ts)
				if !ok {
					continue
				}
				s := Sample{Value: v, Labels: map[string]string{}, ResourceLabels: map[string]string{}}
				if ts.Metric != nil {
					for k, val := range ts.Metric.Labels {
						s.Labels[k] = val
					}
				}
				if ts.Resource != nil {
					for k, val := range ts.Resource.Labels {
						s.ResourceLabels[k] = val
					}
				}
				out = append(out, s)
			}
			return nil
		})
		if err == nil {
			return out, nil
		}
		var ge *googleapi.Error
		retryable := errors.As(err, &ge) && (ge.Code == http.StatusTooManyRequests || ge.Code == http.StatusServiceUnavailable)
		if !retryable || attempt >= g.retries {
			return nil, &ProviderError{Provider: ProviderGCPMonitoring, Err: err}
		}
		wait := g.backoff << attempt
		if ge != nil {
			if s, err := strconv.Atoi(ge.Header.Get("Retry-After")); err == nil && s >= 0 {
				wait = time.Duration(s) * time.Second
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &ProviderError{Provider: ProviderGCPMonitoring, Err: errors.Join(err, ctx.Err())}
		case <-t.C:
		}
	}
}

// newestPoint is the value of the point with the latest end time (the API
// lists points newest first; the original agent took the first).
func newestPoint(ts *monitoring.TimeSeries) (float64, bool) {
	var best *monitoring.Point
	var bestEnd time.Time
	for _, p := range ts.Points {
		if p == nil || p.Value == nil {
			continue
		}
		var end time.Time
		if p.Interval != nil {
			end, _ = time.Parse(time.RFC3339Nano, p.Interval.EndTime)
		}
		if best == nil || end.After(bestEnd) {
			best, bestEnd = p, end
		}
	}
	if best == nil {
		return 0, false
	}
	v := best.Value
	switch {
	case v.Int64Value != nil:
		return float64(*v.Int64Value), true
	case v.BoolValue != nil:
		if *v.BoolValue {
			return 1, true
		}
		return 0, true
	case v.DoubleValue != nil:
		return *v.DoubleValue, true
	case v.StringValue != nil:
		f, err := strconv.ParseFloat(*v.StringValue, 64)
		return f, err == nil
	}
	return 0, false
}
