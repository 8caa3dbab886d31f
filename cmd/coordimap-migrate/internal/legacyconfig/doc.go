// Package legacyconfig converts a coordimap-agent configuration
// (coordimap.api_key, coordimap.data_sources[] with config: [{name,
// value}] and metric_rules) into an otelcol-coordimap configuration: one
// receiver per data source, the coordimap processor and exporter, the
// coordimap_graph extension, a persistent queue and the logs pipeline.
//
// Parse reads the legacy file and refuses what the agent would not have
// loaded. Convert never fails on content: each setting it cannot map,
// and each value the agent read otherwise than it reads, is a Finding
// with its line, and data sources it cannot convert are kept in a
// comment at the end of the result. The result always passes
// `otelcol-coordimap validate` once the environment variables it lists
// are set.
package legacyconfig
