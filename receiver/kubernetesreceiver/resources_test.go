package kubernetesreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func names(rs []*resource) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.name)
	}
	return out
}

func TestSelectResources(t *testing.T) {
	def := selectResources(nil)
	assert.Equal(t, []string{
		"nodes", "namespaces", "pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
		"services", "endpoints", "ingresses", "persistentvolumes", "persistentvolumeclaims", "storageclasses",
		"configmaps", "secrets", "serviceaccounts", "horizontalpodautoscalers",
	}, names(def.typed))
	assert.False(t, def.all)
	assert.Empty(t, def.named)

	some := selectResources([]string{"pods", "deployments.apps", "endpointslices", "certificates.cert-manager.io", "leases"})
	assert.Equal(t, []string{"pods", "deployments", "endpointslices"}, names(some.typed))
	assert.Equal(t, []string{"certificates.cert-manager.io", "leases"}, some.named)

	all := selectResources([]string{"all", "widgets.example.com"})
	assert.True(t, all.all)
	assert.Len(t, all.typed, len(typedResources), "all includes the typed resources outside the default set")
	assert.Equal(t, []string{"widgets.example.com"}, all.named)
}

func TestElementTypeNames(t *testing.T) {
	for kind, want := range map[string]string{
		"Pod":                     "pod",
		"HorizontalPodAutoscaler": "horizontal_pod_autoscaler",
		"CSINode":                 "csi_node",
		"APIService":              "api_service",
		"IPAddress":               "ip_address",
		"VolumeAttributesClass":   "volume_attributes_class",
		"PodDisruptionBudget":     "pod_disruption_budget",
		"V1Thing":                 "v1_thing",
	} {
		assert.Equal(t, want, snake(kind), kind)
	}
	assert.Equal(t, "kubernetes.limit_range", dynamicElemType("", "LimitRange"))
	assert.Equal(t, "kubernetes.certificate.cert-manager.io", dynamicElemType("cert-manager.io", "Certificate"))
	assert.Equal(t, "kubernetes.deployment", elemTypeOfKind("apps", "Deployment"))
	assert.Equal(t, "kubernetes.ingress_networking_v1", elemTypeOfKind("networking.k8s.io", "Ingress"))
	assert.Equal(t, "kubernetes.cron_tab.stable.example.com", elemTypeOfKind("stable.example.com", "CronTab"))
	assert.Equal(t, "apps", groupOf("apps/v1"))
	assert.Empty(t, groupOf("v1"))
}
