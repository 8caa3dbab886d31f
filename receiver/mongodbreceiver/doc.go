// Package mongodbreceiver implements the coordimap_mongodb receiver: it
// crawls a MongoDB deployment (replica set, sharded cluster through mongos,
// or standalone) every collection_interval and emits its structure
// (databases, collections with the fields inferred from a bounded sample,
// validators, indexes, views) and the clients connected to each database as
// entity event records built with internal/entity.
//
// The files follow the concern they hold: config.go (what users set),
// factory.go, connect.go (driver options, credentials and redaction),
// client.go (the seam over the driver: every command the receiver sends),
// replies.go (server replies to plain Go values; tests feed it recorded
// replies of real mongod servers), crawler.go (catalog to entity records)
// and receiver.go (lifecycle, crawl loop, scope discovery, deletes and
// status).
package mongodbreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/mongodbreceiver"
