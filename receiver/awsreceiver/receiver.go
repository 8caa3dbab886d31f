package awsreceiver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

const (
	// globalKey holds the global services' entities (S3) in seen.
	globalKey       = "global"
	dataSourceType  = "aws"
	minCrawlTimeout = 5 * time.Minute
)

type awsReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	dataSourceID string

	bg crawl.Background

	// Set in Start, then owned by the crawl loop.
	client      *client
	health      crawl.Health
	scopeWarned bool
	// seen holds, per region, what the last successful crawl of the region
	// emitted.
	seen map[string]entity.Set
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *awsReceiver {
	r := &awsReceiver{
		cfg:          cfg,
		set:          set,
		next:         next,
		dataSourceID: cfg.DataSourceID,
		seen:         map[string]entity.Set{},
		health:       crawl.Health{Source: "AWS", ID: set.ID, Endpoint: cfg.Endpoints.EC2, Logger: set.Logger, Classify: crawl.WithoutRequestIDs},
	}
	if r.dataSourceID == "" {
		r.dataSourceID = set.ID.String()
	}
	return r
}

// Start builds the SDK clients (no network) and starts the crawl loop.
func (r *awsReceiver) Start(ctx context.Context, host component.Host) error {
	c, err := newClient(ctx, r.cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.client = c
	r.health.Start(host)
	r.set.Logger.Info("Starting AWS crawl", zap.Strings("regions", r.cfg.Regions),
		zap.Duration("collection_interval", r.cfg.CollectionInterval))
	r.bg.Go(func(ctx context.Context) {
		loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
		loop.Run(ctx, r.crawl, r.health.Report)
	})
	return nil
}

// Shutdown stops the crawl loop and waits for it. Safe without Start.
func (r *awsReceiver) Shutdown(context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	r.client.close()
	r.set.Logger.Info("Stopped AWS crawl")
	return nil
}

// scope is the account of the credentials (STS); a configured scope_id
// wins and is warned about once when it differs.
func (r *awsReceiver) scope(ctx context.Context) (scope, account string, err error) {
	account, err = r.client.account(ctx)
	if err != nil {
		return "", "", err
	}
	if r.cfg.ScopeID == "" {
		return account, account, nil
	}
	if account != r.cfg.ScopeID && !r.scopeWarned {
		r.scopeWarned = true
		r.set.Logger.Warn("scope_id differs from the account of the credentials; using scope_id",
			zap.String("scope_id", r.cfg.ScopeID), zap.String("account_id", account))
	}
	return r.cfg.ScopeID, account, nil
}

// crawl reads every region and emits one batch. A region, or one read of a
// region, that fails is reported and keeps what it emitted last time; the
// rest is emitted.
func (r *awsReceiver) crawl(ctx context.Context) error {
	now := time.Now()
	scope, account, err := r.scope(ctx)
	if err != nil {
		return err
	}
	owner := ownerEntity(account, r.cfg.CollectionInterval)
	regions := r.cfg.Regions
	if len(regions) == 0 {
		if regions, err = r.client.regions(ctx, r.cfg.Region); err != nil {
			return err
		}
	}
	regions = slices.Clone(regions)
	sort.Strings(regions)

	batch := entity.NewBatch(r.source(scope))
	if err := batch.AddState(now, owner); err != nil {
		return err
	}
	var errs []error
	cur := map[string]entity.Set{}
	// Regions no longer crawled (disabled, removed from regions): gone.
	for region, prev := range r.seen {
		if region != globalKey && region != iamKey && !slices.Contains(regions, region) {
			batch.AddDeletes(now, prev, nil)
			cur[region] = nil
		}
	}
	// Regions are crawled concurrently, at most max_concurrency at a time;
	// the batch is built afterwards in region order.
	crawls := make([]regionCrawl, len(regions))
	sem := make(chan struct{}, max(r.cfg.MaxConcurrency, 1))
	var wg sync.WaitGroup
	for i, region := range regions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			crawls[i] = r.crawlRegion(ctx, region)
		}()
	}
	// IAM (policy_config) is global: read next to the regions.
	var iamInv iamInventory
	var iamErr error
	if r.cfg.PolicyConfig {
		wg.Add(1)
		go func() {
			defer wg.Done()
			iamInv, iamErr = r.client.iamInventory(ctx)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	emitted := false
	// What IAM emits (or, when it fails, emitted last time): the regions'
	// links to roles and instance profiles point only at those.
	iamEnts, iamKeys := r.iamState(scope, owner.Ref, iamInv, iamErr)
	for i, region := range regions {
		rc := &crawls[i]
		if rc.err != nil {
			errs = append(errs, rc.err)
			continue
		}
		emitted = true
		errs = append(errs, rc.errs...)
		rc.inv.iam = iamKeys
		ents := ownedBy(owner.Ref, entities(scope, region, rc.inv, r.cfg.CollectionInterval))
		// The SDK's objects are not needed any more: let them go before
		// the batch grows (a large region's inventory is tens of MB).
		rc.inv = regionInventory{}
		keys := entity.SetOf(ents)
		// What a failed read emitted last time stays, undeleted.
		for k := range r.seen[region] {
			if rc.stale[k.Type] {
				keys[k] = struct{}{}
			}
		}
		if err := addUnit(batch, now, r.seen[region], keys, ents); err != nil {
			return err
		}
		cur[region] = keys
	}
	// S3 buckets are global: tracked under "global" like a region.
	if buckets, err := r.client.buckets(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = append(errs, err)
	} else {
		emitted = true
		ents := ownedBy(owner.Ref, bucketEntities(scope, owner.Ref, buckets, r.cfg.CollectionInterval))
		keys := entity.SetOf(ents)
		if err := addUnit(batch, now, r.seen[globalKey], keys, ents); err != nil {
			return err
		}
		cur[globalKey] = keys
	}
	// IAM is tracked under "iam" like a region: a failure is reported and
	// keeps what it emitted last time.
	if iamErr != nil {
		errs = append(errs, iamErr)
	} else if r.cfg.PolicyConfig {
		emitted = true
		if err := addUnit(batch, now, r.seen[iamKey], iamKeys, iamEnts); err != nil {
			return err
		}
		cur[iamKey] = iamKeys
	}
	if batch.Len() > 1 || len(errs) == 0 {
		if err := r.next.ConsumeLogs(ctx, batch.Logs()); err != nil {
			return errors.Join(append(errs, fmt.Errorf("consume: %w", err))...)
		}
	}
	for region, keys := range cur {
		if keys == nil {
			delete(r.seen, region)
			continue
		}
		r.seen[region] = keys
	}
	if emitted {
		// Something was emitted: wait the interval, do not hammer what
		// refused.
		return crawl.Partial(errors.Join(errs...))
	}
	return errors.Join(errs...)
}

// iamState builds IAM's entities and their keys; when IAM is off, nil;
// when it failed, no entities and the keys it emitted last time.
func (r *awsReceiver) iamState(scope string, owner entity.Ref, inv iamInventory, err error) ([]entity.Entity, entity.Set) {
	switch {
	case !r.cfg.PolicyConfig:
		return nil, nil
	case err != nil:
		return nil, r.seen[iamKey]
	}
	ents := ownedBy(owner, iamEntities(scope, inv, r.cfg.CollectionInterval))
	return ents, entity.SetOf(ents)
}

// addUnit adds one unit of the crawl (a region, the S3 buckets, IAM) to
// batch: a delete for each entity of prev that keys lacks, then ents, each
// released once it is in the batch (a large region's entities are tens of
// MB). keys are ents' and what a failed read keeps.
func addUnit(batch *entity.Batch, now time.Time, prev, keys entity.Set, ents []entity.Entity) error {
	batch.AddDeletes(now, prev, keys)
	for i := range ents {
		if err := batch.AddState(now, ents[i]); err != nil {
			return err
		}
		ents[i] = entity.Entity{}
	}
	return nil
}

func (r *awsReceiver) source(scope string) entity.Source {
	cfg := map[string]string{"region": r.cfg.Region}
	if len(r.cfg.Regions) > 0 {
		cfg["regions"] = strings.Join(r.cfg.Regions, ",")
	}
	return entity.Source{
		ScopeID:        scope,
		DataSourceType: dataSourceType,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config:         cfg,
		Attributes: map[string]string{
			"cloud.provider":   "aws",
			"cloud.account.id": scope,
		},
	}
}
