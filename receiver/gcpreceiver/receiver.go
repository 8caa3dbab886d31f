package gcpreceiver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const (
	dataSourceType  = "gcp"
	minCrawlTimeout = 5 * time.Minute
)

// projectRead is the first read of every crawl: the project, whose number
// is the scope.
var projectRead = read{unit: "project", api: "cloudresourcemanager", call: "projects.get", permissions: []string{"resourcemanager.projects.get"}}

// rolesRead reads the predefined roles the policies grant, once each.
var rolesRead = read{unit: "predefined_roles", api: "iam", call: "roles.get", permissions: []string{"iam.roles.get"}}

// unit is what is emitted and tracked together: the entities built from
// some reads. A unit one of whose reads failed keeps what it emitted last
// time (no deletes for it) and emits nothing new.
type unit struct {
	name  string
	reads []string
	build func(b *builder) []entity.Entity
}

var units = []unit{
	{"project", []string{"project"}, func(b *builder) []entity.Entity { return []entity.Entity{b.projectEntity()} }},
	{"regions", []string{"regions"}, (*builder).regionEntities},
	{"zones", []string{"zones"}, (*builder).zoneEntities},
	{"networks", []string{"networks"}, (*builder).networkEntities},
	{"subnetworks", []string{"subnetworks"}, (*builder).subnetworkEntities},
	{"firewalls", []string{"firewalls"}, (*builder).firewallEntities},
	{"routes", []string{"routes"}, (*builder).routeEntities},
	{"routers", []string{"routers"}, (*builder).routerEntities},
	{"instances", []string{"instances"}, (*builder).instanceEntities},
	{"node_groups", []string{"node_groups"}, (*builder).nodeGroupEntities},
	{"disks", []string{"disks"}, (*builder).diskEntities},
	{"instance_templates", []string{"instance_templates"}, (*builder).templateEntities},
	{"instance_groups", []string{"instance_groups", "instance_group_managers", "instance_group_members"}, func(b *builder) []entity.Entity {
		ents := b.groupEntities()
		members := b.memberLinks()
		for i := range ents {
			ents[i].Links = append(ents[i].Links, members[ents[i].InternalID]...)
		}
		return ents
	}},
	{"forwarding_rules", []string{"forwarding_rules"}, (*builder).forwardingRuleEntities},
	{"target_proxies", []string{"target_proxies"}, (*builder).proxyEntities},
	{"url_maps", []string{"url_maps"}, (*builder).urlMapEntities},
	{"backend_services", []string{"backend_services"}, (*builder).backendServiceEntities},
	{"gke", []string{"gke"}, (*builder).gkeEntities},
	{"cloud_sql", []string{"cloud_sql"}, (*builder).sqlEntities},
	{"buckets", []string{"buckets"}, (*builder).bucketEntities},
	{"cloud_run", []string{"cloud_run"}, (*builder).runEntities},
	{"pubsub_topics", []string{"pubsub_topics"}, (*builder).topicEntities},
	{"pubsub_subscriptions", []string{"pubsub_subscriptions"}, (*builder).subscriptionEntities},
	{"redis", []string{"redis"}, (*builder).redisEntities},
	{"service_accounts", []string{"service_accounts"}, (*builder).serviceAccountEntities},
	{"iam_roles", []string{"iam_roles"}, (*builder).customRoleEntities},
	{"project_iam", []string{"project_iam"}, (*builder).projectIAMEntities},
	{"bucket_iam", []string{"buckets", "bucket_iam"}, (*builder).bucketIAMEntities},
	{"cloud_run_iam", []string{"cloud_run", "cloud_run_iam"}, (*builder).runIAMEntities},
}

type gcpReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	dataSourceID string
	regions      map[string]bool
	clusters     *mapping.Table

	bg crawl.Background

	// Set in Start, then owned by the crawl loop.
	client      *client
	health      crawl.Health
	scopeWarned bool
	// seen holds, per unit, what the last crawl that read it emitted.
	seen map[string]entity.Set
	// roles caches the predefined roles read (they do not change).
	roles map[string]any
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *gcpReceiver {
	r := &gcpReceiver{
		cfg:          cfg,
		set:          set,
		next:         next,
		dataSourceID: cfg.DataSourceID,
		seen:         map[string]entity.Set{},
		roles:        map[string]any{},
		health:       crawl.Health{Source: "GCP", ID: set.ID, Endpoint: "project " + cfg.ProjectID, Logger: set.Logger},
	}
	if r.dataSourceID == "" {
		r.dataSourceID = set.ID.String()
	}
	r.clusters, _ = mapping.Parse(cfg.ExternalMappings) // validated
	if len(cfg.Regions) > 0 {
		r.regions = map[string]bool{}
		for _, reg := range cfg.Regions {
			r.regions[reg] = true
		}
	}
	return r
}

// Start builds the API clients (no request yet) and starts the crawl
// loop.
func (r *gcpReceiver) Start(ctx context.Context, host component.Host) error {
	c, err := newClient(ctx, r.cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.client = c
	r.health.Start(host)
	r.set.Logger.Info("Starting GCP crawl", zap.String("project_id", r.cfg.ProjectID), zap.Strings("regions", r.cfg.Regions),
		zap.Duration("collection_interval", r.cfg.CollectionInterval))
	r.bg.Go(func(ctx context.Context) {
		loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
		loop.Run(ctx, r.crawl, r.health.Report)
	})
	return nil
}

// Shutdown stops the crawl loop and waits for it. Safe without Start.
func (r *gcpReceiver) Shutdown(context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	r.set.Logger.Info("Stopped GCP crawl")
	return nil
}

// scope reads the project; its number is the scope unless scope_id is
// set (a configured value that differs is warned about once). With
// scope_id set, a refused project read is a partial failure.
func (r *gcpReceiver) scope(ctx context.Context, inv *inventory) (string, error) {
	p, err := r.client.crm.Projects.Get(r.cfg.ProjectID).Context(ctx).Do()
	if err != nil {
		err = projectRead.err(err)
		if r.cfg.ScopeID != "" && ctx.Err() == nil {
			return r.cfg.ScopeID, err
		}
		return "", err
	}
	inv.project = p
	number := strconv.FormatInt(p.ProjectNumber, 10)
	if r.cfg.ScopeID == "" {
		return number, nil
	}
	if number != r.cfg.ScopeID && !r.scopeWarned {
		r.scopeWarned = true
		r.set.Logger.Warn("scope_id differs from the project number; using scope_id",
			zap.String("scope_id", r.cfg.ScopeID), zap.String("project_number", number))
	}
	return r.cfg.ScopeID, nil
}

// crawl reads the project and emits one batch. A read that fails is
// reported and its unit keeps what it emitted last time; the rest is
// emitted.
func (r *gcpReceiver) crawl(ctx context.Context) error {
	now := time.Now()
	inv := &inventory{}
	failed := map[string]bool{}
	var errs []error
	scope, err := r.scope(ctx, inv)
	switch {
	case scope == "":
		return err
	case err != nil:
		failed[projectRead.unit] = true
		errs = append(errs, err)
	}
	for phase := 1; phase <= 2; phase++ {
		var batch []read
		for _, rd := range reads {
			if rd.phase != phase {
				continue
			}
			if dep := needs[rd.unit]; dep != "" && failed[dep] {
				failed[rd.unit] = true
				continue
			}
			batch = append(batch, rd)
		}
		for unit, err := range r.readAll(ctx, batch, inv) {
			failed[unit] = true
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	if err := r.readRoles(ctx, inv); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		errs = append(errs, err)
	}

	b := &builder{scope: scope, project: r.cfg.ProjectID, inv: inv, regions: r.regions, interval: r.cfg.CollectionInterval, roles: r.roles, clusters: r.clusters}
	batch := entity.NewBatch(r.source(scope))
	emitted := entity.Set{}
	cur := map[string]entity.Set{}
	var states []entity.Entity
	for _, u := range units {
		stale := false
		for _, rd := range u.reads {
			stale = stale || failed[rd]
		}
		if stale {
			cur[u.name] = r.seen[u.name]
			continue
		}
		keys := entity.Set{}
		for _, e := range u.build(b) {
			keys.Add(e.Ref)
			k := entity.Key{Type: e.Type, InternalID: e.InternalID}
			if _, dup := emitted[k]; dup {
				continue // a principal or role another unit emitted too
			}
			emitted[k] = struct{}{}
			states = append(states, e)
		}
		cur[u.name] = keys
	}
	// Deleted: what the last crawl emitted in any unit that no unit
	// emits or keeps now.
	all := entity.Set{}
	for _, keys := range cur {
		for k := range keys {
			all[k] = struct{}{}
		}
	}
	prev := entity.Set{}
	for _, keys := range r.seen {
		for k := range keys {
			prev[k] = struct{}{}
		}
	}
	for i := range states {
		if err := batch.AddState(now, states[i]); err != nil {
			return err
		}
		states[i] = entity.Entity{}
	}
	batch.AddDeletes(now, prev, all)
	if batch.Len() > 0 || len(errs) == 0 {
		if err := r.next.ConsumeLogs(ctx, batch.Logs()); err != nil {
			return errors.Join(append(errs, fmt.Errorf("consume: %w", err))...)
		}
	}
	r.seen = cur
	if len(emitted) > 0 {
		return crawl.Partial(errors.Join(errs...))
	}
	return errors.Join(errs...)
}

// readAll runs reads, at most max_concurrency at a time, and returns the
// failed ones' errors by unit.
func (r *gcpReceiver) readAll(ctx context.Context, rds []read, inv *inventory) map[string]error {
	errs := make([]error, len(rds))
	sem := make(chan struct{}, max(r.cfg.MaxConcurrency, 1))
	var wg sync.WaitGroup
	for i, rd := range rds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := rd.do(ctx, r.client, inv); err != nil {
				errs[i] = rd.err(err)
			}
		}()
	}
	wg.Wait()
	out := map[string]error{}
	for i, err := range errs {
		if err != nil {
			out[rds[i].unit] = err
		}
	}
	return out
}

// readRoles reads the predefined roles the policies grant that are not
// known yet (predefined roles do not change: each is read once).
func (r *gcpReceiver) readRoles(ctx context.Context, inv *inventory) error {
	var errs []error
	for _, name := range predefinedRoles(inv) {
		if _, ok := r.roles[name]; ok {
			continue
		}
		role, err := r.client.iam.Roles.Get(name).Context(ctx).Do()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, rolesRead.err(fmt.Errorf("%s: %w", name, err)))
			continue
		}
		r.roles[name] = role
	}
	return errors.Join(errs...)
}

func (r *gcpReceiver) source(scope string) entity.Source {
	cfg := map[string]string{"project_id": r.cfg.ProjectID}
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
			"cloud.provider":   "gcp",
			"cloud.account.id": r.cfg.ProjectID,
		},
	}
}
