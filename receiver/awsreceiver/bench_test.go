package awsreceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
)

// benchInstances is the size of the region the benchmarks crawl: as many
// instances, each with its network interface and its volume, in pages of
// 1,000 (the EC2 maximum for these calls).
const (
	benchInstances = 5_000
	benchPage      = 1_000
)

// bigRegion serves generated pages of instances, network interfaces and
// volumes, and the recorded responses for every other call.
func bigRegion(tb testing.TB) string {
	tb.Helper()
	api := newFakeState()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		page := 0
		if tok := r.Form.Get("NextToken"); tok != "" {
			page, _ = strconv.Atoi(strings.TrimPrefix(tok, "p"))
		}
		var body string
		switch r.Form.Get("Action") {
		case "DescribeInstances":
			body = generated("DescribeInstancesResponse", "reservationSet", page, instanceItem)
		case "DescribeNetworkInterfaces":
			body = generated("DescribeNetworkInterfacesResponse", "networkInterfaceSet", page, eniItem)
		case "DescribeVolumes":
			body = generated("DescribeVolumesResponse", "volumeSet", page, volumeItem)
		default:
			api.serve(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		_, _ = w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// generated is one page of an EC2 Describe* response.
func generated(root, set string, page int, item func(i int) string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, `<?xml version="1.0" encoding="UTF-8"?>
<%s xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>bench-%d</requestId><%s>`, root, page, set)
	for i := page * benchPage; i < (page+1)*benchPage; i++ {
		sb.WriteString(item(i))
	}
	fmt.Fprintf(&sb, "</%s>", set)
	if (page+1)*benchPage < benchInstances {
		fmt.Fprintf(&sb, "<nextToken>p%d</nextToken>", page+1)
	}
	fmt.Fprintf(&sb, "</%s>", root)
	return sb.String()
}

func ip(i int) string { return fmt.Sprintf("10.%d.%d.%d", 1+i/65536, (i/256)%256, i%256) }

func instanceItem(i int) string {
	return fmt.Sprintf(`<item><reservationId>r-%017x</reservationId><ownerId>123456789012</ownerId><groupSet/><instancesSet><item>
<instanceId>i-%017x</instanceId><imageId>ami-0abcdef1234567890</imageId><instanceState><code>16</code><name>running</name></instanceState>
<privateDnsName>ip-%d.eu-west-1.compute.internal</privateDnsName><instanceType>m6i.large</instanceType><launchTime>2026-11-01T08:30:00.000Z</launchTime>
<placement><availabilityZone>eu-west-1a</availabilityZone><tenancy>default</tenancy></placement>
<subnetId>subnet-0aa0000000000a001</subnetId><vpcId>vpc-0a1b2c3d4e5f60001</vpcId><privateIpAddress>%s</privateIpAddress>
<groupSet><item><groupId>sg-0a0000000000000a1</groupId><groupName>shop-api</groupName></item></groupSet>
<blockDeviceMapping><item><deviceName>/dev/xvda</deviceName><ebs><volumeId>vol-%017x</volumeId><status>attached</status></ebs></item></blockDeviceMapping>
<networkInterfaceSet><item><networkInterfaceId>eni-%017x</networkInterfaceId><subnetId>subnet-0aa0000000000a001</subnetId><vpcId>vpc-0a1b2c3d4e5f60001</vpcId>
<privateIpAddress>%s</privateIpAddress><privateIpAddressesSet><item><privateIpAddress>%s</privateIpAddress><primary>true</primary></item></privateIpAddressesSet></item></networkInterfaceSet>
<tagSet><item><key>Name</key><value>node-%d</value></item><item><key>team</key><value>shop</value></item></tagSet>
</item></instancesSet></item>`, i, i, i, ip(i), i, i, ip(i), ip(i), i)
}

func eniItem(i int) string {
	return fmt.Sprintf(`<item><networkInterfaceId>eni-%017x</networkInterfaceId><subnetId>subnet-0aa0000000000a001</subnetId><vpcId>vpc-0a1b2c3d4e5f60001</vpcId>
<availabilityZone>eu-west-1a</availabilityZone><description>Primary network interface</description><ownerId>123456789012</ownerId><status>in-use</status>
<macAddress>02:7a:00:00:%02x:%02x</macAddress><privateIpAddress>%s</privateIpAddress>
<groupSet><item><groupId>sg-0a0000000000000a1</groupId><groupName>shop-api</groupName></item></groupSet>
<attachment><attachmentId>eni-attach-%d</attachmentId><instanceId>i-%017x</instanceId><deviceIndex>0</deviceIndex><status>attached</status></attachment>
<privateIpAddressesSet><item><privateIpAddress>%s</privateIpAddress><primary>true</primary></item></privateIpAddressesSet>
<interfaceType>interface</interfaceType><tagSet/></item>`, i, i/256%256, i%256, ip(i), i, i, ip(i))
}

func volumeItem(i int) string {
	return fmt.Sprintf(`<item><volumeId>vol-%017x</volumeId><size>50</size><availabilityZone>eu-west-1a</availabilityZone><status>in-use</status>
<createTime>2026-11-01T08:30:05.000Z</createTime><attachmentSet><item><volumeId>vol-%017x</volumeId><instanceId>i-%017x</instanceId>
<device>/dev/xvda</device><status>attached</status><deleteOnTermination>true</deleteOnTermination></item></attachmentSet>
<volumeType>gp3</volumeType><iops>3000</iops><encrypted>true</encrypted><tagSet/></item>`, i, i, i)
}

func benchReceiver(tb testing.TB) *awsReceiver {
	tb.Helper()
	cfg := testConfig(bigRegion(tb))
	cfg.Regions = []string{"eu-west-1"}
	cfg.RequestsPerSecond = 0
	r := newReceiver(cfg, receivertest.NewNopSettings(typeStr), consumertest.NewNop())
	c, err := newClient(context.Background(), cfg)
	require.NoError(tb, err)
	r.client = c
	return r
}

// BenchmarkCrawlRegion is one whole crawl of one region: every call
// through the SDK against the local server (5,000 instances, ENIs and
// volumes, the recorded rest), the entities and the batch, with the peak
// live heap (the server's pages included).
func BenchmarkCrawlRegion(b *testing.B) {
	r := benchReceiver(b)
	require.NoError(b, r.crawl(context.Background()))
	b.ReportAllocs()
	crawltest.BenchCrawl(b, r.crawl)
	b.ReportMetric(float64(len(r.seen["eu-west-1"])), "entities/op")
}

// BenchmarkEntities is the conversion alone, on the same inventory.
func BenchmarkEntities(b *testing.B) {
	r := benchReceiver(b)
	rc := r.crawlRegion(context.Background(), "eu-west-1")
	require.NoError(b, rc.err)
	require.Len(b, rc.inv.instances, benchInstances)
	elements := 0
	b.ReportAllocs()
	for b.Loop() {
		elements = len(entities("123456789012", "eu-west-1", rc.inv, time.Hour))
	}
	b.ReportMetric(float64(elements), "entities/op")
	b.ReportMetric(float64(elements)*float64(b.N)/b.Elapsed().Seconds(), "entities/s")
}
