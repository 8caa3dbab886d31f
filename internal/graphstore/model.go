package graphstore

import (
	"encoding/json"
	"time"
)

// Node is one graph element: one per (scope, internal ID).
type Node struct {
	ScopeID string `json:"scope_id"`
	ID      string `json:"id"`
	Type    string `json:"type"`
	Name    string `json:"name"`
	Status  string `json:"status,omitempty"`
	Version string `json:"version,omitempty"`
	// Group is the namespace, VPC or region the node sits in, for the map's
	// grouping and filters (empty when the source knows none).
	Group          string `json:"group,omitempty"`
	DataSourceID   string `json:"data_source_id"`
	DataSourceType string `json:"data_source_type"`
	// DataSources lists every data source that reported the node.
	DataSources []string `json:"data_sources"`
	Partition   string   `json:"partition,omitempty"`
	// Attributes are the entity's descriptive attributes.
	Attributes map[string]any `json:"attributes,omitempty"`
	// Data is the element's data (the source object), decoded.
	Data           json.RawMessage `json:"data,omitempty"`
	Hash           string          `json:"hash"`
	ReportInterval int64           `json:"report_interval_seconds,omitempty"`
	FirstSeen      time.Time       `json:"first_seen"`
	LastSeen       time.Time       `json:"last_seen"`
	DeletedAt      *time.Time      `json:"deleted_at,omitempty"`
}

// Edge is one relationship between two internal IDs. Structural edges have
// an Owner (the entity that declared them) and live as long as it; observed
// ones (flows) expire by TTL after they were last seen.
type Edge struct {
	Source            string         `json:"source"`
	Destination       string         `json:"destination"`
	Type              string         `json:"type"`
	RelationType      int            `json:"relation_type"`
	External          string         `json:"external,omitempty"`
	Owner             string         `json:"owner,omitempty"`
	Observed          bool           `json:"observed,omitempty"`
	DataSourceID      string         `json:"data_source_id,omitempty"`
	ScopeID           string         `json:"scope_id,omitempty"`
	Connections       int64          `json:"connections,omitempty"`
	FailedConnections int64          `json:"failed_connections,omitempty"`
	BytesSent         int64          `json:"bytes_sent,omitempty"`
	BytesReceived     int64          `json:"bytes_received,omitempty"`
	Attributes        map[string]any `json:"attributes,omitempty"`
	FirstSeen         time.Time      `json:"first_seen"`
	LastSeen          time.Time      `json:"last_seen"`
	DeletedAt         *time.Time     `json:"deleted_at,omitempty"`
}

// EdgeKey identifies an edge.
type EdgeKey struct {
	Source, Destination, Type string
}

// Key is the edge's key.
func (e *Edge) Key() EdgeKey { return EdgeKey{e.Source, e.Destination, e.Type} }

// Change operations and kinds.
const (
	OpCreated = "created"
	OpUpdated = "updated"
	OpDeleted = "deleted"

	KindNode = "node"
	KindEdge = "edge"
)

// Change is one row of the change feed: a node or edge created, updated or
// deleted. Seq orders the feed; it only grows.
type Change struct {
	Seq          int64     `json:"seq"`
	At           time.Time `json:"at"`
	Op           string    `json:"op"`
	Kind         string    `json:"kind"`
	ScopeID      string    `json:"scope_id,omitempty"`
	ID           string    `json:"id"`
	Type         string    `json:"type"`
	Name         string    `json:"name,omitempty"`
	DataSourceID string    `json:"data_source_id,omitempty"`
	Partition    string    `json:"partition,omitempty"`
	// Source and Destination are set for edges (ID is "<src>.<dst>").
	Source      string `json:"source,omitempty"`
	Destination string `json:"destination,omitempty"`
	BeforeHash  string `json:"before_hash,omitempty"`
	AfterHash   string `json:"after_hash,omitempty"`
	// Fields are the top-level fields that changed (updates only).
	Fields []string `json:"fields,omitempty"`
}

// NodeState is what a batch says of one node. Data is the element's data as
// JSON (an object).
type NodeState struct {
	ScopeID        string
	ID             string
	Type           string
	Name           string
	Status         string
	Version        string
	DataSourceID   string
	DataSourceType string
	Partition      string
	Attributes     map[string]any
	Data           []byte
	ReportInterval time.Duration
	At             time.Time
	// Links are the structural edges the node declares now; they replace
	// the ones it declared before. LinksKnown false leaves them alone (a
	// source that sends edges separately, such as the Coordimap API's
	// relationship elements).
	Links      []Edge
	LinksKnown bool
}

// NodeDelete marks a node deleted.
type NodeDelete struct {
	ScopeID string // empty: every scope holding ID
	ID      string
	At      time.Time
}

// FullCrawl says that a data source's partition was crawled in full at At:
// its nodes not reported since Since are gone.
type FullCrawl struct {
	DataSourceID string
	Partition    string
	Since        time.Time
	At           time.Time
}

// CrawlMark says a snapshot of a data source's partition taken at At is
// arriving (the Coordimap API's requests: every request carries a whole
// partition, possibly split over several requests with the same At). When
// a mark newer than the partition's last one arrives, the last crawl is
// complete and its partition's nodes it did not report are deleted.
type CrawlMark struct {
	DataSourceID string
	Partition    string
	At           time.Time
}

// Batch is one write: applied in one transaction, in this order: node
// states, standalone edges, observations, deletes, full crawls, crawl
// marks.
type Batch struct {
	Nodes []NodeState
	// Edges are structural edges not declared by a node state (the
	// Coordimap API's relationship elements); they are upserted.
	Edges []Edge
	// Observations are observed traffic; their counters add up.
	Observations []Edge
	Deletes      []NodeDelete
	FullCrawls   []FullCrawl
	Crawls       []CrawlMark
}

// Len is the number of items in the batch.
func (b *Batch) Len() int {
	return len(b.Nodes) + len(b.Edges) + len(b.Observations) + len(b.Deletes) + len(b.FullCrawls) + len(b.Crawls)
}

// NodeFilter selects nodes. Empty fields select everything.
type NodeFilter struct {
	// Query matches the ID, name, group or any attribute or data value
	// (case-insensitive substring).
	Query        string
	Types        []string
	DataSourceID string
	ScopeID      string
	Group        string
	Status       string
	// AsOf shows the graph as it was then (nodes first seen by then and not
	// deleted by then); zero is now.
	AsOf time.Time
	// IncludeDeleted also returns deleted nodes (with DeletedAt set).
	IncludeDeleted bool
	Limit          int
	// After is the paging cursor: the (scope, id) of the last node of the
	// previous page.
	After string
}

// NodePage is one page of nodes.
type NodePage struct {
	Nodes []*Node `json:"nodes"`
	// Next is the cursor of the next page, empty on the last.
	Next  string `json:"next,omitempty"`
	Total int    `json:"total"`
}

// Direction of a traversal.
type Direction string

const (
	Downstream Direction = "downstream" // along edges: source → destination
	Upstream   Direction = "upstream"   // against edges
	Both       Direction = "both"
)

// Traversal bounds a walk over the graph.
type Traversal struct {
	Depth     int
	Direction Direction
	// RelationTypes limits the walk to these edge types (empty: all).
	RelationTypes []string
	// Limit caps the nodes returned.
	Limit int
	AsOf  time.Time
}

// Subgraph is a set of nodes and the edges among them.
type Subgraph struct {
	Nodes     []*Node `json:"nodes"`
	Edges     []*Edge `json:"edges"`
	Truncated bool    `json:"truncated,omitempty"`
	// Missing lists edge ends that are not nodes of the graph (unresolved
	// addresses, elements of sources not in this store).
	Missing []string `json:"missing,omitempty"`
}

// Summary counts what the store holds.
type Summary struct {
	Nodes        int            `json:"nodes"`
	Edges        int            `json:"edges"`
	DeletedNodes int            `json:"deleted_nodes"`
	ByType       map[string]int `json:"by_type"`
	ByDataSource map[string]int `json:"by_data_source"`
	ByScope      map[string]int `json:"by_scope"`
	ByRelation   map[string]int `json:"by_relation"`
	LastChange   int64          `json:"last_change"`
	Oldest       *time.Time     `json:"oldest_change,omitempty"`
}

// DataSource is one data source that reported to the store.
type DataSource struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	Scopes   []string  `json:"scopes"`
	Nodes    int       `json:"nodes"`
	LastSeen time.Time `json:"last_seen"`
}

// Diff is what changed between two times, one entry per element (its
// first and last change in the window collapsed).
type Diff struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Created []Change  `json:"created"`
	Updated []Change  `json:"updated"`
	Deleted []Change  `json:"deleted"`
}
