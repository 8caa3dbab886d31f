package apiservertest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// Values that must never leave the collector unless asked for.
const (
	secretPassword = "s3cr3t-PASSWORD-value"
	secretTLSKey   = "-----BEGIN PRIVATE KEY-----fixture-KEY-material"
	configValue    = "mode: production-CONFIG-VALUE"
	// A literal env value and a container argument of the API's pods and
	// their templates.
	envLiteral = "env-LITERAL-db-password"
	argLiteral = "--token=ARG-LITERAL-token"
	gsaEmail   = "api@my-project-id.iam.gserviceaccount.com"
)

// No controller runs against the test server: everything a controller
// would write (replica sets, pods, jobs, endpoints, owner references,
// bindings) is written here by hand. Pods stay Pending.

func meta(ns, name string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels}
}

func owner(gvk schema.GroupVersionKind, m metav1.Object) []metav1.OwnerReference {
	return []metav1.OwnerReference{*metav1.NewControllerRef(m, gvk)}
}

var (
	gvkDeployment  = appsv1.SchemeGroupVersion.WithKind("Deployment")
	gvkReplicaSet  = appsv1.SchemeGroupVersion.WithKind("ReplicaSet")
	gvkStatefulSet = appsv1.SchemeGroupVersion.WithKind("StatefulSet")
	gvkDaemonSet   = appsv1.SchemeGroupVersion.WithKind("DaemonSet")
	gvkJob         = batchv1.SchemeGroupVersion.WithKind("Job")
	gvkCronJob     = batchv1.SchemeGroupVersion.WithKind("CronJob")
)

func podSpec(image string) corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: image}}}
}

func template(labels map[string]string, spec corev1.PodSpec) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}
}

func ptr[T any](v T) *T { return &v }

// must(v, err)(t) fails the test on an error and returns v.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		require.NoError(t, err)
		return v
	}
}

// createFixture writes a small shop: a web API with its replica set, pods,
// service, endpoints, ingress, autoscaler, config and secrets; a database
// stateful set with its claim and volume; a node agent daemon set; a
// nightly report cron job with a job and its pod; nodes on GKE, on AWS and
// on neither.
func createFixture(t testing.TB, c kubernetes.Interface) {
	ctx := context.Background()
	create := metav1.CreateOptions{}
	// The API server writes this config map shortly after it starts; wait
	// for it so that every snapshot sees the same cluster.
	require.Eventually(t, func() bool {
		_, err := c.CoreV1().ConfigMaps("kube-system").Get(ctx, "kube-apiserver-legacy-service-account-token-tracking", metav1.GetOptions{})
		return err == nil
	}, 30*time.Second, 20*time.Millisecond)

	for _, n := range []*corev1.Node{
		{ObjectMeta: meta("", "gke-prod-pool-1-abcd", map[string]string{"topology.kubernetes.io/zone": "europe-west1-b"}),
			Spec: corev1.NodeSpec{ProviderID: "gce://my-project-id/europe-west1-b/gke-prod-pool-1-abcd"}},
		{ObjectMeta: meta("", "ip-10-0-1-23.eu-west-1.compute.internal", nil),
			Spec: corev1.NodeSpec{ProviderID: "aws:///eu-west-1a/i-0abc123def4567890"}},
		{ObjectMeta: meta("", "bare-metal-1", nil)},
	} {
		must(c.CoreV1().Nodes().Create(ctx, n, create))(t)
	}
	must(c.StorageV1().StorageClasses().Create(ctx, &storagev1.StorageClass{
		ObjectMeta:  meta("", "standard", map[string]string{"app.kubernetes.io/name": "local-storage"}),
		Provisioner: "kubernetes.io/no-provisioner",
	}, create))(t)

	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: meta("", "shop", map[string]string{"app.kubernetes.io/part-of": "shop"})},
		{ObjectMeta: meta("", "data", nil)},
		{ObjectMeta: meta("", "monitoring", nil)},
	} {
		must(c.CoreV1().Namespaces().Create(ctx, ns, create))(t)
	}

	// shop: the API.
	apiLabels := map[string]string{
		"app.kubernetes.io/name":      "api",
		"app.kubernetes.io/part-of":   "shop",
		"app.kubernetes.io/component": "backend",
		"app.kubernetes.io/version":   "1.4.2",
		"helm.sh/chart":               "api-1.4.2",
	}
	selector := map[string]string{"app.kubernetes.io/name": "api"}
	must(c.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: "shop", Name: "api", Annotations: map[string]string{"iam.gke.io/gcp-service-account": gsaEmail},
	}}, create))(t)
	must(c.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "db-credentials", Annotations: map[string]string{
			// As kubectl apply leaves it: the whole object, values included.
			"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"Secret","stringData":{"password":"` + secretPassword + `"}}`,
		}},
		Data: map[string][]byte{"password": []byte(secretPassword), "username": []byte("api")},
	}, create))(t)
	must(c.CoreV1().Secrets("shop").Create(ctx, &corev1.Secret{
		ObjectMeta: meta("shop", "api-tls", nil),
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": []byte("-----BEGIN CERTIFICATE-----fixture"), "tls.key": []byte(secretTLSKey)},
	}, create))(t)
	must(c.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{
		ObjectMeta: meta("shop", "api-config", map[string]string{"app.kubernetes.io/name": "api"}),
		Data:       map[string]string{"app.yaml": configValue},
	}, create))(t)
	apiPod := podSpec("registry.example.com/shop/api:1.4.2")
	apiPod.ServiceAccountName = "api"
	apiPod.Containers[0].Env = []corev1.EnvVar{{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{
		SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db-credentials"}, Key: "password"},
	}}, {Name: "LEGACY_DB_PASSWORD", Value: envLiteral}}
	apiPod.Containers[0].Args = []string{argLiteral}
	apiPod.Containers[0].EnvFrom = []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: "api-config"},
	}}}
	apiPod.Volumes = []corev1.Volume{
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "api-config"}}}},
		{Name: "tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api-tls"}}},
	}
	dep := must(c.AppsV1().Deployments("shop").Create(ctx, &appsv1.Deployment{
		ObjectMeta: meta("shop", "api", apiLabels),
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: selector},
			Template: template(apiLabels, apiPod),
		},
	}, create))(t)
	rsLabels := map[string]string{"pod-template-hash": "7c9f6d5b8"}
	for k, v := range apiLabels {
		rsLabels[k] = v
	}
	rsm := meta("shop", "api-7c9f6d5b8", rsLabels)
	rsm.OwnerReferences = owner(gvkDeployment, dep)
	rs := must(c.AppsV1().ReplicaSets("shop").Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: rsm,
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr(int32(2)),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "api", "pod-template-hash": "7c9f6d5b8"}},
			Template: template(rsLabels, apiPod),
		},
	}, create))(t)
	for i, suffix := range []string{"abcde", "fghij"} {
		pm := meta("shop", "api-7c9f6d5b8-"+suffix, rsLabels)
		pm.OwnerReferences = owner(gvkReplicaSet, rs)
		spec := *apiPod.DeepCopy()
		spec.NodeName = []string{"gke-prod-pool-1-abcd", "ip-10-0-1-23.eu-west-1.compute.internal"}[i]
		must(c.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: pm, Spec: spec}, create))(t)
	}
	must(c.CoreV1().Services("shop").Create(ctx, &corev1.Service{
		ObjectMeta: meta("shop", "api", apiLabels),
		Spec:       corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}, create))(t)
	//lint:ignore SA1019 v1 Endpoints are the agent's kubernetes.endpoint element
	must(c.CoreV1().Endpoints("shop").Create(ctx, &corev1.Endpoints{
		ObjectMeta: meta("shop", "api", nil),
		//lint:ignore SA1019 v1 Endpoints are the agent's kubernetes.endpoint element
		Subsets: []corev1.EndpointSubset{{
			Addresses: []corev1.EndpointAddress{{IP: "10.244.1.5", TargetRef: &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "api-7c9f6d5b8-abcde"}}},
			Ports:     []corev1.EndpointPort{{Name: "http", Port: 8080}},
		}},
	}, create))(t)
	// A service that selects nothing yet.
	must(c.CoreV1().Services("shop").Create(ctx, &corev1.Service{
		ObjectMeta: meta("shop", "web", nil),
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app.kubernetes.io/name": "web"}, Ports: []corev1.ServicePort{{Port: 80}}},
	}, create))(t)
	pathType := networkingv1.PathTypePrefix
	must(c.NetworkingV1().Ingresses("shop").Create(ctx, &networkingv1.Ingress{
		ObjectMeta: meta("shop", "shop", nil),
		Spec: networkingv1.IngressSpec{
			TLS: []networkingv1.IngressTLS{{Hosts: []string{"shop.example.com"}, SecretName: "api-tls"}},
			Rules: []networkingv1.IngressRule{{Host: "shop.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{
					{Path: "/api", PathType: &pathType, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
					{Path: "/", PathType: &pathType, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
				},
			}}}},
		},
	}, create))(t)
	must(c.AutoscalingV2().HorizontalPodAutoscalers("shop").Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: meta("shop", "api", nil),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"},
			MinReplicas:    ptr(int32(2)),
			MaxReplicas:    10,
		},
	}, create))(t)

	// shop: the nightly report.
	reportLabels := map[string]string{"app.kubernetes.io/name": "report"}
	reportPod := podSpec("registry.example.com/shop/report:2.0")
	reportPod.RestartPolicy = corev1.RestartPolicyNever
	cj := must(c.BatchV1().CronJobs("shop").Create(ctx, &batchv1.CronJob{
		ObjectMeta: meta("shop", "report", reportLabels),
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{
			Spec: batchv1.JobSpec{Template: template(reportLabels, reportPod)},
		}},
	}, create))(t)
	jm := meta("shop", "report-29500000", reportLabels)
	jm.OwnerReferences = owner(gvkCronJob, cj)
	job := must(c.BatchV1().Jobs("shop").Create(ctx, &batchv1.Job{
		ObjectMeta: jm,
		Spec:       batchv1.JobSpec{Template: template(reportLabels, reportPod)},
	}, create))(t)
	pm := meta("shop", "report-29500000-x7k2p", reportLabels)
	pm.OwnerReferences = owner(gvkJob, job)
	reportPod.NodeName = "bare-metal-1"
	must(c.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: pm, Spec: reportPod}, create))(t)

	// data: a database with its claim and volume.
	dbLabels := map[string]string{"app.kubernetes.io/name": "db", "app.kubernetes.io/part-of": "shop"}
	dbPod := podSpec("postgres:17")
	sts := must(c.AppsV1().StatefulSets("data").Create(ctx, &appsv1.StatefulSet{
		ObjectMeta: meta("data", "db", dbLabels),
		Spec: appsv1.StatefulSetSpec{
			ServiceName: "db",
			Replicas:    ptr(int32(1)),
			Selector:    &metav1.LabelSelector{MatchLabels: dbLabels},
			Template:    template(dbLabels, dbPod),
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
				ObjectMeta: metav1.ObjectMeta{Name: "data"},
				Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
				},
			}},
		},
	}, create))(t)
	must(c.CoreV1().PersistentVolumes().Create(ctx, &corev1.PersistentVolume{
		ObjectMeta: meta("", "pv-data-db-0", nil),
		Spec: corev1.PersistentVolumeSpec{
			StorageClassName:       "standard",
			Capacity:               corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")},
			AccessModes:            []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeSource: corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/mnt/data/db-0"}},
			ClaimRef:               &corev1.ObjectReference{Kind: "PersistentVolumeClaim", Namespace: "data", Name: "data-db-0"},
		},
	}, create))(t)
	must(c.CoreV1().PersistentVolumeClaims("data").Create(ctx, &corev1.PersistentVolumeClaim{
		ObjectMeta: meta("data", "data-db-0", dbLabels),
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptr("standard"),
			VolumeName:       "pv-data-db-0",
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("10Gi")}},
		},
	}, create))(t)
	dbm := meta("data", "db-0", dbLabels)
	dbm.OwnerReferences = owner(gvkStatefulSet, sts)
	dbPod.NodeName = "bare-metal-1"
	dbPod.Volumes = []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
		PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-db-0"},
	}}}
	must(c.CoreV1().Pods("data").Create(ctx, &corev1.Pod{ObjectMeta: dbm, Spec: dbPod}, create))(t)
	must(c.CoreV1().Services("data").Create(ctx, &corev1.Service{
		ObjectMeta: meta("data", "db", dbLabels),
		Spec:       corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: dbLabels, Ports: []corev1.ServicePort{{Port: 5432}}},
	}, create))(t)

	// monitoring: a node agent on every node.
	agentLabels := map[string]string{"app.kubernetes.io/name": "node-exporter"}
	ds := must(c.AppsV1().DaemonSets("monitoring").Create(ctx, &appsv1.DaemonSet{
		ObjectMeta: meta("monitoring", "node-exporter", agentLabels),
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: agentLabels},
			Template: template(agentLabels, podSpec("quay.io/prometheus/node-exporter:v1.9.1")),
		},
	}, create))(t)
	for i, node := range []string{"gke-prod-pool-1-abcd", "bare-metal-1"} {
		m := meta("monitoring", "node-exporter-"+[]string{"4kq8z", "m2x7w"}[i], agentLabels)
		m.OwnerReferences = owner(gvkDaemonSet, ds)
		spec := podSpec("quay.io/prometheus/node-exporter:v1.9.1")
		spec.NodeName = node
		must(c.CoreV1().Pods("monitoring").Create(ctx, &corev1.Pod{ObjectMeta: m, Spec: spec}, create))(t)
	}
}
