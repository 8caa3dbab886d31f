package coordimapconnector

import (
	"cmp"
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// dataSourceType is coordimap.data_source.type of the connector's records.
const dataSourceType = "otel"

// flush expires what outlived its ttl and emits the live services (state
// events, deletes for expired ones) and edges (relationship records with
// the calls since the previous flush), one resource per scope, services
// first so the processor has their states before the edges.
func (g *graph) flush(now time.Time, st *stats) plog.Logs {
	before := g.pending.len()
	g.pending.expire(now, func(h half) { g.expired(h, now, st) })
	st.unpaired += int64(g.pending.len() - before)

	batches := map[string]*entity.Batch{}
	var scopes []string
	batch := func(scope string) *entity.Batch {
		b := batches[scope]
		if b == nil {
			b = entity.NewBatch(entity.Source{
				ScopeID:        scope,
				DataSourceType: dataSourceType,
				DataSourceID:   g.dataSourceID,
				Name:           "OpenTelemetry services",
			})
			batches[scope] = b
			scopes = append(scopes, scope)
		}
		return b
	}

	svcs := make([]*service, 0, len(g.services))
	for _, s := range g.services {
		svcs = append(svcs, s)
	}
	slices.SortFunc(svcs, func(a, b *service) int { return cmp.Compare(a.id, b.id) })
	for _, s := range svcs {
		if now.Sub(s.lastSeen) > g.cfg.EdgeTTL {
			batch(s.key.scope).AddDelete(now, entity.Ref{Type: internalid.TypeOTelService, InternalID: s.id})
			delete(g.services, s.key)
			delete(g.byID, s.id)
			continue
		}
		for l, seen := range s.links {
			if now.Sub(seen) > g.cfg.EdgeTTL {
				delete(s.links, l)
			}
		}
		for inst, seen := range s.instances {
			if now.Sub(seen) > g.cfg.EdgeTTL {
				delete(s.instances, inst)
			}
		}
		// The body holds only what the service is: it changes when the
		// service does, not at every flush.
		_ = batch(s.key.scope).AddState(now, g.serviceEntity(s))
	}

	keys := make([]edgeKey, 0, len(g.edges))
	for k, e := range g.edges {
		src := g.byID[k.src]
		if src == nil || now.Sub(e.touched) > g.cfg.EdgeTTL {
			delete(g.edges, k)
			continue
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b edgeKey) int {
		return cmp.Or(cmp.Compare(a.src, b.src), cmp.Compare(a.dst, b.dst), cmp.Compare(a.name, b.name))
	})
	for _, k := range keys {
		e := g.edges[k]
		_ = batch(g.byID[k.src].key.scope).AddObservation(now, edgeObservation(k, e))
		e.dRequests, e.dErrors = 0, 0
	}

	out := plog.NewLogs()
	for _, scope := range scopes {
		batches[scope].Logs().ResourceLogs().MoveAndAppendTo(out.ResourceLogs())
	}
	return out
}

func (g *graph) serviceEntity(s *service) entity.Entity {
	links := make([]entity.Link, 0, len(s.links))
	for l := range s.links {
		links = append(links, entity.Link{
			Type:     entity.RelParentChild,
			External: true,
			Target:   entity.Ref{Type: l.typ, InternalID: l.id},
		})
	}
	slices.SortFunc(links, func(a, b entity.Link) int { return cmp.Compare(a.Target.InternalID, b.Target.InternalID) })
	desc := map[string]any{attrServiceName: s.key.name, "instances": int64(len(s.instances))}
	body := map[string]any{
		"service_name":   s.key.name,
		"instance_count": int64(len(s.instances)),
		"virtual":        s.virtual,
	}
	if s.key.namespace != "" {
		desc[attrServiceNamespace] = s.key.namespace
		body["service_namespace"] = s.key.namespace
	}
	if s.version != "" {
		body["service_version"] = s.version
	}
	if s.language != "" {
		desc[attrSDKLanguage] = s.language
		body["sdk_language"] = s.language
	}
	if s.virtual {
		desc["virtual"] = true
	}
	desc["last_seen"] = s.lastSeen.UTC().Format(time.RFC3339)
	return entity.Entity{
		Ref: entity.Ref{
			Type:       internalid.TypeOTelService,
			InternalID: s.id,
			NativeIDs:  map[string]any{attrServiceName: s.key.name, attrServiceNamespace: s.key.namespace},
		},
		Name:           s.key.name,
		Version:        s.version,
		Description:    desc,
		Links:          links,
		Body:           body,
		ReportInterval: g.cfg.FlushInterval,
	}
}

func edgeObservation(k edgeKey, e *edge) entity.Observation {
	pairing := entity.PairingInferred
	if e.paired {
		pairing = entity.PairingPaired
	}
	attrs := map[string]any{
		entity.AttrRelPairing:      pairing,
		entity.AttrRelRequests:     e.requests,
		entity.AttrRelErrors:       e.errors,
		entity.AttrRelLatencyP50Ms: e.latency.quantile(0.5),
		entity.AttrRelLatencyP95Ms: e.latency.quantile(0.95),
	}
	if e.peer != "" {
		attrs[entity.AttrRelPeer] = e.peer
	}
	o := entity.Observation{
		Type:              entity.RelOTelFlow,
		SourceID:          k.src,
		DestinationID:     k.dst,
		DestinationPort:   e.port,
		DestinationName:   k.name,
		Connections:       e.dRequests,
		FailedConnections: e.dErrors,
		FirstSeen:         e.firstSeen,
		LastSeen:          e.lastSeen,
		Attributes:        attrs,
	}
	if e.external {
		o.External = entity.ExternalDestination
	}
	return o
}
