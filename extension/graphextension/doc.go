// Package graphextension is the coordimap_graph extension: the local graph
// store (SQLite embedded, or PostgreSQL), and on one HTTP endpoint the web
// map, the JSON query API, an ingest endpoint compatible with the Coordimap
// API, and an MCP server. The coordimap exporter writes into it
// (`graph: coordimap_graph`).
package graphextension
