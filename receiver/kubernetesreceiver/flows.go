package kubernetesreceiver

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/confighttp"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Relationship types of the flows read from Prometheus (wire codes 103
// and 102).
const (
	relIstioFlow  = "kubernetes_istio_flow"
	relRetinaFlow = "kubernetes_retina_flow"
)

const (
	defaultFlowsInterval = time.Minute
	// maxFlowsWindow bounds the window after a long outage.
	maxFlowsWindow = time.Hour
)

// PrometheusConfig is the Prometheus server Istio and Retina flows are
// read from (the coordimap-agent's prometheus_host and retina_prometheus).
type PrometheusConfig struct {
	// ClientConfig holds endpoint, tls, headers, timeout, auth.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// IstioFlows reads istio_requests_total into kubernetes_istio_flow
	// edges, service → service and deployment → deployment.
	IstioFlows bool `mapstructure:"istio_flows"`
	// RetinaFlows reads Retina's networkobservability_adv_forward_bytes
	// into kubernetes_retina_flow edges, pod → pod.
	RetinaFlows bool `mapstructure:"retina_flows"`
	// Interval is how often the flows are read; each read covers the time
	// since the last one that succeeded, so no traffic falls in a gap.
	Interval time.Duration `mapstructure:"interval"`

	_ struct{}
}

func (p *PrometheusConfig) enabled() bool {
	return p.ClientConfig.Endpoint != "" && (p.IstioFlows || p.RetinaFlows)
}

func (p *PrometheusConfig) validate() []error {
	var errs []error
	if p.ClientConfig.Endpoint == "" && (p.IstioFlows || p.RetinaFlows) {
		errs = append(errs, errors.New("prometheus.endpoint: required by istio_flows and retina_flows"))
	}
	if p.ClientConfig.Endpoint != "" && !p.IstioFlows && !p.RetinaFlows {
		errs = append(errs, errors.New("prometheus: set istio_flows or retina_flows (or remove the endpoint)"))
	}
	if p.Interval < time.Second {
		errs = append(errs, errors.New("prometheus.interval: must be at least 1s"))
	}
	return errs
}

// The flow queries: the increase over the window, by the ends' labels. A
// request counted by both Istio reporters (client and server sidecar) is
// taken once (the larger of the two), one seen by only one of them still
// counts.
const (
	istioLabels    = "source_workload_namespace, source_workload, source_canonical_service, destination_workload_namespace, destination_workload, destination_canonical_service"
	istioRequests  = `max by (` + istioLabels + `) (sum by (` + istioLabels + `, reporter) (increase(istio_requests_total[%s])))`
	istioErrors    = `max by (` + istioLabels + `) (sum by (` + istioLabels + `, reporter) (increase(istio_requests_total{response_code=~"5.."}[%s])))`
	retinaLabels   = "source_namespace, source_podname, destination_namespace, destination_podname"
	retinaForwards = `sum by (` + retinaLabels + `) (increase(networkobservability_adv_forward_bytes{source_namespace!="unknown",destination_namespace!="unknown"}[%s]))`
)

// flowReader reads the flows of one window.
type flowReader struct {
	api     promv1.API
	cfg     *PrometheusConfig
	scopeID string
	timeout time.Duration
}

func newFlowReader(ctx context.Context, cfg *PrometheusConfig, host component.Host, set component.TelemetrySettings, scopeID string) (*flowReader, error) {
	client, err := cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), set)
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	timeout := cfg.ClientConfig.Timeout
	client.Timeout = 0
	c, err := api.NewClient(api.Config{Address: cfg.ClientConfig.Endpoint, Client: client})
	if err != nil {
		return nil, fmt.Errorf("prometheus: %w", err)
	}
	return &flowReader{api: promv1.NewAPI(c), cfg: cfg, scopeID: scopeID, timeout: timeout}, nil
}

func (f *flowReader) query(ctx context.Context, q string, at time.Time) (model.Vector, error) {
	var opts []promv1.Option
	if f.timeout > 0 {
		opts = append(opts, promv1.WithTimeout(f.timeout))
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout+2*time.Second)
		defer cancel()
	}
	v, _, _, err := f.api.Query(ctx, q, at, opts...)
	if err != nil {
		return nil, fmt.Errorf("prometheus query %q: %w", q, err)
	}
	vec, _ := v.(model.Vector)
	return vec, nil
}

// promRange is d as a PromQL range in whole seconds, rounded up.
func promRange(d time.Duration) string {
	return fmt.Sprintf("%ds", int64(math.Ceil(d.Seconds())))
}

// read returns the flows of (from, to].
func (f *flowReader) read(ctx context.Context, from, to time.Time) ([]entity.Observation, error) {
	window := promRange(to.Sub(from))
	var out []entity.Observation
	if f.cfg.IstioFlows {
		reqs, err := f.query(ctx, fmt.Sprintf(istioRequests, window), to)
		if err != nil {
			return nil, err
		}
		errs, err := f.query(ctx, fmt.Sprintf(istioErrors, window), to)
		if err != nil {
			return nil, err
		}
		out = append(out, f.istio(reqs, errs, from, to)...)
	}
	if f.cfg.RetinaFlows {
		fwd, err := f.query(ctx, fmt.Sprintf(retinaForwards, window), to)
		if err != nil {
			return nil, err
		}
		out = append(out, f.retina(fwd, from, to)...)
	}
	return out, nil
}

func known(vs ...model.LabelValue) bool {
	for _, v := range vs {
		if v == "" || v == "unknown" {
			return false
		}
	}
	return true
}

func (f *flowReader) istio(reqs, errs model.Vector, from, to time.Time) []entity.Observation {
	failed := make(map[model.Fingerprint]float64, len(errs))
	for _, s := range errs {
		failed[s.Metric.Fingerprint()] = float64(s.Value)
	}
	type pair struct{ src, dst string }
	totals := map[pair]*entity.Observation{}
	var order []pair
	add := func(typ, srcNS, src, dstNS, dst string, n, nErr float64) {
		p := pair{internalid.Kubernetes(f.scopeID, srcNS, typ, src), internalid.Kubernetes(f.scopeID, dstNS, typ, dst)}
		o, ok := totals[p]
		if !ok {
			o = &entity.Observation{Type: relIstioFlow, SourceID: p.src, DestinationID: p.dst,
				Partition: srcNS + ".kubernetes.namespace", FirstSeen: from, LastSeen: to,
				Attributes: map[string]any{}}
			totals[p] = o
			order = append(order, p)
		}
		o.Attributes["requests"] = asFloat(o.Attributes["requests"]) + n
		o.Attributes["errors"] = asFloat(o.Attributes["errors"]) + nErr
	}
	for _, s := range reqs {
		m := s.Metric
		n := float64(s.Value)
		if n <= 0 || math.IsNaN(n) || math.IsInf(n, 0) {
			continue
		}
		nErr := failed[m.Fingerprint()]
		srcNS, dstNS := string(m["source_workload_namespace"]), string(m["destination_workload_namespace"])
		if known(m["source_workload_namespace"], m["destination_workload_namespace"], m["source_canonical_service"], m["destination_canonical_service"]) {
			add(typeService, srcNS, string(m["source_canonical_service"]), dstNS, string(m["destination_canonical_service"]), n, nErr)
		}
		if known(m["source_workload_namespace"], m["destination_workload_namespace"], m["source_workload"], m["destination_workload"]) {
			add(typeDeployment, srcNS, string(m["source_workload"]), dstNS, string(m["destination_workload"]), n, nErr)
		}
	}
	secs := to.Sub(from).Seconds()
	out := make([]entity.Observation, 0, len(order))
	for _, p := range order {
		o := totals[p]
		n, nErr := asFloat(o.Attributes["requests"]), asFloat(o.Attributes["errors"])
		o.Connections = int64(math.Round(n))
		o.FailedConnections = int64(math.Round(nErr))
		o.Attributes["request_rate"] = n / secs
		o.Attributes["error_rate"] = nErr / secs
		out = append(out, *o)
	}
	return out
}

func asFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

func (f *flowReader) retina(fwd model.Vector, from, to time.Time) []entity.Observation {
	out := make([]entity.Observation, 0, len(fwd))
	for _, s := range fwd {
		m := s.Metric
		b := float64(s.Value)
		if b <= 0 || math.IsNaN(b) || math.IsInf(b, 0) ||
			!known(m["source_namespace"], m["source_podname"], m["destination_namespace"], m["destination_podname"]) {
			continue
		}
		srcNS := string(m["source_namespace"])
		out = append(out, entity.Observation{
			Type:          relRetinaFlow,
			SourceID:      internalid.Kubernetes(f.scopeID, srcNS, typePod, string(m["source_podname"])),
			DestinationID: internalid.Kubernetes(f.scopeID, string(m["destination_namespace"]), typePod, string(m["destination_podname"])),
			Partition:     srcNS + ".kubernetes.namespace",
			BytesSent:     int64(math.Round(b)),
			FirstSeen:     from,
			LastSeen:      to,
			Attributes:    map[string]any{"bytes_rate": b / to.Sub(from).Seconds()},
		})
	}
	return out
}

// flowsLoop reads the flows every interval and sends them as
// coordimap.relationship records of the data source. A read that fails
// leaves the window open: the next one covers it too (up to an hour).
func (r *k8sReceiver) flowsLoop(ctx context.Context, f *flowReader) {
	interval := r.cfg.Prometheus.Interval
	last := time.Now().Add(-interval)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		now := time.Now()
		if now.Sub(last) > maxFlowsWindow {
			last = now.Add(-maxFlowsWindow)
		}
		obs, err := f.read(ctx, last, now)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			r.set.Logger.Warn("Flows not read from Prometheus; the next read covers this window too", zap.Error(err))
		default:
			last = now
			if len(obs) > 0 {
				b := entity.NewBatch(r.source)
				for _, o := range obs {
					if err := b.AddObservation(now, o); err != nil {
						r.set.Logger.Warn("flow not recorded", zap.Error(err))
					}
				}
				if err := r.next.ConsumeLogs(ctx, b.Logs()); err != nil {
					r.set.Logger.Warn("flows not delivered", zap.Error(err))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
