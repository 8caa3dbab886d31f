// Package testneed ends a test that needs something the machine does not
// have (a service, a binary, a privilege): a skip on a developer machine, a
// failure under CI=true, where nothing may be skipped silently. Every test
// harness package (pgtest, mariadbtest, mongotest, promtest, netnstest) and
// every test that needs a tool goes through it.
package testneed

import (
	"os"
	"testing"
)

// CI reports whether the tests run under CI=true.
func CI() bool { return os.Getenv("CI") == "true" }

// Unavailable ends the test because what is missing: it fails under
// CI=true, and otherwise skips, saying how to get it (howTo). err, when not
// nil, is why.
func Unavailable(tb testing.TB, what, howTo string, err error) {
	tb.Helper()
	reason := what + " is not available"
	if err != nil {
		reason += ": " + err.Error()
	}
	if CI() {
		tb.Fatalf("%s (required under CI=true)", reason)
		return
	}
	tb.Skipf("%s (%s, or set CI=true to fail instead of skipping)", reason, howTo)
}
