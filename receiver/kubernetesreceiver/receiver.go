package kubernetesreceiver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const (
	dataSourceType = "kubernetes"
	// defaultFlushDelay is how long changes are gathered before they are
	// sent: one ConsumeLogs call carries every change of a burst.
	defaultFlushDelay = 50 * time.Millisecond
	// defaultMaxRecords bounds the records of one ConsumeLogs call.
	defaultMaxRecords = 1000
	// rediscoverDelay lets a new custom resource definition be served
	// before discovery looks for it.
	rediscoverDelay = 2 * time.Second
	maxBackoff      = 30 * time.Second
)

type k8sReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	dataSourceID string
	mappings     *mapping.Table
	sel          selection
	flushDelay   time.Duration
	maxRecords   int

	restConfig *rest.Config
	host       component.Host
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	// Set by the run goroutine before informers start.
	client  *kubeClient
	scopeID string
	source  entity.Source

	// mu guards the graph; informer handlers write it, the run goroutine
	// flushes it.
	mu    sync.Mutex
	graph *graph

	// Owned by the run goroutine.
	watches    map[watchKey]*watcher
	skipped    map[watchKey]string
	missing    []string
	syncedOnce bool

	notify     chan struct{}
	rediscover chan struct{}

	healthMu sync.Mutex
	health   crawl.Health
	failing  atomic.Bool
	// unreachable: the last request failed in transport.
	unreachable atomic.Bool
}

type watchKey struct {
	gvr schema.GroupVersionResource
	ns  string
}

type watcher struct {
	res    *resource
	ns     string
	reg    cache.ResourceEventHandlerRegistration
	cancel context.CancelFunc
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *k8sReceiver {
	r := &k8sReceiver{
		cfg:          cfg,
		set:          set,
		next:         next,
		dataSourceID: cfg.DataSourceID,
		sel:          selectResources(cfg.Resources),
		flushDelay:   defaultFlushDelay,
		maxRecords:   defaultMaxRecords,
		watches:      map[watchKey]*watcher{},
		skipped:      map[watchKey]string{},
		notify:       make(chan struct{}, 1),
		rediscover:   make(chan struct{}, 1),
		health:       crawl.Health{Source: "Kubernetes", Retry: "the watches retry on their own", ID: set.ID, Logger: set.Logger, Classify: errorClass},
	}
	if r.dataSourceID == "" {
		r.dataSourceID = set.ID.String()
	}
	r.mappings, _ = mapping.Parse(cfg.ExternalMappings) // validated
	return r
}

// Start loads the REST configuration (a kubeconfig that cannot be read
// fails here) and starts the watch goroutine; the API server is reached
// from that goroutine, so a cluster that is down does not stop the
// collector.
func (r *k8sReceiver) Start(_ context.Context, host component.Host) error {
	rc, err := restConfig(r.cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.restConfig = rc
	r.health.Endpoint = rc.Host
	client, err := newKubeClient(rc, r.set.Logger, r.observe)
	if err != nil {
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.client = client
	r.host = host
	r.health.Start(host)
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.set.Logger.Info("Starting Kubernetes watch", zap.String("server", rc.Host),
		zap.Strings("namespaces", r.cfg.Namespaces), zap.Strings("resources", r.cfg.Resources),
		zap.Duration("report_interval", r.cfg.ReportInterval))
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.run(ctx)
	}()
	return nil
}

// Shutdown stops the informers and the flush loop and waits for them.
// Safe without Start.
func (r *k8sReceiver) Shutdown(context.Context) error {
	if r.cancel == nil {
		return nil
	}
	r.cancel()
	r.wg.Wait()
	r.client.close()
	r.set.Logger.Info("Stopped Kubernetes watch", zap.String("server", r.restConfig.Host))
	return nil
}

func (r *k8sReceiver) report(err error) {
	r.healthMu.Lock()
	defer r.healthMu.Unlock()
	r.health.Report(err)
	r.failing.Store(err != nil)
}

// observe gets the outcome of every request to the API server.
func (r *k8sReceiver) observe(err error) {
	if err != nil {
		r.unreachable.Store(true)
		r.report(err)
		return
	}
	if r.unreachable.Swap(false) && r.failing.Load() {
		r.report(nil)
	}
}

// errorClass groups errors that are the same problem to a user.
func errorClass(err error) string {
	if reason := apierrors.ReasonForError(err); reason != "" && reason != "Unknown" {
		return string(reason)
	}
	var se *apierrors.StatusError
	if !errors.As(err, &se) {
		return "unavailable"
	}
	return err.Error()
}

// run reaches the cluster, starts the informers, sends the snapshot once
// they have synced, then sends changes as they come and the full state
// every report_interval, until ctx ends.
func (r *k8sReceiver) run(ctx context.Context) {
	logCtx := klog.NewContext(ctx, newLogr(r.set.Logger))
	defer r.stopWatches()
	if !r.retry(ctx, r.discoverScope) {
		return
	}
	r.mu.Lock()
	r.graph = newGraph(r.scopeID, r.mappings, r.cfg.ReportInterval)
	r.mu.Unlock()
	r.source = r.makeSource()
	if r.cfg.Prometheus.enabled() {
		f, err := newFlowReader(ctx, &r.cfg.Prometheus, r.host, r.set.TelemetrySettings, r.scopeID)
		if err != nil {
			r.report(err)
		} else {
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.flowsLoop(ctx, f)
			}()
		}
	}
	if !r.retry(ctx, func(context.Context) error { return r.reconcile(logCtx) }) {
		return
	}
	start := time.Now()
	if !r.waitSynced(ctx) {
		return
	}
	n, err := r.flush(ctx)
	r.set.Logger.Info("Kubernetes snapshot sent", zap.Int("records", n), zap.Int("watches", len(r.watches)),
		zap.Duration("sync_and_send", time.Since(start)))
	r.loop(ctx, logCtx, err)
}

// retry runs fn until it succeeds or ctx ends, with backoff, reporting
// failures.
func (r *k8sReceiver) retry(ctx context.Context, fn func(context.Context) error) bool {
	backoff := time.Second
	for {
		err := fn(ctx)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			return true
		}
		r.report(err)
		select {
		case <-ctx.Done():
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// discoverScope reads the cluster UID once: it is the scope when none is
// configured, and a configured scope that differs is warned about once.
func (r *k8sReceiver) discoverScope(ctx context.Context) error {
	uid, err := r.client.clusterUID(ctx)
	if err != nil {
		if r.cfg.ScopeID == "" || !notAllowed(err) {
			if r.cfg.ScopeID == "" && notAllowed(err) {
				return fmt.Errorf("%w: %w", errNoScope, err)
			}
			return err
		}
		r.set.Logger.Info("Cannot read the cluster UID to check the configured scope_id", zap.Error(err))
		r.scopeID = r.cfg.ScopeID
		return nil
	}
	switch {
	case r.cfg.ScopeID == "":
		r.scopeID = uid
	case r.cfg.ScopeID != uid:
		r.set.Logger.Warn("Configured scope_id differs from the cluster UID (namespace kube-system); using the configured one",
			zap.String("scope_id", r.cfg.ScopeID), zap.String("cluster_uid", uid))
		r.scopeID = r.cfg.ScopeID
	default:
		r.scopeID = uid
	}
	return nil
}

func (r *k8sReceiver) makeSource() entity.Source {
	cfg := map[string]string{
		"in_cluster":     strconv.FormatBool(r.cfg.AuthType == AuthServiceAccount),
		"crawl_interval": strconv.FormatInt(int64(r.cfg.ReportInterval/time.Second), 10) + "s",
		"scope_id":       r.scopeID,
	}
	if r.cfg.KubeconfigPath != "" {
		cfg["config_file"] = r.cfg.KubeconfigPath
	}
	if r.cfg.Context != "" {
		cfg["context"] = r.cfg.Context
	}
	if r.cfg.ClusterName != "" {
		cfg["cluster_name"] = r.cfg.ClusterName
	}
	if len(r.cfg.Namespaces) > 0 {
		cfg["namespaces"] = strings.Join(r.cfg.Namespaces, ",")
	}
	if len(r.cfg.Resources) > 0 {
		cfg["resources"] = strings.Join(r.cfg.Resources, ",")
	}
	if len(r.cfg.ExternalMappings) > 0 {
		cfg["external_mappings"] = strings.Join(r.cfg.ExternalMappings, " ")
	}
	attrs := map[string]string{"k8s.cluster.uid": r.scopeID}
	if r.cfg.ClusterName != "" {
		attrs["k8s.cluster.name"] = r.cfg.ClusterName
	}
	return entity.Source{
		ScopeID:        r.scopeID,
		DataSourceType: dataSourceType,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config:         cfg,
		Attributes:     attrs,
	}
}

// wanted lists the (resource, namespace) pairs to watch.
func (r *k8sReceiver) wanted(dynamicRes []*resource) map[watchKey]*resource {
	out := map[watchKey]*resource{}
	add := func(res *resource) {
		if !res.namespaced || len(r.cfg.Namespaces) == 0 {
			out[watchKey{res.gvr, ""}] = res
			return
		}
		for _, ns := range r.cfg.Namespaces {
			out[watchKey{res.gvr, ns}] = res
		}
	}
	for _, res := range r.sel.typed {
		add(res)
	}
	for _, res := range dynamicRes {
		add(res)
	}
	return out
}

// reconcile starts the watches that are wanted and allowed, and stops
// those of resources that are gone (a deleted custom resource
// definition). Resources that may not be listed are skipped with a
// warning and tried again at the next full report.
func (r *k8sReceiver) reconcile(ctx context.Context) error {
	var dynamicRes []*resource
	if r.sel.all || len(r.sel.named) > 0 {
		d, err := r.client.discover(r.sel)
		if err != nil {
			return err
		}
		r.mu.Lock()
		r.graph.dynamicKinds = d.kinds
		r.mu.Unlock()
		dynamicRes = d.watch
		if !slices.Equal(d.missing, r.missing) && len(d.missing) > 0 {
			r.set.Logger.Warn("Resources not served by the cluster; not watched", zap.Strings("resources", d.missing))
		}
		r.missing = d.missing
	}
	want := r.wanted(dynamicRes)
	for k, w := range r.watches {
		if _, ok := want[k]; !ok {
			r.stopWatch(k, w)
		}
	}
	for k, res := range want {
		if _, ok := r.watches[k]; ok {
			continue
		}
		if err := r.client.checkList(ctx, res, k.ns); err != nil {
			if !notAllowed(err) {
				return fmt.Errorf("listing %s: %w", res.groupResource(), err)
			}
			if _, known := r.skipped[k]; !known {
				r.set.Logger.Warn("Resource not watched: it cannot be listed", zap.String("resource", res.groupResource()),
					zap.String("namespace", k.ns), zap.Error(err))
			}
			r.skipped[k] = err.Error()
			continue
		}
		delete(r.skipped, k)
		if err := r.startWatch(ctx, k, res); err != nil {
			return err
		}
	}
	for k := range r.skipped {
		if _, ok := want[k]; !ok {
			delete(r.skipped, k)
		}
	}
	return nil
}

func (r *k8sReceiver) startWatch(ctx context.Context, k watchKey, res *resource) error {
	example := res.example
	if example == nil {
		example = newUnstructured(res)
	}
	inf := cache.NewSharedIndexInformerWithOptions(r.client.listWatch(res, k.ns), example, cache.SharedIndexInformerOptions{
		ObjectDescription: res.groupResource(),
	})
	if err := inf.SetTransform(newTransform(res, privacy{sendSecretData: r.cfg.SendSecretData, sendConfigMapData: r.cfg.SendConfigMapData, keepEnvValues: !r.cfg.RedactEnvValues})); err != nil {
		return err
	}
	if err := inf.SetWatchErrorHandlerWithContext(func(_ context.Context, _ *cache.Reflector, err error) {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || apierrors.IsResourceExpired(err) ||
			apierrors.IsGone(err) || errors.Is(err, context.Canceled) {
			return // a watch ending as watches do; the reflector resumes it
		}
		r.report(fmt.Errorf("watching %s: %w", res.groupResource(), err))
	}); err != nil {
		return err
	}
	reg, err := inf.AddEventHandler(r.handler(res))
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(ctx)
	r.watches[k] = &watcher{res: res, ns: k.ns, reg: reg, cancel: cancel}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		inf.RunWithContext(wctx)
	}()
	return nil
}

func (r *k8sReceiver) stopWatch(k watchKey, w *watcher) {
	w.cancel()
	delete(r.watches, k)
	r.mu.Lock()
	r.graph.removeResource(w.res)
	r.mu.Unlock()
	r.signal()
	r.set.Logger.Info("Resource no longer served; stopped watching it", zap.String("resource", w.res.groupResource()))
}

func (r *k8sReceiver) stopWatches() {
	for _, w := range r.watches {
		w.cancel()
	}
}

// waitSynced waits until every informer has listed its resource and handed
// every object to the graph.
func (r *k8sReceiver) waitSynced(ctx context.Context) bool {
	synced := make([]cache.InformerSynced, 0, len(r.watches))
	for _, w := range r.watches {
		synced = append(synced, w.reg.HasSynced)
	}
	if !cache.WaitForCacheSync(ctx.Done(), synced...) {
		return false
	}
	r.syncedOnce = true
	return true
}

// handler feeds one resource's events to the graph.
func (r *k8sReceiver) handler(res *resource) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.apply(res, obj, false) },
		UpdateFunc: func(_, obj any) { r.apply(res, obj, false) },
		DeleteFunc: func(obj any) { r.apply(res, obj, true) },
	}
}

func (r *k8sReceiver) apply(res *resource, obj any, deleted bool) {
	var key entityKey
	var ko *kobject
	switch o := obj.(type) {
	case cache.DeletedFinalStateUnknown:
		// Deleted while the watch was down: found missing at the relist.
		deleted = true
		if m, err := meta.Accessor(o.Obj); err == nil {
			key = keyOf(res, m)
		} else {
			ns, name, err := cache.SplitMetaNamespaceKey(o.Key)
			if err != nil {
				return
			}
			key = entityKey{typ: res.elemType, ns: ns, name: name}
		}
	case *kobject:
		key, ko = keyOf(res, o), o
	default:
		return
	}
	if res.elemType == typeNamespace && len(r.cfg.Namespaces) > 0 && !slices.Contains(r.cfg.Namespaces, key.name) {
		return
	}
	r.mu.Lock()
	if deleted {
		r.graph.remove(key)
	} else {
		r.graph.upsert(res, ko)
	}
	r.mu.Unlock()
	if r.failing.Load() {
		r.report(nil) // events flow again
	}
	if res.gvr.Group == "apiextensions.k8s.io" && res.gvr.Resource == "customresourcedefinitions" {
		select {
		case r.rediscover <- struct{}{}:
		default:
		}
	}
	r.signal()
}

func (r *k8sReceiver) signal() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// loop sends changes a short while after they come (gathering a burst
// into one call), the full state every report_interval, and retries what
// the next consumer refused with backoff.
func (r *k8sReceiver) loop(ctx, logCtx context.Context, lastErr error) {
	ticker := time.NewTicker(r.cfg.ReportInterval)
	defer ticker.Stop()
	backoff := time.Second
	var retryC <-chan time.Time
	var rediscoverC <-chan time.Time
	handle := func(err error) {
		if err == nil {
			backoff, retryC = time.Second, nil
			r.report(nil)
			return
		}
		r.report(err)
		retryC = time.After(backoff)
		backoff = min(2*backoff, max(r.cfg.ReportInterval, time.Second))
	}
	handle(lastErr)
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.notify:
			if retryC != nil {
				continue // the retry flushes
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(r.flushDelay):
			}
			_, err := r.flush(ctx)
			handle(err)
		case <-retryC:
			_, err := r.flush(ctx)
			handle(err)
		case <-r.rediscover:
			rediscoverC = time.After(rediscoverDelay)
		case <-rediscoverC:
			rediscoverC = nil
			if err := r.reconcile(logCtx); err != nil {
				r.report(err)
			}
		case <-ticker.C:
			if err := r.reconcile(logCtx); err != nil {
				r.report(err)
			}
			r.mu.Lock()
			r.graph.reportAll()
			r.mu.Unlock()
			_, err := r.flush(ctx)
			handle(err)
		}
	}
}

// flush sends every pending change, at most maxRecords per ConsumeLogs
// call, and returns how many records it sent. Each call's records are
// computed under the lock from one state of the graph; the lock is not
// held while the next consumer runs.
func (r *k8sReceiver) flush(ctx context.Context) (int, error) {
	r.mu.Lock()
	keys := r.graph.pending()
	r.mu.Unlock()
	sent := 0
	for len(keys) > 0 {
		now := time.Now()
		batch := entity.NewBatch(r.source)
		changes := make([]change, 0, min(len(keys), r.maxRecords))
		r.mu.Lock()
		i := 0
		for ; i < len(keys) && len(changes) < r.maxRecords; i++ {
			c, ok, err := r.graph.next(keys[i])
			if err != nil {
				r.set.Logger.Warn("Cannot convert a Kubernetes object", zap.String("type", keys[i].typ),
					zap.String("namespace", keys[i].ns), zap.String("name", keys[i].name), zap.Error(err))
				continue
			}
			if !ok {
				continue
			}
			if c.e != nil {
				if err := batch.AddState(now, *c.e); err != nil {
					r.set.Logger.Warn("Cannot convert a Kubernetes object", zap.String("id", c.e.InternalID), zap.Error(err))
					continue
				}
			} else {
				batch.AddDelete(now, c.ref)
			}
			changes = append(changes, c)
		}
		r.mu.Unlock()
		keys = keys[i:]
		if len(changes) == 0 {
			continue
		}
		err := r.next.ConsumeLogs(ctx, batch.Logs())
		r.mu.Lock()
		if err != nil {
			r.graph.retry(changes)
			r.mu.Unlock()
			return sent, fmt.Errorf("next consumer: %w", err)
		}
		for _, c := range changes {
			r.graph.commit(c)
		}
		r.mu.Unlock()
		sent += len(changes)
	}
	return sent, nil
}
