package awsflowlogsreceiver

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustFormat(t testing.TB, s string) format {
	t.Helper()
	f, err := parseFormat(s)
	require.NoError(t, err)
	return f
}

func TestParseFormat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		cols    int
		wantErr string
	}{
		{in: "", cols: 14},
		{in: "default", cols: 14},
		{in: "all", cols: 29},
		{in: "${srcaddr} ${dstaddr}", cols: 2},
		{in: "${ecs-task-id} ${reject-reason} ${srcaddr}", cols: 3},
		{in: "${srcaddr} ${nope}", wantErr: `log_format: unknown field "nope"`},
		{in: "${srcaddr} dstaddr", wantErr: `log_format: "dstaddr" is not a ${field}`},
		{in: "${srcaddr} ${srcaddr}", wantErr: `log_format: field "srcaddr" appears twice`},
		{in: "${}", wantErr: `log_format: "${}" is not a ${field}`},
		{in: "   ", cols: 14},
	} {
		t.Run(tc.in, func(t *testing.T) {
			f, err := parseFormat(tc.in)
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Len(t, f.cols, tc.cols)
		})
	}
}

func TestHeaderFormat(t *testing.T) {
	f, ok := headerFormat("version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	require.True(t, ok)
	assert.Equal(t, mustFormat(t, "default"), f)

	_, ok = headerFormat("2 123456789012 eni-0a1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK")
	assert.False(t, ok)
	_, ok = headerFormat("")
	assert.False(t, ok)
	_, ok = headerFormat("srcaddr srcaddr")
	assert.False(t, ok)
}

func TestParseLine(t *testing.T) {
	def := mustFormat(t, "default")
	all := mustFormat(t, "all")
	custom := mustFormat(t, "${instance-id} ${subnet-id} ${vpc-id} ${pkt-srcaddr} ${pkt-dstaddr} ${srcaddr} ${dstaddr} ${bytes} ${packets} ${action} ${tcp-flags} ${traffic-path} ${flow-direction}")

	base := emptyRecord
	with := func(mod func(*record)) record {
		r := base
		mod(&r)
		return r
	}
	for _, tc := range []struct {
		name    string
		f       format
		line    string
		want    record
		wantErr error
	}{
		{
			name: "default accept",
			f:    def,
			line: "2 123456789012 eni-0a1b 10.0.1.5 10.0.2.7 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK",
			want: with(func(r *record) {
				r.Version, r.AccountID, r.InterfaceID, r.SrcAddr, r.DstAddr = 2, "123456789012", "eni-0a1b", "10.0.1.5", "10.0.2.7"
				r.SrcPort, r.DstPort, r.Protocol, r.Packets, r.Bytes = 49152, 443, 6, 10, 840
				r.Start, r.End, r.Action, r.LogStatus = 1700000000, 1700000060, "ACCEPT", "OK"
			}),
		},
		{
			name: "nodata",
			f:    def,
			line: "2 123456789012 eni-0a1b - - - - - - - 1700000000 1700000060 - NODATA",
			want: with(func(r *record) {
				r.Version, r.AccountID, r.InterfaceID = 2, "123456789012", "eni-0a1b"
				r.Start, r.End, r.LogStatus = 1700000000, 1700000060, "NODATA"
			}),
		},
		{
			name: "skipdata",
			f:    def,
			line: "2 123456789012 eni-0a1b - - - - - - - 1700000000 1700000060 - SKIPDATA",
			want: with(func(r *record) {
				r.Version, r.AccountID, r.InterfaceID = 2, "123456789012", "eni-0a1b"
				r.Start, r.End, r.LogStatus = 1700000000, 1700000060, "SKIPDATA"
			}),
		},
		{
			name: "instance and subnet not swapped",
			f:    custom,
			line: "i-0abc subnet-0def vpc-0123 10.0.1.5 10.0.2.7 10.0.1.5 10.0.2.7 840 10 REJECT 2 1 ingress\r",
			want: with(func(r *record) {
				r.InstanceID, r.SubnetID, r.VpcID = "i-0abc", "subnet-0def", "vpc-0123"
				r.PktSrcAddr, r.PktDstAddr, r.SrcAddr, r.DstAddr = "10.0.1.5", "10.0.2.7", "10.0.1.5", "10.0.2.7"
				r.Bytes, r.Packets, r.Action, r.TCPFlags, r.TrafficPath, r.FlowDirection = 840, 10, "REJECT", 2, 1, "ingress"
			}),
		},
		{
			name: "all",
			f:    all,
			line: "123456789012 ACCEPT use1-az1 840 10.0.2.7 443 1700000060 egress i-0abc eni-0a1b OK 10 AMAZON 52.94.0.1 - 10.0.1.5 6 us-east-1 10.0.1.5 49152 1700000000 - - subnet-0def 19 8 IPv4 5 vpc-0123",
			want: with(func(r *record) {
				r.AccountID, r.Action, r.AZID, r.Bytes, r.DstAddr, r.DstPort, r.End = "123456789012", "ACCEPT", "use1-az1", 840, "10.0.2.7", 443, 1700000060
				r.FlowDirection, r.InstanceID, r.InterfaceID, r.LogStatus, r.Packets = "egress", "i-0abc", "eni-0a1b", "OK", 10
				r.PktDstAWSService, r.PktDstAddr, r.PktSrcAddr, r.Protocol, r.Region = "AMAZON", "52.94.0.1", "10.0.1.5", 6, "us-east-1"
				r.SrcAddr, r.SrcPort, r.Start, r.SubnetID, r.TCPFlags, r.TrafficPath, r.Type, r.Version, r.VpcID = "10.0.1.5", 49152, 1700000000, "subnet-0def", 19, 8, "IPv4", 5, "vpc-0123"
			}),
		},
		{name: "short row", f: def, line: "2 123456789012 eni-0a1b", wantErr: errFieldCount},
		{name: "long row", f: def, line: "2 123456789012 eni-0a1b 10.0.1.5 10.0.2.7 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK extra", wantErr: errFieldCount},
		{name: "empty", f: def, line: "", wantErr: errFieldCount},
		{name: "bad number", f: def, line: "2 123456789012 eni-0a1b 10.0.1.5 10.0.2.7 49152 443 6 ten 840 1700000000 1700000060 ACCEPT OK", wantErr: errNumber},
		{name: "negative number", f: def, line: "2 123456789012 eni-0a1b 10.0.1.5 10.0.2.7 49152 443 6 -10 840 1700000000 1700000060 ACCEPT OK", wantErr: errNumber},
		{name: "overflow", f: def, line: "2 123456789012 eni-0a1b 10.0.1.5 10.0.2.7 49152 443 6 10 9999999999999999999999 1700000000 1700000060 ACCEPT OK", wantErr: errNumber},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r record
			err := tc.f.parseLine(tc.line, &r)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, r)
		})
	}
}

func FuzzParseLine(f *testing.F) {
	f.Add("default", "2 123456789012 eni-0a1b 10.0.1.5 10.0.2.7 49152 443 6 10 840 1700000000 1700000060 ACCEPT OK")
	f.Add("default", "2 123456789012 eni-0a1b - - - - - - - 1700000000 1700000060 - NODATA")
	f.Add("all", "123456789012 ACCEPT use1-az1 840 10.0.2.7 443 1700000060 egress i-0abc eni-0a1b OK 10 AMAZON 52.94.0.1 - 10.0.1.5 6 us-east-1 10.0.1.5 49152 1700000000 - - subnet-0def 19 8 IPv4 5 vpc-0123")
	f.Add("${srcaddr} ${dstaddr} ${bytes}", "10.0.0.1  10.0.0.2\t5\r")
	f.Add("default", "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status")
	f.Fuzz(func(t *testing.T, logFormat, line string) {
		fm, err := parseFormat(logFormat)
		if err != nil {
			fm = mustFormat(t, "default")
		}
		var r record
		if err := fm.parseLine(line, &r); err == nil {
			// Every string field is a piece of the line, never "-".
			for _, s := range []string{r.AccountID, r.InterfaceID, r.SrcAddr, r.DstAddr, r.Action, r.LogStatus, r.InstanceID, r.SubnetID} {
				if s == "-" || !strings.Contains(line, s) {
					t.Fatalf("field %q not from line %q", s, line)
				}
			}
		}
		if hf, ok := headerFormat(line); ok {
			_ = hf.parseLine(line, &r)
		}
	})
}
