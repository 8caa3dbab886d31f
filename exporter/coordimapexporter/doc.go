// Package coordimapexporter turns entity event records into Coordimap graph
// elements. It posts them to the Coordimap API exactly as the original
// coordimap-agent did (envelope, element encoding, hashes, relationship
// elements, crawl_internal_id partitions) and keeps a local graph file of
// the merged current graph.
package coordimapexporter
