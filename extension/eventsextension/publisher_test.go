package eventsextension

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/coordimap/otelcol-coordimap/extension/graphextension"
)

// TestOrderPerKey: 10,000 changes (500 entities, 20 versions each) arrive
// once each, keyed by internal ID, in order per key.
func TestOrderPerKey(t *testing.T) {
	c := newCluster(t)
	g, h := startGraph(t, t.TempDir(), nil)
	base := lastSeq(t, g) // the collector's own entity: one snapshot event
	r := startPublisher(t, h, c, func(cfg *Config) { cfg.BatchSize = 700 })
	last := writeVersions(t, g, 500, 0, 20)
	require.Equal(t, base+10_000, last)
	r.waitCursor(t, last)

	msgs := consume(t, c, 10_000+int(base))
	seen := map[int64]bool{}
	perKey := map[string][]message{}
	for _, m := range msgs {
		if m.ev.Snapshot {
			continue
		}
		require.False(t, seen[m.ev.Seq], "seq %d twice", m.ev.Seq)
		seen[m.ev.Seq] = true
		assert.Equal(t, m.ev.ID, m.key)
		assert.Equal(t, m.ev.Type, m.headers[HeaderType])
		assert.Equal(t, "s1", m.headers[HeaderScope])
		assert.Equal(t, "k8s", m.headers[HeaderDataSource])
		perKey[m.key] = append(perKey[m.key], m)
	}
	require.Len(t, perKey, 500)
	for key, ms := range perKey {
		require.Len(t, ms, 20, key)
		assert.Equal(t, EntityCreated, ms[0].ev.Type, key)
		for i := 1; i < len(ms); i++ {
			assert.Greater(t, ms[i].ev.Seq, ms[i-1].ev.Seq, "%s out of order", key)
			assert.Equal(t, EntityUpdated, ms[i].ev.Type, key)
			assert.Equal(t, ms[i-1].ev.AfterHash, ms[i].ev.BeforeHash, key)
			assert.Equal(t, []string{"data.version"}, ms[i].ev.ChangedFields, key)
		}
	}
}

// seqs counts the feed's changes consumed (snapshot events left out).
func seqs(msgs []message) map[int64]int {
	out := map[int64]int{}
	for _, m := range msgs {
		if !m.ev.Snapshot {
			out[m.ev.Seq]++
		}
	}
	return out
}

// requireAll checks every change in (from, to] arrived at least once.
func requireAll(t *testing.T, got map[int64]int, from, to int64) {
	t.Helper()
	var missing []int64
	for s := from + 1; s <= to; s++ {
		if got[s] == 0 {
			missing = append(missing, s)
		}
	}
	require.Empty(t, missing, "changes lost")
}

// TestRestartResumes: a publisher stopped in the middle of a burst, and
// started again on the same store, publishes every change: those
// acknowledged before the stop once, the rest after the restart.
func TestRestartResumes(t *testing.T) {
	c := newCluster(t)
	g, h := startGraph(t, t.TempDir(), nil)
	base := lastSeq(t, g)
	edit := func(cfg *Config) { cfg.BatchSize = 250 }
	r := startPublisher(t, h, c, edit)
	done := make(chan int64)
	go func() {
		defer close(done)
		done <- writeVersions(t, g, 200, 0, 30) // 6,000 changes
	}()
	r.waitCursor(t, base+1000)
	r.stop(t) // in the middle of the burst
	stoppedAt, ok, err := g.Store().Cursor(t.Context(), r.p.name)
	require.NoError(t, err)
	require.True(t, ok)
	last := <-done
	require.Equal(t, base+6000, last)
	require.Less(t, stoppedAt, last, "the stop came before the end of the burst")

	r2 := startPublisher(t, h, c, edit)
	r2.waitCursor(t, last)
	got := seqs(consume(t, c, int(last)))
	requireAll(t, got, base, last)
	for s, n := range got {
		if s <= stoppedAt {
			assert.Equal(t, 1, n, "seq %d acknowledged before the stop is sent again", s)
		}
	}
}

// freePort is a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitStatus waits until the host was told st.
func waitStatus(t *testing.T, h *host, st componentstatus.Status) {
	t.Helper()
	require.Eventually(t, func() bool { return slices.Contains(h.statuses(), st) }, waitTimeout, 20*time.Millisecond,
		"statuses %v, want %v", h.statuses(), st)
}

// TestBrokerDownThenBack: while the broker is down the publisher reports a
// recoverable error and keeps its cursor; once it is back every change
// arrives and the status is OK again.
func TestBrokerDownThenBack(t *testing.T) {
	opts := []kfake.Opt{kfake.Ports(freePort(t)), kfake.DataDir(t.TempDir())}
	c := newCluster(t, opts...)
	g, h := startGraph(t, t.TempDir(), nil)
	base := lastSeq(t, g)
	r := startPublisher(t, h, c, func(cfg *Config) { cfg.DeliveryTimeout = time.Second })
	before := writeVersions(t, g, 100, 0, 5)
	r.waitCursor(t, before)

	c.Close() // the broker goes down
	last := writeVersions(t, g, 100, 5, 10)
	waitStatus(t, h, componentstatus.StatusRecoverableError)
	at, _, err := g.Store().Cursor(t.Context(), r.p.name)
	require.NoError(t, err)
	assert.Less(t, at, last, "the cursor moved past changes Kafka did not acknowledge")

	c = newCluster(t, opts...) // back, with what it had stored
	r.waitCursor(t, last)
	evs := h.Events()
	assert.Equal(t, componentstatus.StatusOK, evs[len(evs)-1].Status(), "status after recovery")
	requireAll(t, seqs(consume(t, c, int(last))), base, last)
}

// TestGapPublishesASnapshot: when retention dropped changes the publisher
// had not sent (it was stopped), it publishes the graph as a snapshot and
// goes on from there.
func TestGapPublishesASnapshot(t *testing.T) {
	c := newCluster(t)
	g, h := startGraph(t, t.TempDir(), func(cfg *graphextension.Config) { cfg.MaxChanges = 100 })
	r := startPublisher(t, h, c, nil)
	first := writeVersions(t, g, 10, 0, 1)
	r.waitCursor(t, first)
	r.stop(t)
	last := writeVersions(t, g, 10, 1, 30) // 290 changes, 100 kept
	require.NoError(t, g.Store().Maintain(t.Context(), time.Now()))
	oldest, err := g.Store().OldestSeq(t.Context())
	require.NoError(t, err)
	require.Greater(t, oldest, first+1, "the feed lost changes the publisher did not send")

	r2 := startPublisher(t, h, c, nil)
	r2.waitCursor(t, last)
	msgs := consume(t, c, int(first)+11) // first run: 1 snapshot + 10; then 11 snapshot events
	var snapshot []string
	for _, m := range msgs {
		if m.ev.Snapshot && m.ev.Seq >= oldest-1 {
			snapshot = append(snapshot, m.key)
			if m.ev.EntityType == "kubernetes.pod" {
				assert.Equal(t, EntityCreated, m.ev.Type)
			}
		}
	}
	assert.Len(t, snapshot, 11, "the collector and the 10 pods, at their latest state")
}

// TestInitialSnapshot: a new publisher first sends the live graph (in
// batches of batch_size), marked snapshot, then the changes after it.
func TestInitialSnapshot(t *testing.T) {
	c := newCluster(t)
	g, h := startGraph(t, t.TempDir(), nil)
	before := writeVersions(t, g, 250, 0, 2) // 250 entities, updated once
	r := startPublisher(t, h, c, func(cfg *Config) { cfg.BatchSize = 100 })
	r.waitCursor(t, before)
	last := writeVersions(t, g, 250, 2, 3)
	r.waitCursor(t, last)

	msgs := consume(t, c, 251+250) // the collector and 250 pods, then 250 updates
	snap, changes := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		if m.ev.Snapshot {
			snap[m.key]++
			assert.Equal(t, before, m.ev.Seq, "a snapshot event's seq is the feed's end")
			continue
		}
		changes[m.key]++
		assert.Equal(t, EntityUpdated, m.ev.Type)
		assert.Greater(t, m.ev.Seq, before)
	}
	assert.Len(t, snap, 251)
	assert.Len(t, changes, 250)
}
