package gcpflowlogsreceiver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"
	crm "google.golang.org/api/cloudresourcemanager/v1"
	logging "google.golang.org/api/logging/v2"
	sqladmin "google.golang.org/api/sqladmin/v1beta4"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/gcpapi"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
	"github.com/coordimap/otelcol-coordimap/internal/storagehost"
)

const (
	dataSourceType  = "gcp_flow_logs"
	minCrawlTimeout = 5 * time.Minute
	// flowLog is the log of VPC flow logs, URL-encoded as filters name it.
	flowLog = "compute.googleapis.com%2Fvpc_flows"
)

type flowLogsReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	dataSourceID string
	clusters     *mapping.Table

	bg crawl.Background

	// Set in Start, then owned by the loop.
	logging        *logging.Service
	crm            *crm.Service
	sql            *sqladmin.Service
	store          cursorStore
	cur            cursor
	health         crawl.Health
	scope          string
	scopeWarned    bool
	totalMalformed int64
	// now is time.Now; tests replace it.
	now func() time.Time
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *flowLogsReceiver {
	clusters, _ := mapping.Parse(cfg.ExternalMappings) // validated
	r := &flowLogsReceiver{
		cfg: cfg, set: set, next: next,
		dataSourceID: cfg.DataSourceID,
		clusters:     clusters,
		health:       crawl.Health{Source: "GCP flow logs", ID: set.ID, Endpoint: "projects/" + cfg.ProjectID + "/logs/" + flowLog, Logger: set.Logger},
		now:          time.Now,
	}
	if r.dataSourceID == "" {
		r.dataSourceID = set.ID.String()
	}
	return r
}

// Start opens the cursor's storage, loads the cursor, builds the clients
// and starts the loop.
func (r *flowLogsReceiver) Start(ctx context.Context, host component.Host) error {
	if r.cfg.Storage != nil {
		sc, err := storagehost.Client(ctx, host, *r.cfg.Storage, component.KindReceiver, r.set.ID)
		if err != nil {
			return err
		}
		r.store = cursorStore{client: sc}
	} else {
		r.set.Logger.Warn("No storage configured: the cursor is kept in memory and a restart reads initial_lookback again",
			zap.Duration("initial_lookback", r.cfg.InitialLookback))
	}
	cur, ok, err := r.store.load(ctx)
	if err != nil {
		_ = r.store.close(ctx)
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	if !ok {
		cur = cursor{At: r.now().Add(-r.cfg.Delay - r.cfg.InitialLookback).UTC()}
	}
	r.cur = cur
	hc, err := gcpapi.NewHTTPClient(ctx, r.cfg.Auth, r.cfg.RequestsPerSecond)
	if err == nil {
		r.logging, err = logging.NewService(ctx, gcpapi.Options(hc, r.cfg.Endpoints.Logging)...)
	}
	if err == nil {
		r.crm, err = crm.NewService(ctx, gcpapi.Options(hc, r.cfg.Endpoints.ResourceManager)...)
	}
	if err == nil && r.cfg.ResolveCloudSQL {
		r.sql, err = sqladmin.NewService(ctx, gcpapi.Options(hc, r.cfg.Endpoints.SQLAdmin)...)
	}
	if err != nil {
		_ = r.store.close(ctx)
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.health.Start(host)
	r.set.Logger.Info("Starting GCP flow logs", zap.String("project_id", r.cfg.ProjectID), zap.Time("from", r.cur.At))
	r.bg.Go(func(ctx context.Context) {
		loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
		loop.Run(ctx, r.crawl, r.health.Report)
	})
	return nil
}

// Shutdown stops the loop, waits for it and closes the storage. Safe
// without Start.
func (r *flowLogsReceiver) Shutdown(ctx context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	r.set.Logger.Info("Stopped GCP flow logs")
	return r.store.close(ctx)
}

// scopeID is the project number, read once, unless scope_id is set.
func (r *flowLogsReceiver) scopeID(ctx context.Context) (string, error) {
	if r.scope != "" {
		return r.scope, nil
	}
	p, err := r.crm.Projects.Get(r.cfg.ProjectID).Context(ctx).Do()
	switch {
	case err != nil && r.cfg.ScopeID != "":
		// The number is only checked: scope_id decides.
		r.scope = r.cfg.ScopeID
		return r.scope, nil
	case err != nil:
		return "", gcpapi.ReadError("cloudresourcemanager", "projects.get", []string{"resourcemanager.projects.get"}, err)
	}
	number := strconv.FormatInt(p.ProjectNumber, 10)
	r.scope = number
	if r.cfg.ScopeID != "" {
		if r.cfg.ScopeID != number && !r.scopeWarned {
			r.scopeWarned = true
			r.set.Logger.Warn("scope_id differs from the project number; using scope_id", zap.String("scope_id", r.cfg.ScopeID), zap.String("project_number", number))
		}
		r.scope = r.cfg.ScopeID
	}
	return r.scope, nil
}

// filter selects the flow log entries of one window, both ends included.
func (r *flowLogsReceiver) filter(from, to time.Time) string {
	return fmt.Sprintf(`logName="projects/%s/logs/%s" AND timestamp>="%s" AND timestamp<="%s"`,
		r.cfg.ProjectID, flowLog, from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano))
}

// crawl reads the window from the cursor to now minus delay, every page,
// emits its edges and moves the cursor. A failed read moves nothing: the
// next crawl reads the same window again, longer.
func (r *flowLogsReceiver) crawl(ctx context.Context) error {
	scope, err := r.scopeID(ctx)
	if err != nil {
		return err
	}
	end := r.now().Add(-r.cfg.Delay).UTC()
	if !end.After(r.cur.At) {
		return nil
	}
	agg := newAggregator(scope, r.cfg.ProjectID, r.clusters)
	var sqlErr error
	if agg.sql, sqlErr = r.cloudSQL(ctx, scope); sqlErr != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	var atEnd []string
	var malformed int64
	var rec record
	req := &logging.ListLogEntriesRequest{
		ResourceNames: []string{"projects/" + r.cfg.ProjectID},
		Filter:        r.filter(r.cur.At, end),
		OrderBy:       "timestamp asc",
		PageSize:      r.cfg.PageSize,
	}
	err = r.logging.Entries.List(req).Pages(ctx, func(p *logging.ListLogEntriesResponse) error {
		for _, e := range p.Entries {
			ts, err := time.Parse(time.RFC3339Nano, e.Timestamp)
			if err != nil {
				malformed++
				continue
			}
			if r.cur.skip(ts, e.InsertId) || ts.After(end) {
				continue
			}
			if ts.Equal(end) {
				atEnd = append(atEnd, e.InsertId)
			}
			if err := parseRecord(e.JsonPayload, &rec); err != nil {
				malformed++
				continue
			}
			agg.add(&rec)
		}
		return nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return gcpapi.ReadError("logging", "entries.list", []string{"logging.logEntries.list"}, err)
	}
	if malformed > 0 {
		r.totalMalformed += malformed
		r.set.Logger.Warn("Skipped malformed flow log entries", zap.Int64("malformed", malformed), zap.Int64("total_malformed", r.totalMalformed))
	}
	if obs := agg.observations(); len(obs) > 0 {
		batch := entity.NewBatch(r.source(scope))
		now := r.now()
		for _, o := range obs {
			if err := batch.AddObservation(now, o); err != nil {
				return err
			}
		}
		if err := r.next.ConsumeLogs(ctx, batch.Logs()); err != nil {
			return fmt.Errorf("consume: %w", err)
		}
	}
	next := r.cur
	next.advance(end, atEnd)
	if err := r.store.save(ctx, next); err != nil {
		return errors.Join(err, errors.New("the window will be read again"))
	}
	r.cur = next
	if sqlErr != nil {
		// The flows were emitted, their Cloud SQL ends as addresses.
		return crawl.Partial(sqlErr)
	}
	return nil
}

// cloudSQL maps the addresses of the project's Cloud SQL instances
// (primary and private, not the outgoing ones) to their IDs, as
// coordimap_gcp builds them; nil without resolve_cloud_sql.
func (r *flowLogsReceiver) cloudSQL(ctx context.Context, scope string) (map[string]string, error) {
	if r.sql == nil {
		return nil, nil
	}
	out := map[string]string{}
	err := r.sql.Instances.List(r.cfg.ProjectID).Pages(ctx, func(p *sqladmin.InstancesListResponse) error {
		for _, in := range p.Items {
			for _, ip := range in.IpAddresses {
				if ip.Type != "OUTGOING" && ip.IpAddress != "" {
					out[ip.IpAddress] = internalid.GCP(scope, in.GceZone, internalid.TypeGCPCloudSQL, in.Name)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, gcpapi.ReadError("sqladmin", "instances.list", []string{"cloudsql.instances.list"}, err)
	}
	return out, nil
}

func (r *flowLogsReceiver) source(scope string) entity.Source {
	return entity.Source{
		ScopeID:        scope,
		DataSourceType: dataSourceType,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config:         map[string]string{"project_id": r.cfg.ProjectID},
		Attributes:     map[string]string{"cloud.provider": "gcp", "cloud.account.id": r.cfg.ProjectID},
	}
}
