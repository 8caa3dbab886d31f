package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// The known graph the browser test draws: a Kubernetes cluster (a
// namespace, pods, a node) and an AWS account (a VPC, an instance), a flow
// between two pods, one pod deleted an hour ago and one created since.
const (
	clusterScope = "c0ffee00-1111-4a4a-9999-000000000001"
	awsScope     = "123456789012"

	nsID      = clusterScope + "-shop-kubernetes.namespace-"
	apiID     = clusterScope + "-shop-kubernetes.pod-api-7c9f"
	dbID      = clusterScope + "-shop-kubernetes.pod-db-0"
	legacyID  = clusterScope + "-shop-kubernetes.pod-legacy-worker"
	newJobID  = clusterScope + "-shop-kubernetes.pod-new-job"
	k8sNodeID = clusterScope + "--kubernetes.node-n1"
	vpcID     = awsScope + "@vpc-0aa11"
	ec2ID     = awsScope + "@i-0abc1234"

	apiIP  = "10.42.0.17"
	ec2ARN = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc1234"
)

// fixtureTimes: everything is created at created, legacy-worker is
// deleted at deleted, new-job created at appeared.
type fixtureTimes struct {
	created, deleted, appeared time.Time
}

// liveNodes is the number of nodes of the fixture alive now.
const liveNodes = 7

func pod(name, ip string, at time.Time) graphstore.NodeState {
	id := clusterScope + "-shop-kubernetes.pod-" + name
	data, _ := json.Marshal(map[string]any{
		"metadata": map[string]any{"name": name, "namespace": "shop", "uid": "uid-" + name},
		"status":   map[string]any{"phase": "Running", "podIP": ip},
	})
	return graphstore.NodeState{
		ScopeID: clusterScope, ID: id, Type: "kubernetes.pod", Name: name, Status: "Running",
		DataSourceID: "kubernetes", DataSourceType: "kubernetes", Partition: "shop.kubernetes.namespace",
		Attributes: map[string]any{"k8s.namespace.name": "shop", "k8s.pod.uid": "uid-" + name, "k8s.pod.ip": ip},
		Data:       data, ReportInterval: time.Hour, At: at,
		Links: []graphstore.Edge{{Source: nsID, Destination: id, Type: "parent_child", RelationType: 3}}, LinksKnown: true,
	}
}

func writeFixture(t testing.TB, path string) fixtureTimes {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	ft := fixtureTimes{created: now.Add(-3 * time.Hour), deleted: now.Add(-time.Hour), appeared: now.Add(-30 * time.Minute)}
	store, err := graphstore.OpenSQLite(ctx, path, graphstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := ft.created
	first := graphstore.Batch{Nodes: []graphstore.NodeState{
		{ScopeID: clusterScope, ID: nsID, Type: "kubernetes.namespace", Name: "shop", Status: "Active",
			DataSourceID: "kubernetes", DataSourceType: "kubernetes", Partition: "shop.kubernetes.namespace",
			Attributes: map[string]any{"k8s.namespace.name": "shop"}, Data: []byte(`{"metadata":{"name":"shop"}}`), At: c},
		pod("api-7c9f", apiIP, c),
		pod("db-0", "10.42.0.23", c),
		pod("legacy-worker", "10.42.0.99", c),
		{ScopeID: clusterScope, ID: k8sNodeID, Type: "kubernetes.node", Name: "n1", Status: "Ready",
			DataSourceID: "kubernetes", DataSourceType: "kubernetes", Partition: "kubernetes.cluster",
			Attributes: map[string]any{"k8s.node.name": "n1"}, Data: []byte(`{"metadata":{"name":"n1"}}`), At: c},
		{ScopeID: awsScope, ID: vpcID, Type: "aws.vpc", Name: "main", DataSourceID: "aws", DataSourceType: "aws",
			Partition: "aws", Attributes: map[string]any{"cloud.region": "eu-west-1", "vpc_id": "vpc-0aa11"},
			Data: []byte(`{"VpcId":"vpc-0aa11","CidrBlock":"172.31.0.0/16"}`), At: c},
		{ScopeID: awsScope, ID: ec2ID, Type: "aws.instance", Name: "bastion", Status: "running",
			DataSourceID: "aws", DataSourceType: "aws", Partition: "aws",
			Attributes: map[string]any{"cloud.region": "eu-west-1", "vpc_id": "vpc-0aa11", "aws.arn": ec2ARN,
				"private_ip": "172.31.5.9"},
			Data: []byte(`{"InstanceId":"i-0abc1234","InstanceType":"t3.micro"}`), At: c,
			Links: []graphstore.Edge{{Source: vpcID, Destination: ec2ID, Type: "parent_child", RelationType: 3}}, LinksKnown: true},
	}}
	for i := range first.Nodes {
		first.Nodes[i].ReportInterval = 24 * time.Hour
	}
	first.Observations = []graphstore.Edge{{Source: apiID, Destination: dbID, Type: "ebpf_flow", RelationType: 104,
		Observed: true, DataSourceID: "flows", ScopeID: clusterScope, Connections: 12, BytesSent: 4096,
		FirstSeen: c, LastSeen: now.Add(-time.Minute)}}
	steps := []graphstore.Batch{
		first,
		{Deletes: []graphstore.NodeDelete{{ScopeID: clusterScope, ID: legacyID, At: ft.deleted}}},
		{Nodes: []graphstore.NodeState{pod("new-job", "10.42.0.51", ft.appeared)}},
	}
	for i, b := range steps {
		if err := store.Apply(ctx, b); err != nil {
			t.Fatalf("fixture batch %d: %v", i, err)
		}
	}
	if sum, err := store.Summary(ctx); err != nil || sum.Nodes != liveNodes {
		t.Fatalf("fixture: summary %+v, %v; want %d live nodes", sum, err, liveNodes)
	}
	return ft
}

// writeLargeFixture fills a store with n nodes in 50 namespaces of one
// cluster and about 3n edges: each pod's namespace, and two flows to
// earlier pods.
func writeLargeFixture(t testing.TB, path string, n int) {
	t.Helper()
	ctx := context.Background()
	store, err := graphstore.OpenSQLite(ctx, path, graphstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	at := time.Now().UTC().Add(-time.Hour)
	const namespaces = 50
	id := func(i int) string {
		if i < namespaces {
			return fmt.Sprintf("%s-ns%d-kubernetes.namespace-", clusterScope, i)
		}
		return fmt.Sprintf("%s-ns%d-kubernetes.pod-p%d", clusterScope, i%namespaces, i)
	}
	const chunk = 2000
	for start := 0; start < n; start += chunk {
		var b graphstore.Batch
		for i := start; i < min(start+chunk, n); i++ {
			ns := fmt.Sprintf("ns%d", i%namespaces)
			st := graphstore.NodeState{ScopeID: clusterScope, ID: id(i), Type: "kubernetes.pod", Name: fmt.Sprintf("p%d", i),
				DataSourceID: "kubernetes", DataSourceType: "kubernetes", Partition: ns + ".kubernetes.namespace",
				Attributes: map[string]any{"k8s.namespace.name": ns}, Data: []byte(`{}`), At: at,
				ReportInterval: 24 * time.Hour, LinksKnown: true}
			if i < namespaces {
				st.Type, st.Name = "kubernetes.namespace", ns
				st.Links = nil
			} else {
				st.Links = []graphstore.Edge{{Source: id(i % namespaces), Destination: id(i), Type: "parent_child", RelationType: 3}}
				// Two flows to earlier pods: half its index, and a hash of it.
				h := int((uint64(i) * 0x9E3779B97F4A7C15 >> 33) % uint64(i))
				for k, j := range []int{i / 2, h} {
					if j >= namespaces && j != i {
						b.Observations = append(b.Observations, graphstore.Edge{Source: id(i), Destination: id(j),
							Type: "ebpf_flow", RelationType: 104, Observed: true, Connections: int64(k + 1),
							FirstSeen: at, LastSeen: at})
					}
				}
			}
			b.Nodes = append(b.Nodes, st)
		}
		if err := store.Apply(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
}
