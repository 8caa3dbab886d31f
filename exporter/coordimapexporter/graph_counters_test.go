package coordimapexporter

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// The packet and rejected counters of an observed edge (VPC flow logs)
// add up in the local graph next to the accepted ones.
func TestGraphRejectedCountersAccumulate(t *testing.T) {
	g := newGraphStore(filepath.Join(t.TempDir(), "g.json"), time.Hour)
	for i := range 2 {
		b := entity.NewBatch(entity.Source{ScopeID: "s", DataSourceType: "aws_flow_logs", DataSourceID: "f"})
		ts := crawlTime.Add(time.Duration(i) * time.Minute)
		require.NoError(t, b.AddObservation(ts, entity.Observation{Type: entity.RelAWSNetworkFlow, SourceID: "a", DestinationID: "b",
			FailedConnections: 2, PacketsSent: 3, PacketsReceived: 4, RejectedPackets: 2, RejectedBytes: 80, FirstSeen: ts, LastSeen: ts}))
		g.apply(b.Logs())
	}
	doc := g.snapshot(crawlTime)
	require.Len(t, doc.Edges, 1)
	e := doc.Edges[0]
	assert.Equal(t, int64(4), e.FailedConnections)
	assert.Equal(t, int64(6), e.PacketsSent)
	assert.Equal(t, int64(8), e.PacketsReceived)
	assert.Equal(t, int64(4), e.RejectedPackets)
	assert.Equal(t, int64(160), e.RejectedBytes)
}
