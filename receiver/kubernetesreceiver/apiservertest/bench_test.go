package apiservertest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/receiver/kubernetesreceiver"
)

// Benchmark sizes: 10,000 pods in 1,000 deployments (a replica set each,
// 10 pods per replica set) behind 1,000 services, on 20 nodes.
const (
	benchNS       = "bench"
	benchApps     = 1000
	benchReplicas = 10
	benchNodes    = 20
)

// BenchmarkKubernetes loads the cluster once, then measures the initial
// sync (time to the complete snapshot, live heap after it) and the latency
// from an update to its record.
//
//	go test -run '^$' -bench BenchmarkKubernetes -benchtime 3x -timeout 30m
func BenchmarkKubernetes(b *testing.B) {
	srv := Start(b)
	start := time.Now()
	createBenchCluster(b, srv)
	b.Logf("created %d pods, %d services, %d deployments and replica sets in %s",
		benchApps*benchReplicas, benchApps, benchApps, time.Since(start).Round(time.Millisecond))

	b.Run("InitialSync", func(b *testing.B) {
		var total time.Duration
		var heap uint64
		var records int64
		for b.Loop() {
			b.StopTimer()
			before := liveHeap()
			sink := &benchSink{}
			b.StartTimer()
			t0 := time.Now()
			rcv, logs := startBenchReceiver(b, srv, sink)
			waitLog(b, logs, "Kubernetes snapshot sent")
			total += time.Since(t0)
			b.StopTimer()
			heap += liveHeap() - before
			if path := os.Getenv("K8S_BENCH_HEAP_PROFILE"); path != "" {
				writeHeapProfile(b, path)
			}
			records += sink.records.Load()
			require.NoError(b, rcv.Shutdown(context.Background()))
			b.StartTimer()
		}
		n := float64(b.N)
		b.ReportMetric(total.Seconds()/n, "s/snapshot")
		b.ReportMetric(float64(heap)/n/(1<<20), "heap-MB")
		b.ReportMetric(float64(records)/n, "records")
	})

	b.Run("UpdateLatency", func(b *testing.B) {
		sink := &benchSink{watch: "s-" + benchNS + "-kubernetes.pod-app-0000-0", seen: make(chan string, 1)}
		rcv, logs := startBenchReceiver(b, srv, sink)
		defer func() { require.NoError(b, rcv.Shutdown(context.Background())) }()
		waitLog(b, logs, "Kubernetes snapshot sent")
		ctx := context.Background()
		var lat []time.Duration
		i := 0
		for b.Loop() {
			i++
			seq := fmt.Sprint(i)
			patch := []byte(`{"metadata":{"labels":{"bench-seq":"` + seq + `"}}}`)
			t0 := time.Now()
			_, err := srv.Client.CoreV1().Pods(benchNS).Patch(ctx, "app-0000-0", types.MergePatchType, patch, metav1.PatchOptions{})
			require.NoError(b, err)
		wait:
			for {
				select {
				case got := <-sink.seen:
					if got == seq {
						break wait
					}
				case <-time.After(waitTimeout):
					b.Fatalf("no record for update %s", seq)
				}
			}
			lat = append(lat, time.Since(t0))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	})
}

func startBenchReceiver(b *testing.B, srv *Server, next consumer.Logs) (interface {
	Shutdown(context.Context) error
}, *observer.ObservedLogs) {
	f := kubernetesreceiver.NewFactory()
	cfg := f.CreateDefaultConfig().(*kubernetesreceiver.Config)
	cfg.AuthType = kubernetesreceiver.AuthKubeConfig
	cfg.KubeconfigPath = srv.Kubeconfig
	cfg.ScopeID = "s"
	core, logs := observer.New(zapcore.InfoLevel)
	set := receivertest.NewNopSettings(f.Type())
	set.Logger = zap.New(core)
	rcv, err := f.CreateLogs(context.Background(), set, cfg, next)
	require.NoError(b, err)
	require.NoError(b, rcv.Start(context.Background(), &statusHost{}))
	return rcv, logs
}

func waitLog(b *testing.B, logs *observer.ObservedLogs, msg string) {
	for logs.FilterMessage(msg).Len() == 0 {
		time.Sleep(time.Millisecond)
	}
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	require.NoError(b, err)
	defer f.Close()
	require.NoError(b, pprof.WriteHeapProfile(f))
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// benchSink counts records and drops them; with watch set, it sends the
// bench-seq label of every state of that entity.
type benchSink struct {
	records atomic.Int64
	watch   string
	seen    chan string
}

func (s *benchSink) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *benchSink) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	s.records.Add(int64(ld.LogRecordCount()))
	if s.watch == "" {
		return nil
	}
	forRecords([]plog.Logs{ld}, func(rec entity.Record) {
		if rec.Kind() != entity.KindState || rec.InternalID() != s.watch {
			return
		}
		md, _ := rec.Body().Get("metadata")
		labels, _ := md.Map().Get("labels")
		seq, ok := labels.Map().Get("bench-seq")
		if !ok {
			return
		}
		select {
		case s.seen <- seq.AsString():
		default:
		}
	})
	return nil
}

// createBenchCluster writes the benchmark's objects with 32 goroutines.
func createBenchCluster(b *testing.B, srv *Server) {
	ctx := context.Background()
	c := srv.Client
	create := metav1.CreateOptions{}
	must(c.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: meta("", benchNS, nil)}, create))(b)
	for i := 0; i < benchNodes; i++ {
		must(c.CoreV1().Nodes().Create(ctx, &corev1.Node{
			ObjectMeta: meta("", fmt.Sprintf("node-%02d", i), map[string]string{"topology.kubernetes.io/zone": "europe-west1-b"}),
			Spec:       corev1.NodeSpec{ProviderID: fmt.Sprintf("gce://bench/europe-west1-b/node-%02d", i)},
		}, create))(b)
	}
	must(c.CoreV1().ConfigMaps(benchNS).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta(benchNS, "shared-config", nil), Data: map[string]string{"a": "b"}}, create))(b)

	rss := make([]*appsv1.ReplicaSet, benchApps)
	var mu sync.Mutex
	parallel(b, benchApps, func(i int) error {
		name := fmt.Sprintf("app-%04d", i)
		labels := benchLabels(name)
		dep, err := c.AppsV1().Deployments(benchNS).Create(ctx, &appsv1.Deployment{
			ObjectMeta: meta(benchNS, name, labels),
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr(int32(benchReplicas)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: template(labels, benchPodSpec(name)),
			},
		}, create)
		if err != nil {
			return err
		}
		m := meta(benchNS, name, labels)
		m.OwnerReferences = owner(gvkDeployment, dep)
		rs, err := c.AppsV1().ReplicaSets(benchNS).Create(ctx, &appsv1.ReplicaSet{
			ObjectMeta: m,
			Spec: appsv1.ReplicaSetSpec{
				Replicas: ptr(int32(benchReplicas)),
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
				Template: template(labels, benchPodSpec(name)),
			},
		}, create)
		if err != nil {
			return err
		}
		mu.Lock()
		rss[i] = rs
		mu.Unlock()
		_, err = c.CoreV1().Services(benchNS).Create(ctx, &corev1.Service{
			ObjectMeta: meta(benchNS, name, labels),
			Spec: corev1.ServiceSpec{
				Selector: map[string]string{"app": name},
				Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromInt32(8080)}},
			},
		}, create)
		return err
	})
	parallel(b, benchApps*benchReplicas, func(i int) error {
		rs := rss[i/benchReplicas]
		m := meta(benchNS, fmt.Sprintf("%s-%d", rs.Name, i%benchReplicas), benchLabels(rs.Name))
		m.OwnerReferences = owner(gvkReplicaSet, rs)
		spec := benchPodSpec(rs.Name)
		spec.NodeName = fmt.Sprintf("node-%02d", i%benchNodes)
		_, err := c.CoreV1().Pods(benchNS).Create(ctx, &corev1.Pod{ObjectMeta: m, Spec: spec}, create)
		return err
	})
}

func benchLabels(app string) map[string]string {
	return map[string]string{
		"app":                         app,
		"app.kubernetes.io/name":      app,
		"app.kubernetes.io/part-of":   "bench",
		"app.kubernetes.io/component": "web",
		"app.kubernetes.io/version":   "1.0.0",
	}
}

// benchPodSpec is a typical web pod: one container with ports, env,
// resources, probes and mounts.
func benchPodSpec(app string) corev1.PodSpec {
	return corev1.PodSpec{
		ServiceAccountName: "default",
		Containers: []corev1.Container{{
			Name:  "web",
			Image: "registry.example.com/bench/" + app + ":1.0.0",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			Env: []corev1.EnvVar{
				{Name: "APP", Value: app},
				{Name: "LOG_LEVEL", Value: "info"},
				{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
			ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: intstr.FromInt32(8080)}}},
			LivenessProbe:  &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/live", Port: intstr.FromInt32(8080)}}},
			VolumeMounts:   []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}},
		}},
		Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{
			ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "shared-config"}},
		}}},
	}
}
