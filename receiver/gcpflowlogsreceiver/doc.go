// Package gcpflowlogsreceiver implements the coordimap_gcp_flow_logs
// receiver: every collection_interval it reads the VPC flow logs of one
// project from Cloud Logging (logging/v2 entries.list, every page) for
// the window since its cursor, aggregates the records into
// coordimap.relationship records of type gcp_network_flow from client to
// server, and moves the cursor (kept in a storage extension) once the
// batch is consumed, so a restart neither reads an entry twice nor skips
// one.
//
// Files: config.go, factory.go, record.go (the flow-record reader),
// aggregate.go (records to edges), cursor.go (the cursor and its storage)
// and receiver.go (lifecycle, loop, windows).
package gcpflowlogsreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/gcpflowlogsreceiver"
