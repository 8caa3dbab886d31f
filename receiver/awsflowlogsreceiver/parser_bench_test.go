package awsflowlogsreceiver

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"testing"
)

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

// BenchmarkReadObject measures a whole object: gunzip, split, parse and
// aggregate (10,000 default-format lines over 200 address pairs).
func BenchmarkReadObject(b *testing.B) {
	var text bytes.Buffer
	text.WriteString("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status\n")
	for i := range 10000 {
		fmt.Fprintf(&text, "2 123456789012 eni-0a1b2c3d4e5f6%04d 10.0.%d.%d 10.1.0.%d %d 443 6 10 840 1700000000 1700000060 ACCEPT OK\n",
			i%50, i%4, i%50, i%4, 30000+i)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(text.Bytes())
	_ = zw.Close()
	f := mustFormat(b, "default")
	b.SetBytes(int64(text.Len()))
	b.ReportAllocs()
	for b.Loop() {
		zr, err := gzip.NewReader(bytes.NewReader(gz.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		a := newAggregator()
		if err := a.readObject(zr, f, location{}); err != nil {
			b.Fatal(err)
		}
		if a.stats.Records != 10000 {
			b.Fatal(a.stats)
		}
	}
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "lines/s")
}
