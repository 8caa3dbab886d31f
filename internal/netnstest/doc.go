// Package netnstest gives tests a two-host network on one Linux machine: two
// network namespaces joined by a veth pair, with 10.200.<n>.1 and
// 10.200.<n>.2 addresses that exist only inside them, so nothing on the
// machine changes. Tests run a server in one namespace and clients in the
// other; the namespaces go when the test ends.
//
// It needs root and iproute2 (`ip`). Without them New ends the test: a skip
// on a developer machine, a failure under CI=true.
package netnstest
