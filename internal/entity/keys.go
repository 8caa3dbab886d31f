package entity

// Event names of the log records.
const (
	EventState        = "entity.state"
	EventDelete       = "entity.delete"
	EventRelationship = "coordimap.relationship"
)

// Resource attribute keys.
const (
	AttrScopeID           = "coordimap.scope_id"
	AttrDataSourceType    = "coordimap.data_source.type"
	AttrDataSourceID      = "coordimap.data_source.id"
	AttrDataSourceName    = "coordimap.data_source.name"
	AttrDataSourceDesc    = "coordimap.data_source.description"
	AttrDataSourceConfig  = "coordimap.data_source.config"
	AttrEntityType        = "entity.type"
	AttrEntityID          = "entity.id"
	AttrEntityDescription = "entity.description"
	AttrRelationships     = "entity.relationships"
	AttrReportInterval    = "entity.report.interval"
	AttrPartition         = "coordimap.crawl_internal_id"
	// AttrBodyOrdered (true) says the body's keys are in wire order, not
	// to be sorted when the element's data is written.
	AttrBodyOrdered = "coordimap.body.ordered"
	// AttrDataSourceMetricRules (resource) is the JSON array of the data
	// source's metric rules, sent as data_source_config.metric_rules.
	AttrDataSourceMetricRules = "coordimap.data_source.metric_rules"
)

// Keys inside entity.id and entity.description.
const (
	KeyInternalID = "coordimap.internal_id"
	KeyName       = "coordimap.name"
	// KeyStatus is the element status: Green, Orange, Red or NoStatus.
	KeyStatus = "coordimap.status"
	// KeyVersion is the element version (e.g. app.kubernetes.io/version).
	KeyVersion = "coordimap.version"
	// KeyMappingKey marks an unresolved reference: the processor looks the
	// value up in external_mappings to find the target's scope.
	KeyMappingKey = "coordimap.mapping.key"
	// KeyIDTemplate is the target's internal ID with the literal "{scope}"
	// where the scope found through external_mappings goes.
	KeyIDTemplate = "coordimap.mapping.id_template"
	// KeyAddresses lists the network addresses (ip or ip:port) an entity
	// answers on, so relationship endpoints can be resolved to it.
	KeyAddresses = "coordimap.addresses"
)

// Keys of one entry of entity.relationships.
const (
	KeyRelationshipType      = "relationship.type"
	KeyRelationshipDirection = "relationship.direction"
	KeyRelationshipExternal  = "relationship.external"
)

// Attribute keys of a coordimap.relationship record.
const (
	AttrRelType          = "relationship.type"
	AttrRelExternal      = "relationship.external"
	AttrRelSource        = "relationship.source.id"
	AttrRelDestination   = "relationship.destination.id"
	AttrRelConnections   = "relationship.connections"
	AttrRelFailed        = "relationship.failed_connections"
	AttrRelBytesSent     = "relationship.bytes_sent"
	AttrRelBytesReceived = "relationship.bytes_received"
	// Packet counters and rejected traffic, written only when not 0.
	AttrRelPacketsSent     = "relationship.packets_sent"
	AttrRelPacketsReceived = "relationship.packets_received"
	AttrRelRejectedPackets = "relationship.rejected_packets"
	AttrRelRejectedBytes   = "relationship.rejected_bytes"
	AttrRelFirstSeen       = "relationship.first_seen"
	AttrRelLastSeen        = "relationship.last_seen"
	AttrRelDestinationPort = "relationship.destination.port"
	// AttrRelDestinationName names the entity meant among those announcing
	// the destination address (a database's name).
	AttrRelDestinationName = "relationship.destination.name"
)

// Attributes of an otel_flow coordimap.relationship record (traces): the
// record's connections and failed connections count the requests and
// errors since the previous record of the edge; these hold the totals
// since first seen and the latency quantiles.
const (
	// AttrRelPairing is "paired" when both ends reported the call (client
	// and server spans matched), "inferred" when only the client did and
	// the destination is the peer it named.
	AttrRelPairing      = "relationship.otel.pairing"
	AttrRelRequests     = "relationship.otel.requests"
	AttrRelErrors       = "relationship.otel.errors"
	AttrRelLatencyP50Ms = "relationship.otel.latency_p50_ms"
	AttrRelLatencyP95Ms = "relationship.otel.latency_p95_ms"
	// AttrRelPeer names what a one-sided span called (peer.service,
	// server.address, db.namespace …), as the span said it.
	AttrRelPeer = "relationship.otel.peer"
)

// Values of AttrRelPairing.
const (
	PairingPaired   = "paired"
	PairingInferred = "inferred"
)
