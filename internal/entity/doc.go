// Package entity is the only place that writes and reads the entity event
// records every otelcol-coordimap component exchanges (see DESIGN.md, "The
// entity record").
//
// A receiver describes one data source instance with a [Source], adds
// [Entity] states, [Ref] deletes and [Relationship] observations to a
// [Batch], and hands [Batch.Logs] to the next consumer. The processor and the
// exporter read records back with [ReadSource] and [Read]; nobody spells the
// attribute keys by hand.
package entity
