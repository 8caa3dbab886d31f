package coordimapexporter

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
	"github.com/coordimap/otelcol-coordimap/internal/loopback"
)

// apiExporter converts entity records into Coordimap requests and posts
// them; exporterhelper wraps it with the queue and retries.
type apiExporter struct {
	cfg       *Config
	settings  exporter.Settings
	logger    *zap.Logger
	now       func() time.Time
	sender    *sender
	userAgent string

	// sent remembers, in incremental mode, the hash and time each element
	// was last delivered with. Deletes prune it, but edges are never
	// deleted: entries older than full_resync_period (which would be sent
	// again anyway) are swept once per period, so it holds what was sent
	// within two periods at most.
	mu        sync.Mutex
	sent      map[sentKey]sentState
	lastSweep time.Time
}

type sentKey struct{ dataSourceID, id string }

type sentState struct {
	hash [32]byte
	at   time.Time
}

func newAPIExporter(cfg *Config, set exporter.Settings) *apiExporter {
	return &apiExporter{
		cfg:       cfg,
		settings:  set,
		logger:    set.Logger,
		now:       time.Now,
		sent:      map[sentKey]sentState{},
		userAgent: "otelcol-coordimap/" + set.BuildInfo.Version,
	}
}

// start builds the HTTP client (extensions such as auth are known only now).
func (e *apiExporter) start(ctx context.Context, host component.Host) error {
	client, err := e.cfg.ClientConfig.ToClient(ctx, host.GetExtensions(), e.settings.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("coordimap exporter: http client: %w", err)
	}
	if u, err := url.Parse(e.cfg.ClientConfig.Endpoint); err == nil && u.Scheme == "http" && !loopback.Is(u.Hostname()) {
		e.logger.Warn("The endpoint is plain HTTP: the api_key and the whole graph cross the network in clear; use https",
			zap.String("endpoint", u.Redacted()))
	}
	e.sender = &sender{
		client:    client,
		endpoint:  e.cfg.ClientConfig.Endpoint,
		apiKey:    string(e.cfg.APIKey),
		userAgent: e.userAgent,
	}
	return nil
}

// push sends one batch of entity records: one or more requests per
// (data source, crawl_internal_id) partition. A retryable failure makes
// exporterhelper retry the whole batch; requests already accepted are sent
// again, which the API takes as the same upsert.
func (e *apiExporter) push(ctx context.Context, ld plog.Logs) error {
	if e.sender == nil {
		return consumererror.NewPermanent(errors.New("coordimap exporter: not started"))
	}
	conv := convert(ld)
	if conv.skipped > 0 {
		e.logger.Debug("Records that cannot become Coordimap elements were skipped", zap.Int("count", conv.skipped))
	}
	now := e.now()
	e.forget(conv.deleted)

	var errs []error
	permanent := true
	for _, key := range conv.order {
		p := conv.partitions[key]
		elems := e.toSend(p, now)
		if len(elems) == 0 {
			continue
		}
		env := newEnvelope(p.source, p.name, now)
		var failed error
		for _, body := range encodeRequests(env, elems, e.cfg.MaxRequestBytes) {
			if err := e.sender.send(ctx, body); err != nil {
				failed = fmt.Errorf("data source %q, crawl_internal_id %q: %w", p.source.DataSourceID, p.name, err)
				break
			}
		}
		if failed != nil {
			errs = append(errs, failed)
			if !consumererror.IsPermanent(failed) {
				permanent = false
			}
			continue
		}
		e.remember(p.source.DataSourceID, elems, now)
	}
	if len(errs) == 0 {
		return nil
	}
	err := errors.Join(errs...)
	if permanent {
		return consumererror.NewPermanent(err)
	}
	return err
}

// toSend is every element, or in incremental mode those whose hash changed
// or that were last sent more than full_resync_period ago.
func (e *apiExporter) toSend(p *partition, now time.Time) []*element {
	if !e.cfg.Incremental {
		return p.elems
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*element, 0, len(p.elems))
	for _, el := range p.elems {
		st, ok := e.sent[sentKey{p.source.DataSourceID, el.id}]
		if ok && st.hash == el.hash && now.Sub(st.at) < e.cfg.FullResyncPeriod {
			continue
		}
		out = append(out, el)
	}
	return out
}

func (e *apiExporter) remember(dataSourceID string, elems []*element, now time.Time) {
	if !e.cfg.Incremental {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if now.Sub(e.lastSweep) >= e.cfg.FullResyncPeriod {
		e.lastSweep = now
		for k, st := range e.sent {
			if now.Sub(st.at) >= e.cfg.FullResyncPeriod {
				delete(e.sent, k)
			}
		}
	}
	for _, el := range elems {
		e.sent[sentKey{dataSourceID, el.id}] = sentState{hash: el.hash, at: now}
	}
}

// forget drops deleted entities from the incremental state, so one that
// comes back is sent again at once.
func (e *apiExporter) forget(deleted map[string][]string) {
	if !e.cfg.Incremental || len(deleted) == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for ds, ids := range deleted {
		for _, id := range ids {
			delete(e.sent, sentKey{ds, id})
		}
	}
}

// logsExporter is the component: the local graph is updated as records
// arrive, before the API's queue, so it stays current while the API is
// unreachable.
type logsExporter struct {
	api   exporter.Logs // nil without api_key
	graph *graphStore   // nil without graph_file, or with graph
	// graphID names the coordimap_graph extension; store is it, found at
	// Start.
	graphID   *component.ID
	store     graphWriter
	graphFile string
	storeErr  errorOnce
	logger    *zap.Logger
	flush     time.Duration
	now       func() time.Time

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var _ exporter.Logs = (*logsExporter)(nil)

// graphWriter is what the exporter needs of the coordimap_graph extension.
type graphWriter interface {
	WriteEntities(context.Context, plog.Logs) error
	Store() *graphstore.Store
}

func (l *logsExporter) Start(ctx context.Context, host component.Host) error {
	if l.graphID != nil {
		ext, ok := host.GetExtensions()[*l.graphID]
		if !ok {
			return fmt.Errorf("coordimap exporter: graph: extension %q is not configured (add it under extensions and service.extensions)", l.graphID)
		}
		gw, ok := ext.(graphWriter)
		if !ok {
			return fmt.Errorf("coordimap exporter: graph: %q is not a coordimap_graph extension", l.graphID)
		}
		l.store = gw
		if l.graphFile != "" {
			runCtx, cancel := context.WithCancel(context.Background())
			l.cancel = cancel
			l.wg.Add(1)
			go l.flushLoop(runCtx)
		}
	}
	if l.graph != nil {
		if err := l.graph.load(); err != nil {
			// A damaged file must not stop the collector; it is rewritten.
			l.logger.Warn("Starting with an empty local graph", zap.Error(err))
		}
		runCtx, cancel := context.WithCancel(context.Background())
		l.cancel = cancel
		l.wg.Add(1)
		go l.flushLoop(runCtx)
	}
	if l.api != nil {
		return l.api.Start(ctx, host)
	}
	return nil
}

func (l *logsExporter) flushLoop(ctx context.Context) {
	defer l.wg.Done()
	t := time.NewTicker(l.flush)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := l.flushGraph(ctx)
			switch {
			case err != nil && err.Error() != lastErr:
				l.logger.Error("Cannot write the local graph", zap.Error(err))
				lastErr = err.Error()
			case err == nil && lastErr != "":
				l.logger.Info("Local graph written again")
				lastErr = ""
			}
		}
	}
}

func (l *logsExporter) Shutdown(ctx context.Context) error {
	var errs []error
	if l.api != nil {
		errs = append(errs, l.api.Shutdown(ctx))
	}
	if l.cancel != nil {
		l.cancel()
		l.wg.Wait()
		errs = append(errs, l.flushGraph(ctx))
	}
	return errors.Join(errs...)
}

// flushGraph writes the graph file: from the extension's store when there
// is one, else from the exporter's own graph.
func (l *logsExporter) flushGraph(ctx context.Context) error {
	if l.store == nil {
		return l.graph.flush(l.now())
	}
	s := l.store.Store()
	if s == nil {
		return nil // the extension has shut down first
	}
	return exportGraphFile(ctx, s, l.graphFile, l.now())
}

func (l *logsExporter) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (l *logsExporter) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if l.store != nil {
		// A store that fails (a full disk) must not hold up the API.
		err := l.store.WriteEntities(ctx, ld)
		l.storeErr.log(l.logger, "Cannot write the local graph", err)
	}
	if l.graph != nil {
		l.graph.apply(ld)
	}
	if l.api != nil {
		return l.api.ConsumeLogs(ctx, ld)
	}
	return nil
}

// errorOnce logs an error when it differs from the last one, and once when
// errors stop.
type errorOnce struct {
	mu   sync.Mutex
	last string
}

func (e *errorOnce) log(logger *zap.Logger, msg string, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case err != nil && err.Error() != e.last:
		logger.Error(msg, zap.Error(err))
		e.last = err.Error()
	case err == nil && e.last != "":
		logger.Info(msg + ": recovered")
		e.last = ""
	}
}

// sentLen is the number of elements the incremental state remembers.
func (e *apiExporter) sentLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sent)
}
