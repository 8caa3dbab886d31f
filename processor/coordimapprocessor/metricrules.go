package coordimapprocessor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"
	"google.golang.org/api/option"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
	"github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor/internal/metricrules"
)

// triggerPartition is the crawl_internal_id metric triggers travel under
// (the original agent sent them with none).
const triggerPartition = "coordimap.metric_trigger"

// ruleRunner evaluates the metric rules every evaluation_interval and sends
// their triggers to the next consumer, as records of the data source each
// rule names. It learns each data source's resource (scope, type, name)
// from the records passing through, and adds the data source's resolved
// rules to those resources (data_source_config.metric_rules on the wire).
type ruleRunner struct {
	set      processor.Settings
	cfg      *Config
	next     consumer.Logs
	table    *mapping.Table
	rules    []*metricrules.Resolved
	byDS     map[string]string // data source ID → its rules as JSON
	interval time.Duration
	// gcpOptions are extra client options (tests: an in-process server).
	gcpOptions []option.ClientOption
	now        func() time.Time

	mu      sync.Mutex
	sources map[string]*knownSource
	wake    chan struct{}

	engine *metricrules.Engine
	host   component.Host
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type knownSource struct {
	src      entity.Source
	cloudSQL map[string]string
}

func newRuleRunner(set processor.Settings, cfg *Config, table *mapping.Table, next consumer.Logs) (*ruleRunner, error) {
	resolved, err := metricrules.ResolveAll(cfg.MetricRules)
	if err != nil {
		return nil, err // Validate said so already
	}
	r := &ruleRunner{
		set: set, cfg: cfg, next: next, table: table, interval: cfg.EvaluationInterval,
		byDS: map[string]string{}, sources: map[string]*knownSource{}, wake: make(chan struct{}, 1),
		now: time.Now,
	}
	perDS := map[string][]*metricrules.Resolved{}
	for i := range resolved {
		rule := &resolved[i]
		perDS[rule.DataSource] = append(perDS[rule.DataSource], rule)
		if rule.IsEnabled() {
			r.rules = append(r.rules, rule)
		}
	}
	for ds, rules := range perDS {
		r.byDS[ds] = metricrules.WireRules(rules)
	}
	return r, nil
}

func (r *ruleRunner) start(ctx context.Context, host component.Host) error {
	if len(r.rules) == 0 {
		return nil
	}
	r.host = host
	evaluators := map[string]metricrules.Evaluator{}
	var prom, gcp bool
	for _, rule := range r.rules {
		prom = prom || rule.Provider == metricrules.ProviderPrometheus
		gcp = gcp || rule.Provider == metricrules.ProviderGCPMonitoring
	}
	timeout := defaultPrometheusTimeout
	if prom {
		pc := r.cfg.Prometheus
		client, err := pc.ClientConfig.ToClient(ctx, host.GetExtensions(), r.set.TelemetrySettings)
		if err != nil {
			return fmt.Errorf("prometheus: %w", err)
		}
		client.Transport = &authTransport{base: client.Transport, bearer: string(pc.BearerToken), user: pc.BasicAuth.Username, pass: string(pc.BasicAuth.Password)}
		// The query's own timeout is sent to the server; the client's
		// timeout is the context's (the engine's per-rule deadline).
		if pc.ClientConfig.Timeout > 0 {
			timeout = pc.ClientConfig.Timeout
		}
		client.Timeout = 0
		p, err := metricrules.NewPrometheus(pc.ClientConfig.Endpoint, client, timeout)
		if err != nil {
			return err
		}
		evaluators[metricrules.ProviderPrometheus] = p
	}
	if gcp {
		gc := r.cfg.GCPMonitoring
		g, err := metricrules.NewGCPMonitoring(context.Background(), gc.ProjectID, gc.CredentialsFile, gc.Endpoint, r.gcpOptions...)
		if err != nil {
			return err
		}
		evaluators[metricrules.ProviderGCPMonitoring] = g
		gt := gc.Timeout
		if gt == 0 {
			gt = defaultGCPTimeout
		}
		timeout = max(timeout, gt)
	}
	r.engine = metricrules.NewEngine(evaluators)
	// A little over the query timeout, so the server's answer to a
	// timed-out query arrives.
	r.engine.Timeout = timeout + 2*time.Second
	loopCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go r.loop(loopCtx)
	return nil
}

func (r *ruleRunner) shutdown() {
	if r == nil || r.cancel == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
}

// loop evaluates every interval, at once when a rule's data source is first
// seen, and retries the rules that failed with a backoff from 1 s to the
// interval.
func (r *ruleRunner) loop(ctx context.Context) {
	defer r.wg.Done()
	pending := r.rules
	backoff := time.Second
	timer := time.NewTimer(r.interval)
	defer timer.Stop()
	for {
		failed := r.cycle(ctx, pending)
		var wait time.Duration
		if len(failed) > 0 {
			pending, wait = failed, backoff
			backoff = min(2*backoff, r.interval)
		} else {
			pending, wait, backoff = r.rules, r.interval, time.Second
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-r.wake:
			pending = r.rules
			timer.Stop()
		}
	}
}

// cycle evaluates rules once and sends the triggers; it returns the rules
// that failed (their providers are reported through component status).
func (r *ruleRunner) cycle(ctx context.Context, rules []*metricrules.Resolved) []*metricrules.Resolved {
	at := r.now().UTC()
	out, failed, _ := r.engine.Cycle(ctx, rules, at, r.lookup)
	if ctx.Err() != nil {
		return nil
	}
	var retry []*metricrules.Resolved
	var providerErrs []error
	for _, f := range failed {
		var pe *metricrules.ProviderError
		if errors.As(f.Err, &pe) {
			providerErrs = append(providerErrs, f)
		}
		r.set.Logger.Warn("metric rule not evaluated", zap.String("rule", f.Rule.ID), zap.Error(f.Err))
		retry = append(retry, f.Rule)
	}
	if r.host != nil {
		if len(providerErrs) > 0 {
			componentstatus.ReportStatus(r.host, componentstatus.NewRecoverableErrorEvent(errors.Join(providerErrs...)))
		} else if len(failed) == 0 {
			componentstatus.ReportStatus(r.host, componentstatus.NewEvent(componentstatus.StatusOK))
		}
	}
	if len(out) > 0 {
		r.send(ctx, at, out)
	}
	return retry
}

// send delivers the triggers, one resource per data source.
func (r *ruleRunner) send(ctx context.Context, at time.Time, outs []metricrules.Output) {
	batches := map[string]*entity.Batch{}
	var order []string
	for _, o := range outs {
		ds := o.Rule.DataSource
		b, ok := batches[ds]
		if !ok {
			r.mu.Lock()
			src := r.sources[ds].src
			r.mu.Unlock()
			src.MetricRules = r.byDS[ds]
			b = entity.NewBatch(src)
			batches[ds] = b
			order = append(order, ds)
		}
		e := o.Entity
		e.Partition = triggerPartition
		// A trigger's ID names its minute, so every firing is a new element:
		// its report interval lets a local graph expire it after three
		// evaluation intervals (its history stays in the change feed)
		// instead of keeping one node per rule and minute for ever.
		e.ReportInterval = r.interval
		if err := b.AddState(at, e); err != nil {
			r.set.Logger.Warn("metric trigger not built", zap.String("rule", o.Rule.ID), zap.Error(err))
		}
	}
	for _, ds := range order {
		if err := r.next.ConsumeLogs(ctx, batches[ds].Logs()); err != nil {
			r.set.Logger.Warn("metric triggers not delivered", zap.String("data_source", ds), zap.Error(err))
		}
	}
}

func (r *ruleRunner) lookup(ds string) (*metricrules.Context, metricrules.DataSource, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k, ok := r.sources[ds]
	if !ok {
		return nil, metricrules.DataSource{}, false
	}
	cloudSQL := make(map[string]string, len(k.cloudSQL))
	for n, id := range k.cloudSQL {
		cloudSQL[n] = id
	}
	return &metricrules.Context{ScopeID: k.src.ScopeID, Mappings: r.table, CloudSQL: cloudSQL},
		metricrules.DataSource{ID: k.src.DataSourceID, Type: k.src.DataSourceType}, true
}

// observeResource learns a rule's data source from a resource passing
// through and marks the resource with the data source's rules.
func (r *ruleRunner) observeResource(res pcommon.Resource, dataSourceID string) bool {
	if r == nil {
		return false
	}
	rules, ok := r.byDS[dataSourceID]
	if !ok {
		return false
	}
	res.Attributes().PutStr(entity.AttrDataSourceMetricRules, rules)
	src := entity.ReadSource(res)
	r.mu.Lock()
	k, seen := r.sources[dataSourceID]
	if !seen {
		k = &knownSource{cloudSQL: map[string]string{}}
		r.sources[dataSourceID] = k
	}
	if src.ScopeID != "" || !seen {
		src.MetricRules = ""
		k.src = src
	}
	r.mu.Unlock()
	if !seen && r.cancel != nil {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// observeState indexes the Cloud SQL instances of a rule's data source by
// name (gcp_cloudsql needs their zone, which the metric lacks).
func (r *ruleRunner) observeState(rec entity.Record, dataSourceID string) {
	if rec.Type() != internalid.TypeGCPCloudSQL {
		return
	}
	id := rec.InternalID()
	_, name, ok := strings.Cut(id, "-"+internalid.TypeGCPCloudSQL+"-")
	if !ok || name == "" {
		return
	}
	r.mu.Lock()
	if k := r.sources[dataSourceID]; k != nil {
		k.cloudSQL[name] = id
	}
	r.mu.Unlock()
}

// authTransport adds the configured Authorization header.
type authTransport struct {
	base       http.RoundTripper
	bearer     string
	user, pass string
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.bearer == "" && t.user == "" {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	if t.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+t.bearer)
	} else {
		req.SetBasicAuth(t.user, t.pass)
	}
	return t.base.RoundTrip(req)
}
