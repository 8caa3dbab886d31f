package gcpreceiver

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/gcpfake"
)

// Every element type with the IDs the recorded project gives, in the
// original agent's format `<scope>-<zone or region or empty>-<type>-<name>`
// (and its fixes: node pools hold their cluster, Cloud Run its region,
// regional disks and groups their region).
func TestTypes(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	r, sink := crawler(t, f)
	require.NoError(t, r.crawl(context.Background()))
	got := map[string][]string{}
	for _, rec := range crawltest.Records(sink.AllLogs()[0]) {
		if rec.Kind() == entity.KindState {
			got[rec.Type()] = append(got[rec.Type()], rec.InternalID())
		}
	}
	const s = "123456789012"
	tests := []struct {
		typ string
		ids []string
	}{
		{TypeProject, []string{s + "--gcp.project-shop-prod-1"}},
		{TypeRegion, []string{s + "--gcp.region-europe-west3", s + "--gcp.region-us-central1"}},
		{TypeZone, []string{s + "--gcp.zone-europe-west3-a", s + "--gcp.zone-europe-west3-b", s + "--gcp.zone-us-central1-a"}},
		{TypeNetwork, []string{s + "--gcp.network-default", s + "--gcp.network-shop-vpc"}},
		{TypeSubnetwork, []string{s + "-europe-west3-gcp.subnetwork-shop-eu", s + "-us-central1-gcp.subnetwork-shop-us", s + "-europe-west3-gcp.subnetwork-default"}},
		{TypeFirewall, []string{s + "--gcp.firewall-allow-ssh", s + "--gcp.firewall-allow-internal", s + "--gcp.firewall-deny-all-egress"}},
		{TypeRoute, []string{s + "--gcp.route-default-route-4e1d"}},
		{TypeRouter, []string{s + "-europe-west3-gcp.router-shop-router"}},
		{TypeCloudNAT, []string{s + "-europe-west3-gcp.cloud_nat-shop-router/shop-nat"}},
		{TypeVM, []string{s + "-europe-west3-a-gcp.vm_instance-web-1", s + "-europe-west3-a-gcp.vm_instance-web-2",
			s + "-europe-west3-b-gcp.vm_instance-gke-shop-gke-default-pool-9f3a-x1", s + "-us-central1-a-gcp.vm_instance-db-proxy"}},
		{TypeNodeGroup, []string{s + "-europe-west3-b-gcp.node_group-sole-tenant"}},
		{TypeDisk, []string{s + "-europe-west3-gcp.disk-shared-data", s + "-europe-west3-a-gcp.disk-web-1", s + "-europe-west3-a-gcp.disk-web-2", s + "-us-central1-a-gcp.disk-db-proxy"}},
		{TypeInstanceTemplate, []string{s + "--gcp.instance_template-web-template", s + "-europe-west3-gcp.instance_template-batch-template"}},
		{TypeInstanceGroup, []string{s + "-europe-west3-gcp.instance_group-web-mig", s + "-europe-west3-a-gcp.instance_group-web-unmanaged",
			s + "-europe-west3-b-gcp.instance_group-gke-shop-gke-default-pool-9f3a-grp"}},
		{TypeForwardingRule, []string{s + "--gcp.forwarding_rule-web-https", s + "--gcp.forwarding_rule-web-http", s + "-europe-west3-gcp.forwarding_rule-internal-tcp"}},
		{TypeTargetHTTPProxy, []string{s + "--gcp.target_http_proxy-web-http-proxy"}},
		{TypeTargetHTTPSProxy, []string{s + "--gcp.target_https_proxy-web-https-proxy"}},
		{TypeURLMap, []string{s + "--gcp.url_map-web-map"}},
		{TypeBackendService, []string{s + "--gcp.backend_service-web-be", s + "--gcp.backend_service-api-be", s + "-europe-west3-gcp.backend_service-internal-be"}},
		{TypeGKE, []string{s + "-europe-west3-gcp.gke-shop-gke", s + "-us-central1-a-gcp.gke-batch-gke"}},
		{TypeNodePool, []string{s + "-europe-west3-gcp.node_pool-shop-gke/default-pool", s + "-us-central1-a-gcp.node_pool-batch-gke/default-pool"}},
		{TypeWorkloadPool, []string{s + "--gcp.workload_identity_pool-shop-prod-1.svc.id.goog"}},
		{TypeCloudSQL, []string{s + "-europe-west3-a-gcp.cloud_sql-orders-db", s + "-us-central1-a-gcp.cloud_sql-legacy-mysql"}},
		{TypeBucket, []string{s + "-europe-west3-gcp.bucket-shop-assets", s + "-eu-gcp.bucket-shop-backups"}},
		{TypeCloudRun, []string{s + "-europe-west3-gcp.cloud_run-api", s + "-us-central1-gcp.cloud_run-api"}},
		{TypePubSubTopic, []string{s + "--gcp.pubsub_topic-orders", s + "--gcp.pubsub_topic-orders-dlq"}},
		{TypePubSubSub, []string{s + "--gcp.pubsub_subscription-orders-worker", s + "--gcp.pubsub_subscription-orders-push", s + "--gcp.pubsub_subscription-orphan"}},
		{TypeRedis, []string{s + "-europe-west3-gcp.redis-cache"}},
		{TypeServiceAccount, []string{s + "--gcp.service_account-app-sa@shop-prod-1.iam.gserviceaccount.com", s + "--gcp.service_account-gke-nodes@shop-prod-1.iam.gserviceaccount.com",
			s + "--gcp.service_account-old-ci@shop-prod-1.iam.gserviceaccount.com",
			// Members of another project, emitted as principals.
			s + "--gcp.service_account-shop-prod-1.svc.id.goog[shop/api]", s + "--gcp.service_account-ci@build-project.iam.gserviceaccount.com"}},
		{TypeIAMRole, []string{s + "--gcp.iam_role-projects/shop-prod-1/roles/deployer", s + "--gcp.iam_role-roles/owner", s + "--gcp.iam_role-roles/viewer",
			s + "--gcp.iam_role-roles/iam.workloadIdentityUser", s + "--gcp.iam_role-roles/storage.objectViewer", s + "--gcp.iam_role-roles/storage.admin",
			s + "--gcp.iam_role-roles/storage.objectAdmin", s + "--gcp.iam_role-roles/run.invoker"}},
		{TypePrincipalUser, []string{s + "--gcp.iam_principal_user-alice@example.com", s + "--gcp.iam_principal_user-bob@example.com"}},
		{TypePrincipalGroup, []string{s + "--gcp.iam_principal_group-ops@example.com"}},
		{TypePrincipalDomain, []string{s + "--gcp.iam_principal_domain-example.com"}},
		{TypePrincipalPublic, []string{s + "--gcp.iam_principal_public-allUsers"}},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			assert.ElementsMatch(t, tt.ids, got[tt.typ])
		})
		delete(got, tt.typ)
	}
	// Bindings: one per policy binding (project 4, buckets 3, Cloud Run 2),
	// hashed as the agent did.
	bindings := got[TypeIAMBinding]
	assert.Len(t, bindings, 9)
	assert.Contains(t, bindings, bindingID(s, s+"--gcp.project-shop-prod-1", "roles/owner", "user:alice@example.com", ""))
	assert.Contains(t, bindings, bindingID(s, s+"-europe-west3-gcp.cloud_run-api", "roles/run.invoker", "allUsers", ""))
	delete(got, TypeIAMBinding)
	assert.Empty(t, got, "every type is in the table")
}

// bindingID recomputes a binding ID the way the agent's
// buildIAMBindingInternalID did, without internalid (sha256sum of the key).
func bindingID(scope, resource, role, members, cond string) string {
	return scope + "--gcp.iam_binding-" + gcpfake.SHA256Hex(resource+"|"+role+"|"+members+"|"+cond)
}

func TestLinks(t *testing.T) {
	f := gcpfake.New(t, apiRoot, "")
	r, sink := crawler(t, f, func(c *Config) { c.ExternalMappings = []string{"europe-west3-shop-gke@uid-k8s"} })
	require.NoError(t, r.crawl(context.Background()))
	const s = "123456789012"
	edges := map[string]bool{}
	for _, rec := range crawltest.Records(sink.AllLogs()[0]) {
		for _, l := range rec.Links() {
			from, to, _ := l.Ends(rec.InternalID())
			edges[from+" → "+to] = true
		}
	}
	for _, e := range []string{
		// Zonal GKE cluster under its zone, regional under its region.
		s + "--gcp.zone-us-central1-a → " + s + "-us-central1-a-gcp.gke-batch-gke",
		s + "--gcp.region-europe-west3 → " + s + "-europe-west3-gcp.gke-shop-gke",
		// Regional disk and group under their region.
		s + "--gcp.region-europe-west3 → " + s + "-europe-west3-gcp.disk-shared-data",
		s + "--gcp.region-europe-west3 → " + s + "-europe-west3-gcp.instance_group-web-mig",
		s + "-europe-west3-a-gcp.vm_instance-web-1 → " + s + "-europe-west3-gcp.disk-shared-data",
		// Group members over two pages.
		s + "-europe-west3-a-gcp.instance_group-web-unmanaged → " + s + "-europe-west3-a-gcp.vm_instance-web-2",
		// The load-balancer chain down to the VMs.
		s + "--gcp.forwarding_rule-web-https → " + s + "--gcp.target_https_proxy-web-https-proxy",
		s + "--gcp.target_https_proxy-web-https-proxy → " + s + "--gcp.url_map-web-map",
		s + "--gcp.url_map-web-map → " + s + "--gcp.backend_service-api-be",
		s + "--gcp.backend_service-api-be → " + s + "-europe-west3-a-gcp.instance_group-web-unmanaged",
		s + "-europe-west3-gcp.forwarding_rule-internal-tcp → " + s + "-europe-west3-gcp.backend_service-internal-be",
		s + "-europe-west3-gcp.backend_service-internal-be → " + s + "-europe-west3-b-gcp.instance_group-gke-shop-gke-default-pool-9f3a-grp",
		s + "-europe-west3-gcp.node_pool-shop-gke/default-pool → " + s + "-europe-west3-b-gcp.instance_group-gke-shop-gke-default-pool-9f3a-grp",
		s + "-europe-west3-gcp.gke-shop-gke → " + s + "-europe-west3-gcp.node_pool-shop-gke/default-pool",
		s + "--gcp.network-shop-vpc → " + s + "-europe-west3-a-gcp.cloud_sql-orders-db",
		s + "-europe-west3-a-gcp.vm_instance-web-1 → " + s + "--gcp.service_account-app-sa@shop-prod-1.iam.gserviceaccount.com",
		s + "-europe-west3-gcp.cloud_run-api → " + s + "--gcp.service_account-app-sa@shop-prod-1.iam.gserviceaccount.com",
		s + "--gcp.pubsub_topic-orders → " + s + "--gcp.pubsub_subscription-orders-worker",
		s + "-europe-west3-gcp.router-shop-router → " + s + "-europe-west3-gcp.cloud_nat-shop-router/shop-nat",
		// The GKE node's VM → its Kubernetes node, through external_mappings.
		s + "-europe-west3-b-gcp.vm_instance-gke-shop-gke-default-pool-9f3a-x1 → uid-k8s--kubernetes.node-gke-shop-gke-default-pool-9f3a-x1",
	} {
		assert.True(t, edges[e], e)
	}
	addrs := map[string][]string{}
	for _, rec := range crawltest.Records(sink.AllLogs()[0]) {
		if a := rec.Addresses(); len(a) > 0 {
			addrs[rec.InternalID()] = a
		}
	}
	assert.Equal(t, map[string][]string{
		s + "-europe-west3-a-gcp.vm_instance-web-1":                             {"10.10.0.2", "34.89.1.2"},
		s + "-europe-west3-a-gcp.vm_instance-web-2":                             {"10.10.0.3"},
		s + "-europe-west3-b-gcp.vm_instance-gke-shop-gke-default-pool-9f3a-x1": {"10.10.0.20"},
		s + "-us-central1-a-gcp.vm_instance-db-proxy":                           {"10.11.0.5"},
		s + "-europe-west3-a-gcp.cloud_sql-orders-db":                           {"10.20.0.3"},
		s + "-us-central1-a-gcp.cloud_sql-legacy-mysql":                         {"34.66.2.2"},
		s + "--gcp.forwarding_rule-web-https":                                   {"34.120.0.10"},
		s + "--gcp.forwarding_rule-web-http":                                    {"34.120.0.10"},
		s + "-europe-west3-gcp.forwarding_rule-internal-tcp":                    {"10.10.0.50"},
		s + "-europe-west3-gcp.redis-cache":                                     {"10.30.0.4"},
	}, addrs, "GKE pod ranges are not addresses")
}
