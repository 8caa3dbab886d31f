package gcpreceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/gcpfake"
)

// The project the benchmark crawls: 5,000 VMs (each with its disk), 500
// instance groups of 10 members, 2,000 firewall rules, in pages of 500
// (Compute Engine's maximum); the recorded responses for every other call.
const (
	benchVMs       = 5_000
	benchGroups    = 500
	benchFirewalls = 2_000
	benchPage      = 500
)

const benchC = "https://www.googleapis.com/compute/v1/projects/" + testProject

func benchZone(i int) string {
	return []string{"europe-west3-a", "europe-west3-b", "europe-west3-c"}[i%3]
}

func benchVM(i int) map[string]any {
	z := benchZone(i)
	return map[string]any{
		"kind": "compute#instance", "id": strconv.Itoa(8_000_000 + i), "name": fmt.Sprintf("vm-%d", i), "status": "RUNNING",
		"zone": benchC + "/zones/" + z, "machineType": benchC + "/zones/" + z + "/machineTypes/e2-medium",
		"networkInterfaces": []any{map[string]any{"network": benchC + "/global/networks/shop-vpc", "subnetwork": benchC + "/regions/europe-west3/subnetworks/shop-eu",
			"networkIP": fmt.Sprintf("10.%d.%d.%d", 10+i/65536, (i/256)%256, i%256)}},
		"disks":           []any{map[string]any{"source": fmt.Sprintf("%s/zones/%s/disks/vm-%d", benchC, z, i), "boot": true}},
		"serviceAccounts": []any{map[string]any{"email": "app-sa@" + testProject + ".iam.gserviceaccount.com"}},
		"labels":          map[string]any{"app": "shop", "tier": strconv.Itoa(i % 4)},
		"selfLink":        fmt.Sprintf("%s/zones/%s/instances/vm-%d", benchC, z, i),
	}
}

// benchPageOf writes page p of n generated items (aggregated by zone when
// key is an aggregated list's), with a nextPageToken but on the last.
func benchPageOf(w http.ResponseWriter, r *http.Request, n int, key string, aggregated bool, item func(int) map[string]any) {
	p, _ := strconv.Atoi(r.URL.Query().Get("pageToken"))
	resp := map[string]any{}
	if aggregated {
		scopes := map[string]map[string][]any{}
		for i := p * benchPage; i < min((p+1)*benchPage, n); i++ {
			s := "zones/" + benchZone(i)
			if scopes[s] == nil {
				scopes[s] = map[string][]any{}
			}
			scopes[s][key] = append(scopes[s][key], item(i))
		}
		resp["items"] = scopes
	} else {
		var items []any
		for i := p * benchPage; i < min((p+1)*benchPage, n); i++ {
			items = append(items, item(i))
		}
		resp["items"] = items
	}
	if (p+1)*benchPage < n {
		resp["nextPageToken"] = strconv.Itoa(p + 1)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

// bigProject serves the generated project; calls counts the requests.
func bigProject(tb testing.TB) (Endpoints, *atomic.Int64) {
	tb.Helper()
	fake := gcpfake.New(tb, apiRoot, "")
	calls := new(atomic.Int64)
	prefix := "/compute/v1/projects/" + testProject + "/"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		path := strings.TrimPrefix(r.URL.Path, prefix)
		switch {
		case path == "aggregated/instances":
			benchPageOf(w, r, benchVMs, "instances", true, benchVM)
		case path == "aggregated/disks":
			benchPageOf(w, r, benchVMs, "disks", true, func(i int) map[string]any {
				z := benchZone(i)
				return map[string]any{"name": fmt.Sprintf("vm-%d", i), "sizeGb": "20", "status": "READY", "zone": benchC + "/zones/" + z,
					"selfLink": fmt.Sprintf("%s/zones/%s/disks/vm-%d", benchC, z, i)}
			})
		case path == "global/firewalls":
			benchPageOf(w, r, benchFirewalls, "", false, func(i int) map[string]any {
				return map[string]any{"name": fmt.Sprintf("fw-%d", i), "network": benchC + "/global/networks/shop-vpc", "direction": "INGRESS", "priority": 1000,
					"sourceRanges": []any{"10.0.0.0/8"}, "allowed": []any{map[string]any{"IPProtocol": "tcp", "ports": []any{strconv.Itoa(1000 + i)}}}}
			})
		case path == "aggregated/instanceGroups":
			benchPageOf(w, r, benchGroups, "instanceGroups", true, func(i int) map[string]any {
				z := benchZone(i)
				return map[string]any{"name": fmt.Sprintf("ig-%d", i), "size": 10, "zone": benchC + "/zones/" + z, "network": benchC + "/global/networks/shop-vpc",
					"selfLink": fmt.Sprintf("%s/zones/%s/instanceGroups/ig-%d", benchC, z, i)}
			})
		case strings.HasSuffix(path, "/listInstances") && strings.Contains(path, "/instanceGroups/ig-"):
			g, _ := strconv.Atoi(strings.TrimPrefix(path[strings.LastIndex(path[:len(path)-len("/listInstances")], "/")+1:len(path)-len("/listInstances")], "ig-"))
			var items []any
			for m := range 10 {
				i := (g*10 + m) % benchVMs
				items = append(items, map[string]any{"instance": fmt.Sprintf("%s/zones/%s/instances/vm-%d", benchC, benchZone(i), i), "status": "RUNNING"})
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
		default:
			fake.ServeHTTP(w, r)
		}
	}))
	tb.Cleanup(srv.Close)
	ep := func(api string) string { return strings.Replace(fake.Endpoint(api), fake.URL, srv.URL, 1) }
	return Endpoints{
		Compute: ep("compute"), Container: ep("container"), SQLAdmin: ep("sqladmin"), Storage: ep("storage"),
		Run: ep("run"), IAM: ep("iam"), ResourceManager: ep("cloudresourcemanager"), PubSub: ep("pubsub"), Redis: ep("redis"),
	}, calls
}

// BenchmarkCrawlProject is one whole crawl of the big project: every
// call through the real clients, the entities, the batch.
func BenchmarkCrawlProject(b *testing.B) {
	ep, calls := bigProject(b)
	cfg := createDefaultConfig().(*Config)
	cfg.ProjectID, cfg.WithoutAuthentication, cfg.Endpoints = testProject, true, ep
	cfg.RequestsPerSecond = 0
	sink := new(consumertest.LogsSink)
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), sink)
	c, err := newClient(context.Background(), cfg)
	require.NoError(b, err)
	r.client = c
	require.NoError(b, r.crawl(context.Background())) // the predefined roles, once
	sink.Reset()
	calls.Store(0)
	n := 0
	crawltest.BenchCrawl(b, func(ctx context.Context) error {
		n++
		sink.Reset()
		return r.crawl(ctx)
	})
	b.ReportMetric(float64(calls.Load())/float64(n), "calls/crawl")
	b.ReportMetric(float64(sink.LogRecordCount()), "entities")
}
