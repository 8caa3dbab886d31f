package entity

import (
	"time"
)

// Relationship types. Each one has a fixed relation_type code on the wire
// (see the exporter).
const (
	RelParentChild    = "parent_child"
	RelER             = "er"
	RelGenericFlow    = "generic_flow"
	RelGCPNetworkFlow = "gcp_network_flow"
	RelEBPFFlow       = "ebpf_flow"
	RelAWSNetworkFlow = "aws_network_flow"
	// RelOTelFlow is a service-to-service (or service-to-peer) call seen
	// in OpenTelemetry traces; the wire has no code of its own for it yet
	// and sends generic_flow's.
	RelOTelFlow = "otel_flow"
	// RelAttached is a policy attached to a principal (IAM); the wire has
	// no code of its own for it and sends parent_child's.
	RelAttached = "attached"
)

// ExternalSide says which end of a relationship belongs to another data
// source (another scope): the wire's coordimap.relationship.external.* kinds.
type ExternalSide string

const (
	NotExternal         ExternalSide = ""
	ExternalSource      ExternalSide = "source_side"
	ExternalDestination ExternalSide = "destination_side"
	ExternalBothSides   ExternalSide = "both_sides"
)

// Direction says which end of a structural relationship the entity that
// lists it is.
type Direction string

const (
	// Outgoing: the listing entity is the source (parent → child).
	Outgoing Direction = "outgoing"
	// Incoming: the listing entity is the destination; a child lists its
	// parent this way so that the edge lives and dies with the child.
	Incoming Direction = "incoming"
)

// Source is one data source instance: the resource of every record it emits.
type Source struct {
	ScopeID        string
	DataSourceType string
	DataSourceID   string
	// Name and Description become data_source_info on the wire.
	Name        string
	Description string
	// Config is the non-secret configuration, sent as value_pairs. Never put
	// a secret here.
	Config map[string]string
	// MetricRules is the JSON array of the data source's resolved metric
	// rules (set by the processor), sent as data_source_config.metric_rules.
	MetricRules string
	// Attributes holds extra semantic-convention resource attributes
	// (db.system.name, k8s.cluster.uid, cloud.account.id, …).
	Attributes map[string]string
}

// Ref points at an entity: its element type and internal ID, plus the
// source's native identifiers.
type Ref struct {
	Type       string
	InternalID string
	// NativeIDs are the source's own identifiers (k8s.pod.uid, oid, …).
	NativeIDs map[string]any
}

// Link is one structural relationship an entity knows at the source.
type Link struct {
	Type      string
	Direction Direction
	// External marks the target as owned by another data source (found
	// through external_mappings or a configured mapping_internal_id).
	External bool
	Target   Ref
	// MappingKey, when set, leaves Target.InternalID unresolved: the
	// processor finds the scope for this key in external_mappings and
	// builds the ID from IDTemplate by replacing "{scope}". A link with a
	// MappingKey and no IDTemplate cannot be resolved and stays unresolved.
	MappingKey string
	IDTemplate string
}

// Ends orients a link listed by the entity self: the edge's source and
// destination, and which end (if any) belongs to another data source.
func (l Link) Ends(self string) (from, to string, side ExternalSide) {
	if l.Direction == Incoming {
		if l.External {
			side = ExternalSource
		}
		return l.Target.InternalID, self, side
	}
	if l.External {
		side = ExternalDestination
	}
	return self, l.Target.InternalID, side
}

// Entity is one state event.
type Entity struct {
	Ref
	Name string
	// Status is Green, Orange, Red or empty (NoStatus on the wire).
	Status string
	// Version is the element version, when the source knows one.
	Version string
	// Partition is the crawl_internal_id the element travels under; empty
	// means the data source ID.
	Partition string
	// Description holds descriptive attributes (namespace, labels, status).
	Description map[string]any
	// Addresses are ip or ip:port strings the entity answers on.
	Addresses []string
	Links     []Link
	// Body is the source object; it becomes the element's data. Values must
	// be what pcommon.Map.FromRaw accepts.
	Body map[string]any
	// OrderedBody, when not nil, is the body instead of Body, with its
	// keys kept in the order given (at every level it holds Ordered): for
	// elements whose data must hash as the original agent's struct did
	// (metric triggers). Map values inside it are still written sorted.
	OrderedBody Ordered
	// ReportInterval is the time until the next state event is due.
	ReportInterval time.Duration
}

// Field is one key and value of an Ordered object.
type Field struct {
	Key   string
	Value any
}

// Ordered is an object whose keys keep their order on the wire.
type Ordered []Field

// Observation is traffic seen between two endpoints: a coordimap.relationship
// record. Endpoints are internal IDs or unresolved addresses (ip, ip:port).
type Observation struct {
	Type string
	// External says which endpoints belong to another data source.
	External        ExternalSide
	SourceID        string
	DestinationID   string
	DestinationPort int64
	// DestinationName, when the destination is an address several
	// entities share (the databases of one server), is the name of the
	// one meant (the database's name).
	DestinationName   string
	Partition         string
	Connections       int64
	FailedConnections int64
	// BytesSent and PacketsSent run source → destination (client →
	// server: requests), BytesReceived and PacketsReceived back
	// (responses); all four count accepted traffic only.
	BytesSent       int64
	BytesReceived   int64
	PacketsSent     int64
	PacketsReceived int64
	// RejectedPackets and RejectedBytes are the traffic refused (security
	// groups, network ACLs) in either direction; FailedConnections counts
	// the refused or failed attempts.
	RejectedPackets int64
	RejectedBytes   int64
	FirstSeen       time.Time
	LastSeen        time.Time
	// Attributes holds anything else worth keeping (process name, …).
	Attributes map[string]any
}

// Wire relation_type codes of the Coordimap API.
const (
	RelationCodeParentChild = 3
	RelationCodeGenericFlow = 100
)

// RelationCodes maps relationship types to the Coordimap wire's
// relation_type.
var RelationCodes = map[string]int{
	RelParentChild:           RelationCodeParentChild,
	RelER:                    4,
	RelGenericFlow:           RelationCodeGenericFlow,
	RelGCPNetworkFlow:        101,
	"kubernetes_retina_flow": 102,
	"kubernetes_istio_flow":  103,
	RelEBPFFlow:              104,
	RelAWSNetworkFlow:        105,
	RelAttached:              RelationCodeParentChild,
	RelOTelFlow:              RelationCodeGenericFlow,
}

// RelationCode is the wire code of a relationship type, or fallback for a
// type the wire has no code for.
func RelationCode(kind string, fallback int) int {
	if c, ok := RelationCodes[kind]; ok {
		return c
	}
	return fallback
}
