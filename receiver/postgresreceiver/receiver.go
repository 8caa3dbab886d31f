package postgresreceiver

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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
	dataSourceType = "postgres"
	// maintenanceDB is where server-wide queries run when no databases are
	// configured.
	maintenanceDB = "postgres"
	// minCrawlTimeout bounds one crawl when the interval is shorter.
	minCrawlTimeout = time.Minute
	closeTimeout    = 5 * time.Second
)

type pgReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	host, endpoint string
	port           uint16
	dataSourceID   string
	mapping        internalid.Mapped

	bg crawl.Background

	// Everything below belongs to the crawl loop goroutine once started.
	connCfg *pgx.ConnConfig
	clients map[string]*client
	// parts emits the databases and remembers what each emitted.
	parts        crawl.Partitions
	scopeID      string
	scopeChecked bool
	health       crawl.Health
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *pgReceiver {
	host, port, _ := cfg.HostPort() // validated by the collector
	return &pgReceiver{
		cfg:          cfg,
		set:          set,
		next:         next,
		host:         host,
		port:         port,
		endpoint:     cfg.Endpoint,
		dataSourceID: cfg.DataSource(set.ID),
		mapping:      cfg.Mapping(),
		scopeID:      cfg.ScopeID,
		clients:      map[string]*client{},
		parts:        crawl.Partitions{Kind: "database", Source: "PostgreSQL", Next: next, Logger: set.Logger},
		health:       crawl.Health{Source: "PostgreSQL", ID: set.ID, Endpoint: cfg.Endpoint, Logger: set.Logger, Classify: errorClass},
	}
}

// Start prepares the connection settings (TLS files are read here) and
// starts the crawl loop; connections are made by the loop, so a server that
// is down does not stop the collector.
func (r *pgReceiver) Start(ctx context.Context, host component.Host) error {
	connCfg, err := r.connConfig(ctx)
	if err != nil {
		return err
	}
	r.connCfg = connCfg
	r.health.Start(host)
	r.set.Logger.Info("Starting PostgreSQL crawl",
		zap.String("endpoint", r.endpoint), zap.String("user", r.cfg.Username),
		zap.Strings("databases", r.cfg.Databases), zap.Duration("collection_interval", r.cfg.CollectionInterval))
	r.bg.Go(func(ctx context.Context) {
		r.run(ctx)
	})
	return nil
}

// Shutdown stops the crawl loop and waits for it; it closes every
// connection. Safe without Start.
func (r *pgReceiver) Shutdown(context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	r.set.Logger.Info("Stopped PostgreSQL crawl", zap.String("endpoint", r.endpoint))
	return nil
}

func (r *pgReceiver) connConfig(ctx context.Context) (*pgx.ConnConfig, error) {
	// TLS is set below; sslmode=disable only keeps pgx from adding its own
	// TLS fallbacks.
	cc, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.set.ID, err)
	}
	cc.Host = r.host
	cc.Port = r.port
	cc.User = r.cfg.Username
	cc.Password = string(r.cfg.Password)
	cc.Fallbacks = nil
	cc.ConnectTimeout = connectTimeout
	cc.RuntimeParams = map[string]string{"application_name": applicationName}
	if cc.TLSConfig, err = dbsource.LoadTLS(ctx, r.cfg.TLS, r.host); err != nil {
		return nil, fmt.Errorf("%s: %w", r.set.ID, err)
	}
	dbsource.WarnPlaintext(r.set.Logger, r.cfg.TLS, r.host)
	return cc, nil
}

// run crawls at once, then every collection_interval (sooner, with
// backoff, while the server is failing), until ctx ends.
func (r *pgReceiver) run(ctx context.Context) {
	defer r.closeClients()
	loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
	loop.Run(ctx, r.crawl, r.health.Report)
}

// closeClient closes the connection to db and forgets it.
func (r *pgReceiver) closeClient(ctx context.Context, db string) {
	if c, ok := r.clients[db]; ok {
		c.close(ctx)
		delete(r.clients, db)
	}
}

func (r *pgReceiver) closeClients() {
	ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
	defer cancel()
	for name, c := range r.clients {
		c.close(ctx)
		delete(r.clients, name)
	}
}

// errorClass groups errors that are the same problem to a user, so that a
// server going down logs once and not once per symptom (connection
// terminated, then refused, then "starting up").
func errorClass(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"):
			return "unavailable"
		}
		return "sqlstate " + pgErr.Code
	}
	var ce *connectError
	if errors.As(err, &ce) || errors.Is(err, context.DeadlineExceeded) {
		return "unavailable"
	}
	return err.Error()
}

// serverDB is the database that server-wide queries run in.
func (r *pgReceiver) serverDB() string {
	if len(r.cfg.Databases) > 0 {
		return r.cfg.Databases[0]
	}
	return maintenanceDB
}

func (r *pgReceiver) client(db string) *client {
	c, ok := r.clients[db]
	if !ok {
		cc := r.connCfg.Copy()
		cc.Database = db
		c = newClient(cc)
		r.clients[db] = c
	}
	return c
}

// crawl reads every database once and emits one batch per database. A
// database that fails keeps what it emitted last time; the others go on.
func (r *pgReceiver) crawl(ctx context.Context) error {
	now := time.Now()
	server := r.client(r.serverDB())
	if err := r.checkScope(ctx, server); err != nil {
		return err
	}

	dbs := r.cfg.Databases
	if len(dbs) == 0 {
		var err error
		if dbs, err = server.databases(ctx); err != nil {
			return err
		}
	}

	activity, err := server.activity(ctx)
	if err != nil {
		return err
	}
	var errs []error
	clients := groupBy(activity, func(a activityRow) string { return a.Database })

	// Databases that are gone (dropped, or no longer allowed): delete what
	// they had.
	errs = append(errs, r.parts.GoneExcept(ctx, r.source(), now, dbs)...)

	for _, db := range dbs {
		if err := r.crawlDatabase(ctx, db, now, clients[db]); err != nil {
			errs = append(errs, err)
		}
		// The connection budget: one kept connection (server-wide
		// queries) and one more while a database is crawled, however
		// many databases the server has.
		if db != r.serverDB() {
			r.closeClient(ctx, db)
		}
	}
	return errors.Join(errs...)
}

// checkScope discovers system_identifier once: it is the scope when none is
// configured, and a configured scope that differs is warned about once.
func (r *pgReceiver) checkScope(ctx context.Context, server *client) error {
	if r.scopeChecked {
		return nil
	}
	sid, err := server.systemIdentifier(ctx)
	if err != nil {
		var ce *connectError
		switch {
		case errors.As(err, &ce): // the server is unreachable: no crawl anyway
			return err
		case r.cfg.ScopeID == "":
			return fmt.Errorf("scope_id is not configured and cannot be discovered (set scope_id): %w", err)
		}
		r.set.Logger.Info("Cannot read system_identifier to check the configured scope_id", zap.Error(err))
		r.scopeChecked = true
		return nil
	}
	r.scopeChecked = true
	switch {
	case r.cfg.ScopeID == "":
		r.scopeID = sid
	case r.cfg.ScopeID != sid:
		r.set.Logger.Warn("Configured scope_id differs from the server's system_identifier; using the configured one",
			zap.String("scope_id", r.cfg.ScopeID), zap.String("system_identifier", sid))
	}
	return nil
}

func (r *pgReceiver) source() entity.Source {
	return entity.Source{
		ScopeID:        r.scopeID,
		DataSourceType: dataSourceType,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config:         r.cfg.ValuePairs(r.scopeID, r.cfg.TLS, r.cfg.Databases),
		Attributes: map[string]string{
			"db.system.name": "postgresql",
			"server.address": r.host,
			"server.port":    strconv.Itoa(int(r.port)),
		},
	}
}

func (r *pgReceiver) crawler(db string) *crawler {
	return &crawler{
		scope:    r.scopeID,
		db:       db,
		host:     r.host,
		port:     int64(r.port),
		endpoint: r.endpoint,
		mapping:  r.mapping,
		interval: r.cfg.CollectionInterval,
	}
}

// crawlDatabase emits one batch for db: deletes of what disappeared since
// the last successful crawl, the state of everything found, and the
// database's clients.
func (r *pgReceiver) crawlDatabase(ctx context.Context, db string, now time.Time, clients []activityRow) error {
	start := time.Now()
	cat, err := r.client(db).catalog(ctx)
	if err != nil {
		return err
	}
	cr := r.crawler(db)
	dbID := internalid.PostgresDatabase(r.scopeID, db)
	obs := make([]entity.Observation, 0, len(clients))
	for _, c := range clients {
		obs = append(obs, entity.Observation{
			Type:            entity.RelGenericFlow,
			External:        entity.ExternalSource,
			SourceID:        c.Address,
			DestinationID:   dbID,
			DestinationPort: int64(r.port),
			Partition:       cr.partition(""),
			Connections:     c.Sessions,
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
	r.set.Logger.Debug("Crawled PostgreSQL database", zap.String("database", db),
		zap.Int("entities", states), zap.Int("deletes", deletes), zap.Int("clients", len(clients)),
		zap.Duration("duration", time.Since(start)))
	return nil
}
