package crawltest

import (
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Main is a TestMain for a package with one test server: it runs the
// tests, then stop (which stops the server if a test started it, and
// removes its files), then fails a passing run that left goroutines
// running. opts name the goroutines to ignore.
func Main(m *testing.M, stop func() error, opts ...goleak.Option) {
	code := m.Run()
	if err := stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the test server:", err)
	}
	if code == 0 {
		if err := goleak.Find(opts...); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines left running:", err)
			code = 1
		}
	}
	os.Exit(code)
}
