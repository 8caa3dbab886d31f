package flowsreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
	"github.com/coordimap/otelcol-coordimap/internal/podaddr"
)

// Element types of the coordimap_kubernetes receiver the edges point at.
const (
	typePod     = "kubernetes.pod"
	typeService = "kubernetes.service"
)

// Informer indexes.
const (
	indexIP        = "ip"
	indexContainer = "container"
	indexUID       = "uid"
)

// kubeClient is the Kubernetes API client the receiver watches pods and
// services with.
type kubeClient = kubernetes.Interface

// newKubeClient uses the in-cluster service account, else the kubeconfig
// ($KUBECONFIG or ~/.kube/config).
func newKubeClient() (kubeClient, error) {
	cfg, err := rest.InClusterConfig()
	if errors.Is(err, rest.ErrNotInCluster) {
		cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
			clientcmd.NewDefaultClientConfigLoadingRules(), &clientcmd.ConfigOverrides{}).ClientConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("no in-cluster configuration and no usable kubeconfig: %w", err)
	}
	cfg.UserAgent = "otelcol-coordimap coordimap_flows"
	return kubernetes.NewForConfig(cfg)
}

// kubeView resolves flow addresses to pods and services from watches
// (shared informers: one list, then watch events; nothing is asked per
// address): the pods of this node (a field selector on spec.nodeName), or
// of the whole cluster unless local_pods_only, and the cluster's
// services.
type kubeView struct {
	client kubeClient
	scope  string
	procs  *procCache
	logger *zap.Logger

	podFactory, svcFactory informers.SharedInformerFactory
	pods                   cache.SharedIndexInformer
	services               cache.SharedIndexInformer

	scopeChecked bool
}

// kubeWatch says which pods a kubeView watches: node's, or every pod when
// node is "".
type kubeWatch struct{ node string }

func newKubeView(client kubeClient, scope string, procs *procCache, logger *zap.Logger, w kubeWatch) *kubeView {
	var podOpts []informers.SharedInformerOption
	if w.node != "" {
		selector := fields.OneTermEqualSelector("spec.nodeName", w.node).String()
		podOpts = append(podOpts, informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = selector }))
	}
	pf := informers.NewSharedInformerFactoryWithOptions(client, 0, podOpts...)
	sf := informers.NewSharedInformerFactoryWithOptions(client, 0)
	pods := pf.Core().V1().Pods().Informer()
	services := sf.Core().V1().Services().Informer()
	// Keep only what resolution needs: a large cluster's pods are big.
	_ = pods.SetTransform(trimPod)
	_ = services.SetTransform(trimService)
	_ = pods.AddIndexers(cache.Indexers{indexIP: podIPs, indexContainer: podContainers, indexUID: podUID})
	_ = services.AddIndexers(cache.Indexers{indexIP: serviceIPs})
	return &kubeView{client: client, scope: scope, procs: procs, logger: logger, podFactory: pf, svcFactory: sf, pods: pods, services: services}
}

// start runs the informers until ctx ends; stop waits for them.
func (v *kubeView) start(ctx context.Context) {
	v.podFactory.Start(ctx.Done())
	v.svcFactory.Start(ctx.Done())
}

func (v *kubeView) stop() {
	v.podFactory.Shutdown()
	v.svcFactory.Shutdown()
}

// synced reports whether the first list of pods and services is in; on the
// first time it also checks the configured cluster UID against the API's.
func (v *kubeView) synced() bool {
	if !v.pods.HasSynced() || !v.services.HasSynced() {
		return false
	}
	if !v.scopeChecked {
		v.scopeChecked = true
		v.checkScope()
	}
	return true
}

// checkScope compares the cluster UID external_mappings gives with the UID
// of the kube-system namespace (what the coordimap_kubernetes receiver uses
// as scope) and warns once when they differ: the edges would not attach to
// that receiver's pods.
func (v *kubeView) checkScope() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ns, err := v.client.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	switch {
	case apierrors.IsForbidden(err):
		v.logger.Info("Cannot read the kube-system namespace to check the cluster UID of external_mappings (grant get on namespaces)")
	case err != nil:
		v.logger.Info("Cannot read the kube-system namespace to check the cluster UID of external_mappings", zap.Error(err))
	case string(ns.UID) != v.scope:
		v.logger.Warn("The cluster UID of external_mappings differs from the kube-system namespace UID; flows will not attach to the coordimap_kubernetes receiver's pods",
			zap.String("external_mappings", v.scope), zap.String("kube_system_uid", string(ns.UID)))
	}
}

// resolve gives the edge of a kernel entry: each end is a pod (the local
// one by its container first, then by the pod UID of its cgroup, then by
// IP), a service (the server end, by
// ClusterIP), or else the address (a pod of another node when only this
// node's pods are watched: the processor's address index resolves it).
func (v *kubeView) resolve(e *flowEntry) edgeKey {
	info := v.procs.info(e.pid, e.comm, e.key.cgroup)
	k := edgeKey{
		side: e.key.side, client: e.key.client, server: e.key.server, port: e.key.port,
		process: path.Base(info.program()), container: info.cg.container,
	}
	local := or(v.podOfContainer(info.cg.container), v.podOfUID(info.cg.pod))
	if e.key.side == sideClient {
		if local.id == "" {
			local = v.podOfIP(e.key.client)
		}
		k.source = or(local, endpoint{id: e.key.client.String()})
		k.destination = or(v.podOfIP(e.key.server), v.serviceOfIP(e.key.server),
			endpoint{id: netip.AddrPortFrom(e.key.server, e.key.port).String()})
		return k
	}
	if local.id == "" {
		local = v.podOfIP(e.key.server)
	}
	k.source = or(v.podOfIP(e.key.client), endpoint{id: e.key.client.String()})
	k.destination = or(local, endpoint{id: netip.AddrPortFrom(e.key.server, e.key.port).String()})
	return k
}

// or returns the first endpoint that is set.
func or(eps ...endpoint) endpoint {
	for _, ep := range eps {
		if ep.id != "" {
			return ep
		}
	}
	return endpoint{}
}

func (v *kubeView) podOfContainer(id string) endpoint {
	if id == "" {
		return endpoint{}
	}
	return v.one(v.pods, indexContainer, id, typePod)
}

// podOfUID finds the pod of a cgroup path's pod UID: a container that
// started since the pod's status was last updated has no ID there yet.
func (v *kubeView) podOfUID(uid string) endpoint {
	if uid == "" {
		return endpoint{}
	}
	return v.one(v.pods, indexUID, uid, typePod)
}

func (v *kubeView) podOfIP(a netip.Addr) endpoint {
	if a.IsLoopback() || a.IsUnspecified() {
		return endpoint{}
	}
	return v.one(v.pods, indexIP, a.String(), typePod)
}

func (v *kubeView) serviceOfIP(a netip.Addr) endpoint {
	if a.IsLoopback() || a.IsUnspecified() {
		return endpoint{}
	}
	return v.one(v.services, indexIP, a.String(), typeService)
}

// one returns the object the index holds for value, if exactly one: an
// address two running pods claim is not resolved.
func (v *kubeView) one(inf cache.SharedIndexInformer, index, value, typ string) endpoint {
	objs, err := inf.GetIndexer().ByIndex(index, value)
	if err != nil || len(objs) != 1 {
		return endpoint{}
	}
	m, ok := objs[0].(metav1.Object)
	if !ok {
		return endpoint{}
	}
	return endpoint{id: internalid.Kubernetes(v.scope, m.GetNamespace(), typ, m.GetName()), external: true}
}

// podIPs indexes the IPs of pods that hold them: not host-network pods
// (they share the node's), not finished pods (their IP is free for reuse).
func podIPs(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	return podaddr.Pod(p), nil
}

func podUID(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok || p.UID == "" {
		return nil, nil
	}
	return []string{string(p.UID)}, nil
}

// podContainers indexes the pod's container IDs without the runtime prefix
// ("containerd://<id>" → "<id>"), as /proc/<pid>/cgroup shows them.
func podContainers(obj any) ([]string, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return nil, nil
	}
	var out []string
	for _, list := range [][]corev1.ContainerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for _, cs := range list {
			if _, id, ok := strings.Cut(cs.ContainerID, "://"); ok && id != "" {
				out = append(out, id)
			}
		}
	}
	return out, nil
}

// serviceIPs indexes a service's cluster IPs (not "None").
func serviceIPs(obj any) ([]string, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return nil, nil
	}
	return podaddr.Service(s), nil
}

// trimPod keeps the fields the indexes and IDs read.
func trimPod(obj any) (any, error) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return obj, nil // a DeletedFinalStateUnknown tombstone
	}
	statuses := func(in []corev1.ContainerStatus) []corev1.ContainerStatus {
		out := make([]corev1.ContainerStatus, 0, len(in))
		for _, cs := range in {
			out = append(out, corev1.ContainerStatus{Name: cs.Name, ContainerID: cs.ContainerID})
		}
		return out
	}
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID, ResourceVersion: p.ResourceVersion},
		Spec:       corev1.PodSpec{HostNetwork: p.Spec.HostNetwork, NodeName: p.Spec.NodeName},
		Status: corev1.PodStatus{
			Phase: p.Status.Phase, PodIP: p.Status.PodIP, PodIPs: p.Status.PodIPs,
			InitContainerStatuses:      statuses(p.Status.InitContainerStatuses),
			ContainerStatuses:          statuses(p.Status.ContainerStatuses),
			EphemeralContainerStatuses: statuses(p.Status.EphemeralContainerStatuses),
		},
	}, nil
}

func trimService(obj any) (any, error) {
	s, ok := obj.(*corev1.Service)
	if !ok {
		return obj, nil
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, UID: s.UID, ResourceVersion: s.ResourceVersion},
		Spec:       corev1.ServiceSpec{ClusterIP: s.Spec.ClusterIP, ClusterIPs: s.Spec.ClusterIPs, Type: s.Spec.Type},
	}, nil
}
