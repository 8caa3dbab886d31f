package mariadbreceiver

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
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
	// connectTimeout bounds the TCP connect.
	connectTimeout = 10 * time.Second
	// minCrawlTimeout bounds one crawl when the interval is shorter.
	minCrawlTimeout = time.Minute
	// programName marks the receiver's sessions (connection attribute
	// program_name, shown in performance_schema.session_connect_attrs).
	programName = "otelcol-coordimap"
)

type mariaReceiver struct {
	cfg  *Config
	set  receiver.Settings
	next consumer.Logs

	host, endpoint string
	port           uint16
	dataSourceID   string
	mapping        internalid.Mapped
	filter         schemaFilter

	bg crawl.Background

	// Everything below belongs to the crawl loop goroutine once started.
	client *client
	// server is nil until the first successful connection.
	server  *serverInfo
	queries queries
	scopeID string
	// parts emits the schemas and remembers what each emitted.
	parts crawl.Partitions
	// missing holds the configured databases last found missing, so that
	// each is logged once.
	missing map[string]bool
	health  crawl.Health
}

func newReceiver(cfg *Config, set receiver.Settings, next consumer.Logs) *mariaReceiver {
	host, port, _ := cfg.HostPort() // validated by the collector
	return &mariaReceiver{
		cfg:          cfg,
		set:          set,
		next:         next,
		host:         host,
		port:         port,
		endpoint:     cfg.Endpoint,
		dataSourceID: cfg.DataSource(set.ID),
		mapping:      cfg.Mapping(),
		scopeID:      cfg.ScopeID,
		filter:       newSchemaFilter(cfg.Databases),
		parts:        crawl.Partitions{Kind: "schema", Source: "MariaDB/MySQL", Next: next, Logger: set.Logger},
		health:       crawl.Health{Source: "MariaDB/MySQL", ID: set.ID, Endpoint: cfg.Endpoint, Logger: set.Logger, Classify: errorClass},
		missing:      map[string]bool{},
	}
}

// Start prepares the connection settings (TLS files are read here) and
// starts the crawl loop; the loop connects, so a server that is down does
// not stop the collector.
func (r *mariaReceiver) Start(ctx context.Context, host component.Host) error {
	mc, err := r.driverConfig(ctx)
	if err != nil {
		return err
	}
	c, err := newClient(mc)
	if err != nil {
		return fmt.Errorf("%s: %w", r.set.ID, err)
	}
	r.client = c
	r.health.Start(host)
	r.set.Logger.Info("Starting MariaDB/MySQL crawl",
		zap.String("endpoint", r.endpoint), zap.String("user", r.cfg.Username),
		zap.Strings("databases", r.cfg.Databases), zap.Duration("collection_interval", r.cfg.CollectionInterval))
	r.bg.Go(func(ctx context.Context) {
		r.run(ctx)
	})
	return nil
}

// Shutdown stops the crawl loop, waits for it and closes the connection.
// Safe without Start.
func (r *mariaReceiver) Shutdown(context.Context) error {
	if !r.bg.Stop() {
		return nil
	}
	err := r.client.close()
	r.set.Logger.Info("Stopped MariaDB/MySQL crawl", zap.String("endpoint", r.endpoint))
	return err
}

// driverConfig is the driver's configuration. It is built field by field,
// never as a DSN string, so the password cannot end up in a parse error.
func (r *mariaReceiver) driverConfig(ctx context.Context) (*mysql.Config, error) {
	mc := mysql.NewConfig()
	mc.User = r.cfg.Username
	mc.Passwd = string(r.cfg.Password)
	mc.Net = "tcp"
	mc.Addr = r.endpoint
	mc.Timeout = connectTimeout
	// The schema filter's names are sent as escaped literals: one round
	// trip per query instead of prepare, execute and close.
	mc.InterpolateParams = true
	mc.ConnectionAttributes = "program_name:" + programName
	mc.Logger = driverLogger{r.set.Logger}
	tlsCfg, err := dbsource.LoadTLS(ctx, r.cfg.TLS, r.host)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.set.ID, err)
	}
	dbsource.WarnPlaintext(r.set.Logger, r.cfg.TLS, r.host)
	mc.TLS = tlsCfg
	return mc, nil
}

// driverLogger sends what the driver logs (connections it drops) to the
// collector's logger, at debug level: the crawl reports its own errors.
type driverLogger struct{ l *zap.Logger }

func (d driverLogger) Print(v ...any) { d.l.Debug("mysql driver: " + fmt.Sprint(v...)) }

// run crawls at once, then every collection_interval (sooner, with
// backoff, while the server is failing), until ctx ends.
func (r *mariaReceiver) run(ctx context.Context) {
	loop := crawl.Loop{Interval: r.cfg.CollectionInterval, Timeout: max(r.cfg.CollectionInterval, minCrawlTimeout)}
	loop.Run(ctx, r.crawl, r.health.Report)
}

// Server error numbers that mean the server is going away or gone.
var unavailableErrors = map[uint16]bool{
	1040: true, // ER_CON_COUNT_ERROR: too many connections
	1053: true, // ER_SERVER_SHUTDOWN
	1927: true, // ER_CONNECTION_KILLED
	2006: true, // CR_SERVER_GONE_ERROR
	2013: true, // CR_SERVER_LOST
}

// errorClass groups errors that are the same problem to a user, so that a
// server going down logs once and not once per symptom (shutdown in
// progress, then invalid connection, then connection refused).
func errorClass(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		if unavailableErrors[me.Number] {
			return "unavailable"
		}
		return "mysql error " + strconv.Itoa(int(me.Number))
	}
	var ce *connectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded):
		return "unavailable"
	}
	return err.Error()
}

// crawl reads the catalog of every crawled schema and the process list in
// one session, then emits one batch per schema. A crawl that fails emits
// nothing and keeps what was emitted last time.
func (r *mariaReceiver) crawl(ctx context.Context) error {
	now := time.Now()
	var cat *catalog
	var sessions []sessionRow
	err := r.client.session(ctx, func(conn *sql.Conn) error {
		if err := r.discover(ctx, conn); err != nil {
			return err
		}
		var err error
		if cat, err = readCatalog(ctx, conn, r.queries, r.filter); err != nil {
			return err
		}
		sessions, err = processList(ctx, conn)
		return err
	})
	if err != nil {
		return err
	}
	m := buildModel(cat)
	r.checkMissing(m)
	cr := newCrawler(r.scopeID, r.host, int64(r.port), r.mapping, r.cfg.CollectionInterval, *r.server, m)
	bySchema, serverWide := r.observations(sessions, m, now)

	var errs []error
	// Schemas that are gone (dropped, or no longer visible): delete what
	// they had.
	errs = append(errs, r.parts.GoneExcept(ctx, r.source(), now, slices.Collect(maps.Keys(m.bySchema)))...)
	for _, sm := range m.schemas {
		if err := r.crawlSchema(ctx, cr, sm, bySchema[sm.Name], now); err != nil {
			errs = append(errs, err)
		}
	}
	if len(serverWide) > 0 {
		batch := entity.NewBatch(r.source())
		for _, o := range serverWide {
			if err := batch.AddObservation(now, o); err != nil {
				return fmt.Errorf("client %s: %w", o.SourceID, err)
			}
		}
		if err := r.next.ConsumeLogs(ctx, batch.Logs()); err != nil {
			errs = append(errs, fmt.Errorf("server-wide clients: next consumer: %w", err))
		}
	}
	r.set.Logger.Debug("Crawled MariaDB/MySQL", zap.Int("schemas", len(m.schemas)), zap.Int("sessions", len(sessions)),
		zap.Duration("duration", time.Since(now)))
	return errors.Join(errs...)
}

// discover reads the server's identity once: its flavor and version choose
// the queries, its @@server_uid (MariaDB) or @@server_uuid (MySQL) is the
// scope when none is configured, and a configured scope that differs is
// warned about once.
func (r *mariaReceiver) discover(ctx context.Context, conn *sql.Conn) error {
	if r.server != nil {
		return nil
	}
	info, err := serverInfoOf(ctx, conn)
	if err != nil {
		return err
	}
	switch {
	case info.ScopeValue == "" && r.cfg.ScopeID == "":
		return fmt.Errorf("scope_id is not configured and cannot be discovered: server %s has neither @@server_uid nor @@server_uuid (set scope_id)", info.Version)
	case info.ScopeValue == "":
		r.set.Logger.Info("The server has neither @@server_uid nor @@server_uuid to check the configured scope_id against",
			zap.String("version", info.Version))
	case r.cfg.ScopeID == "":
		r.scopeID = info.ScopeValue
	case r.cfg.ScopeID != info.ScopeValue:
		r.set.Logger.Warn("Configured scope_id differs from the server's "+info.ScopeVariable+"; using the configured one",
			zap.String("scope_id", r.cfg.ScopeID), zap.String(info.ScopeVariable, info.ScopeValue))
	}
	r.server = &info
	r.queries = queriesFor(info)
	r.set.Logger.Info("Connected to the database server", zap.String("endpoint", r.endpoint),
		zap.String("flavor", info.Flavor), zap.String("version", info.Version),
		zap.String("scope_id", r.scopeID), zap.Int("catalog_queries", r.queries.count()))
	return nil
}

// checkMissing logs, once each, the configured databases that the crawl
// did not find (they do not exist, or the user has no privilege on them).
func (r *mariaReceiver) checkMissing(m *model) {
	for _, db := range r.cfg.Databases {
		_, found := m.bySchema[db]
		switch {
		case !found && !r.missing[db]:
			r.set.Logger.Warn("Configured database not found, or the user has no privilege on it", zap.String("database", db))
			r.missing[db] = true
		case found && r.missing[db]:
			r.set.Logger.Info("Configured database found", zap.String("database", db))
			delete(r.missing, db)
		}
	}
}

// observations turns the process list into client flows: one per client
// host and schema, to the schema's element. Sessions without a current
// schema, or in one that is not crawled, are flows to the server: to the
// mapping_internal_id target when it is set, else to the endpoint for the
// processor to resolve.
func (r *mariaReceiver) observations(sessions []sessionRow, m *model, now time.Time) (map[string][]entity.Observation, []entity.Observation) {
	type flow struct{ schema, client string }
	counts := map[flow]int64{}
	for _, s := range sessions {
		addr, ok := clientAddress(s.Host)
		if !ok {
			continue
		}
		schema := ""
		if s.DB.Valid && m.bySchema[s.DB.String] != nil {
			schema = s.DB.String
		}
		counts[flow{schema, addr}]++
	}
	flows := slices.SortedFunc(maps.Keys(counts), func(a, b flow) int {
		return cmp.Or(strings.Compare(a.schema, b.schema), strings.Compare(a.client, b.client))
	})
	bySchema := map[string][]entity.Observation{}
	var serverWide []entity.Observation
	for _, f := range flows {
		o := entity.Observation{
			Type:            entity.RelGenericFlow,
			External:        entity.ExternalSource,
			SourceID:        f.client,
			DestinationPort: int64(r.port),
			Connections:     counts[f],
			LastSeen:        now,
		}
		if f.schema != "" {
			o.DestinationID = internalid.MariaDBSchema(r.scopeID, f.schema)
			o.Partition = partition(f.schema)
			bySchema[f.schema] = append(bySchema[f.schema], o)
			continue
		}
		o.DestinationID = r.endpoint
		if r.mapping.ID != "" {
			o.DestinationID = r.mapping.ID
			o.External = entity.ExternalBothSides
		}
		serverWide = append(serverWide, o)
	}
	return bySchema, serverWide
}

// clientAddress is the client of a process list host: "ip:port" or
// "name:port" over TCP. Sessions over a socket or named pipe
// ("localhost"), server threads (empty) and name-resolved local sessions
// are skipped.
func clientAddress(host string) (string, bool) {
	i := strings.LastIndexByte(host, ':')
	if i <= 0 {
		return "", false
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host[:i], "["), "]")
	if strings.EqualFold(h, "localhost") {
		return "", false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().String(), true
	}
	return h, true
}

func (r *mariaReceiver) source() entity.Source {
	return entity.Source{
		ScopeID:        r.scopeID,
		DataSourceType: r.server.Flavor,
		DataSourceID:   r.dataSourceID,
		Name:           r.dataSourceID,
		Config:         r.cfg.ValuePairs(r.scopeID, r.cfg.TLS, r.cfg.Databases),
		Attributes: map[string]string{
			"db.system.name": r.server.Flavor,
			"server.address": r.host,
			"server.port":    strconv.Itoa(int(r.port)),
		},
	}
}

// crawlSchema emits one batch for a schema: deletes of what disappeared
// since the last successful crawl, the state of everything found, and the
// schema's clients.
func (r *mariaReceiver) crawlSchema(ctx context.Context, cr *crawler, sm *schemaModel, clients []entity.Observation, now time.Time) error {
	states, deletes, err := r.parts.Emit(ctx, r.source(), now, crawl.Partition{
		Name: sm.Name, Keys: cr.keys(sm), Observations: clients,
		Entities: func(yield func(entity.Entity) error) error { return cr.entities(sm, yield) },
	})
	if err != nil {
		return err
	}
	r.set.Logger.Debug("Crawled schema", zap.String("schema", sm.Name),
		zap.Int("entities", states), zap.Int("deletes", deletes), zap.Int("clients", len(clients)))
	return nil
}
