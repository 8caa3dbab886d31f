// Package mcptest holds what the MCP server's tests share: a small known
// graph written to a real store, and the checks of every tool run through
// an MCP client session over any transport.
package mcptest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// The fixture's scopes, IDs and times.
const (
	KubeScope = "c0ffee00-1111-2222-3333-444455556666"
	AWSScope  = "123456789012"

	Namespace = KubeScope + "-shop-kubernetes.namespace-"
	Pod       = KubeScope + "-shop-kubernetes.pod-api-7c9f"
	OldPod    = KubeScope + "-shop-kubernetes.pod-api-old"
	Service   = KubeScope + "-shop-kubernetes.service-api"
	RDS       = AWSScope + "@arn:aws:rds:eu-west-1:123456789012:db:orders"
	VPC       = AWSScope + "@vpc-0abc"
	// Unresolved is a flow's destination that is no asset.
	Unresolved = "10.9.9.9:443"

	// ConfigMaps in the namespace, for capped outputs.
	ConfigMaps = 30
)

// T0 is when the fixture's graph was first crawled. Then:
// T0+30m flows pod → RDS and pod → Unresolved; T0+1h the pod's status
// changes; T0+2h OldPod is deleted.
var T0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// ConfigMap is the ID of the i-th config map.
func ConfigMap(i int) string {
	return fmt.Sprintf("%s-shop-kubernetes.configmap-cfg-%02d", KubeScope, i)
}

func link(src, dst string) graphstore.Edge {
	return graphstore.Edge{Source: src, Destination: dst, Type: "parent_child", RelationType: 3}
}

func kube(id, typ, name, status, data string, at time.Time, links ...graphstore.Edge) graphstore.NodeState {
	return graphstore.NodeState{ScopeID: KubeScope, ID: id, Type: typ, Name: name, Status: status, DataSourceID: "k8s",
		DataSourceType: "kubernetes", Partition: "shop.kubernetes.namespace",
		Attributes: map[string]any{"coordimap.name": name, "k8s.namespace.name": "shop"}, Data: []byte(data),
		ReportInterval: 0, At: at, Links: links, LinksKnown: true}
}

func aws(id, typ, name, status, data string, at time.Time, links ...graphstore.Edge) graphstore.NodeState {
	return graphstore.NodeState{ScopeID: AWSScope, ID: id, Type: typ, Name: name, Status: status, DataSourceID: "aws",
		DataSourceType: "aws", Partition: "aws", Attributes: map[string]any{"coordimap.name": name, "cloud.region": "eu-west-1"},
		Data: []byte(data), At: at, Links: links, LinksKnown: true}
}

// Write fills a new SQLite store at path with the fixture's graph and
// closes it.
func Write(tb testing.TB, path string) {
	tb.Helper()
	s, err := graphstore.OpenSQLite(context.Background(), path, graphstore.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer s.Close()
	Fill(tb, s)
}

// Fill writes the fixture's graph into an empty writable store.
func Fill(tb testing.TB, s *graphstore.Store) {
	tb.Helper()
	ctx := context.Background()
	podData := func(phase string) string {
		return `{"metadata":{"name":"api-7c9f","namespace":"shop","uid":"9f1c2d3e-pod"},"status":{"phase":"` + phase +
			`","podIP":"10.0.0.5"}}`
	}
	first := []graphstore.NodeState{
		kube(Namespace, "kubernetes.namespace", "shop", "Active", `{"metadata":{"name":"shop"}}`, T0),
		kube(Pod, "kubernetes.pod", "api-7c9f", "Running", podData("Running"), T0, link(Namespace, Pod)),
		kube(OldPod, "kubernetes.pod", "api-old", "Running", `{"metadata":{"name":"api-old"}}`, T0, link(Namespace, OldPod)),
		kube(Service, "kubernetes.service", "api", "", `{"spec":{"selector":{"app":"api"}}}`, T0, link(Service, Pod)),
		aws(VPC, "aws.vpc", "main", "available", `{"VpcId":"vpc-0abc","CidrBlock":"10.1.0.0/16"}`, T0),
		aws(RDS, "aws.rds", "orders", "available",
			`{"Engine":"postgres","Endpoint":{"Address":"orders.abc.eu-west-1.rds.amazonaws.com","Port":5432},"PrivateIp":"10.1.2.3"}`,
			T0, link(VPC, RDS)),
	}
	for i := range ConfigMaps {
		first = append(first, kube(ConfigMap(i), "kubernetes.configmap", fmt.Sprintf("cfg-%02d", i), "", `{}`, T0,
			link(Namespace, ConfigMap(i))))
	}
	flow := func(dst string, conns int64) graphstore.Edge {
		return graphstore.Edge{Source: Pod, Destination: dst, Type: "ebpf_flow", RelationType: 104, DataSourceID: "flows",
			ScopeID: KubeScope, Connections: conns, FailedConnections: 1, BytesSent: 2048, BytesReceived: 4096,
			FirstSeen: T0.Add(20 * time.Minute), LastSeen: T0.Add(30 * time.Minute)}
	}
	for _, b := range []graphstore.Batch{
		{Nodes: first},
		{Observations: []graphstore.Edge{flow(RDS, 12), flow(Unresolved, 3)}},
		{Nodes: []graphstore.NodeState{kube(Pod, "kubernetes.pod", "api-7c9f", "CrashLoopBackOff", podData("CrashLoopBackOff"),
			T0.Add(time.Hour), link(Namespace, Pod))}},
		{Deletes: []graphstore.NodeDelete{{ScopeID: KubeScope, ID: OldPod, At: T0.Add(2 * time.Hour)}}},
	} {
		if err := s.Apply(ctx, b); err != nil {
			tb.Fatal(err)
		}
	}
}
