// Package apiservertest runs a real kube-apiserver backed by an embedded etcd
// inside the test process, and holds the coordimap_kubernetes receiver's
// integration tests and benchmarks against it.
//
// It is a separate Go module because k8s.io/kubernetes pulls in the whole
// control plane; the collector's own module only needs client-go.
package apiservertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"

	"k8s.io/apiserver/pkg/storage/etcd3/testserver"
	"k8s.io/apiserver/pkg/storage/storagebackend"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	kubeapiservertesting "k8s.io/kubernetes/cmd/kube-apiserver/app/testing"
)

// Server is a running kube-apiserver with its etcd. It stops when the test or
// benchmark that started it ends.
type Server struct {
	// Config reaches the server with full (loopback) privileges.
	Config *rest.Config
	// Client is a typed client on Config.
	Client kubernetes.Interface
	// Kubeconfig is the path of a kubeconfig file for Config, with the
	// context named "test".
	Kubeconfig string
	// Etcd is a client of the server's etcd (to compact it).
	Etcd *clientv3.Client
}

// Start runs etcd and kube-apiserver for tb. No controllers run: pods stay
// Pending, namespaces never finish deleting, and nothing writes owner
// references, endpoints or service account tokens.
func Start(tb testing.TB, extraFlags ...string) *Server {
	tb.Helper()
	etcdCfg := testserver.NewTestConfig(tb)
	testserver.RunEtcd(tb, etcdCfg)

	storage := storagebackend.NewDefaultConfig("/registry", nil)
	storage.Transport.ServerList = []string{etcdCfg.ListenClientUrls[0].String()}

	ts := kubeapiservertesting.StartTestServerOrDie(tb,
		&kubeapiservertesting.TestServerInstanceOptions{DisableInvariantChecks: true},
		append([]string{
			"--endpoint-reconciler-type=none",
			"--disable-admission-plugins=ServiceAccount",
		}, extraFlags...),
		storage)
	tb.Cleanup(ts.TearDownFn)

	cfg := rest.CopyConfig(ts.ClientConfig)
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		tb.Fatalf("client: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "kubeconfig")
	if err := writeKubeconfig(path, cfg); err != nil {
		tb.Fatalf("kubeconfig: %v", err)
	}
	return &Server{Config: cfg, Client: client, Kubeconfig: path, Etcd: ts.EtcdClient}
}

// WriteKubeconfig writes a kubeconfig for the server reached at host
// (host:port; a proxy in front of the server) into dir.
func (s *Server) WriteKubeconfig(dir, host string) (string, error) {
	cfg := rest.CopyConfig(s.Config)
	cfg.Host = "https://" + host
	path := filepath.Join(dir, "kubeconfig-"+strings.ReplaceAll(host, ":", "-"))
	return path, writeKubeconfig(path, cfg)
}

func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{
		Server:                   cfg.Host,
		CertificateAuthorityData: cfg.CAData,
		InsecureSkipTLSVerify:    cfg.Insecure,
		TLSServerName:            cfg.ServerName,
	}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{
		Token:                 cfg.BearerToken,
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
	}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return err
	}
	return os.Chmod(path, 0o600)
}
