package awsflowlogsreceiver

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// Which end of a record is the client, rule by rule.
func TestOrient(t *testing.T) {
	const v3 = "${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${tcp-flags} ${action}"
	for _, tc := range []struct {
		name, line string
		request    bool
	}{
		{"SYN from the client", "10.0.1.5 10.0.2.7 40000 5432 6 2 ACCEPT", true},
		{"SYN and FIN from the client", "10.0.1.5 10.0.2.7 40000 5432 6 3 ACCEPT", true},
		{"SYN-ACK from the server", "10.0.2.7 10.0.1.5 5432 40000 6 18 ACCEPT", false},
		{"SYN-ACK and FIN from the server", "10.0.2.7 10.0.1.5 5432 40000 6 19 ACCEPT", false},
		// A client that bound a low port: the flags win over the ports.
		{"SYN beats the ports", "10.0.1.5 10.0.2.7 80 40000 6 2 ACCEPT", true},
		{"no flags: well-known port", "10.0.2.7 10.0.1.5 443 49152 6 0 ACCEPT", false},
		{"well-known before registered", "10.0.1.5 10.0.2.7 8080 22 6 0 ACCEPT", true},
		{"registered before ephemeral", "10.0.1.5 10.0.2.7 51000 5432 6 0 ACCEPT", true},
		{"registered before ephemeral, response", "10.0.2.7 10.0.1.5 5432 51000 6 0 ACCEPT", false},
		{"same class: the lower port", "10.0.1.5 10.0.2.7 9000 8080 6 0 ACCEPT", true},
		{"UDP: ports", "10.0.2.7 10.0.1.5 53 40000 17 - ACCEPT", false},
		{"ICMP: the lower address is the server", "198.51.100.7 10.0.1.5 0 0 1 - ACCEPT", true},
		{"ICMP reply: the same orientation", "10.0.1.5 198.51.100.7 0 0 1 - ACCEPT", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustFormat(t, v3)
			var r record
			require.NoError(t, f.parseLine(tc.line, &r))
			assert.Equal(t, tc.request, orient(&r, r.SrcAddr, r.DstAddr))
		})
	}
}

// A connection logged by both ENIs, request and response, over two
// capture windows, makes one flow client → server: requests and
// responses apart, the connection counted once, both sides' copies of
// the same packets not added up; rejected attempts apart.
func TestOneFlowPerClientServerPair(t *testing.T) {
	const format = "${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${tcp-flags} ${flow-direction}"
	lines := []string{
		// Window 1: the SYN; logged by the client's ENI (a) and the
		// server's (b).
		"eni-a 10.0.1.5 10.0.2.7 40000 5432 6 10 800 100 160 ACCEPT 2 egress",
		"eni-a 10.0.2.7 10.0.1.5 5432 40000 6 8 4000 100 160 ACCEPT 18 ingress",
		"eni-b 10.0.1.5 10.0.2.7 40000 5432 6 10 800 100 160 ACCEPT 2 ingress",
		"eni-b 10.0.2.7 10.0.1.5 5432 40000 6 8 4000 100 160 ACCEPT 18 egress",
		// Window 2: the same connection, no SYN any more.
		"eni-a 10.0.1.5 10.0.2.7 40000 5432 6 5 500 160 220 ACCEPT 1 egress",
		"eni-a 10.0.2.7 10.0.1.5 5432 40000 6 4 2000 160 220 ACCEPT 1 ingress",
		"eni-b 10.0.1.5 10.0.2.7 40000 5432 6 5 500 160 220 ACCEPT 1 ingress",
		"eni-b 10.0.2.7 10.0.1.5 5432 40000 6 4 2000 160 220 ACCEPT 1 egress",
		// A second connection from another port.
		"eni-a 10.0.1.5 10.0.2.7 40001 5432 6 2 120 200 260 ACCEPT 3 egress",
		// An SSH attempt from the internet, refused at b.
		"eni-b 203.0.113.9 10.0.2.7 51234 22 6 1 40 300 360 REJECT 2 ingress",
		"eni-b 203.0.113.9 10.0.2.7 51235 22 6 1 40 400 460 REJECT 2 ingress",
	}
	a := newAggregator()
	require.NoError(t, a.readObject(strings.NewReader(strings.Join(lines, "\n")), mustFormat(t, format), location{}))
	obs := a.observations(testAccount, nil, 0)
	require.Len(t, obs, 2)
	db, ssh := obs[0], obs[1]
	assert.Equal(t, entity.Observation{
		Type: entity.RelAWSNetworkFlow, SourceID: "10.0.1.5", DestinationID: "10.0.2.7", DestinationPort: 5432,
		Connections: 2, BytesSent: 800 + 500 + 120, PacketsSent: 10 + 5 + 2, BytesReceived: 4000 + 2000, PacketsReceived: 8 + 4,
		FirstSeen: db.FirstSeen, LastSeen: db.LastSeen,
		Attributes: map[string]any{
			attrAccepted: int64(9), attrRejected: int64(0), attrInterfaceIDs: []any{"eni-a", "eni-b"}, attrServerPorts: []any{int64(5432)},
		},
	}, db)
	assert.Equal(t, int64(100), db.FirstSeen.Unix())
	assert.Equal(t, int64(260), db.LastSeen.Unix())
	assert.Equal(t, "203.0.113.9", ssh.SourceID)
	assert.Equal(t, "10.0.2.7", ssh.DestinationID)
	assert.Equal(t, int64(22), ssh.DestinationPort)
	assert.Equal(t, int64(0), ssh.Connections)
	assert.Equal(t, int64(2), ssh.FailedConnections)
	assert.Equal(t, int64(2), ssh.RejectedPackets)
	assert.Equal(t, int64(80), ssh.RejectedBytes)
	assert.Equal(t, int64(0), ssh.BytesSent)
}
