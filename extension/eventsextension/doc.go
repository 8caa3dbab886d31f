// Package eventsextension is the coordimap_events extension: it publishes
// the local graph's change feed (the coordimap_graph extension's store) to
// Kafka, one message per change keyed by internal ID, resuming after a
// restart at the last change Kafka acknowledged.
package eventsextension // import "github.com/coordimap/otelcol-coordimap/extension/eventsextension"
