// Package kubernetesreceiver implements the coordimap_kubernetes receiver: it
// watches a cluster's resources with shared informers and turns every change
// into entity events (internal/entity) with the relationships between the
// objects: namespace → object, owner references, service → pods by selector,
// node → pod, pod → the config maps, secrets and claims it uses, claim →
// volume → storage class, ingress → service, autoscaler → target, service
// account → pod, and the links out of the cluster (node → cloud VM, service
// account → GCP service account) that the coordimap processor resolves.
//
// The files follow the concern they hold: config.go (what users set),
// factory.go, client.go (the seam over client-go: REST config, clients,
// discovery, list/watch), resources.go (which resources, their element
// types), transform.go (informer transforms, bodies, the change hash),
// status.go, links.go (relationships), labels.go (the label
// pseudo-elements), graph.go (the state every record is computed from, and
// what was emitted) and receiver.go (lifecycle, informers, flushing).
package kubernetesreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
