package coordimapprocessor

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// An entity re-reported every 30 minutes (an AWS collection_interval above
// address_ttl) keeps its addresses for three of its report intervals, so
// flows between two inventory cycles still resolve; after that it expires.
func TestAddressKeptForThreeReportIntervals(t *testing.T) {
	h := newHarness(t)
	slow := instance("i-slow", "10.0.2.7")
	slow.ReportInterval = 30 * time.Minute
	h.consume(awsInventory, func(b *entity.Batch) { addState(t, b, slow) })

	h.clock.Advance(90 * time.Minute)
	_, dst := h.endpoints("x", "10.0.2.7:80")
	assert.Equal(t, "i-slow", dst, "within 3 x entity.report.interval")

	// A sweep while it is still valid keeps it.
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, pod("pod-other", "10.0.0.9")) })
	assert.True(t, h.proc.index.holds("i-slow"))

	h.clock.Advance(time.Second)
	_, dst = h.endpoints("x", "10.0.2.7:80")
	assert.Equal(t, "10.0.2.7:80", dst, "expired after 3 x entity.report.interval")

	// A report interval shorter than a third of address_ttl keeps address_ttl.
	h = newHarness(t)
	quick := pod("pod-quick", "10.0.0.4")
	quick.ReportInterval = time.Minute
	h.consume(k8s, func(b *entity.Batch) { addState(t, b, quick) })
	h.clock.Advance(defaultAddressTTL)
	_, dst = h.endpoints("x", "10.0.0.4:80")
	assert.Equal(t, "pod-quick", dst)
}

// Every expired announcer of one address is swept, however many there are:
// the sweep must not range over a slice it compacts.
func TestSweepDropsEveryExpiredOwner(t *testing.T) {
	x := newAddressIndex(time.Minute)
	a := netip.MustParseAddrPort("10.0.0.1:0")
	for _, id := range []string{"e1", "e2", "e3", "e4"} {
		x.learn(id, "aws.instance", id, "aws", []netip.AddrPort{a}, 0, t0)
	}
	x.learn("fresh", "aws.instance", "fresh", "aws", []netip.AddrPort{a}, 0, t0.Add(2*time.Minute))
	x.mu.Lock()
	x.sweepLocked(t0.Add(2 * time.Minute))
	x.mu.Unlock()
	for _, id := range []string{"e1", "e2", "e3", "e4"} {
		assert.False(t, x.holds(id), id)
	}
	assert.True(t, x.holds("fresh"))
	assert.Len(t, x.byAddr[a], 1)
	assert.Len(t, x.byID, 1)
}

// The databases of one server announce one address; a destination that
// names its database (relationship.destination.name) resolves to it, one
// that does not to the newest announcer, and a name nobody has changes
// nothing.
func TestDestinationNamePicksAmongSharedAddress(t *testing.T) {
	h := newHarness(t)
	pg := entity.Source{ScopeID: "7710", DataSourceType: "postgres", DataSourceID: "pg"}
	h.consume(pg, func(b *entity.Batch) {
		for _, db := range []string{"app", "billing"} {
			addState(t, b, entity.Entity{Ref: entity.Ref{Type: "postgres.database", InternalID: "7710/" + db + "-@"}, Name: db, Addresses: []string{"10.0.0.5:5432"}})
		}
	})
	resolve := func(name string) string {
		recs := h.consume(flows, func(b *entity.Batch) {
			require.NoError(t, b.AddObservation(t0, entity.Observation{
				Type: entity.RelOTelFlow, SourceID: "svc", DestinationID: "10.0.0.5:5432", DestinationName: name, Connections: 1,
			}))
		})
		return recs[0].Observation().DestinationID
	}
	assert.Equal(t, "7710/app-@", resolve("app"))
	assert.Equal(t, "7710/billing-@", resolve("billing"))
	assert.Equal(t, "7710/billing-@", resolve(""), "the newest holder")
	assert.Equal(t, "7710/billing-@", resolve("other"))
}
