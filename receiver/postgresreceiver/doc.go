// Package postgresreceiver implements the coordimap_postgres receiver: it
// crawls the catalog of a PostgreSQL server every collection_interval and
// emits the structure it finds (databases, schemas, tables, partitions,
// views, materialized views, indexes, functions, procedures, sequences,
// foreign keys) and the clients connected to it as entity event records
// built with internal/entity.
//
// The files follow the concern they hold: config.go (what users set),
// factory.go, client.go (the seam over pgx: the catalog queries),
// crawler.go (catalog rows to entity records) and receiver.go (lifecycle,
// crawl loop, deletes and status).
package postgresreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/postgresreceiver"
