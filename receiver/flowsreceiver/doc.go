// Package flowsreceiver implements the coordimap_flows receiver: eBPF
// programs (see /bpf) count TCP connections, failed connects, retransmits
// and bytes per flow in the kernel; every collection_interval the receiver
// reads those counters and emits
//
//   - logs: entity events for the host and its listening processes (server
//     mode) and a coordimap.relationship record per flow with traffic,
//     client → server (relationship type ebpf_flow);
//   - metrics: cumulative sums per flow (connections opened, failed,
//     active, retransmits, bytes sent and received).
//
// A receiver in both a logs and a metrics pipeline loads its programs once
// (shared.go). The files follow the concern they hold: config.go,
// factory.go, kernel*.go (the seam over the BPF programs and maps),
// proc.go (/proc: commands, containers, existing listeners), edges.go
// (kernel counters to per-edge deltas and totals), server.go and kube.go
// (resolving flows to hosts, processes, pods and services), records.go
// (records and metrics) and receiver.go (lifecycle and collection).
package flowsreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/flowsreceiver"
