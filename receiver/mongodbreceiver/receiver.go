package mongodbreceiver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/crawl"
	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

const (
	dataSourceType = "mongodb"
	// minCrawlTimeout bounds one crawl when the interval is shorter.
	minCrawlTimeout = time.Minute
	closeTimeout    = 5 * time.Second
)

type mongoReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	dataSourceID string
	// monitor, when set (tests), sees every command the driver sends.
	monitor *event.CommandMonitor
	// selectTimeout is the driver's server selection timeout (shorter in
	// tests).
	selectTimeout time.Duration

	bg crawl.Background

	// Everything below belongs to the crawl loop goroutine once started.
	conn   connSettings
	client *client
	mongos bool
	// parts emits the databases and remembers what each emitted.
	parts        crawl.Partitions
	scopeID      string
	scopeChecked bool
	health       crawl.Health
	// opsErr is the kind of the last currentOp failure ("" when it works);
	// sampleDenied is set once sampling was refused for lack of privilege.
	opsErr       string
	sampleDenied bool
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *mongoReceiver {
	r := &mongoReceiver{
		cfg:           cfg,
		set:           set,
		next:          next,
		dataSourceID:  cfg.DataSource(set.ID),
		scopeID:       cfg.ScopeID,
		parts:         crawl.Partitions{Kind: "database", Source: "MongoDB", Next: next, Logger: set.Logger},
		health:        crawl.Health{Source: "MongoDB", ID: set.ID, Logger: set.Logger, Classify: errorClass},
		selectTimeout: serverSelectionTimeout,
	}
	r.conn = r.connSettings(nil)
	r.health.Endpoint = r.conn.hostsString()
	return r
}

func (r *mongoReceiver) connSettings(tlsCfg *tls.Config) connSettings {
	s := newConnSettings(r.cfg, tlsCfg)
	s.selectTimeout = r.selectTimeout
	return s
}

// Start reads the TLS files and starts the crawl loop; the connection is
// made by the loop, so a server that is down (or a DNS name that does not
// resolve yet) does not stop the collector.
func (r *mongoReceiver) Start(ctx context.Context, host component.Host) error {
	// The driver checks each host's name.
	tlsCfg, err := dbsource.LoadTLS(ctx, r.cfg.TLS, "")
	if err != nil {
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.conn = r.connSettings(tlsCfg)
	r.health.Start(host)
	r.set.Logger.Info("Starting MongoDB crawl",
		zap.String("hosts", r.conn.hostsString()), zap.String("user", r.conn.username),
		zap.Strings("databases", r.cfg.Databases), zap.Duration("collection_interval", r.cfg.CollectionInterval))
	r.bg.Go(func(ctx context.Context) {
		r.run(ctx)
	})
	return nil
}

// Shutdown stops the crawl loop and waits for it; the loop closes the
// driver client. Safe without Start.
func (r *mongoReceiver) Shutdown(context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	r.set.Logger.Info("Stopped MongoDB crawl", zap.String("hosts", r.conn.hostsString()))
	return nil
}

// run crawls at once, then every collection_interval (sooner, with
// backoff, while the server is failing), until ctx ends.
func (r *mongoReceiver) run(ctx context.Context) {
	defer r.closeClient()
	loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
	loop.Run(ctx, func(ctx context.Context) error { return r.explain(r.crawl(ctx)) }, r.health.Report)
}

func (r *mongoReceiver) closeClient() {
	if r.client == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	if err := r.client.close(ctx); err != nil {
		r.set.Logger.Debug("Closing the MongoDB client", zap.Error(r.conn.redact(err)))
	}
	r.client = nil
}

// explain adds what a user needs to a failed crawl's error: the hosts, the
// user, a hint for authentication failures; credentials in a URI are
// redacted.
func (r *mongoReceiver) explain(err error) error {
	if err == nil {
		return nil
	}
	if hasCode(err, codeAuthenticationFailed) {
		err = fmt.Errorf("authentication failed (check username, password and the auth database, authSource): %w", err)
	}
	return r.conn.redact(fmt.Errorf("MongoDB %s (user %q): %w", r.conn.hostsString(), r.conn.username, err))
}

// errorClass groups errors that are the same problem to a user, so that a
// server going down logs once and not once per symptom (connection reset,
// then refused, then server selection timeouts).
func errorClass(err error) string {
	switch {
	case hasCode(err, codeAuthenticationFailed):
		return "authentication"
	case unavailable(err):
		return "unavailable"
	}
	var se mongo.ServerError
	if errors.As(err, &se) {
		var ce mongo.CommandError
		if errors.As(err, &ce) {
			return "code " + strconv.Itoa(int(ce.Code))
		}
	}
	return err.Error()
}

// unavailable says the server could not be reached or answered too late.
func unavailable(err error) bool {
	var sse topology.ServerSelectionError
	var ne net.Error
	return errors.As(err, &sse) || mongo.IsNetworkError(err) || mongo.IsTimeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne)
}

// crawl reads every database once and emits one batch per database. A
// database that fails keeps what it emitted last time; the others go on.
func (r *mongoReceiver) crawl(ctx context.Context) error {
	now := time.Now()
	if r.client == nil {
		mc, err := r.conn.connect(r.monitor)
		if err != nil {
			return fmt.Errorf("connecting: %w", err)
		}
		r.client = newClient(mc)
	}
	if err := r.checkScope(ctx); err != nil {
		return err
	}
	names, err := r.client.databases(ctx)
	if err != nil {
		return err
	}
	dbs := r.selectDatabases(names)
	flows, err := r.clientFlows(ctx, dbs)
	if err != nil {
		return err
	}

	var errs []error
	// Databases that are gone (dropped, or no longer listed): delete what
	// they had.
	errs = append(errs, r.parts.GoneExcept(ctx, r.source(), now, dbs)...)
	for _, db := range dbs {
		if err := r.crawlDatabase(ctx, db, now, flows[db]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// selectDatabases picks the databases to crawl among those listed: all
// but admin, config and local for "*", else the configured ones that
// exist (in configuration order).
func (r *mongoReceiver) selectDatabases(names []string) []string {
	if len(r.cfg.Databases) == 1 && r.cfg.Databases[0] == allDatabases {
		out := slices.DeleteFunc(slices.Clone(names), func(n string) bool { return slices.Contains(systemDatabases, n) })
		slices.Sort(out)
		return out
	}
	out := make([]string, 0, len(r.cfg.Databases))
	for _, db := range r.cfg.Databases {
		if slices.Contains(names, db) {
			out = append(out, db)
		}
	}
	return out
}

// checkScope discovers the deployment's ID once: it is the scope when none
// is configured, and a configured scope that differs is warned about once.
func (r *mongoReceiver) checkScope(ctx context.Context) error {
	if r.scopeChecked {
		return nil
	}
	h, err := r.client.hello(ctx)
	if err != nil {
		return err
	}
	r.mongos = h.Mongos
	d, err := r.discoverScope(ctx, h)
	if err != nil {
		return err
	}
	scope, warning, err := resolveScope(r.cfg.ScopeID, d)
	if err != nil {
		return err
	}
	r.scopeID = scope
	if warning != "" {
		r.set.Logger.Warn(warning, zap.String("scope_id", scope), zap.String("discovered", d.id), zap.String("source", d.source))
	}
	r.scopeChecked = true
	return nil
}

// resolveScope decides the scope from the configured one and what
// discovery found, with the warning to log once (if any).
func resolveScope(configured string, d discovered) (scope, warning string, err error) {
	switch {
	case configured == "" && d.id == "":
		return "", "", fmt.Errorf("scope_id is not configured and cannot be discovered: %s; set scope_id to a stable ID of this deployment", d.why)
	case configured == "" && d.weak:
		return d.id, "Using the replica set name as scope_id: the replica set ID (settings.replicaSetId) cannot be read (" + d.why +
			"); grant replSetGetConfig (role clusterMonitor) or set scope_id", nil
	case configured == "":
		return d.id, "", nil
	case d.id != "" && configured != d.id:
		return configured, "Configured scope_id differs from the deployment's " + d.source + "; using the configured one", nil
	}
	return configured, "", nil
}

// discovered is the outcome of scope discovery: an ID and where it comes
// from, or why there is none.
type discovered struct {
	id, source string
	// weak: the ID is the replica set name, a fallback.
	weak bool
	why  string
}

// discoverScope finds the deployment's ID: settings.replicaSetId of a
// replica set (its name when the configuration cannot be read), the
// clusterId of a sharded cluster, nothing for a standalone server. Only
// errors reaching the server are returned; refusals become the why.
func (r *mongoReceiver) discoverScope(ctx context.Context, h helloInfo) (discovered, error) {
	switch {
	case h.SetName != "":
		id, err := r.client.replicaSetID(ctx)
		if err == nil {
			return discovered{id: id, source: "replica set ID"}, nil
		}
		if unavailable(err) {
			return discovered{}, err
		}
		return discovered{id: h.SetName, source: "replica set name", weak: true, why: err.Error()}, nil
	case h.Mongos:
		id, err := r.client.clusterID(ctx)
		if err == nil {
			return discovered{id: id, source: "cluster ID"}, nil
		}
		if unavailable(err) {
			return discovered{}, err
		}
		return discovered{why: "the cluster ID cannot be read from config.version through mongos (" + err.Error() + ")"}, nil
	}
	return discovered{why: "the server is a standalone mongod (not a replica set member nor mongos), which has no ID"}, nil
}

// clientFlows reads the connections to the server and groups them per
// crawled database. A server that refuses currentOp (no inprog privilege,
// FerretDB, shared Atlas tiers) gives no flows: logged once per kind of
// refusal, not an error.
func (r *mongoReceiver) clientFlows(ctx context.Context, dbs []string) (map[string][]clientFlow, error) {
	ops, err := r.client.currentOps(ctx, r.mongos)
	if err != nil {
		if unavailable(err) {
			return nil, err
		}
		if class := errorClass(err); class != r.opsErr {
			r.set.Logger.Info("Cannot read client connections (currentOp); crawling without them. Grant inprog (role clusterMonitor) to see clients",
				zap.Error(r.conn.redact(err)))
			r.opsErr = class
		}
		return nil, nil
	}
	if r.opsErr != "" {
		r.set.Logger.Info("Reading client connections (currentOp) again")
		r.opsErr = ""
	}
	out := map[string][]clientFlow{}
	for _, f := range clientFlows(ops, func(db string) bool { return slices.Contains(dbs, db) }) {
		out[f.Database] = append(out[f.Database], f)
	}
	return out, nil
}

// readCatalog reads a database: its collections and views, then each
// collection's indexes and sample. Collections dropped meanwhile are left
// out.
func (r *mongoReceiver) readCatalog(ctx context.Context, db string) (*dbCatalog, error) {
	colls, err := r.client.collections(ctx, db)
	if err != nil {
		return nil, err
	}
	kept := colls[:0]
	for _, c := range colls {
		if c.Kind == kindView {
			kept = append(kept, c)
			continue
		}
		if c.Indexes, err = r.client.indexes(ctx, db, c.Name); errors.Is(err, errGone) {
			continue
		} else if err != nil {
			return nil, err
		}
		if r.cfg.SampleSize > 0 {
			ft, err := r.client.sample(ctx, db, c.Name, r.cfg.SampleSize)
			switch {
			case errors.Is(err, errGone):
				continue
			case hasCode(err, codeUnauthorized):
				if !r.sampleDenied {
					r.set.Logger.Warn("Not allowed to read documents, so fields are not inferred; grant find (role readAnyDatabase) or set sample_size: 0",
						zap.String("collection", db+"."+c.Name), zap.Error(r.conn.redact(err)))
					r.sampleDenied = true
				}
			case err != nil:
				return nil, err
			default:
				c.Fields, c.Sampled = ft.fields(), ft.docs
			}
		}
		kept = append(kept, c)
	}
	return &dbCatalog{Collections: kept}, nil
}

func (r *mongoReceiver) source() entity.Source {
	dbName := strings.Join(r.cfg.Databases, ",")
	cfg := map[string]string{
		"db_host":        r.conn.hostsString(),
		"db_name":        dbName,
		"crawl_interval": r.cfg.CrawlInterval(),
		"scope_id":       r.scopeID,
		"sample_size":    strconv.Itoa(r.cfg.SampleSize),
		"tls":            r.tlsMode(),
	}
	if r.conn.username != "" {
		cfg["db_user"] = r.conn.username
	}
	attrs := map[string]string{"db.system.name": "mongodb"}
	if host, port, err := r.conn.firstHost(); err == nil {
		attrs["server.address"] = host
		attrs["server.port"] = port
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

func (r *mongoReceiver) tlsMode() string {
	switch {
	case r.cfg.TLS.Insecure:
		return "disable"
	case r.cfg.TLS.InsecureSkipVerify:
		return "skip-verify"
	}
	return "verify"
}

func (r *mongoReceiver) crawler(db string) *crawler {
	cr := &crawler{
		scope:    r.scopeID,
		db:       db,
		host:     r.conn.hostsString(),
		interval: r.cfg.CollectionInterval,
	}
	if !r.conn.srv {
		cr.addresses = r.conn.hosts
	}
	return cr
}

// crawlDatabase emits one batch for db: deletes of what disappeared since
// the last successful crawl, the state of everything found, and the
// database's clients.
func (r *mongoReceiver) crawlDatabase(ctx context.Context, db string, now time.Time, flows []clientFlow) error {
	start := time.Now()
	cat, err := r.readCatalog(ctx, db)
	if err != nil {
		return err
	}
	cr := r.crawler(db)
	dbID := internalid.MongoDatabase(r.scopeID, db)
	_, port, _ := r.conn.firstHost()
	destPort, _ := strconv.ParseInt(port, 10, 64)
	obs := make([]entity.Observation, 0, len(flows))
	for _, f := range flows {
		obs = append(obs, entity.Observation{
			Type:            entity.RelGenericFlow,
			External:        entity.ExternalSource,
			SourceID:        f.Address,
			DestinationID:   dbID,
			DestinationPort: destPort,
			Partition:       cr.partition(),
			Connections:     f.Connections,
			LastSeen:        now,
		})
	}
	states, deletes, err := r.parts.Emit(ctx, r.source(), now, crawl.Partition{
		Name: db, Keys: cr.keys(cat), Observations: obs,
		Entities: func(yield func(entity.Entity) error) error { return cr.entities(cat, yield) },
	})
	if err != nil {
		return err
	}
	r.set.Logger.Debug("Crawled MongoDB database", zap.String("database", db),
		zap.Int("entities", states), zap.Int("deletes", deletes), zap.Int("clients", len(flows)),
		zap.Duration("duration", time.Since(start)))
	return nil
}
