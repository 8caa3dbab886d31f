package awsflowlogsreceiver

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/storagehost"
)

const (
	dataSourceType = "aws_flow_logs"
	// objectsPerBatch bounds the objects aggregated into one emitted batch
	// (and one checkpoint save), so memory stays bounded on a backlog.
	objectsPerBatch = 200
	// maxCorruptAttempts is how many crawls try a corrupt object before it
	// is given up (logged, and recorded as read so the checkpoint moves on).
	maxCorruptAttempts = 3
	// minCrawlTimeout bounds one crawl when the interval is shorter.
	minCrawlTimeout = 5 * time.Minute
	closeTimeout    = 5 * time.Second
)

var errNoScope = errors.New("scope_id is not set and no object names an account (AWSLogs/<account-id>/ or account-id field)")

type flowLogsReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	format       format
	dataSourceID string

	bg crawl.Background
	// now is the clock max_age counts from.
	now func() time.Time

	// Set in Start, then owned by the crawl loop.
	client         *client
	store          checkpointStore
	cp             *checkpoint
	health         crawl.Health
	scopeID        string
	scopeWarned    bool
	totalMalformed int64
	// corrupt counts the failed attempts per corrupt object.
	corrupt         map[string]int
	corruptAttempts int
	// skipped counts the objects given up as corrupt.
	skipped int64
	// resolveErr is why the last crawl that listed network interfaces
	// left some flows unresolved; reported with the crawl's outcome.
	resolveErr error
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *flowLogsReceiver {
	f, _ := parseFormat(cfg.LogFormat) // validated by the collector
	r := &flowLogsReceiver{
		cfg:             cfg,
		set:             set,
		next:            next,
		format:          f,
		dataSourceID:    cfg.DataSourceID,
		scopeID:         cfg.ScopeID,
		corrupt:         map[string]int{},
		corruptAttempts: maxCorruptAttempts,
		now:             time.Now,
		health: crawl.Health{
			Source: "AWS flow logs", ID: set.ID, Endpoint: "s3://" + cfg.Bucket + "/" + cfg.Prefix, Logger: set.Logger,
			Classify: crawl.WithoutRequestIDs,
		},
	}
	if r.dataSourceID == "" {
		r.dataSourceID = set.ID.String()
	}
	return r
}

// Start opens the checkpoint storage, loads the checkpoint and starts the
// crawl loop. The bucket is first reached by the loop, so an unreachable
// bucket does not stop the collector.
func (r *flowLogsReceiver) Start(ctx context.Context, host component.Host) error {
	if r.cfg.Storage != nil {
		sc, err := storagehost.Client(ctx, host, *r.cfg.Storage, component.KindReceiver, r.set.ID)
		if err != nil {
			return err
		}
		r.store = checkpointStore{client: sc}
	} else {
		r.set.Logger.Warn("No storage configured: the checkpoint is kept in memory and a restart reads every object within max_age (or since start_from) again",
			zap.String("bucket", r.cfg.Bucket), zap.String("prefix", r.cfg.Prefix), zap.Duration("max_age", r.cfg.MaxAge))
	}
	for _, d := range r.cfg.deprecatedEndpoints() {
		r.set.Logger.Warn("Deprecated setting: use endpoints: instead (the same map as coordimap_aws's)",
			zap.String("setting", d.key), zap.String("instead", d.instead))
	}
	cp, err := r.store.load(ctx)
	if err != nil {
		_ = r.store.close(ctx)
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.cp = cp
	c, err := newClient(ctx, r.cfg)
	if err != nil {
		_ = r.store.close(ctx)
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.client = c
	r.health.Start(host)
	r.set.Logger.Info("Starting AWS flow-log crawl",
		zap.String("bucket", r.cfg.Bucket), zap.String("prefix", r.cfg.Prefix), zap.String("region", r.cfg.Region),
		zap.Duration("collection_interval", r.cfg.CollectionInterval))
	r.bg.Go(func(ctx context.Context) {
		loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
		loop.Run(ctx, r.crawl, r.report)
	})
	return nil
}

// Shutdown stops the crawl loop, waits for it and closes the storage
// client. Safe without Start.
func (r *flowLogsReceiver) Shutdown(ctx context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	awssdk.CloseIdle(r.client.awsCfg.HTTPClient)
	cctx, cancel := context.WithTimeout(ctx, closeTimeout)
	defer cancel()
	err := r.store.close(cctx)
	r.set.Logger.Info("Stopped AWS flow-log crawl", zap.String("bucket", r.cfg.Bucket))
	return err
}

// report hands a crawl's outcome to the health tracker, with the failure
// to resolve endpoints, if any: the flows were emitted, but with addresses.
func (r *flowLogsReceiver) report(err error) {
	switch {
	case r.resolveErr == nil:
	case err == nil:
		// Everything was read and emitted, some ends as addresses.
		err = crawl.Partial(r.resolveErr)
	default:
		err = errors.Join(err, r.resolveErr)
	}
	r.health.Report(err)
}

// crawl lists the prefix and reads the objects not yet read, in batches of
// objectsPerBatch: each batch is emitted, then checkpointed. An object
// that cannot be read is left for the next crawl; the others go on.
func (r *flowLogsReceiver) crawl(ctx context.Context) error {
	r.cp.raise(r.cfg.oldest(r.now()))
	objs, err := r.client.listSince(ctx, r.cfg.Prefix, r.cp.Horizon)
	if err != nil {
		return err
	}
	pending := r.cp.pending(objs)
	var res *resolver
	if r.cfg.ResolveEndpoints {
		var opts []awsnet.Option
		if !r.cfg.ResolveSecondaryAddresses {
			opts = append(opts, awsnet.WithoutInstanceSecondaries())
		}
		res = newResolver(r.client.networkInterfaces, r.client.dbInstances, r.set.Logger, opts...)
		defer func() {
			if res.listed() {
				r.resolveErr = res.err()
			}
		}()
	}
	var errs []error
	for start := 0; start < len(pending); start += objectsPerBatch {
		batch := pending[start:min(start+objectsPerBatch, len(pending))]
		readErrs, err := r.readBatch(ctx, batch, res)
		errs = append(errs, readErrs...)
		if err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	if len(errs) == 0 {
		r.cp.advance(objs)
		if err := r.save(ctx); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

// readBatch reads, emits and checkpoints one batch, resolving the flows'
// ends with res unless it is nil. readErrs are objects that could not be
// read (left for later); err stops the crawl.
func (r *flowLogsReceiver) readBatch(ctx context.Context, batch []object, res *resolver) (readErrs []error, err error) {
	agg := newAggregator()
	var read []object
	var given []object
	for _, o := range batch {
		// Each object is aggregated on its own and merged only when read
		// in full, so that one read again later is not counted twice.
		one := newAggregator()
		if err := r.readOne(ctx, one, o); err != nil {
			if ctx.Err() != nil {
				return readErrs, ctx.Err()
			}
			if errors.Is(err, errCorrupt) {
				r.corrupt[o.Key]++
				if r.corrupt[o.Key] >= r.corruptAttempts {
					r.set.Logger.Error("Giving up a corrupt flow-log object", zap.String("key", o.Key),
						zap.Int("attempts", r.corrupt[o.Key]), zap.Error(err))
					delete(r.corrupt, o.Key)
					r.skipped++
					given = append(given, o)
					continue
				}
			}
			readErrs = append(readErrs, err)
			continue
		}
		delete(r.corrupt, o.Key)
		agg.merge(one)
		read = append(read, o)
	}
	if agg.stats.Malformed > 0 {
		r.set.Logger.Warn("Skipped malformed flow-log lines",
			zap.Int64("malformed", agg.stats.Malformed), zap.Int64("lines", agg.stats.Lines), zap.Int("objects", len(read)))
	}
	r.totalMalformed += agg.stats.Malformed
	if len(agg.flows) > 0 {
		groups, err := agg.byScope(r.scope)
		if err != nil {
			return readErrs, err
		}
		var indexOf func(string) *awsnet.Index
		if res != nil {
			if err := res.prepare(ctx, agg.regions()); err != nil {
				return readErrs, err
			}
			indexOf = res.index
		}
		// One resource per scope, all in one request: the batch is
		// checkpointed once.
		now := time.Now()
		lookupSince := now.Add(-r.cfg.ResolveMaxAge).Unix()
		ld := plog.NewLogs()
		for _, scope := range slices.Sorted(maps.Keys(groups)) {
			b := entity.NewBatch(r.source(scope))
			for _, o := range groups[scope].observations(scope, indexOf, lookupSince) {
				if err := b.AddObservation(now, o); err != nil {
					return readErrs, err
				}
			}
			b.Logs().ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
		}
		if err := r.next.ConsumeLogs(ctx, ld); err != nil {
			return readErrs, fmt.Errorf("consume: %w", err)
		}
	}
	for _, o := range append(read, given...) {
		r.cp.markDone(o)
	}
	return readErrs, r.save(ctx)
}

// save writes the checkpoint even when the crawl is being cancelled: what
// was emitted must be recorded, or a restart would read it again.
func (r *flowLogsReceiver) save(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), closeTimeout)
	defer cancel()
	return r.store.save(sctx, r.cp)
}

func (r *flowLogsReceiver) readOne(ctx context.Context, agg *aggregator, o object) error {
	rc, err := r.client.open(ctx, o.Key)
	if err != nil {
		return err
	}
	defer rc.Close()
	at := locationOfKey(o.Key)
	if at.region == "" {
		// Not AWS's key layout: the bucket's region, unless the records
		// name theirs.
		at.region = r.cfg.Region
	}
	if err := agg.readObject(rc, r.format, at); err != nil {
		return fmt.Errorf("s3://%s/%s: %w", r.cfg.Bucket, o.Key, err)
	}
	return nil
}

// scope returns the scope of the flows logged in account: scope_id, or
// the account (from the account-id field, else the object's key). A
// configured scope_id that differs from it is warned about once. Flows
// whose account is unknown take the last account seen.
func (r *flowLogsReceiver) scope(account string) (string, error) {
	if r.cfg.ScopeID != "" {
		if account != "" && account != r.cfg.ScopeID && !r.scopeWarned {
			r.scopeWarned = true
			r.set.Logger.Warn("scope_id differs from the account the flow logs belong to; using scope_id",
				zap.String("scope_id", r.cfg.ScopeID), zap.String("account_id", account))
		}
		return r.cfg.ScopeID, nil
	}
	if account == "" {
		if r.scopeID == "" {
			return "", errNoScope
		}
		return r.scopeID, nil
	}
	r.scopeID = account
	return account, nil
}

func (r *flowLogsReceiver) source(scope string) entity.Source {
	return entity.Source{
		ScopeID:        scope,
		DataSourceType: dataSourceType,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config: map[string]string{
			"bucket":     r.cfg.Bucket,
			"prefix":     r.cfg.Prefix,
			"region":     r.cfg.Region,
			"log_format": r.cfg.LogFormat,
		},
		Attributes: map[string]string{
			"cloud.provider":   "aws",
			"cloud.account.id": scope,
			"cloud.region":     r.cfg.Region,
		},
	}
}
