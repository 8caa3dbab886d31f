package gcpflowlogsreceiver

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/mapping"
)

// benchRecords are n records of 2,000 VMs talking to 50 servers, both
// ends reporting, with a GKE pod on one end of a tenth of them.
func benchRecords(n int) []record {
	out := make([]record, n)
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for i := range out {
		r := &out[i]
		c := i % 2000
		r.Connection.SrcIP = fmt.Sprintf("10.1.%d.%d", c/250, c%250)
		r.Connection.DstIP = fmt.Sprintf("10.2.0.%d", i%50)
		r.Connection.SrcPort, r.Connection.DstPort, r.Connection.Protocol = int64(32768+i%20000), 5432, 6
		r.Reporter = [2]string{"SRC", "DEST"}[i%2]
		r.BytesSent, r.PacketsSent = intField(1000+i%500), intField(10)
		r.SrcInstance = instance{ProjectID: testProject, VMName: fmt.Sprintf("vm-%d", c), Zone: "europe-west3-a"}
		if i%10 == 0 {
			r.SrcGKE.Cluster.Location, r.SrcGKE.Cluster.Name = "europe-west3", "shop-gke"
			r.SrcGKE.Pod.Name, r.SrcGKE.Pod.Namespace = fmt.Sprintf("api-%d", c), "shop"
		}
		r.start, r.end = start, start.Add(5*time.Second)
	}
	return out
}

// BenchmarkAggregate folds parsed records into edges (records/s is the
// figure in docs/PERFORMANCE.md).
func BenchmarkAggregate(b *testing.B) {
	recs := benchRecords(100_000)
	clusters, err := mapping.Parse([]string{"europe-west3-shop-gke@uid-k8s"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		agg := newAggregator("123456789012", testProject, clusters)
		for i := range recs {
			agg.add(&recs[i])
		}
		_ = agg.observations()
		n += len(recs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkParseAndAggregate reads the JSON payloads too (what Cloud
// Logging hands over, already split into entries by the client).
func BenchmarkParseAndAggregate(b *testing.B) {
	recs := benchRecords(20_000)
	payloads := make([][]byte, len(recs))
	for i := range recs {
		r := &recs[i]
		m := map[string]any{
			"connection": map[string]any{"src_ip": r.Connection.SrcIP, "dest_ip": r.Connection.DstIP, "src_port": r.Connection.SrcPort, "dest_port": r.Connection.DstPort, "protocol": 6},
			"reporter":   r.Reporter, "bytes_sent": fmt.Sprint(r.BytesSent), "packets_sent": "10",
			"start_time": "2026-12-07T10:00:00Z", "end_time": "2026-12-07T10:00:05Z",
			"src_instance": map[string]any{"project_id": testProject, "vm_name": r.SrcInstance.VMName, "zone": "europe-west3-a", "region": "europe-west3"},
			"src_vpc":      map[string]any{"project_id": testProject, "vpc_name": "shop-vpc", "subnetwork_name": "shop-eu", "subnetwork_region": "europe-west3"},
		}
		payloads[i], _ = json.Marshal(m)
	}
	b.ReportAllocs()
	n := 0
	var r record
	for b.Loop() {
		agg := newAggregator("123456789012", testProject, nil)
		for _, p := range payloads {
			if err := parseRecord(p, &r); err != nil {
				b.Fatal(err)
			}
			agg.add(&r)
		}
		_ = agg.observations()
		n += len(payloads)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}
