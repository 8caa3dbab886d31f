package kubernetesreceiver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"go.uber.org/zap"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	// pageSize is the page size of the lists an informer falls back to
	// when the server cannot stream its initial state (watch-list, on by
	// default in client-go v0.37 and served since Kubernetes 1.32).
	pageSize = 500
	// Informers make one list or watch request per resource and
	// namespace at start, and again after a watch breaks.
	clientQPS   = 20
	clientBurst = 100
	userAgent   = "otelcol-coordimap/coordimap_kubernetes"
)

// restConfig loads the REST configuration auth_type names. Errors are
// configuration problems: Start fails on them.
func restConfig(cfg *Config) (*rest.Config, error) {
	var rc *rest.Config
	var err error
	switch cfg.AuthType {
	case AuthKubeConfig:
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		if cfg.KubeconfigPath != "" {
			rules.ExplicitPath = cfg.KubeconfigPath
		}
		overrides := &clientcmd.ConfigOverrides{CurrentContext: cfg.Context}
		rc, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
		if err != nil {
			return nil, fmt.Errorf("kubeconfig: %w", err)
		}
	default:
		rc, err = rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("service account (auth_type %s; outside a cluster use %s): %w", AuthServiceAccount, AuthKubeConfig, err)
		}
	}
	rc = rest.CopyConfig(rc)
	rc.QPS, rc.Burst = clientQPS, clientBurst
	rc.UserAgent = userAgent
	return rc, nil
}

// kubeClient is the seam over client-go: the receiver's only way to the API
// server.
type kubeClient struct {
	http      *http.Client
	typed     kubernetes.Interface
	dynamic   dynamic.Interface
	discovery discovery.DiscoveryInterface
	// rest clients of the typed resources, by group/version.
	restClients map[schema.GroupVersion]rest.Interface
}

// newKubeClient builds the clients; observe sees the outcome of every
// request: a transport error, or nil once the server answered.
func newKubeClient(rc *rest.Config, logger *zap.Logger, observe func(error)) (*kubeClient, error) {
	rc = rest.CopyConfig(rc)
	rc.WarningHandlerWithContext = &warnOnce{logger: logger}
	rc.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &observed{rt: rt, observe: observe} })
	httpClient, err := rest.HTTPClientFor(rc)
	if err != nil {
		return nil, err
	}
	// Typed resources travel as protobuf: smaller and faster to decode.
	proto := rest.CopyConfig(rc)
	proto.ContentType = runtime.ContentTypeProtobuf
	proto.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	typed, err := kubernetes.NewForConfigAndClient(proto, httpClient)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfigAndClient(rc, httpClient)
	if err != nil {
		return nil, err
	}
	disc, err := discovery.NewDiscoveryClientForConfigAndClient(rc, httpClient)
	if err != nil {
		return nil, err
	}
	return &kubeClient{
		http:      httpClient,
		typed:     typed,
		dynamic:   dyn,
		discovery: disc,
		restClients: map[schema.GroupVersion]rest.Interface{
			{Version: "v1"}:                             typed.CoreV1().RESTClient(),
			{Group: "apps", Version: "v1"}:              typed.AppsV1().RESTClient(),
			{Group: "batch", Version: "v1"}:             typed.BatchV1().RESTClient(),
			{Group: "discovery.k8s.io", Version: "v1"}:  typed.DiscoveryV1().RESTClient(),
			{Group: "networking.k8s.io", Version: "v1"}: typed.NetworkingV1().RESTClient(),
			{Group: "storage.k8s.io", Version: "v1"}:    typed.StorageV1().RESTClient(),
			{Group: "autoscaling", Version: "v2"}:       typed.AutoscalingV2().RESTClient(),
		},
	}, nil
}

// close drops idle connections (watches end with their informers).
func (c *kubeClient) close() { c.http.CloseIdleConnections() }

// clusterUID is the UID of namespace kube-system: the cluster's scope.
func (c *kubeClient) clusterUID(ctx context.Context) (string, error) {
	ns, err := c.typed.CoreV1().Namespaces().Get(ctx, "kube-system", metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("reading namespace kube-system: %w", err)
	}
	return string(ns.UID), nil
}

// listWatch lists and watches one resource in one namespace ("" for all,
// and for cluster-wide resources).
func (c *kubeClient) listWatch(res *resource, ns string) cache.ListerWatcher {
	var list func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error)
	var watchFn func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error)
	if res.example != nil {
		rc := c.restClients[res.gvr.GroupVersion()]
		list = func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			return rc.Get().Namespace(ns).Resource(res.gvr.Resource).
				VersionedParams(&opts, metav1.ParameterCodec).Do(ctx).Get()
		}
		watchFn = func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			opts.Watch = true
			return rc.Get().Namespace(ns).Resource(res.gvr.Resource).
				VersionedParams(&opts, metav1.ParameterCodec).Watch(ctx)
		}
	} else {
		ri := c.dynamic.Resource(res.gvr).Namespace(ns)
		list = func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) { return ri.List(ctx, opts) }
		watchFn = func(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
			return ri.Watch(ctx, opts)
		}
	}
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, opts metav1.ListOptions) (runtime.Object, error) {
			// The reflector pages with a limit of its own (500) unless it
			// lists from the watch cache at a known resource version;
			// keep that choice, with our page size.
			if opts.Limit > 0 {
				opts.Limit = pageSize
			}
			return list(ctx, opts)
		},
		WatchFuncWithContext: watchFn,
	}
	return cache.ToListWatcherWithWatchListSemantics(lw, c.typed)
}

// checkList tells whether one resource may be listed in a namespace (the
// informer of a forbidden resource would never sync).
func (c *kubeClient) checkList(ctx context.Context, res *resource, ns string) error {
	opts := metav1.ListOptions{Limit: 1}
	var err error
	if res.example != nil {
		err = c.restClients[res.gvr.GroupVersion()].Get().Namespace(ns).Resource(res.gvr.Resource).
			VersionedParams(&opts, metav1.ParameterCodec).Do(ctx).Error()
	} else {
		_, err = c.dynamic.Resource(res.gvr).Namespace(ns).List(ctx, opts)
	}
	return err
}

// notAllowed reports whether an error says the resource is not listable
// by us or not served (as opposed to the server being unreachable).
func notAllowed(err error) bool {
	return apierrors.IsForbidden(err) || apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) ||
		apierrors.IsUnauthorized(err)
}

// discovered are the resources discovery found for "all" or by name.
type discovered struct {
	watch []*resource
	// kinds of every listable resource, for owner references.
	kinds map[schema.GroupKind]*resource
	// missing names of resources that discovery did not find.
	missing []string
}

// discover finds the other resources to watch: with all, every listable
// and watchable resource the typed set does not cover (events aside);
// otherwise those named.
func (c *kubeClient) discover(sel selection) (discovered, error) {
	lists, err := c.discovery.ServerPreferredResources()
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) {
		return discovered{}, fmt.Errorf("discovery: %w", err)
	}
	d := discovered{kinds: map[schema.GroupKind]*resource{}}
	found := map[string]bool{}
	for _, l := range lists {
		gv, err := schema.ParseGroupVersion(l.GroupVersion)
		if err != nil {
			continue
		}
		for _, ar := range l.APIResources {
			if strings.Contains(ar.Name, "/") || !slices.Contains(ar.Verbs, "list") || !slices.Contains(ar.Verbs, "watch") {
				continue // subresources, and what cannot be watched
			}
			gr := schema.GroupResource{Group: gv.Group, Resource: ar.Name}
			if typedByName(gr.String()) != nil {
				continue // watched through a typed client
			}
			res := &resource{
				name:       ar.Name,
				gvr:        gv.WithResource(ar.Name),
				kind:       ar.Kind,
				elemType:   dynamicElemType(gv.Group, ar.Kind),
				namespaced: ar.Namespaced,
			}
			d.kinds[schema.GroupKind{Group: gv.Group, Kind: ar.Kind}] = res
			named := slices.Contains(sel.named, ar.Name) || slices.Contains(sel.named, gr.String())
			if named {
				found[ar.Name], found[gr.String()] = true, true
			}
			if named || (sel.all && !slices.Contains(excludedFromAll, gr)) {
				d.watch = append(d.watch, res)
			}
		}
	}
	for _, n := range sel.named {
		if !found[n] {
			d.missing = append(d.missing, n)
		}
	}
	if err != nil && len(d.watch) == 0 && len(sel.named) > 0 {
		return d, fmt.Errorf("discovery: %w", err)
	}
	return d, nil
}

// observed passes on requests and tells observe how they went. Informers
// retry refused connections silently (they resume their watches when the
// server is back); this is how an unreachable server gets reported.
type observed struct {
	rt      http.RoundTripper
	observe func(error)
}

func (o *observed) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := o.rt.RoundTrip(req)
	switch {
	case err != nil && req.Context().Err() == nil:
		o.observe(fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err))
	case err == nil && resp.StatusCode >= http.StatusInternalServerError:
		o.observe(fmt.Errorf("%s %s: %s", req.Method, req.URL.Redacted(), resp.Status))
	case err == nil:
		o.observe(nil)
	}
	return resp, err
}

func (o *observed) WrappedRoundTripper() http.RoundTripper { return o.rt }

// warnOnce logs each distinct API warning (deprecations) once.
type warnOnce struct {
	logger *zap.Logger
	mu     sync.Mutex
	seen   map[string]bool
}

func (w *warnOnce) HandleWarningHeaderWithContext(_ context.Context, code int, _ string, text string) {
	if code != 299 || text == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.seen[text] {
		return
	}
	if w.seen == nil {
		w.seen = map[string]bool{}
	}
	w.seen[text] = true
	w.logger.Info("Kubernetes API warning", zap.String("warning", text))
}

var errNoScope = errors.New("scope_id is not configured and the cluster UID cannot be read (set scope_id, or allow get on namespace kube-system)")
