// Package graphmcp is the Model Context Protocol server over the local graph
// store: read-only tools that search the graph, read an asset with its data
// and history, walk its relationships (neighbourhood, shortest path,
// impact) and report what changed. NewServer builds the server; the
// coordimap-mcp command serves it over stdio and the coordimap_graph
// extension over streamable HTTP (Handler).
//
// Tool names and their inputs are a stable interface: agents and prompts
// are written against them. Add tools and optional inputs; do not rename.
package graphmcp
