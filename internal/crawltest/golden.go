package crawltest

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// update is the -update flag of every test binary that uses Golden.
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Golden compares batches with golden files, once what depends on the test
// server is written the same way every run.
type Golden struct {
	// Server is the test server's host:port; golden files show Canonical
	// (host:port) instead, and its port alone where the server's port
	// stands alone (as a string or an integer).
	Server, Canonical string
	// Varying are the keys whose values change from run to run (a server
	// version, a UUID): golden files show "<key>" for a string, 0 for an
	// integer.
	Varying []string
	// KeepObservations keeps the client flows; by default they are left
	// out, as they depend on the sessions open at the time.
	KeepObservations bool
}

// Check compares ld with the golden file, or rewrites the file under
// -update. CompareLogs ignores timestamps and event names: the names (the
// record kinds) are compared too.
func (g Golden) Check(t *testing.T, file string, ld plog.Logs) {
	t.Helper()
	actual := g.Normalize(ld)
	if *update {
		require.NoError(t, golden.WriteLogsToFile(file, actual))
		return
	}
	require.NoError(t, g.compare(file, actual))
}

// compare reports how the normalized batch actual differs from the golden
// file: what CompareLogs sees, then the record kinds (event names), which
// it does not.
func (Golden) compare(file string, actual plog.Logs) error {
	expected, err := golden.ReadLogs(file)
	if err != nil {
		return err
	}
	if err := plogtest.CompareLogs(expected, actual,
		plogtest.IgnoreTimestamp(), plogtest.IgnoreObservedTimestamp()); err != nil {
		return err
	}
	exp, act := Records(expected), Records(actual)
	if len(act) != len(exp) {
		return fmt.Errorf("%d records, the golden file has %d", len(act), len(exp))
	}
	var errs []error
	for i := range exp {
		if exp[i].Kind() != act[i].Kind() {
			errs = append(errs, fmt.Errorf("record %d (%s): kind %v, the golden file has %v", i, act[i].InternalID(), act[i].Kind(), exp[i].Kind()))
		}
	}
	return errors.Join(errs...)
}

// Normalize is a copy of ld as a golden file holds it: timestamps zeroed,
// the server's address and port canonical, varying values replaced, maps
// in key order (so that rewriting a golden file shows only real changes).
func (g Golden) Normalize(ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	ld.CopyTo(out)
	_, canonicalPort, _ := strings.Cut(g.Canonical, ":")
	_, port, _ := strings.Cut(g.Server, ":")
	var fix func(v pcommon.Value)
	fixMap := func(m pcommon.Map) {
		for k, v := range m.All() {
			if slices.Contains(g.Varying, k) {
				switch v.Type() {
				case pcommon.ValueTypeStr:
					v.SetStr("<" + k + ">")
				case pcommon.ValueTypeInt:
					v.SetInt(0)
				}
				continue
			}
			fix(v)
		}
		sortMap(m)
	}
	fix = func(v pcommon.Value) {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			str := strings.ReplaceAll(v.Str(), g.Server, g.Canonical)
			if str == port {
				str = canonicalPort
			}
			v.SetStr(str)
		case pcommon.ValueTypeInt:
			if strconv.FormatInt(v.Int(), 10) == port {
				n, _ := strconv.ParseInt(canonicalPort, 10, 64)
				v.SetInt(n)
			}
		case pcommon.ValueTypeMap:
			fixMap(v.Map())
		case pcommon.ValueTypeSlice:
			for _, e := range v.Slice().All() {
				fix(e)
			}
		}
	}
	for _, rl := range out.ResourceLogs().All() {
		fixMap(rl.Resource().Attributes())
		for _, sl := range rl.ScopeLogs().All() {
			if !g.KeepObservations {
				sl.LogRecords().RemoveIf(func(lr plog.LogRecord) bool {
					return entity.View(lr).Kind() == entity.KindObservation
				})
			}
			for _, lr := range sl.LogRecords().All() {
				lr.SetTimestamp(0)
				lr.SetObservedTimestamp(0)
				fixMap(lr.Attributes())
				fix(lr.Body())
			}
		}
	}
	return out
}

// sortMap orders a map's keys.
func sortMap(m pcommon.Map) {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	if slices.IsSorted(keys) {
		return
	}
	slices.Sort(keys)
	sorted := pcommon.NewMap()
	sorted.EnsureCapacity(len(keys))
	for _, k := range keys {
		v, _ := m.Get(k)
		v.CopyTo(sorted.PutEmpty(k))
	}
	sorted.MoveTo(m)
}
