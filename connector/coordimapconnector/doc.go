// Package coordimapconnector implements the coordimap connector: it turns
// the traces (and the resources of metrics) that existing OpenTelemetry
// agents send into entity records (internal/entity) for the coordimap
// processor and exporter:
//
//   - a coordimap.asset.otel_service entity per service (service.namespace +
//     service.name, in the scope its resource names), linked to the
//     infrastructure it runs on (Kubernetes pod, workload and node, AWS
//     instance, GCP VM) with the internal IDs the receivers emit;
//   - otel_flow relationships between services, paired from client/producer
//     and server/consumer spans (trace ID + parent span ID), or one-sided
//     (inferred) from the peer a client span names, with request, error and
//     latency counters.
//
// Files: config.go, factory.go, connector.go (lifecycle, the flush loop),
// services.go (resources → services and infrastructure links), peer.go (the
// peer a one-sided span names), edges.go (edges and their counters),
// pending.go (the bounded store of unpaired spans), state.go (persistence
// through a storage extension), telemetry.go.
package coordimapconnector // import "github.com/coordimap/otelcol-coordimap/connector/coordimapconnector"
