// Package crawltest runs a crawling receiver in tests the way the collector
// does: created through its factory, with an observed logger, a status host
// that records what the receiver reports and a sink for what it emits;
// then waits for batches or a status. It also holds what the database
// receivers' tests share around that: reading the entity records of a
// batch, golden files (with their -update flag), the config tables, the
// checks every crawling receiver must pass (lifecycle, a server that goes
// down, a wrong password), benchmarks of one crawl and TestMain.
package crawltest // import "github.com/coordimap/otelcol-coordimap/internal/crawltest"

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/statustest"
)

// waitFor bounds every wait: long enough for a slow machine, it only
// matters when a test is about to fail.
const waitFor = 60 * time.Second

// Receiver is a started receiver with what it reports.
type Receiver struct {
	Rcv  receiver.Logs
	Sink *consumertest.LogsSink
	Host *statustest.Host
	// Logs is everything the receiver logged, debug included.
	Logs *observer.ObservedLogs
	ID   component.ID
}

// Start validates cfg, creates the receiver through f under the ID
// <type>/name, hands it to each of before (to set what tests may
// change), and starts it; the test's cleanup shuts it down.
func Start(t *testing.T, f receiver.Factory, name string, cfg component.Config, before ...func(receiver.Logs)) *Receiver {
	t.Helper()
	require.NoError(t, confmap.Validate(cfg))
	core, logs := observer.New(zap.DebugLevel)
	set := receivertest.NewNopSettings(f.Type())
	set.ID = component.NewIDWithName(f.Type(), name)
	set.Logger = zap.New(core)
	sink := &consumertest.LogsSink{}
	rcv, err := f.CreateLogs(context.Background(), set, cfg, sink)
	require.NoError(t, err)
	for _, b := range before {
		b(rcv)
	}
	host := statustest.NewHost()
	require.NoError(t, rcv.Start(context.Background(), host))
	t.Cleanup(func() { require.NoError(t, rcv.Shutdown(context.Background())) })
	return &Receiver{Rcv: rcv, Sink: sink, Host: host, Logs: logs, ID: set.ID}
}

// WaitBatches waits until the sink holds at least n batches, and returns
// them all.
func (r *Receiver) WaitBatches(t *testing.T, n int) []plog.Logs {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.Sink.AllLogs()) >= n }, waitFor, 20*time.Millisecond,
		"waiting for %d batches; status %v %v", n, r.Host.Last().Status(), r.Host.Last().Err())
	return r.Sink.AllLogs()
}

// waitStatus waits until the last reported status is st, and returns that
// event.
func (r *Receiver) waitStatus(t *testing.T, st componentstatus.Status) *componentstatus.Event {
	t.Helper()
	require.Eventually(t, func() bool { return r.Host.Last().Status() == st }, waitFor, 10*time.Millisecond,
		"waiting for status %v; status %v %v", st, r.Host.Last().Status(), r.Host.Last().Err())
	return r.Host.Last()
}

// WaitOK waits until the receiver reports StatusOK: a whole crawl done.
func (r *Receiver) WaitOK(t *testing.T) {
	t.Helper()
	r.waitStatus(t, componentstatus.StatusOK)
}

// WaitError waits until the receiver reports a recoverable error, and
// returns it.
func (r *Receiver) WaitError(t *testing.T) error {
	t.Helper()
	ev := r.waitStatus(t, componentstatus.StatusRecoverableError)
	require.Error(t, ev.Err())
	return ev.Err()
}

// Records lists the entity records of every batch so far.
func (r *Receiver) Records() []entity.Record {
	var out []entity.Record
	for _, ld := range r.Sink.AllLogs() {
		out = append(out, Records(ld)...)
	}
	return out
}

// Deletes lists the entity.delete records of every batch so far, as
// "<type> <internal ID>".
func (r *Receiver) Deletes() []string {
	var out []string
	for _, rec := range r.Records() {
		if rec.Kind() == entity.KindDelete {
			out = append(out, rec.Type()+" "+rec.InternalID())
		}
	}
	return out
}

// LogText is everything the receiver logged, fields included, a line an
// entry: for looking for a secret, or for a failure message.
func (r *Receiver) LogText() string {
	var b strings.Builder
	for _, e := range r.Logs.All() {
		b.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			fmt.Fprintf(&b, " %s=%v", k, v)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// Records lists the entity records of a batch.
func Records(ld plog.Logs) []entity.Record {
	var out []entity.Record
	for lr := range entity.LogRecords(ld) {
		out = append(out, entity.View(lr))
	}
	return out
}

// States is the set of entities a batch holds a state of: what a receiver
// must remember to delete them later.
func States(ld plog.Logs) entity.Set {
	out := entity.Set{}
	for _, rec := range Records(ld) {
		if rec.Kind() == entity.KindState {
			out[entity.Key{Type: rec.Type(), InternalID: rec.InternalID()}] = struct{}{}
		}
	}
	return out
}

// Database is the database a batch describes: the name of its state of
// type dbType or, in a batch of deletes, what fromID reads in the internal
// ID of its first delete; "" when it has neither.
func Database(ld plog.Logs, dbType string, fromID func(internalID string) string) string {
	records := Records(ld)
	for _, r := range records {
		if r.Kind() == entity.KindState && r.Type() == dbType {
			return r.Name()
		}
	}
	for _, r := range records {
		if r.Kind() == entity.KindDelete {
			return fromID(r.InternalID())
		}
	}
	return ""
}
