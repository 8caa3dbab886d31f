package coordimapexporter

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// graphNode is one entity in the local graph file.
type graphNode struct {
	ID             string         `json:"id"`
	Type           string         `json:"type"`
	Name           string         `json:"name"`
	Status         string         `json:"status,omitempty"`
	Version        string         `json:"version,omitempty"`
	DataSourceID   string         `json:"data_source_id"`
	DataSourceType string         `json:"data_source_type"`
	ScopeID        string         `json:"scope_id"`
	Attributes     map[string]any `json:"attributes,omitempty"`
	ReportInterval int64          `json:"report_interval_seconds,omitempty"`
	FirstSeen      time.Time      `json:"first_seen"`
	LastSeen       time.Time      `json:"last_seen"`
}

// graphEdge is one relationship in the local graph file. Structural edges
// have an owner (the entity that declared them) and live as long as it;
// observed ones (flows) expire flow_ttl after they were last seen.
type graphEdge struct {
	Source            string    `json:"source"`
	Destination       string    `json:"destination"`
	Type              string    `json:"type"`
	RelationType      int       `json:"relation_type"`
	External          string    `json:"external,omitempty"`
	Owner             string    `json:"owner,omitempty"`
	Observed          bool      `json:"observed,omitempty"`
	Connections       int64     `json:"connections,omitempty"`
	FailedConnections int64     `json:"failed_connections,omitempty"`
	BytesSent         int64     `json:"bytes_sent,omitempty"`
	BytesReceived     int64     `json:"bytes_received,omitempty"`
	PacketsSent       int64     `json:"packets_sent,omitempty"`
	PacketsReceived   int64     `json:"packets_received,omitempty"`
	RejectedPackets   int64     `json:"rejected_packets,omitempty"`
	RejectedBytes     int64     `json:"rejected_bytes,omitempty"`
	FirstSeen         time.Time `json:"first_seen"`
	LastSeen          time.Time `json:"last_seen"`
}

// graphDocument is the graph file's content.
type graphDocument struct {
	GeneratedAt time.Time    `json:"generated_at"`
	Nodes       []*graphNode `json:"nodes"`
	Edges       []*graphEdge `json:"edges"`
}

type edgeKey struct{ src, dst, typ string }

// graphStore is the merged current graph of every data source.
type graphStore struct {
	path    string
	flowTTL time.Duration

	mu    sync.Mutex
	nodes map[string]*graphNode
	edges map[edgeKey]*graphEdge
	// owned: entity ID → the structural edges it declared.
	owned map[string][]edgeKey
	// touching: entity ID → every edge with it at either end.
	touching map[string]map[edgeKey]struct{}
	dirty    bool
}

func newGraphStore(path string, flowTTL time.Duration) *graphStore {
	return &graphStore{
		path:     path,
		flowTTL:  flowTTL,
		nodes:    map[string]*graphNode{},
		edges:    map[edgeKey]*graphEdge{},
		owned:    map[string][]edgeKey{},
		touching: map[string]map[edgeKey]struct{}{},
	}
}

// load restores a graph file written earlier, so first_seen survives
// restarts. A missing file is an empty graph.
func (g *graphStore) load() error {
	raw, err := os.ReadFile(g.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("graph_file: %w", err)
	}
	var doc graphDocument
	if err := json.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("graph_file %s: not a graph written by this exporter: %w", g.path, err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, n := range doc.Nodes {
		g.nodes[n.ID] = n
	}
	for _, e := range doc.Edges {
		k := edgeKey{e.Source, e.Destination, e.Type}
		g.putEdge(k, e)
		if e.Owner != "" {
			g.owned[e.Owner] = append(g.owned[e.Owner], k)
		}
	}
	return nil
}

// apply merges one push of entity records.
func (g *graphStore) apply(ld plog.Logs) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, rl := range ld.ResourceLogs().All() {
		src := entity.ReadSource(rl.Resource())
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				switch rec.Kind() {
				case entity.KindState:
					g.applyState(src, rec)
				case entity.KindDelete:
					g.removeNode(rec.InternalID())
				case entity.KindObservation:
					g.applyObservation(rec)
				}
			}
		}
	}
}

func (g *graphStore) applyState(src entity.Source, rec entity.Record) {
	id := rec.InternalID()
	if id == "" {
		return
	}
	ts := rec.Time()
	n, ok := g.nodes[id]
	if !ok {
		n = &graphNode{ID: id, FirstSeen: ts}
		g.nodes[id] = n
	}
	attrs := rec.Description().AsRaw()
	for _, k := range []string{entity.KeyName, entity.KeyStatus, entity.KeyVersion} {
		delete(attrs, k)
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	n.Type, n.Name, n.Status, n.Version = rec.Type(), rec.Name(), rec.Status(), rec.Version()
	n.DataSourceID, n.DataSourceType, n.ScopeID = src.DataSourceID, src.DataSourceType, src.ScopeID
	n.Attributes = attrs
	n.ReportInterval = int64(rec.ReportInterval() / time.Second)
	if ts.After(n.LastSeen) {
		n.LastSeen = ts
	}
	g.dirty = true

	// The entity's structural edges are replaced by the ones it lists now.
	var keep []edgeKey
	for _, l := range rec.Links() {
		if l.Target.InternalID == "" {
			continue
		}
		from, to, side := l.Ends(id)
		k := edgeKey{from, to, l.Type}
		e, ok := g.edges[k]
		if !ok {
			e = &graphEdge{Source: from, Destination: to, Type: l.Type, FirstSeen: ts}
			g.putEdge(k, e)
		}
		e.RelationType = relationCode(l.Type, relationCodeParentChild)
		e.External, e.Owner = string(side), id
		if ts.After(e.LastSeen) {
			e.LastSeen = ts
		}
		keep = append(keep, k)
	}
	for _, k := range g.owned[id] {
		if !slices.Contains(keep, k) {
			g.removeEdge(k)
		}
	}
	if len(keep) > 0 {
		g.owned[id] = keep
	} else {
		delete(g.owned, id)
	}
}

func (g *graphStore) applyObservation(rec entity.Record) {
	o := rec.Observation()
	if o.SourceID == "" || o.DestinationID == "" {
		return
	}
	ts := o.LastSeen
	if ts.IsZero() {
		ts = rec.Time()
	}
	first := o.FirstSeen
	if first.IsZero() {
		first = ts
	}
	k := edgeKey{o.SourceID, o.DestinationID, o.Type}
	e, ok := g.edges[k]
	if !ok {
		e = &graphEdge{Source: o.SourceID, Destination: o.DestinationID, Type: o.Type, Observed: true, FirstSeen: first}
		g.putEdge(k, e)
	}
	e.RelationType = relationCode(o.Type, relationCodeGenericFlow)
	e.External = string(o.External)
	e.Connections += o.Connections
	e.FailedConnections += o.FailedConnections
	e.BytesSent += o.BytesSent
	e.BytesReceived += o.BytesReceived
	e.PacketsSent += o.PacketsSent
	e.PacketsReceived += o.PacketsReceived
	e.RejectedPackets += o.RejectedPackets
	e.RejectedBytes += o.RejectedBytes
	if first.Before(e.FirstSeen) {
		e.FirstSeen = first
	}
	if ts.After(e.LastSeen) {
		e.LastSeen = ts
	}
	g.dirty = true
}

func relationCode(kind string, fallback int) int {
	if c, ok := relationCodes[kind]; ok {
		return c
	}
	return fallback
}

func (g *graphStore) putEdge(k edgeKey, e *graphEdge) {
	g.edges[k] = e
	for _, id := range []string{k.src, k.dst} {
		t := g.touching[id]
		if t == nil {
			t = map[edgeKey]struct{}{}
			g.touching[id] = t
		}
		t[k] = struct{}{}
	}
}

func (g *graphStore) removeEdge(k edgeKey) {
	if _, ok := g.edges[k]; !ok {
		return
	}
	delete(g.edges, k)
	for _, id := range []string{k.src, k.dst} {
		if t := g.touching[id]; t != nil {
			delete(t, k)
			if len(t) == 0 {
				delete(g.touching, id)
			}
		}
	}
	g.dirty = true
}

// removeNode drops an entity and every edge that touches it.
func (g *graphStore) removeNode(id string) {
	if _, ok := g.nodes[id]; ok {
		delete(g.nodes, id)
		g.dirty = true
	}
	for k := range g.touching[id] {
		g.removeEdge(k)
	}
	delete(g.owned, id)
}

// expire drops entities not re-reported within three report intervals and
// flows not seen within flow_ttl.
func (g *graphStore) expire(now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for id, n := range g.nodes {
		if n.ReportInterval > 0 && now.Sub(n.LastSeen) > 3*time.Duration(n.ReportInterval)*time.Second {
			g.removeNode(id)
		}
	}
	for k, e := range g.edges {
		if e.Observed && now.Sub(e.LastSeen) > g.flowTTL {
			g.removeEdge(k)
		}
	}
}

// snapshot is the graph, sorted so the file is stable.
func (g *graphStore) snapshot(now time.Time) graphDocument {
	g.mu.Lock()
	defer g.mu.Unlock()
	doc := graphDocument{GeneratedAt: now.UTC(), Nodes: make([]*graphNode, 0, len(g.nodes)), Edges: make([]*graphEdge, 0, len(g.edges))}
	for _, n := range g.nodes {
		c := *n
		doc.Nodes = append(doc.Nodes, &c)
	}
	for _, e := range g.edges {
		c := *e
		doc.Edges = append(doc.Edges, &c)
	}
	slices.SortFunc(doc.Nodes, func(a, b *graphNode) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(doc.Edges, func(a, b *graphEdge) int {
		if c := strings.Compare(a.Source, b.Source); c != 0 {
			return c
		}
		if c := strings.Compare(a.Destination, b.Destination); c != 0 {
			return c
		}
		return strings.Compare(a.Type, b.Type)
	})
	return doc
}

// flush writes the graph when it changed: to a temporary file in the same
// directory, synced, then renamed over the old one, so readers never see a
// half-written file.
func (g *graphStore) flush(now time.Time) error {
	g.expire(now)
	g.mu.Lock()
	dirty := g.dirty
	g.dirty = false
	g.mu.Unlock()
	if !dirty {
		return nil
	}
	doc := g.snapshot(now)
	if err := writeFileAtomic(g.path, doc); err != nil {
		g.mu.Lock()
		g.dirty = true
		g.mu.Unlock()
		return err
	}
	return nil
}

func writeFileAtomic(path string, doc graphDocument) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("graph_file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	enc := json.NewEncoder(tmp)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		tmp.Close()
		return fmt.Errorf("graph_file: encode: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("graph_file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("graph_file: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o600); err != nil {
		return fmt.Errorf("graph_file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("graph_file: %w", err)
	}
	return nil
}

// exportGraphFile writes the graph extension's live graph as the graph
// file, in the file's usual shape.
func exportGraphFile(ctx context.Context, s *graphstore.Store, path string, now time.Time) error {
	nodes, edges, err := s.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("graph_file: %w", err)
	}
	doc := graphDocument{GeneratedAt: now.UTC(), Nodes: make([]*graphNode, 0, len(nodes)), Edges: make([]*graphEdge, 0, len(edges))}
	for _, n := range nodes {
		doc.Nodes = append(doc.Nodes, &graphNode{
			ID: n.ID, Type: n.Type, Name: n.Name, Status: n.Status, Version: n.Version, DataSourceID: n.DataSourceID,
			DataSourceType: n.DataSourceType, ScopeID: n.ScopeID, Attributes: n.Attributes, ReportInterval: n.ReportInterval,
			FirstSeen: n.FirstSeen, LastSeen: n.LastSeen,
		})
	}
	for _, e := range edges {
		doc.Edges = append(doc.Edges, &graphEdge{
			Source: e.Source, Destination: e.Destination, Type: e.Type, RelationType: e.RelationType, External: e.External,
			Owner: e.Owner, Observed: e.Observed, Connections: e.Connections, FailedConnections: e.FailedConnections,
			BytesSent: e.BytesSent, BytesReceived: e.BytesReceived, FirstSeen: e.FirstSeen, LastSeen: e.LastSeen,
		})
	}
	return writeFileAtomic(path, doc)
}
