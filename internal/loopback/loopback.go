// Package loopback tells whether a host is this machine, for the warnings
// about secrets that would otherwise cross the network in clear.
package loopback

import (
	"net/netip"
	"strings"
)

// Is reports whether host (a name or an address, without port; IPv6 may
// be bracketed) is this machine: localhost, a loopback address, or a Unix
// socket path.
func Is(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasPrefix(host, "/") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.Unmap().IsLoopback()
}
