// Package gcpreceiver implements the coordimap_gcp receiver: every
// collection_interval it reads one GCP project with the REST clients of
// google.golang.org/api (Compute Engine, GKE, Cloud SQL, Cloud Storage,
// Cloud Run, Pub/Sub, Memorystore, IAM, Resource Manager), every list to
// its last page, and emits the project's resources as entity event
// records built with internal/entity, with the element types and internal
// IDs of the original coordimap-agent (`<scope>-<zone or region or
// empty>-gcp.<kind>-<name>`).
//
// Files: config.go, factory.go, client.go (the seam over the REST
// clients), reads.go (one read per API list, each failing alone),
// entities.go and iam.go (API objects to entities) and receiver.go
// (lifecycle, loop, deletes, scope discovery).
package gcpreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/gcpreceiver"
