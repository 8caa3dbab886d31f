package coordimapprocessor

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

var awsFlows = entity.Source{ScopeID: "123456789012", DataSourceType: "aws_flow_logs", DataSourceID: "aws-flows"}

// newPeersHarness is a harness whose processor has external_peers cfg.
func newPeersHarness(t *testing.T, cfg ExternalPeersConfig) *harness {
	t.Helper()
	h := newHarness(t)
	h.proc.peers = newExternalPeers(cfg, defaultAddressTTL)
	return h
}

// peerStates are the external elements among recs, by ID.
func peerStates(recs []entity.Record) map[string]entity.Record {
	out := map[string]entity.Record{}
	for _, r := range recs {
		if r.Kind() == entity.KindState && (r.Type() == TypeExternalIP || r.Type() == TypeExternalNetwork) {
			out[r.InternalID()] = r
		}
	}
	return out
}

// An unresolved public end becomes an external IP element of the same data
// source, with the batch's accepted and rejected traffic; the edge points
// at it. A private end nothing resolves stays an address.
func TestExternalPeers(t *testing.T) {
	h := newPeersHarness(t, ExternalPeersConfig{})
	const instance = "123456789012@i-0123456789abcdef0"
	recs := h.consume(awsFlows, func(b *entity.Batch) {
		require.NoError(t, b.AddObservation(t0, entity.Observation{ // an HTTPS client
			Type: entity.RelAWSNetworkFlow, SourceID: "198.51.100.7", DestinationID: instance, DestinationPort: 443,
			Connections: 3, BytesSent: 900, BytesReceived: 12000, PacketsSent: 9, PacketsReceived: 11,
			FirstSeen: t0.Add(-time.Minute), LastSeen: t0,
		}))
		require.NoError(t, b.AddObservation(t0, entity.Observation{ // the same address, an SSH attempt refused
			Type: entity.RelAWSNetworkFlow, SourceID: "198.51.100.7", DestinationID: instance, DestinationPort: 22,
			FailedConnections: 2, RejectedPackets: 2, RejectedBytes: 80, LastSeen: t0,
		}))
		require.NoError(t, b.AddObservation(t0, entity.Observation{ // an API the instance calls, IPv6
			Type: entity.RelAWSNetworkFlow, SourceID: instance, DestinationID: "[2001:4860:4860::8888]:443",
			Connections: 1, BytesSent: 100, LastSeen: t0,
		}))
		addFlow(t, b, instance, "10.9.9.9")    // private: left as it is
		addFlow(t, b, instance, "100.64.1.20") // carrier-grade NAT: not public
	})
	var ends []string
	for _, r := range recs {
		if r.Kind() == entity.KindObservation {
			o := r.Observation()
			ends = append(ends, o.SourceID+" > "+o.DestinationID)
		}
	}
	assert.Equal(t, []string{
		"external-ip@198.51.100.7 > " + instance,
		"external-ip@198.51.100.7 > " + instance,
		instance + " > external-ip@2001:4860:4860::8888",
		instance + " > 10.9.9.9",
		instance + " > 100.64.1.20",
	}, ends)
	peers := peerStates(recs)
	require.Len(t, peers, 2)
	client := peers["external-ip@198.51.100.7"]
	assert.Equal(t, "198.51.100.7", client.Name())
	assert.Equal(t, map[string]any{
		"address": "198.51.100.7", "flows": int64(2), "flows_as_source": int64(2), "flows_as_destination": int64(0),
		"accepted": map[string]any{
			"connections": int64(3), "bytes_sent": int64(900), "bytes_received": int64(12000), "packets_sent": int64(9), "packets_received": int64(11),
		},
		"rejected":           map[string]any{"attempts": int64(2), "packets": int64(2), "bytes": int64(80)},
		"relationship_types": []any{entity.RelAWSNetworkFlow},
		"first_seen":         "2026-03-04T05:05:07Z",
		"last_seen":          "2026-03-04T05:06:07Z",
	}, client.Body().AsRaw())
	api := peers["external-ip@2001:4860:4860::8888"]
	assert.Equal(t, int64(1), api.Body().AsRaw()["flows_as_destination"])
}

// Beyond max_addresses per data source, new addresses are counted in the
// element of their network; those that have an element keep it in later
// batches.
func TestExternalPeersBound(t *testing.T) {
	h := newPeersHarness(t, ExternalPeersConfig{MaxAddresses: 2})
	const instance = "123456789012@i-0123456789abcdef0"
	batch := func(addrs ...string) map[string]entity.Record {
		return peerStates(h.consume(awsFlows, func(b *entity.Batch) {
			for _, a := range addrs {
				require.NoError(t, b.AddObservation(t0, entity.Observation{
					Type: entity.RelAWSNetworkFlow, SourceID: a, DestinationID: instance, FailedConnections: 1,
				}))
			}
		}))
	}
	first := batch("203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "2001:db8:1:2::5")
	assert.ElementsMatch(t, []string{
		"external-ip@203.0.113.1", "external-ip@203.0.113.2", "external-network@203.0.113.0/24", "external-network@2001:db8:1::/48",
	}, keys(first))
	net := first["external-network@203.0.113.0/24"].Body().AsRaw()
	assert.Equal(t, []any{"203.0.113.3", "203.0.113.4"}, net["addresses"])
	assert.Equal(t, map[string]any{"attempts": int64(2), "packets": int64(0), "bytes": int64(0)}, net["rejected"])

	// The same addresses again: the same elements.
	second := batch("203.0.113.4", "203.0.113.2")
	assert.ElementsMatch(t, []string{"external-ip@203.0.113.2", "external-network@203.0.113.0/24"}, keys(second))

	// Another data source has its own bound.
	other := peerStates(h.consume(entity.Source{ScopeID: "s", DataSourceType: "flows", DataSourceID: "ebpf"}, func(b *entity.Batch) {
		addFlow(t, b, "203.0.113.4", instance)
	}))
	assert.ElementsMatch(t, []string{"external-ip@203.0.113.4"}, keys(other))

	// After address_ttl without them, the old addresses give their room
	// up.
	h.clock.Advance(defaultAddressTTL + time.Second)
	third := batch("203.0.113.9")
	assert.ElementsMatch(t, []string{"external-ip@203.0.113.9"}, keys(third))
}

func TestExternalPeersDisabled(t *testing.T) {
	h := newPeersHarness(t, ExternalPeersConfig{Disabled: true})
	recs := h.consume(awsFlows, func(b *entity.Batch) { addFlow(t, b, "198.51.100.7", "123456789012@i-1") })
	require.Len(t, recs, 1)
	assert.Equal(t, "198.51.100.7", recs[0].Observation().SourceID)
}

func TestExternalPeersConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"external_peers": map[string]any{"max_addresses": 50, "network_prefix_ipv4": 20, "network_prefix_ipv6": 56, "disabled": true},
	}).Unmarshal(cfg))
	assert.Equal(t, ExternalPeersConfig{Disabled: true, MaxAddresses: 50, NetworkPrefixIPv4: 20, NetworkPrefixIPv6: 56}, cfg.ExternalPeers)
	require.ErrorContains(t, confmap.NewFromStringMap(map[string]any{
		"external_peers": map[string]any{"max_adresses": 50},
	}).Unmarshal(cfg), "max_adresses", "a typo is refused")

	cfg.ExternalPeers = ExternalPeersConfig{MaxAddresses: -1, NetworkPrefixIPv4: 33, NetworkPrefixIPv6: 8}
	assert.EqualError(t, cfg.Validate(), errMaxAddresses.Error()+"\n"+errPrefixV4.Error()+"\n"+errPrefixV6.Error())
	cfg.ExternalPeers = ExternalPeersConfig{MaxAddresses: 10, NetworkPrefixIPv4: 16, NetworkPrefixIPv6: 64}
	assert.NoError(t, cfg.Validate())
}

func keys(m map[string]entity.Record) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMaybeAddress(t *testing.T) {
	for s, want := range map[string]bool{
		"203.0.113.9": true, "203.0.113.9:443": true, "[2001:db8::1]:443": true, "fe80::1%eth0": true, "2001:DB8::1": true,
		"": false, "123456789012@i-0abc": false, "external-ip@203.0.113.9": false, "uid-shop-kubernetes.pod-api": false, "7710/app-@": false,
	} {
		assert.Equal(t, want, maybeAddress(s), s)
	}
}
