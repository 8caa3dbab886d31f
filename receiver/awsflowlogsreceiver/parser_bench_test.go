package awsflowlogsreceiver

import "testing"

// BenchmarkParseLine measures lines per second of one core:
// go test -run '^$' -bench ParseLine -benchtime 2000000x ./receiver/awsflowlogsreceiver/
func BenchmarkParseLine(b *testing.B) {
	for _, bc := range []struct{ name, format, line string }{
		{"default", "default", "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.7 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK"},
		{"all", "all", "123456789012 ACCEPT use1-az1 840 10.0.2.7 443 1700000060 egress i-0abc eni-0a1b OK 10 AMAZON 52.94.0.1 - 10.0.1.5 6 us-east-1 10.0.1.5 49152 1700000000 - - subnet-0def 19 8 IPv4 5 vpc-0123"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			f := mustFormat(b, bc.format)
			var r record
			b.SetBytes(int64(len(bc.line) + 1))
			b.ReportAllocs()
			for b.Loop() {
				if err := f.parseLine(bc.line, &r); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}
