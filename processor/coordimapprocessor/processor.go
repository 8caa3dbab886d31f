package coordimapprocessor

import (
	"context"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// scopePlaceholder is where a link's ID template takes the value found in
// external_mappings.
const scopePlaceholder = "{scope}"

// coordimapProcessor resolves mapping keys and address endpoints. Metric
// rules will be a second stage of processLogs, after resolution, so that
// they see internal IDs.
type coordimapProcessor struct {
	logger *zap.Logger
	table  *mapping.Table
	index  *addressIndex
	peers  *externalPeers
	now    func() time.Time
	tel    telemetry
	rules  *ruleRunner // nil when built without the factory (tests)
}

func newProcessor(set processor.Settings, cfg *Config) (*coordimapProcessor, error) {
	table, err := mapping.Parse(cfg.ExternalMappings)
	if err != nil {
		return nil, err
	}
	tel, err := newTelemetry(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &coordimapProcessor{
		logger: set.Logger,
		table:  table,
		index:  newAddressIndex(cfg.AddressTTL),
		peers:  newExternalPeers(cfg.ExternalPeers, cfg.AddressTTL),
		now:    time.Now,
		tel:    tel,
	}, nil
}

func (p *coordimapProcessor) start(ctx context.Context, host component.Host) error {
	if p.rules != nil {
		if err := p.rules.start(ctx, host); err != nil {
			return err
		}
	}
	p.logger.Info("coordimap processor started",
		zap.Int("external_mappings", p.table.Len()),
		zap.Duration("address_ttl", p.index.ttl))
	return nil
}

func (p *coordimapProcessor) shutdown(context.Context) error {
	p.rules.shutdown()
	p.logger.Info("coordimap processor stopped", zap.Int("indexed_addresses", p.index.len()))
	return nil
}

// stats counts one batch's outcomes.
type stats struct {
	linksResolved, linksUnresolved                     int64
	endpointsByMapping, endpointsByIndex, endpointsOut int64
}

// processLogs changes records in place, in order, so that a state event
// earlier in a batch already resolves the observations after it.
func (p *coordimapProcessor) processLogs(ctx context.Context, ld plog.Logs) (plog.Logs, error) {
	var st stats
	now := p.now()
	for _, rl := range ld.ResourceLogs().All() {
		dataSource := entity.ReadSource(rl.Resource()).DataSourceID
		ruled := p.rules.observeResource(rl.Resource(), dataSource)
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				switch rec.Kind() {
				case entity.KindState:
					p.processState(rec, dataSource, now, &st)
					if ruled {
						p.rules.observeState(rec, dataSource)
					}
				case entity.KindDelete:
					if id := rec.InternalID(); id != "" {
						p.index.forget(id)
					}
				case entity.KindObservation:
					p.processObservation(rec, dataSource, now, &st)
				}
			}
		}
	}
	p.peers.apply(ld, now)
	p.tel.record(ctx, st)
	if st.linksUnresolved > 0 || st.endpointsOut > 0 {
		p.logger.Debug("unresolved references in batch",
			zap.Int64("links", st.linksUnresolved), zap.Int64("endpoints", st.endpointsOut))
	}
	return ld, nil
}

// processState resolves the entity's mapping-key links and indexes the
// addresses it announces.
func (p *coordimapProcessor) processState(rec entity.Record, dataSource string, now time.Time, st *stats) {
	for i, l := range rec.Links() {
		if l.MappingKey == "" || l.Target.InternalID != "" {
			continue
		}
		scope, ok := p.table.Lookup(l.MappingKey)
		if !ok || l.IDTemplate == "" {
			st.linksUnresolved++
			continue
		}
		rec.ResolveLink(i, strings.ReplaceAll(l.IDTemplate, scopePlaceholder, scope))
		st.linksResolved++
	}

	id := rec.InternalID()
	if id == "" {
		return
	}
	raw := rec.Addresses()
	addrs := make([]netip.AddrPort, 0, len(raw))
	for _, s := range raw {
		if a, ok := parseAddress(s); ok {
			addrs = append(addrs, a)
		}
	}
	// A state event without addresses still clears what the entity
	// announced before, if anything.
	if len(addrs) > 0 || p.index.holds(id) {
		p.index.learn(id, rec.Type(), rec.Name(), dataSource, addrs, rec.ReportInterval(), now)
	}
}

// processObservation resolves address endpoints of a coordimap.relationship
// record. An end resolved through external_mappings, or to an entity of
// another data source, is marked external (the wire's
// coordimap.relationship.external.*_side).
func (p *coordimapProcessor) processObservation(rec entity.Record, dataSource string, now time.Time, st *stats) {
	o := rec.Observation()
	var port uint16
	if o.DestinationPort > 0 && o.DestinationPort <= 65535 {
		port = uint16(o.DestinationPort)
	}
	src, srcFound, srcExternal := p.resolveEndpoint(o.SourceID, 0, "", dataSource, now, st)
	dst, dstFound, dstExternal := p.resolveEndpoint(o.DestinationID, port, o.DestinationName, dataSource, now, st)
	if !srcFound && !dstFound {
		return
	}
	rec.SetObservationEndpoints(src, dst)
	srcExternal = srcExternal || o.External == entity.ExternalSource || o.External == entity.ExternalBothSides
	dstExternal = dstExternal || o.External == entity.ExternalDestination || o.External == entity.ExternalBothSides
	side := entity.NotExternal
	switch {
	case srcExternal && dstExternal:
		side = entity.ExternalBothSides
	case srcExternal:
		side = entity.ExternalSource
	case dstExternal:
		side = entity.ExternalDestination
	}
	if side != o.External {
		rec.SetObservationExternal(side)
	}
}

// resolveEndpoint returns the internal ID for an endpoint that is an
// address, whether it found one, and whether that ID belongs to another data
// source; anything else comes back as it is. A bare ip takes port, when not
// 0, as its port (the record's destination port). The order is:
// external_mappings for ip:port, then for ip; then the address index for
// ip:port, then for ip, where an announcer named name (when not empty) wins.
func (p *coordimapProcessor) resolveEndpoint(raw string, port uint16, name, dataSource string, now time.Time, st *stats) (id string, found, external bool) {
	ap, ok := parseAddress(raw)
	if !ok {
		return raw, false, false
	}
	rawHasPort := ap.Port() != 0
	if !rawHasPort && port != 0 {
		ap = netip.AddrPortFrom(ap.Addr(), port)
	}
	if id, ok := p.lookupMapping(raw, rawHasPort, ap); ok {
		st.endpointsByMapping++
		return id, true, true
	}
	if ap.Port() != 0 {
		if o, ok := p.index.lookup(ap, name, now); ok {
			st.endpointsByIndex++
			return o.id, true, o.dataSource != dataSource
		}
	}
	if o, ok := p.index.lookup(netip.AddrPortFrom(ap.Addr(), 0), name, now); ok {
		st.endpointsByIndex++
		return o.id, true, o.dataSource != dataSource
	}
	st.endpointsOut++
	return raw, false, false
}

// lookupMapping tries external_mappings with the ip:port forms of the
// endpoint (as written, then canonical), then with its bare ip forms (as
// written, then canonical). Canonical forms unmap IPv4-mapped IPv6, use
// lower case and compress IPv6 zeros; they are only built when they differ
// from what was written.
func (p *coordimapProcessor) lookupMapping(raw string, rawHasPort bool, ap netip.AddrPort) (string, bool) {
	if p.table.Len() == 0 {
		return "", false
	}
	var buf [64]byte
	if ap.Port() != 0 {
		if rawHasPort {
			if v, ok := p.table.Lookup(raw); ok {
				return v, true
			}
		}
		if b := ap.AppendTo(buf[:0]); !rawHasPort || string(b) != raw {
			if v, ok := p.table.Lookup(string(b)); ok {
				return v, true
			}
		}
	}
	if !rawHasPort {
		if v, ok := p.table.Lookup(raw); ok {
			return v, true
		}
	}
	if b := ap.Addr().AppendTo(buf[:0]); string(b) != raw {
		if v, ok := p.table.Lookup(string(b)); ok {
			return v, true
		}
	}
	return "", false
}

// telemetry is the processor's own metrics.
type telemetry struct {
	links, endpoints                         metric.Int64Counter
	resolved, unresolved, viaMapping, viaIdx metric.MeasurementOption
}

func newTelemetry(set component.TelemetrySettings) (telemetry, error) {
	meter := set.MeterProvider.Meter("github.com/coordimap/otelcol-coordimap/processor/coordimapprocessor")
	links, err := meter.Int64Counter("otelcol_processor_coordimap_links",
		metric.WithDescription("entity.state links with a mapping key, by outcome (resolved, unresolved)"),
		metric.WithUnit("{links}"))
	if err != nil {
		return telemetry{}, err
	}
	endpoints, err := meter.Int64Counter("otelcol_processor_coordimap_endpoints",
		metric.WithDescription("coordimap.relationship endpoints that are addresses, by outcome (mapping, address_index, unresolved)"),
		metric.WithUnit("{endpoints}"))
	if err != nil {
		return telemetry{}, err
	}
	outcome := func(v string) metric.MeasurementOption {
		return metric.WithAttributeSet(attribute.NewSet(attribute.String("outcome", v)))
	}
	return telemetry{
		links:      links,
		endpoints:  endpoints,
		resolved:   outcome("resolved"),
		unresolved: outcome("unresolved"),
		viaMapping: outcome("mapping"),
		viaIdx:     outcome("address_index"),
	}, nil
}

func (t telemetry) record(ctx context.Context, st stats) {
	add := func(c metric.Int64Counter, n int64, opt metric.MeasurementOption) {
		if n > 0 {
			c.Add(ctx, n, opt)
		}
	}
	add(t.links, st.linksResolved, t.resolved)
	add(t.links, st.linksUnresolved, t.unresolved)
	add(t.endpoints, st.endpointsByMapping, t.viaMapping)
	add(t.endpoints, st.endpointsByIndex, t.viaIdx)
	add(t.endpoints, st.endpointsOut, t.unresolved)
}
