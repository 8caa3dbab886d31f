// Package netns runs code in Linux network namespaces and names them: what
// the coordimap_flows receiver and the test harness (internal/netnstest)
// share.
package netns // import "github.com/coordimap/otelcol-coordimap/internal/netns"
