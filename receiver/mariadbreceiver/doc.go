// Package mariadbreceiver implements the coordimap_mariadb receiver, for
// MariaDB and MySQL (the original agent's data source types mariadb and
// mysql): it crawls information_schema every collection_interval and emits
// the structure it finds (schemas, tables with their columns and
// constraints, indexes, foreign keys, views, functions, procedures,
// triggers) and the clients in the process list as entity event records
// built with internal/entity.
//
// The files follow the concern they hold: config.go (what users set),
// factory.go, queries.go (the SQL, chosen by server flavor and version),
// client.go (the seam over database/sql and go-sql-driver/mysql),
// crawler.go (rows to entity records) and receiver.go (lifecycle, crawl
// loop, deletes and status).
package mariadbreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/mariadbreceiver"
