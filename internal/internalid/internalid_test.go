package internalid

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The expected values are what github.com/coordimap/agent builds for the same
// inputs (internal/cloud/utils/internal_names.go, the postgres, mariadb and
// mongodb crawlers, internal/metrics/rules.go).
func TestFormats(t *testing.T) {
	at := time.Date(2026, 5, 11, 16, 49, 33, 0, time.FixedZone("x", 3600))
	cases := []struct{ got, want string }{
		{Kubernetes("cluster-uid-123", "default", "kubernetes.pod", "api-7c9f"), "cluster-uid-123-default-kubernetes.pod-api-7c9f"},
		{Kubernetes("uid", "", "kubernetes.node", "n1"), "uid--kubernetes.node-n1"},
		{Kubernetes("uid", "", "kubernetes.storage_class", "standard"), "uid--kubernetes.storage_class-standard"},
		{KubernetesNamespace("uid", "shop"), "uid-shop-kubernetes.namespace-"},
		{Kubernetes("uid", "shop", "kubernetes.helm_chart", "api-1.2.0"), "uid-shop-kubernetes.helm_chart-api-1.2.0"},
		{GCP("123456", "europe-west1-b", "gcp.vm_instance", "vm1"), "123456-europe-west1-b-gcp.vm_instance-vm1"},
		{GCP("123456", "", "gcp.region", "europe-west1"), "123456--gcp.region-europe-west1"},
		{GCP("123456", "", "gcp.service_account", "sa@p.iam.gserviceaccount.com"), "123456--gcp.service_account-sa@p.iam.gserviceaccount.com"},
		{AWS("123456789012", "i-0abc"), "123456789012@i-0abc"},
		{AWS("123456789012", "vpc-0abc"), "123456789012@vpc-0abc"},
		{PostgresDatabase("7710", "app"), "7710/app-@"},
		{PostgresSchema("7710", "app", "sales"), "7710/app-sales@"},
		{Postgres("7710", "app", "sales", "orders"), "7710/app-sales@orders"},
		{Postgres("sysid", "mydb", "public", "users_pkey"), "sysid/mydb-public@users_pkey"},
		{MariaDBSchema("s1", "shop"), "s1/shop@"},
		{MariaDB("s1", "shop", "orders"), "s1/shop@orders"},
		{MariaDBIndex("s1", "shop", "orders", "PRIMARY"), "s1/shop@orders.PRIMARY"},
		{MongoDatabase("rs0", "db"), "rs0/db"},
		{MongoCollection("rs0", "db", "users"), "rs0/db/users"},
		{MongoIndex("scope", "db", "users", "_id_"), "scope/db/users/users._id_"},
		{MetricTrigger("kube1", "es-pvc-low", at, []string{"uid-ns-kubernetes.pvc-b", "uid-ns-kubernetes.pvc-a"}),
			"metric-trigger:kube1:es-pvc-low:202605111549:uid-ns-kubernetes.pvc-a,uid-ns-kubernetes.pvc-b"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.got)
	}
}

// Host and process IDs are new (the original agent's flows crawler emitted
// neither); the format follows the `<scope>-<segment>-<name>` shape.
func TestHostProcessFormats(t *testing.T) {
	cases := []struct{ got, want string }{
		{Host("4f1c9a0e2b7d4c56a1e3f0b9d8c7a6e5", "web-1"), "4f1c9a0e2b7d4c56a1e3f0b9d8c7a6e5-host-web-1"},
		{Host("s", "node-a.example.com"), "s-host-node-a.example.com"},
		{Process("4f1c9a0e2b7d4c56a1e3f0b9d8c7a6e5", "web-1", "nginx"), "4f1c9a0e2b7d4c56a1e3f0b9d8c7a6e5-process-web-1-nginx"},
		{Process("s", "web-1", ProcessName(ProcessContext{}, "/usr/sbin/nginx")), "s-process-web-1-/usr/sbin/nginx"},
		{ProcessName(ProcessContext{Pod: "7c9f", Runtime: "containerd", Container: "3f2a9c1b7d4e5f60"}, "/usr/bin/java"), "pod=7c9f:/usr/bin/java"},
		{ProcessName(ProcessContext{Runtime: "docker", Container: "3f2a9c1b7d4e5f60", Netns: "x", Unit: "y"}, "/usr/sbin/nginx"), "docker=3f2a9c1b7d4e:/usr/sbin/nginx"},
		{ProcessName(ProcessContext{Container: "3f2a9c1b7d4e"}, "postgres"), "container=3f2a9c1b7d4e:postgres"},
		{ProcessName(ProcessContext{Netns: "blue", Unit: "web.service"}, "/usr/bin/python3.11"), "netns=blue,unit=web.service:/usr/bin/python3.11"},
		{ProcessName(ProcessContext{Unit: "nginx.service"}, "/usr/sbin/nginx"), "unit=nginx.service:/usr/sbin/nginx"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.got)
	}
}

func TestMetricTriggerDoesNotReorderCallerSlice(t *testing.T) {
	ids := []string{"b", "a"}
	MetricTrigger("d", "r", time.Unix(0, 0), ids)
	assert.Equal(t, []string{"b", "a"}, ids)
}

func TestFromMappingConfig(t *testing.T) {
	good := map[string]Mapped{
		"gcp:europe-west3-a:orders-db:123456":         {"123456-europe-west3-a-gcp.cloud_sql-orders-db", "gcp.cloud_sql"},
		"kube:shop:postgres:cluster-uid":              {"cluster-uid-shop-kubernetes.namespace-postgres", "kubernetes.namespace"},
		"kube:shop:kubernetes.stateful_set:pg:uid":    {"uid-shop-kubernetes.stateful_set-pg", "kubernetes.stateful_set"},
		"aws:123456789012:arn:aws:rds:eu-west-1:1:db": {"123456789012@arn:aws:rds:eu-west-1:1:db", ""},
		"123456789012@db-abc":                         {"123456789012@db-abc", ""},
	}
	for in, want := range good {
		got, err := FromMappingConfig(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "gcp:zone:name", "gcp::name:1", "kube:a:b", "kube:a:b:c:d:e", "aws:123", "aws::x"} {
		_, err := FromMappingConfig(bad)
		assert.Error(t, err, bad)
	}
}

// The agent's owner element is the bare account ID (CreateElement with the
// account as ID), not <scope>@<account>.
func TestAWSOwner(t *testing.T) {
	if got := AWSOwner("123456789012"); got != "123456789012" {
		t.Fatalf("AWSOwner = %q", got)
	}
}

// The binding ID as the original agent hashed it (sha256 of the key,
// computed here independently with sha256sum):
// printf '%s' '123--gcp.project-shop|roles/viewer|group:a@x.com,user:b@x.com|' | sha256sum
func TestGCPIAMBinding(t *testing.T) {
	got := GCPIAMBinding("123", "123--gcp.project-shop", "roles/viewer", []string{"group:a@x.com", "user:b@x.com"}, "")
	assert.Equal(t, "123--gcp.iam_binding-"+gcpBindingSum, got)
	assert.Equal(t, "t|d|e|l", GCPIAMCondition("t", "d", "e", "l"))
}

const gcpBindingSum = "abf87294469a5408a70f8527fd44e8fe40d9520b35d9a48114e42be955ba10ed"
