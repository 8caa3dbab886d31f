package coordimapconnector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/storagehost"
)

// closeTimeout bounds the last save and the storage close at shutdown.
const closeTimeout = 10 * time.Second

// coordimapConnector is one configured connector, shared by its traces and
// metrics instances. The graph is guarded by mu; the flush loop and the
// consumers take it in turn.
type coordimapConnector struct {
	cfg     *Config
	set     connector.Settings
	next    consumer.Logs
	now     func() time.Time
	tel     *telemetry
	release func()

	mu    sync.Mutex
	graph *graph

	lifeMu  sync.Mutex
	started int
	bg      crawl.Background
	store   stateStore
}

func newConnector(set connector.Settings, cfg *Config, next consumer.Logs) (*coordimapConnector, error) {
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	dsid := cfg.DataSourceID
	if dsid == "" {
		dsid = set.ID.String()
	}
	return &coordimapConnector{
		cfg:   cfg,
		set:   set,
		next:  next,
		now:   time.Now,
		tel:   tel,
		graph: newGraph(cfg, dsid),
	}, nil
}

// Start opens the storage, loads the saved services and edges and starts
// the flush loop; the second instance (traces and metrics) only counts.
func (c *coordimapConnector) Start(ctx context.Context, host component.Host) error {
	c.lifeMu.Lock()
	defer c.lifeMu.Unlock()
	c.started++
	if c.started > 1 {
		return nil
	}
	if c.cfg.Storage != nil {
		sc, err := storagehost.Client(ctx, host, *c.cfg.Storage, component.KindConnector, c.set.ID)
		if err != nil {
			return err
		}
		c.store = stateStore{client: sc}
		saved, err := c.store.load(ctx)
		if err != nil {
			_ = c.store.close(ctx)
			return fmt.Errorf("%s: %w", c.set.ID, err)
		}
		c.mu.Lock()
		n := c.graph.restore(saved, c.now())
		c.mu.Unlock()
		c.set.Logger.Info("Restored services and edges from storage", zap.Int("services", n.services), zap.Int("edges", n.edges))
	}
	c.set.Logger.Info("Starting coordimap connector",
		zap.Duration("edge_ttl", c.cfg.EdgeTTL), zap.Duration("flush_interval", c.cfg.FlushInterval),
		zap.Int("store_max_items", c.cfg.Store.MaxItems))
	c.bg.Go(c.loop)
	return nil
}

// Shutdown stops the flush loop (the last instance to stop), emits and
// saves the state one last time and closes the storage. Safe without Start.
func (c *coordimapConnector) Shutdown(ctx context.Context) error {
	c.lifeMu.Lock()
	defer c.lifeMu.Unlock()
	if c.started > 0 {
		c.started--
	}
	if c.started > 0 {
		return nil
	}
	if c.release != nil {
		c.release()
	}
	if !c.bg.Stop() {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	err := c.flush(cctx)
	if cerr := c.store.close(cctx); cerr != nil && err == nil {
		err = cerr
	}
	c.set.Logger.Info("Stopped coordimap connector")
	return err
}

func (c *coordimapConnector) loop(ctx context.Context) {
	t := time.NewTicker(c.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.flush(ctx); err != nil {
				c.set.Logger.Warn("Flush failed", zap.Error(err))
			}
		}
	}
}

// flush emits every live service and edge, then saves them.
func (c *coordimapConnector) flush(ctx context.Context) error {
	c.mu.Lock()
	now := c.now()
	var st stats
	ld := c.graph.flush(now, &st)
	var saved []byte
	var err error
	if c.store.client != nil {
		saved, err = c.graph.save()
	}
	c.mu.Unlock()
	c.tel.record(ctx, st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	if ld.LogRecordCount() > 0 {
		if err := c.next.ConsumeLogs(ctx, ld); err != nil {
			return fmt.Errorf("emit: %w", err)
		}
	}
	if saved != nil {
		if err := c.store.save(ctx, saved); err != nil {
			return fmt.Errorf("save state: %w", err)
		}
	}
	return nil
}

func (c *coordimapConnector) consumeTraces(ctx context.Context, td ptrace.Traces) error {
	var st stats
	c.mu.Lock()
	c.graph.addTraces(td, c.now(), &st)
	c.mu.Unlock()
	c.tel.record(ctx, st)
	return nil
}

func (c *coordimapConnector) consumeMetrics(_ context.Context, md pmetric.Metrics) error {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, rm := range md.ResourceMetrics().All() {
		c.graph.service(rm.Resource(), now)
	}
	return nil
}

var consumerCapabilities = consumer.Capabilities{MutatesData: false}

// tracesConnector is the traces → logs instance.
type tracesConnector struct{ *coordimapConnector }

func (tracesConnector) Capabilities() consumer.Capabilities { return consumerCapabilities }

func (t tracesConnector) ConsumeTraces(ctx context.Context, td ptrace.Traces) error {
	return t.consumeTraces(ctx, td)
}

// metricsConnector is the metrics → logs instance: resources that only
// send metrics still become services with their infrastructure links.
type metricsConnector struct{ *coordimapConnector }

func (metricsConnector) Capabilities() consumer.Capabilities { return consumerCapabilities }

func (m metricsConnector) ConsumeMetrics(ctx context.Context, md pmetric.Metrics) error {
	return m.consumeMetrics(ctx, md)
}

var (
	_ connector.Traces  = tracesConnector{}
	_ connector.Metrics = metricsConnector{}
)
