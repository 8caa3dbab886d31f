package kubernetesreceiver

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

const scope = "uid"

// edges renders an entity's links as "src -> dst" lines, sorted; external
// links that are not resolved show their mapping key and template.
func edges(self string, ls []entity.Link) []string {
	var out []string
	for _, l := range ls {
		if l.MappingKey != "" {
			l.Target.InternalID = "?" + l.MappingKey + "=" + l.IDTemplate
		}
		from, to, side := l.Ends(self)
		line := from + " -> " + to
		if side != "" {
			line += " (external " + string(side) + ")"
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out
}

func linesOf(t *testing.T, res *resource, obj runtime.Object) []string {
	t.Helper()
	g := newGraph(scope, nil, 0)
	up(g, res, obj)
	k := keyOf(res, obj.(metav1.Object))
	return edges(g.id(k), g.objectLinks(k, g.objects[k]))
}

func TestPodLinks(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "api-7c9f-x", Namespace: "shop",
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "api-7c9f"}},
		},
		Spec: corev1.PodSpec{
			NodeName:           "n1",
			ServiceAccountName: "api",
			ImagePullSecrets:   []corev1.LocalObjectReference{{Name: "registry"}},
			Volumes: []corev1.Volume{
				{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "api-config"}}}},
				{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api-tls"}}},
				{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "api-data"}}},
				{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}},
				{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
				{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "ca-bundle"}}},
					{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "api-tls"}}},
					{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}},
				}}}},
			},
			InitContainers: []corev1.Container{{Name: "init", EnvFrom: []corev1.EnvFromSource{
				{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "init-env"}}},
			}}},
			Containers: []corev1.Container{{
				Name: "api",
				Env: []corev1.EnvVar{
					{Name: "PLAIN", Value: "x"},
					{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
					{Name: "MODE", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "api-config"}, Key: "mode"}}},
					{Name: "NODE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
				},
				EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "api-env"}}}},
			}},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
				Name: "debug", EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "debug-env"}}}},
			}}},
		},
	}
	p := "uid-shop-kubernetes.pod-api-7c9f-x"
	assert.ElementsMatch(t, []string{
		"uid--kubernetes.node-n1 -> " + p,
		"uid-shop-kubernetes.namespace- -> " + p,
		"uid-shop-kubernetes.replica_set-api-7c9f -> " + p,
		"uid-shop-kubernetes.service_account-api -> " + p,
		p + " -> uid-shop-kubernetes.config_map-api-config",
		p + " -> uid-shop-kubernetes.config_map-api-env",
		p + " -> uid-shop-kubernetes.config_map-ca-bundle",
		p + " -> uid-shop-kubernetes.config_map-debug-env",
		p + " -> uid-shop-kubernetes.pvc-api-7c9f-x-scratch",
		p + " -> uid-shop-kubernetes.pvc-api-data",
		p + " -> uid-shop-kubernetes.secret-api-tls",
		p + " -> uid-shop-kubernetes.secret-db",
		p + " -> uid-shop-kubernetes.secret-init-env",
		p + " -> uid-shop-kubernetes.secret-registry",
	}, linesOf(t, typedByName("pods"), pod))
}

// Owner references of every kind the receiver knows, and of kinds it does
// not (custom controllers).
func TestOwnerLinks(t *testing.T) {
	owned := func(apiVersion, kind, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: "child", Namespace: "ns", OwnerReferences: []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name}}}
	}
	tests := []struct {
		apiVersion, kind, want string
	}{
		{"apps/v1", "Deployment", "uid-ns-kubernetes.deployment-o"},
		{"apps/v1", "StatefulSet", "uid-ns-kubernetes.stateful_set-o"},
		{"apps/v1", "DaemonSet", "uid-ns-kubernetes.daemon_set-o"},
		{"batch/v1", "Job", "uid-ns-kubernetes.job-o"},
		{"batch/v1", "CronJob", "uid-ns-kubernetes.cronjob-o"},
		{"v1", "Node", "uid--kubernetes.node-o"}, // static pods
		{"argoproj.io/v1alpha1", "Rollout", "uid-ns-kubernetes.rollout.argoproj.io-o"},
	}
	for _, tt := range tests {
		pod := &corev1.Pod{ObjectMeta: owned(tt.apiVersion, tt.kind, "o")}
		assert.Contains(t, linesOf(t, typedByName("pods"), pod), tt.want+" -> uid-ns-kubernetes.pod-child", tt.kind)
	}
	job := &appsv1.ReplicaSet{ObjectMeta: owned("apps/v1", "Deployment", "web")}
	assert.ElementsMatch(t, []string{
		"uid-ns-kubernetes.deployment-web -> uid-ns-kubernetes.replica_set-child",
		"uid-ns-kubernetes.namespace- -> uid-ns-kubernetes.replica_set-child",
	}, linesOf(t, typedByName("replicasets"), job))
}

func TestSpecLinks(t *testing.T) {
	pvc := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Name: "data-db-0", Namespace: "db"}, Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-1"}}
	assert.ElementsMatch(t, []string{
		"uid-db-kubernetes.namespace- -> uid-db-kubernetes.pvc-data-db-0",
		"uid-db-kubernetes.pvc-data-db-0 -> uid--kubernetes.pv-pv-1",
	}, linesOf(t, typedByName("persistentvolumeclaims"), pvc))

	pv := &corev1.PersistentVolume{ObjectMeta: metav1.ObjectMeta{Name: "pv-1"}, Spec: corev1.PersistentVolumeSpec{StorageClassName: "standard"}}
	assert.ElementsMatch(t, []string{"uid--kubernetes.pv-pv-1 -> uid--kubernetes.storage_class-standard"}, linesOf(t, typedByName("persistentvolumes"), pv))

	ing := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: networkingv1.IngressSpec{
			DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "fallback"}},
			TLS:            []networkingv1.IngressTLS{{SecretName: "web-tls"}},
			Rules: []networkingv1.IngressRule{
				{Host: "a"},
				{Host: "b", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
					{Path: "/api", Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api"}}},
					{Path: "/v2", Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api"}}},
					{Path: "/static", Backend: networkingv1.IngressBackend{Resource: &corev1.TypedLocalObjectReference{Kind: "Bucket", Name: "b"}}},
				}}}},
			},
		},
	}
	i := "uid-shop-kubernetes.ingress_networking_v1-web"
	assert.ElementsMatch(t, []string{
		"uid-shop-kubernetes.namespace- -> " + i,
		i + " -> uid-shop-kubernetes.secret-web-tls",
		i + " -> uid-shop-kubernetes.service-api",
		i + " -> uid-shop-kubernetes.service-fallback",
	}, linesOf(t, typedByName("ingresses"), ing))

	hpa := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"},
		Spec:       autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}},
	}
	assert.ElementsMatch(t, []string{
		"uid-shop-kubernetes.horizontal_pod_autoscaler-api -> uid-shop-kubernetes.deployment-api",
		"uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.horizontal_pod_autoscaler-api",
	}, linesOf(t, typedByName("horizontalpodautoscalers"), hpa))

	//lint:ignore SA1019 v1 Endpoints are the agent's kubernetes.endpoint element
	ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop"}}
	assert.ElementsMatch(t, []string{
		"uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.endpoint-api",
		"uid-shop-kubernetes.service-api -> uid-shop-kubernetes.endpoint-api",
	}, linesOf(t, typedByName("endpoints"), ep))

	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "api-x1", Namespace: "shop", Labels: map[string]string{discoveryv1.LabelServiceName: "api"}}}
	assert.Contains(t, linesOf(t, typedByName("endpointslices"), slice), "uid-shop-kubernetes.service-api -> uid-shop-kubernetes.endpoint_slice-api-x1")

	// Cluster-wide objects have no namespace link.
	assert.Empty(t, linesOf(t, typedByName("namespaces"), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}))
}

func TestParseProviderID(t *testing.T) {
	tests := []struct {
		in   string
		want providerID
		ok   bool
	}{
		{"aws:///eu-west-1a/i-0abc123", providerID{cloud: "aws", zone: "eu-west-1a", instance: "i-0abc123"}, true},
		{"aws:///i-0abc123", providerID{cloud: "aws", instance: "i-0abc123"}, true},
		{"aws://eu-west-1a/i-0abc123", providerID{cloud: "aws", zone: "eu-west-1a", instance: "i-0abc123"}, true},
		{"aws:///eu-west-1a/fargate-ip-10-0-0-1", providerID{}, false},
		{"aws:///a/b/i-0abc", providerID{}, false},
		{"gce://my-project/europe-west1-b/gke-prod-pool-1-abcd", providerID{cloud: "gce", project: "my-project", zone: "europe-west1-b", instance: "gke-prod-pool-1-abcd"}, true},
		{"gce://my-project/europe-west1-b", providerID{}, false},
		{"gce:///europe-west1-b/n", providerID{}, false},
		{"azure:///subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/z", providerID{}, false},
		{"kind://docker/kind/kind-control-plane", providerID{}, false},
		{"", providerID{}, false},
	}
	for _, tt := range tests {
		got, ok := parseProviderID(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

// Links out of the cluster carry a mapping key for the processor, unless
// the receiver's own external_mappings resolve them.
func TestExternalLinks(t *testing.T) {
	gke := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "gke-n1"}, Spec: corev1.NodeSpec{ProviderID: "gce://my-project/europe-west1-b/gke-n1"}}
	aws := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "ip-10-0-0-1"}, Spec: corev1.NodeSpec{ProviderID: "aws:///eu-west-1a/i-0abc"}}
	kind := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "kind"}, Spec: corev1.NodeSpec{ProviderID: "kind://docker/kind/kind"}}
	ksa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "shop",
		Annotations: map[string]string{gkeServiceAccountAnnotation: "api@my-project-id.iam.gserviceaccount.com"}}}

	g := newGraph(scope, nil, 0)
	for _, o := range []runtime.Object{gke, aws, kind} {
		up(g, typedByName("nodes"), o)
	}
	up(g, typedByName("serviceaccounts"), ksa)
	lines := func(g *graph, k entityKey) []string { return edges(g.id(k), g.objectLinks(k, g.objects[k])) }
	assert.ElementsMatch(t, []string{"?europe-west1-b-gke-n1={scope}-europe-west1-b-gcp.vm_instance-gke-n1 -> uid--kubernetes.node-gke-n1 (external source_side)"},
		lines(g, entityKey{typeNode, "", "gke-n1"}))
	assert.ElementsMatch(t, []string{"?i-0abc={scope}@i-0abc -> uid--kubernetes.node-ip-10-0-0-1 (external source_side)"},
		lines(g, entityKey{typeNode, "", "ip-10-0-0-1"}))
	assert.Empty(t, lines(g, entityKey{typeNode, "", "kind"}))
	assert.ElementsMatch(t, []string{
		"uid-shop-kubernetes.namespace- -> uid-shop-kubernetes.service_account-api",
		"uid-shop-kubernetes.service_account-api -> ?api@my-project-id.iam.gserviceaccount.com={scope}--gcp.service_account-api@my-project-id.iam.gserviceaccount.com (external destination_side)",
	}, lines(g, entityKey{typeServiceAccount, "shop", "api"}))

	// With the receiver's own mappings.
	table, err := mapping.Parse([]string{
		"*my-project-id.iam.gserviceaccount.com@123456789012",
		"europe-west1-*@123456789012",
		"i-0abc@210987654321",
	})
	require.NoError(t, err)
	g.mappings = table
	assert.ElementsMatch(t, []string{"123456789012-europe-west1-b-gcp.vm_instance-gke-n1 -> uid--kubernetes.node-gke-n1 (external source_side)"},
		lines(g, entityKey{typeNode, "", "gke-n1"}))
	assert.ElementsMatch(t, []string{"210987654321@i-0abc -> uid--kubernetes.node-ip-10-0-0-1 (external source_side)"},
		lines(g, entityKey{typeNode, "", "ip-10-0-0-1"}))
	assert.Contains(t, lines(g, entityKey{typeServiceAccount, "shop", "api"}),
		"uid-shop-kubernetes.service_account-api -> 123456789012--gcp.service_account-api@my-project-id.iam.gserviceaccount.com (external destination_side)")
	sa := g.objectLinks(entityKey{typeServiceAccount, "shop", "api"}, g.objects[entityKey{typeServiceAccount, "shop", "api"}])
	for _, l := range sa {
		assert.Empty(t, l.MappingKey, "resolved here: nothing left for the processor")
	}
}
