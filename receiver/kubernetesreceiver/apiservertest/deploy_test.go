package apiservertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
)

const deployDir = "../../../deploy/kubernetes"

// TestDeployManifests applies deploy/kubernetes to an API server that
// enforces RBAC and runs the receiver with the shipped configuration as the
// shipped service account: the ClusterRole must let it watch everything the
// configuration names, and nothing may be written. Then the opt-in secrets
// rule is applied and Secrets become visible.
func TestDeployManifests(t *testing.T) {
	srv := Start(t, "--authorization-mode=RBAC")
	ctx := context.Background()
	createFixture(t, srv.Client)

	var objs []runtime.Object
	for _, f := range []string{"namespace.yaml", "serviceaccount.yaml", "clusterrole.yaml", "clusterrolebinding.yaml", "configmap.yaml", "deployment.yaml"} {
		objs = append(objs, decodeManifests(t, filepath.Join(deployDir, f))...)
	}
	var collectorConfig string
	for _, o := range objs {
		applyManifest(t, srv.Client, o)
		if cm, ok := o.(*corev1.ConfigMap); ok {
			collectorConfig = cm.Data["config.yaml"]
		}
		if d, ok := o.(*appsv1.Deployment); ok {
			assert.Equal(t, int32(1), *d.Spec.Replicas, "one replica: each would report the whole cluster")
			assert.Equal(t, "otelcol-coordimap", d.Spec.Template.Spec.ServiceAccountName)
		}
		if cr, ok := o.(*rbacv1.ClusterRole); ok {
			for _, rule := range cr.Rules {
				assert.ElementsMatch(t, []string{"get", "list", "watch"}, rule.Verbs, "read-only")
				assert.NotContains(t, rule.Resources, "secrets", "secrets are opt-in")
			}
		}
	}

	// The shipped receiver configuration, as the collector would read it
	// (environment variables aside).
	require.NotEmpty(t, collectorConfig)
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(collectorConfig), 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	sub, err := cm.Sub("receivers::coordimap_kubernetes")
	require.NoError(t, err)
	shipped := kubernetesreceiver.NewFactory().CreateDefaultConfig().(*kubernetesreceiver.Config)
	require.NoError(t, sub.Unmarshal(shipped))
	require.NoError(t, confmap.Validate(shipped))
	assert.Equal(t, kubernetesreceiver.AuthServiceAccount, shipped.AuthType)
	assert.False(t, shipped.SendSecretData)

	// Run it as the service account (outside the cluster: through a
	// kubeconfig that impersonates it).
	kubeconfig := impersonatingKubeconfig(t, srv.Config, "system:serviceaccount:coordimap:otelcol-coordimap")
	r := startReceiver(t, kubeconfig, func(c *kubernetesreceiver.Config) {
		c.Resources = shipped.Resources
		c.ReportInterval = shipped.ReportInterval
	})
	n := r.waitSnapshot(t)
	assert.Equal(t, 0, r.logs.FilterMessage("Resource not watched: it cannot be listed").Len(),
		"the ClusterRole covers the configured resources: %v", r.logs.All())
	v := newView(r.sink.AllLogs()[:n])
	for _, typ := range []string{"node", "namespace", "pod", "deployment", "replica_set", "stateful_set", "daemon_set",
		"job", "cronjob", "service", "endpoint", "ingress_networking_v1", "pv", "pvc", "storage_class", "config_map",
		"service_account", "horizontal_pod_autoscaler"} {
		assert.NotEmpty(t, v.ids("-kubernetes."+typ+"-"), typ)
	}
	assert.Empty(t, v.ids("-kubernetes.secret-"))

	// The default resources include secrets: without the opt-in rule they
	// are skipped, with a warning; with it, they are watched.
	r2 := startReceiver(t, kubeconfig, nil)
	r2.waitSnapshot(t)
	assert.Equal(t, 1, r2.logs.FilterMessage("Resource not watched: it cannot be listed").Len())
	for _, o := range decodeManifests(t, filepath.Join(deployDir, "secrets-rbac.yaml")) {
		applyManifest(t, srv.Client, o)
	}
	r3 := startReceiver(t, kubeconfig, nil)
	n = r3.waitSnapshot(t)
	assert.Equal(t, 0, r3.logs.FilterMessage("Resource not watched: it cannot be listed").Len())
	assert.NotEmpty(t, newView(r3.sink.AllLogs()[:n]).ids("-kubernetes.secret-"))

	// The service account may not write.
	sa := impersonatingClient(t, srv.Config, "system:serviceaccount:coordimap:otelcol-coordimap")
	_, err = sa.CoreV1().ConfigMaps("shop").Create(ctx, &corev1.ConfigMap{ObjectMeta: meta("shop", "nope", nil)}, metav1.CreateOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "forbidden")
}

func decodeManifests(t *testing.T, path string) []runtime.Object {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []runtime.Object
	for _, doc := range strings.Split(string(data), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		obj, _, err := scheme.Codecs.UniversalDeserializer().Decode([]byte(doc), nil, nil)
		require.NoError(t, err, path)
		out = append(out, obj)
	}
	return out
}

func applyManifest(t *testing.T, c kubernetes.Interface, obj runtime.Object) {
	t.Helper()
	ctx := context.Background()
	create := metav1.CreateOptions{}
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		_, err = c.CoreV1().Namespaces().Create(ctx, o, create)
	case *corev1.ServiceAccount:
		_, err = c.CoreV1().ServiceAccounts(o.Namespace).Create(ctx, o, create)
	case *corev1.ConfigMap:
		_, err = c.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, create)
	case *rbacv1.ClusterRole:
		_, err = c.RbacV1().ClusterRoles().Create(ctx, o, create)
	case *rbacv1.ClusterRoleBinding:
		_, err = c.RbacV1().ClusterRoleBindings().Create(ctx, o, create)
	case *appsv1.Deployment:
		_, err = c.AppsV1().Deployments(o.Namespace).Create(ctx, o, create)
	default:
		t.Fatalf("unexpected manifest %T", obj)
	}
	require.NoError(t, err)
}

func impersonatingKubeconfig(t *testing.T, cfg *rest.Config, user string) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, TLSServerName: cfg.ServerName}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{Token: cfg.BearerToken, Impersonate: user}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	require.NoError(t, clientcmd.WriteToFile(*kc, path))
	return path
}

func impersonatingClient(t *testing.T, cfg *rest.Config, user string) kubernetes.Interface {
	t.Helper()
	c := rest.CopyConfig(cfg)
	c.Impersonate = rest.ImpersonationConfig{UserName: user}
	cs, err := kubernetes.NewForConfig(c)
	require.NoError(t, err)
	return cs
}
