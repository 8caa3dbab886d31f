package eventsextension

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensioncapabilities"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// publisher is the running extension: it reads the change feed from its
// cursor, produces one record per change, and moves the cursor past a
// batch only once Kafka acknowledged every record of it (at least once,
// no gap).
type publisher struct {
	cfg    *Config
	set    extension.Settings
	logger *zap.Logger
	// name is the cursor's name in the store: the component ID.
	name  string
	topic *topicTemplate
	enc   encoder

	host   component.Host
	store  *graphstore.Store
	client *kgo.Client

	cancel context.CancelFunc
	wg     sync.WaitGroup

	failing atomic.Bool
	// onCommit, when set (tests, benchmarks), is called after the cursor
	// moved.
	onCommit func(seq int64)
}

var (
	_ extension.Extension             = (*publisher)(nil)
	_ extensioncapabilities.Dependent = (*publisher)(nil)
)

// errGap ends a publishing run to publish a snapshot.
var errGap = errors.New("the change feed's retention dropped changes not yet published")

const maxBackoff = 30 * time.Second

// graphStore is what the publisher needs of the coordimap_graph extension.
type graphStore interface {
	Store() *graphstore.Store
}

func newPublisher(cfg *Config, set extension.Settings) *publisher {
	topic, _ := parseTopic(cfg.Topic) // Validate ran
	return &publisher{cfg: cfg, set: set, logger: set.Logger, name: set.ID.String(), topic: topic, enc: newEncoder(cfg.Encoding)}
}

// Dependencies makes the collector start the graph extension first (and
// stop it after this one).
func (p *publisher) Dependencies() []component.ID { return []component.ID{p.cfg.Graph} }

// Start finds the graph store and builds the producer; publishing runs in
// the background.
func (p *publisher) Start(ctx context.Context, host component.Host) error {
	ext, ok := host.GetExtensions()[p.cfg.Graph]
	if !ok {
		return fmt.Errorf("coordimap_events: graph: extension %q is not configured (add it under extensions and service.extensions)", p.cfg.Graph)
	}
	gs, ok := ext.(graphStore)
	if !ok {
		return fmt.Errorf("coordimap_events: graph: %q is not a coordimap_graph extension", p.cfg.Graph)
	}
	store := gs.Store()
	if store == nil {
		return fmt.Errorf("coordimap_events: graph: %q is not started", p.cfg.Graph)
	}
	opts, err := p.cfg.clientOptions(ctx)
	if err != nil {
		return fmt.Errorf("coordimap_events: %w", err)
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("coordimap_events: kafka client: %w", err)
	}
	p.host, p.store, p.client = host, store, client
	runCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.wg.Add(1)
	go p.run(runCtx)
	p.logger.Info("Publishing the local graph's changes to Kafka", zap.Strings("brokers", p.cfg.Brokers),
		zap.String("topic", p.cfg.Topic), zap.String("encoding", p.cfg.Encoding))
	return nil
}

// Shutdown stops publishing (what is not acknowledged is sent again after
// a restart) and closes the producer; safe without Start.
func (p *publisher) Shutdown(context.Context) error {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
	if p.client != nil {
		p.client.Close()
		p.client = nil
	}
	return nil
}

// run publishes until ctx ends; a failure (Kafka unreachable, the store
// failing) is reported and retried from the cursor with a backoff.
func (p *publisher) run(ctx context.Context) {
	defer p.wg.Done()
	notify, unsubscribe := p.store.Subscribe()
	defer unsubscribe()
	poll := time.NewTicker(p.cfg.PollInterval)
	defer poll.Stop()
	backoff := time.Duration(0)
	for {
		err := p.publish(ctx, notify, poll.C)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errGap) {
			continue // snapshot again at once
		}
		p.fail(err)
		backoff = min(max(2*backoff, time.Second), maxBackoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
}

func (p *publisher) fail(err error) {
	p.logger.Warn("Cannot publish the graph's changes; retrying from the last acknowledged one", zap.Error(err))
	p.failing.Store(true)
	componentstatus.ReportStatus(p.host, componentstatus.NewRecoverableErrorEvent(fmt.Errorf("coordimap_events: %w", err)))
}

func (p *publisher) ok() {
	if p.failing.CompareAndSwap(true, false) {
		p.logger.Info("Publishing the graph's changes again")
		componentstatus.ReportStatus(p.host, componentstatus.NewEvent(componentstatus.StatusOK))
	}
}

// flight is one batch of records produced and not yet all acknowledged.
type flight struct {
	last    int64
	states  []graphstore.PublishedState
	pending atomic.Int64
	done    chan struct{}
	errOnce sync.Once
	err     error
	stop    func()
}

func newFlight(last int64) *flight { return &flight{last: last, done: make(chan struct{})} }

func (f *flight) promise(_ *kgo.Record, err error) {
	if err != nil {
		f.errOnce.Do(func() { f.err = err })
	}
	if f.pending.Add(-1) == 0 {
		f.stop()
		close(f.done)
	}
}

// produce sends the records; f.done closes when every one is settled. The
// records' context is canceled after delivery_timeout: franz-go then fails
// those it can fail without breaking the idempotent sequence (never sent,
// or answered), also while no broker can be reached.
func (p *publisher) produce(ctx context.Context, f *flight, recs []*kgo.Record) {
	bctx, cancel := context.WithCancel(ctx)
	timer := time.AfterFunc(p.cfg.DeliveryTimeout, cancel)
	f.stop = func() {
		timer.Stop()
		cancel()
	}
	f.pending.Store(int64(len(recs)) + 1)
	for _, r := range recs {
		p.client.Produce(bctx, r, f.promise)
	}
	f.promise(nil, nil)
}

// publish runs from the cursor until an error or ctx's end.
func (p *publisher) publish(ctx context.Context, notify <-chan struct{}, poll <-chan time.Time) error {
	cursor, err := p.position(ctx)
	if err != nil {
		return err
	}
	inFlight := 2
	if p.cfg.IncludeState {
		inFlight = 1 // the next batch's "before" states are this one's
	}
	var queue []*flight
	// settle waits for what is in flight before reading from the cursor
	// again, so records of one key stay in order.
	settle := func() {
		for _, f := range queue {
			select {
			case <-f.done:
			case <-ctx.Done():
				return
			}
		}
	}
	// The feed is read one batch ahead, in its own goroutine, while the
	// batch before is encoded and produced.
	readCtx, stopReading := context.WithCancel(ctx)
	batches := make(chan readBatch, 1)
	var reading sync.WaitGroup
	reading.Add(1)
	go func() {
		defer reading.Done()
		p.read(readCtx, cursor, batches, notify, poll)
	}()
	defer func() {
		stopReading()
		reading.Wait()
	}()
	for {
		var in <-chan readBatch
		if len(queue) < inFlight {
			in = batches
		}
		var acked <-chan struct{}
		if len(queue) > 0 {
			acked = queue[0].done
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case b := <-in:
			if b.err != nil {
				settle()
				return b.err
			}
			if err := p.checkGap(ctx, b.after, b.changes[0].Seq); err != nil {
				settle()
				return err
			}
			f, err := p.sendChanges(ctx, b.changes)
			if err != nil {
				settle()
				return err
			}
			queue = append(queue, f)
		case <-acked:
			f := queue[0]
			queue = queue[1:]
			if f.err != nil {
				settle()
				return p.deliveryError(f.err)
			}
			if err := p.store.SetCursor(ctx, p.name, f.last, f.states); err != nil {
				settle()
				return err
			}
			p.ok()
			if p.onCommit != nil {
				p.onCommit(f.last)
			}
		}
	}
}

// readBatch is one read of the feed: the changes after seq after.
type readBatch struct {
	after   int64
	changes []graphstore.Change
	err     error
}

// read reads the feed from pos into out, waiting for writes when it is
// caught up, until ctx ends or a read fails.
func (p *publisher) read(ctx context.Context, pos int64, out chan<- readBatch, notify <-chan struct{}, poll <-chan time.Time) {
	for {
		changes, err := p.store.ChangesSince(ctx, pos, p.cfg.BatchSize)
		if err != nil {
			select {
			case out <- readBatch{err: err}:
			case <-ctx.Done():
			}
			return
		}
		if len(changes) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-notify:
			case <-poll:
			}
			continue
		}
		select {
		case out <- readBatch{after: pos, changes: changes}:
		case <-ctx.Done():
			return
		}
		pos = changes[len(changes)-1].Seq
	}
}

// position is where publishing starts: the cursor, or (none yet) after a
// snapshot of the graph or before the oldest change kept.
func (p *publisher) position(ctx context.Context) (int64, error) {
	seq, ok, err := p.store.Cursor(ctx, p.name)
	if err != nil || ok {
		return seq, err
	}
	if p.cfg.InitialSnapshot {
		return p.snapshot(ctx)
	}
	oldest, err := p.store.OldestSeq(ctx)
	return max(oldest-1, 0), err
}

// checkGap: the next change read follows readPos unless retention
// dropped what was between (a PostgreSQL sequence may also skip numbers
// of rolled-back writes: taken as a gap only when nothing at or before
// readPos is left).
func (p *publisher) checkGap(ctx context.Context, readPos, next int64) error {
	if readPos == 0 || next == readPos+1 {
		return nil
	}
	oldest, err := p.store.OldestSeq(ctx)
	if err != nil {
		return err
	}
	if oldest <= readPos {
		return nil
	}
	if !p.cfg.InitialSnapshot {
		p.logger.Warn("Changes were dropped by the local graph's retention before they were published",
			zap.Int64("after_seq", readPos), zap.Int64("next_seq", next))
		return nil
	}
	p.logger.Warn("Changes were dropped by the local graph's retention before they were published; publishing a snapshot",
		zap.Int64("after_seq", readPos), zap.Int64("next_seq", next))
	if err := p.store.ResetCursor(ctx, p.name); err != nil {
		return err
	}
	return errGap
}

// sendChanges encodes and produces one batch of the feed.
func (p *publisher) sendChanges(ctx context.Context, changes []graphstore.Change) (*flight, error) {
	f := newFlight(changes[len(changes)-1].Seq)
	var st *states
	if p.cfg.IncludeState {
		var err error
		if st, err = p.loadStates(ctx, changes); err != nil {
			return nil, err
		}
	}
	recs := make([]*kgo.Record, 0, len(changes))
	for i := range changes {
		c := &changes[i]
		ev := fromChange(c)
		if st != nil && c.Kind == graphstore.KindNode {
			if err := st.fill(ctx, p.store, &ev, c); err != nil {
				return nil, err
			}
		}
		r, err := p.record(&ev)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	if st != nil {
		f.states = st.changed
	}
	p.produce(ctx, f, recs)
	return f, nil
}

// recordOverhead bounds a record's and its batch's framing in bytes.
const recordOverhead = 128

// record encodes an event; one larger than max_message_bytes goes without
// its full states.
func (p *publisher) record(ev *event) (*kgo.Record, error) {
	value, err := p.enc.encode(ev)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", ev.Type, ev.key(), err)
	}
	// No Timestamp: franz-go counts the delivery timeout from it (the
	// broker's time is the record's; the change's time is in the event).
	r := &kgo.Record{Topic: p.topic.render(ev), Key: []byte(ev.key()), Value: value, Headers: p.headers(ev)}
	if recordSize(r) > p.cfg.MaxMessageBytes && (len(ev.Before) > 0 || len(ev.After) > 0) {
		ev.Before, ev.After, ev.StatesOmitted = nil, nil, true
		if r.Value, err = p.enc.encode(ev); err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", ev.Type, ev.key(), err)
		}
	}
	return r, nil
}

func recordSize(r *kgo.Record) int {
	n := len(r.Key) + len(r.Value) + recordOverhead
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 2
	}
	return n
}

func (p *publisher) headers(ev *event) []kgo.RecordHeader {
	h := make([]kgo.RecordHeader, 0, 6)
	add := func(k, v string) {
		if v != "" {
			h = append(h, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
	}
	add(HeaderType, ev.Type)
	add(HeaderScope, ev.ScopeID)
	add(HeaderDataSource, ev.DataSourceID)
	add(HeaderEntityType, ev.EntityType+ev.RelationshipType)
	add(HeaderSeq, strconv.FormatInt(ev.Seq, 10))
	add(HeaderContentType, p.enc.contentType)
	return h
}

// snapshot publishes the live graph as created events (snapshot: true),
// then sets the cursor to the feed's end as it was before reading the
// graph: changes made meanwhile are published again after it.
func (p *publisher) snapshot(ctx context.Context) (int64, error) {
	pos, err := p.store.LastSeq(ctx)
	if err != nil {
		return 0, err
	}
	nodes, edges, err := p.store.Snapshot(ctx)
	if err != nil {
		return 0, err
	}
	var states []graphstore.PublishedState
	recs := make([]*kgo.Record, 0, len(nodes)+len(edges))
	for _, n := range nodes {
		ev := event{Type: EntityCreated, Seq: pos, Time: n.LastSeen, ScopeID: n.ScopeID, ID: n.ID, EntityType: n.Type,
			Name: n.Name, DataSourceID: n.DataSourceID, Partition: n.Partition, AfterHash: n.Hash, Snapshot: true}
		if p.cfg.IncludeState {
			full, err := p.store.Node(ctx, n.ScopeID, n.ID)
			if err != nil {
				return 0, err
			}
			if raw, err := json.Marshal(full); err == nil {
				ev.After = raw
				states = append(states, graphstore.PublishedState{ScopeID: n.ScopeID, ID: n.ID, Hash: full.Hash, Data: string(raw)})
			}
		}
		r, err := p.record(&ev)
		if err != nil {
			return 0, err
		}
		recs = append(recs, r)
	}
	for _, e := range edges {
		ev := event{Type: RelationshipCreated, Seq: pos, Time: e.LastSeen, ScopeID: e.ScopeID, ID: e.Source + "." + e.Destination,
			RelationshipType: e.Type, DataSourceID: e.DataSourceID, Source: e.Source, Destination: e.Destination, Snapshot: true}
		r, err := p.record(&ev)
		if err != nil {
			return 0, err
		}
		recs = append(recs, r)
	}
	// In batches, each acknowledged within delivery_timeout.
	for start := 0; start < len(recs) || start == 0; start += p.cfg.BatchSize {
		part := newFlight(pos)
		p.produce(ctx, part, recs[start:min(start+p.cfg.BatchSize, len(recs))])
		select {
		case <-part.done:
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if part.err != nil {
			return 0, fmt.Errorf("snapshot: %w", p.deliveryError(part.err))
		}
	}
	if err := p.store.ResetCursor(ctx, p.name); err != nil {
		return 0, err
	}
	if err := p.store.SetCursor(ctx, p.name, pos, states); err != nil {
		return 0, err
	}
	p.ok()
	if p.onCommit != nil {
		p.onCommit(pos)
	}
	p.logger.Info("Published a snapshot of the local graph", zap.Int("entities", len(nodes)), zap.Int("relationships", len(edges)))
	return pos, nil
}

func (p *publisher) deliveryError(err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("kafka: not acknowledged within delivery_timeout (%s): %w", p.cfg.DeliveryTimeout, err)
	}
	return fmt.Errorf("kafka: %w", err)
}
