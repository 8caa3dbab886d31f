package flowsreceiver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

const dataSourceType = "flows"

// flowsReceiver is one coordimap_flows instance: one set of BPF programs,
// shared by its logs and metrics pipelines (see factory.go).
type flowsReceiver struct {
	cfg *Config
	set receiver.Settings
	// logs and metrics are the next consumers; either may be nil.
	logs    consumer.Logs
	metrics consumer.Metrics

	// What tests change before Start.
	procRoot      string // "/proc"
	btfPath       string // "/sys/kernel/btf/vmlinux"
	machineIDPath string // "/etc/machine-id"
	// hostRoot is where the host's /run and /var are: container runtimes'
	// metadata and the named network namespaces ("/").
	hostRoot string
	// ifaceNetnsPath is the network namespace interface_name is looked up
	// in ("" is the collector's).
	ifaceNetnsPath string
	forceRawTP     bool
	newKube        func() (kubeClient, error)

	dataSourceID string
	statusHost   component.Host
	bg           crawl.Background

	// mu serialises collections; what follows belongs to them.
	mu     sync.Mutex
	tracer *tracer
	kube   *kubeView
	scope  string
	host   *host
	procs  *procCache
	edges  *edges
	// seen holds the entities of the last batch, for deletes.
	seen entity.Set
	// stats holds the kernel's "map full" counters at the last warning.
	stats kernelStats
	// health logs and reports collections once per change; waiting is
	// set once the wait for the Kubernetes caches was logged.
	health  crawl.Health
	waiting bool
}

func newReceiver(cfg *Config, set receiver.Settings) *flowsReceiver {
	r := &flowsReceiver{
		cfg:           cfg,
		set:           set,
		procRoot:      "/proc",
		btfPath:       "/sys/kernel/btf/vmlinux",
		machineIDPath: "/etc/machine-id",
		hostRoot:      "/",
		newKube:       newKubeClient,
		dataSourceID:  cfg.DataSourceID,
		edges:         newEdges(),
		seen:          entity.Set{},
		health:        crawl.Health{Source: "eBPF flows", ID: set.ID, Logger: set.Logger},
	}
	if r.dataSourceID == "" {
		r.dataSourceID = set.ID.String()
	}
	return r
}

// Start loads and attaches the BPF programs and starts the collection
// loop. A configuration error (an interface_name that names no device, no
// scope_id where the machine ID cannot be read, no Kubernetes
// configuration) fails Start. Without the privileges, BTF or kernel
// support the programs need, Start reports a permanent error status naming
// what is missing and returns nil: the rest of the collector runs.
func (r *flowsReceiver) Start(_ context.Context, host component.Host) error {
	r.statusHost = host
	r.health.Start(host)
	if err := r.setup(); err != nil {
		var unsupported *unsupportedError
		if !errors.As(err, &unsupported) {
			return fmt.Errorf("%s: %w", r.set.ID, err)
		}
		err = fmt.Errorf("%s: eBPF flows disabled: %w", r.set.ID, err)
		r.set.Logger.Error("Cannot trace TCP flows; the rest of the collector runs", zap.Error(err))
		componentstatus.ReportStatus(host, componentstatus.NewPermanentErrorEvent(err))
		return nil
	}
	r.bg.Go(func(ctx context.Context) {
		if r.kube != nil {
			r.kube.start(ctx)
		}
		crawl.Loop{Interval: r.cfg.CollectionInterval}.Run(ctx, r.collect, r.report)
	})
	return nil
}

// unsupportedError is a setup failure that no configuration fixes: missing
// privileges, BTF or kernel support.
type unsupportedError struct{ err error }

func (e *unsupportedError) Error() string { return e.err.Error() }
func (e *unsupportedError) Unwrap() error { return e.err }

// setup does what Start needs before the loop: scope, host, programs,
// Kubernetes client.
func (r *flowsReceiver) setup() error {
	fs := procFS{root: r.procRoot}
	r.procs = newProcCache(fs, r.hostRoot)
	if err := r.setupScope(); err != nil {
		return err
	}
	var client kubeClient
	if r.cfg.DeployedAt == DeployedAtKubernetes {
		var err error
		if client, err = r.newKube(); err != nil {
			return fmt.Errorf("kubernetes: %w", err)
		}
	}
	opts := tracerOptions{btfPath: r.btfPath, forceRawTP: r.forceRawTP}
	if r.cfg.InterfaceName != InterfaceAll {
		ifindex, netns, err := resolveInterface(r.cfg.InterfaceName, r.ifaceNetnsPath)
		if err != nil {
			return fmt.Errorf("interface_name: %w", err)
		}
		opts.filterIfindex, opts.filterNetns = ifindex, netns
	}
	t, err := loadTracer(opts)
	if err != nil {
		return &unsupportedError{err}
	}
	r.tracer = t
	// Sockets that were listening before the programs were attached.
	ls, err := fs.scanListeners()
	if err == nil {
		err = t.addListeners(ls)
	}
	if err != nil {
		r.set.Logger.Warn("Cannot read the listening sockets that existed before start; their connections are attributed to the host", zap.Error(err))
	}
	if client != nil {
		w := kubeWatch{}
		if r.cfg.LocalPodsOnly {
			w.node = r.cfg.NodeName
			if w.node == "" {
				w.node = r.host.name
			}
		}
		r.kube = newKubeView(client, r.scope, r.procs, r.set.Logger, w)
	}
	fields := []zap.Field{
		zap.String("deployed_at", r.cfg.DeployedAt), zap.String("interface_name", r.cfg.InterfaceName),
		zap.String("attachment", t.mode), zap.String("scope_id", r.scope),
		zap.Int("listeners_found", len(ls)), zap.Duration("collection_interval", r.cfg.CollectionInterval),
	}
	if t.fallbackReason != nil {
		fields = append(fields, zap.NamedError("tp_btf_error", t.fallbackReason))
	}
	r.set.Logger.Info("Tracing TCP flows", fields...)
	return nil
}

// setupScope sets the scope (server: scope_id or the machine ID;
// kubernetes: the cluster UID of external_mappings) and the host.
func (r *flowsReceiver) setupScope() error {
	hostname, err := os.Hostname()
	if err != nil {
		return fmt.Errorf("hostname: %w", err)
	}
	netns, _ := procFS{root: r.procRoot}.selfNetns()
	r.host = &host{name: hostname, netns: netns, kernel: kernelRelease()}
	machineID, machineErr := readMachineID(r.machineIDPath)
	r.host.machine = machineID
	switch {
	case r.cfg.DeployedAt == DeployedAtKubernetes:
		r.scope = r.cfg.clusterUID()
	case r.cfg.ScopeID != "":
		r.scope = r.cfg.ScopeID
	case machineErr != nil:
		return fmt.Errorf("scope_id is not configured and the machine ID cannot be read (set scope_id): %w", machineErr)
	default:
		r.scope = machineID
	}
	r.host.id = internalid.Host(r.scope, hostname)
	return nil
}

// Shutdown stops the loop, waits for it and detaches the programs. Safe
// without Start and twice.
func (r *flowsReceiver) Shutdown(context.Context) error {
	if r.bg.Stop() {
		r.set.Logger.Info("Stopped tracing TCP flows")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.kube != nil {
		r.kube.stop()
		r.kube = nil
	}
	if r.tracer != nil {
		err := r.tracer.close()
		r.tracer = nil
		return err
	}
	return nil
}

// collect reads the kernel maps once and hands the records and metrics of
// this collection to the next consumers.
func (r *flowsReceiver) collect(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tracer == nil {
		return nil
	}
	now := time.Now()
	r.procs.reset()
	entries, err := r.tracer.flows()
	if err != nil {
		return err
	}
	var states []entity.Entity
	var resolve func(*flowEntry) edgeKey
	if r.kube != nil {
		if !r.kube.synced() {
			return errNotSynced
		}
		resolve = r.kube.resolve
	} else {
		ls, err := r.tracer.listeners()
		if err != nil {
			return err
		}
		r.host.addrs = hostAddrs()
		view := newServerView(r.scope, r.host, r.procs)
		view.cluster = r.cfg.clusterUID()
		view.learn(entries, ls)
		view.addListeners(ls)
		view.addFlows(entries, r.edges.live)
		states = view.entities(r.cfg.CollectionInterval)
		resolve = view.resolve
	}
	r.edges.update(entries, now, resolve)
	r.checkStats()
	list := r.edges.sorted()

	var errs []error
	if r.logs != nil {
		if err := r.emitLogs(ctx, now, states, list); err != nil {
			errs = append(errs, err)
		}
	}
	if r.metrics != nil && len(list) > 0 {
		if err := r.metrics.ConsumeMetrics(ctx, buildMetrics(r.resource(), list, now)); err != nil {
			errs = append(errs, fmt.Errorf("next metrics consumer: %w", err))
		}
	}
	return errors.Join(errs...)
}

var errNotSynced = errors.New("waiting for the pod and service caches to sync with the Kubernetes API")

// emitLogs sends the states, the deletes of processes gone since the last
// batch and the observations of the edges with traffic or open connections.
func (r *flowsReceiver) emitLogs(ctx context.Context, now time.Time, states []entity.Entity, list []*edge) error {
	batch := entity.NewBatch(r.source())
	cur := make(entity.Set, len(states))
	for _, s := range states {
		cur.Add(s.Ref)
	}
	// Deletes go first (processes that no longer listen); the host is in
	// every batch.
	batch.AddDeletes(now, r.seen, cur)
	for _, s := range states {
		if err := batch.AddState(now, s); err != nil {
			return fmt.Errorf("%s %q: %w", s.Type, s.InternalID, err)
		}
	}
	for _, e := range list {
		if !e.current() || e.key.hidden {
			continue
		}
		if err := batch.AddObservation(now, observation(e, "")); err != nil {
			return fmt.Errorf("flow %s → %s: %w", e.key.source.id, e.key.destination.id, err)
		}
	}
	if batch.Len() == 0 {
		return nil
	}
	if err := r.logs.ConsumeLogs(ctx, batch.Logs()); err != nil {
		return fmt.Errorf("next logs consumer: %w", err)
	}
	r.seen = cur
	return nil
}

// checkStats warns when the kernel could not record something because a
// map was full, once per increase.
func (r *flowsReceiver) checkStats() {
	st, err := r.tracer.stats()
	if err != nil || st == r.stats {
		return
	}
	r.set.Logger.Warn("BPF maps full: some connections were not counted",
		zap.Uint64("sockets_not_followed", st.socksFull-r.stats.socksFull),
		zap.Uint64("listeners_not_recorded", st.listenersFull-r.stats.listenersFull),
		zap.Uint64("flows_not_counted", st.flowsFull-r.stats.flowsFull))
	r.stats = st
}

// report logs and reports a collection's outcome once per change
// (crawl.Health); waiting for the Kubernetes caches is not a failure.
func (r *flowsReceiver) report(err error) {
	if errors.Is(err, errNotSynced) {
		if !r.waiting {
			r.set.Logger.Info("Waiting for the Kubernetes caches before the first collection")
			r.waiting = true
		}
		return
	}
	r.health.Report(err)
}

// source is the resource of every record.
func (r *flowsReceiver) source() entity.Source {
	cfg := map[string]string{
		"deployedAt":     r.cfg.DeployedAt,
		"interface_name": r.cfg.InterfaceName,
		"crawl_interval": strconv.FormatInt(int64(r.cfg.CollectionInterval/time.Second), 10) + "s",
		"scope_id":       r.scope,
	}
	if len(r.cfg.ExternalMappings) > 0 {
		cfg["external_mappings"] = strings.Join(r.cfg.ExternalMappings, " ")
	}
	return entity.Source{
		ScopeID:        r.scope,
		DataSourceType: dataSourceType,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config:         cfg,
		Attributes:     r.resourceAttributes(),
	}
}

func (r *flowsReceiver) resourceAttributes() map[string]string {
	attrs := map[string]string{attrHostName: r.host.name}
	if r.cfg.DeployedAt == DeployedAtKubernetes {
		attrs[attrClusterUID] = r.scope
	}
	return attrs
}

// resource is the metrics' resource: the records' resource without the
// configuration map.
func (r *flowsReceiver) resource() map[string]string {
	attrs := r.resourceAttributes()
	attrs[entity.AttrScopeID] = r.scope
	attrs[entity.AttrDataSourceType] = dataSourceType
	attrs[entity.AttrDataSourceID] = r.dataSourceID
	return attrs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
