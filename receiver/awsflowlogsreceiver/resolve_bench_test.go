package awsflowlogsreceiver

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
)

// BenchmarkObservations measures turning one batch's aggregated flows
// into observations, with and without resolving their ends: 10,000 flows
// between the addresses of 1,000 instance ENIs (two addresses each) and the
// internet, each logged by its source ENI.
// go test -run '^$' -bench Observations -benchtime 20x ./receiver/awsflowlogsreceiver/
func BenchmarkObservations(b *testing.B) {
	const enis, flows = 1000, 10000
	nis := make([]ec2types.NetworkInterface, enis)
	for i := range nis {
		ip, ip2 := fmt.Sprintf("10.0.%d.%d", i/250, i%250+1), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1)
		nis[i] = ec2types.NetworkInterface{
			NetworkInterfaceId: aws.String(fmt.Sprintf("eni-%017d", i)),
			VpcId:              aws.String("vpc-0a"),
			OwnerId:            aws.String(testAccount),
			Attachment:         &ec2types.NetworkInterfaceAttachment{InstanceId: aws.String(fmt.Sprintf("i-%017d", i))},
			PrivateIpAddress:   aws.String(ip),
			PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{
				{PrivateIpAddress: aws.String(ip)}, {PrivateIpAddress: aws.String(ip2)},
			},
		}
	}
	idx := awsnet.New(nis)
	a := newAggregator()
	ipOf := func(eni, n int) string { return fmt.Sprintf("10.%d.%d.%d", n, eni/250, eni%250+1) }
	for i := range flows {
		src, round := i%enis, i/enis
		dst := ipOf((src+1+round*101)%enis, 0)
		if i%5 == 0 {
			dst = fmt.Sprintf("198.51.%d.%d", i/250, i%250)
		}
		a.flows[flowKey{ipOf(src, round%2), dst, fmt.Sprintf("eni-%017d", src)}] = &flowAgg{
			counters: counters{reqPackets: 10, reqBytes: 840, connections: 1}, accepted: 1, first: 1700000000, last: 1700000060, loc: location{testAccount, "us-east-1"},
		}
	}
	if len(a.flows) != flows {
		b.Fatal(len(a.flows))
	}
	for _, bc := range []struct {
		name    string
		indexOf func(string) *awsnet.Index
	}{
		{"addresses", nil},
		{"resolved", func(string) *awsnet.Index { return idx }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if obs := a.observations(testAccount, bc.indexOf, 0); len(obs) == 0 {
					b.Fatal("no observations")
				}
			}
			b.ReportMetric(float64(b.N)*flows/b.Elapsed().Seconds(), "flows/s")
		})
	}
}

// BenchmarkIndex measures building one region's index from 1,000 ENIs.
func BenchmarkIndex(b *testing.B) {
	nis := make([]ec2types.NetworkInterface, 1000)
	for i := range nis {
		ip := fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)
		nis[i] = ec2types.NetworkInterface{
			NetworkInterfaceId: aws.String(fmt.Sprintf("eni-%017d", i)),
			PrivateIpAddress:   aws.String(ip),
			PrivateIpAddresses: []ec2types.NetworkInterfacePrivateIpAddress{{PrivateIpAddress: aws.String(ip)}},
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if awsnet.New(nis).Len() != len(nis) {
			b.Fatal("short index")
		}
	}
}
