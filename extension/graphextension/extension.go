package graphextension

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// GraphExtension is the running extension. Other components find it
// through the host (`graph: coordimap_graph`) and write entity records
// with WriteEntities, or read the store's change feed with Store.
type GraphExtension struct {
	cfg    *Config
	set    extension.Settings
	logger *zap.Logger

	mu     sync.RWMutex
	store  *graphstore.Store
	server *http.Server
	url    string

	cancel context.CancelFunc
	wg     sync.WaitGroup
	host   component.Host
	// machineIDPath is /etc/machine-id (a test's file in tests); the
	// collector's node links to its host's element once selfLinked. Both
	// are used by Start, then by the maintenance goroutine only.
	machineIDPath string
	selfLinked    bool
}

var _ extension.Extension = (*GraphExtension)(nil)

func newGraphExtension(cfg *Config, set extension.Settings) *GraphExtension {
	return &GraphExtension{cfg: cfg, set: set, logger: set.Logger, machineIDPath: "/etc/machine-id"}
}

func (g *GraphExtension) openStore(ctx context.Context) (*graphstore.Store, error) {
	opts := graphstore.Options{FlowTTL: g.cfg.FlowTTL, HistoryRetention: g.cfg.HistoryRetention, MaxChanges: g.cfg.MaxChanges}
	openCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch g.cfg.Backend {
	case BackendPostgres:
		return graphstore.OpenPostgres(openCtx, string(g.cfg.PostgreSQL.DSN), g.cfg.PostgreSQL.MaxConnections, opts)
	default:
		return graphstore.OpenSQLite(openCtx, g.cfg.SQLite.Path, opts)
	}
}

// Start opens the store and serves HTTP. A store that cannot be opened
// (a path that cannot be written, PostgreSQL refusing) fails the start.
func (g *GraphExtension) Start(ctx context.Context, host component.Host) error {
	store, err := g.openStore(ctx)
	if err != nil {
		return fmt.Errorf("coordimap_graph: %w", err)
	}
	if g.cfg.Backend == BackendSQLite {
		// The store holds the whole topology: owner only.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Chmod(g.cfg.SQLite.Path+suffix, 0o600)
		}
	}
	g.mu.Lock()
	g.store = store
	g.host = host
	g.mu.Unlock()
	links, final := g.selfLinks(ctx)
	if err := g.writeSelf(ctx, links); err != nil {
		g.logger.Warn("Cannot record the collector in the local graph", zap.Error(err))
	}
	g.selfLinked = final

	runCtx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	g.wg.Add(1)
	go g.maintain(runCtx)

	if g.cfg.ServerConfig.NetAddr.Endpoint != "" {
		if err := g.serve(ctx, host); err != nil {
			cancel()
			g.wg.Wait()
			store.Close()
			return fmt.Errorf("coordimap_graph: %w", err)
		}
	}
	return nil
}

func (g *GraphExtension) serve(ctx context.Context, host component.Host) error {
	ln, err := g.cfg.ServerConfig.ToListener(ctx)
	if err != nil {
		return fmt.Errorf("endpoint %s: %w", g.cfg.ServerConfig.NetAddr.Endpoint, err)
	}
	srv, err := g.cfg.ServerConfig.ToServer(ctx, host.GetExtensions(), g.set.TelemetrySettings, g.routes())
	if err != nil {
		ln.Close()
		return err
	}
	scheme := "http"
	if g.cfg.ServerConfig.TLS.HasValue() {
		scheme = "https"
	}
	g.url = scheme + "://" + displayAddr(ln.Addr()) + "/"
	g.server = srv
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fmt.Errorf("coordimap_graph: %w", err)))
		}
	}()
	g.logger.Info("Coordimap graph: open the map at "+g.url, zap.String("url", g.url), zap.String("backend", g.cfg.Backend))
	return nil
}

func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	if tcp.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	return tcp.String()
}

// URL is the map's address once started ("" before or without HTTP).
func (g *GraphExtension) URL() string { return g.url }

// maintain expires and prunes on an interval, reporting failures once per
// change of state.
func (g *GraphExtension) maintain(ctx context.Context) {
	defer g.wg.Done()
	t := time.NewTicker(g.cfg.MaintenanceInterval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			g.linkSelf(ctx)
			err := g.store.Maintain(ctx, now)
			switch {
			case err != nil && ctx.Err() == nil && err.Error() != lastErr:
				g.logger.Error("Local graph maintenance failed", zap.Error(err))
				componentstatus.ReportStatus(g.host, componentstatus.NewRecoverableErrorEvent(err))
				lastErr = err.Error()
			case err == nil && lastErr != "":
				componentstatus.ReportStatus(g.host, componentstatus.NewEvent(componentstatus.StatusOK))
				lastErr = ""
			}
		}
	}
}

// Shutdown stops HTTP and maintenance and closes the store; safe without
// Start.
func (g *GraphExtension) Shutdown(ctx context.Context) error {
	var errs []error
	if g.server != nil {
		errs = append(errs, g.server.Shutdown(ctx))
	}
	if g.cancel != nil {
		g.cancel()
	}
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.store != nil {
		errs = append(errs, g.store.Close())
		g.store = nil
	}
	return errors.Join(errs...)
}

// Store is the graph store, nil before Start and after Shutdown.
func (g *GraphExtension) Store() *graphstore.Store {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.store
}

// errNotStarted is returned by writes before Start.
var errNotStarted = errors.New("coordimap_graph: not started")

// WriteEntities merges entity records (the coordimap exporter's input)
// into the store.
func (g *GraphExtension) WriteEntities(ctx context.Context, ld plog.Logs) error {
	s := g.Store()
	if s == nil {
		return errNotStarted
	}
	return s.Apply(ctx, graphstore.FromLogs(ld))
}

// Write applies a batch (the ingest endpoint).
func (g *GraphExtension) Write(ctx context.Context, b graphstore.Batch) error {
	s := g.Store()
	if s == nil {
		return errNotStarted
	}
	return s.Apply(ctx, b)
}
