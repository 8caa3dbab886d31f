package flowsreceiver

import (
	"testing"

	"github.com/coordimap/otelcol-coordimap/internal/netnstest"
)

// netnsPair is two network namespaces joined by a veth pair: a two-host
// network on one machine (A serves, B connects). See internal/netnstest.
type netnsPair = netnstest.Pair

type netnsHost = netnstest.Host

// newNetnsPair creates the namespaces, or ends the test when it cannot
// (a skip locally, a failure under CI=true).
func newNetnsPair(t *testing.T) *netnsPair {
	t.Helper()
	return netnstest.New(t)
}
