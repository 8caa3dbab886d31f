package flowsreceiver

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/receiver"
)

// sharedReceivers maps each configuration to its one receiver, as the
// collector's sharedcomponent does: the collector creates a receiver per
// pipeline signal, and both must share the BPF programs.
type sharedReceivers struct {
	mu sync.Mutex
	m  map[*Config]*sharedReceiver
}

func newSharedReceivers() *sharedReceivers {
	return &sharedReceivers{m: map[*Config]*sharedReceiver{}}
}

// get returns the receiver of cfg, creating it on first use.
func (s *sharedReceivers) get(cfg *Config, set receiver.Settings) *sharedReceiver {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.m[cfg]; ok {
		return r
	}
	r := &sharedReceiver{inner: newReceiver(cfg, set), parent: s, cfg: cfg, status: &statusFanout{}}
	s.m[cfg] = r
	return r
}

func (s *sharedReceivers) remove(cfg *Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, cfg)
}

// sharedReceiver starts its receiver at the first Start and stops it at the
// first Shutdown (the collector shuts every pipeline down together). Status
// goes to the host of every pipeline that started it.
type sharedReceiver struct {
	inner  *flowsReceiver
	parent *sharedReceivers
	cfg    *Config
	status *statusFanout

	startOnce sync.Once
	stopOnce  sync.Once
	startErr  error
	stopErr   error
}

func (s *sharedReceiver) Start(ctx context.Context, host component.Host) error {
	s.status.add(host)
	s.startOnce.Do(func() { s.startErr = s.inner.Start(ctx, s.status) })
	return s.startErr
}

func (s *sharedReceiver) Shutdown(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.stopErr = s.inner.Shutdown(ctx)
		s.parent.remove(s.cfg)
	})
	return s.stopErr
}

// statusFanout is the host the receiver sees: extensions of the first
// pipeline's host, status events to every pipeline's host. A host added
// late gets the last event.
type statusFanout struct {
	mu    sync.Mutex
	hosts []component.Host
	last  *componentstatus.Event
}

var (
	_ component.Host           = (*statusFanout)(nil)
	_ componentstatus.Reporter = (*statusFanout)(nil)
)

func (f *statusFanout) add(h component.Host) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts = append(f.hosts, h)
	if f.last != nil {
		componentstatus.ReportStatus(h, f.last)
	}
}

func (f *statusFanout) GetExtensions() map[component.ID]component.Component {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.hosts) == 0 {
		return nil
	}
	return f.hosts[0].GetExtensions()
}

func (f *statusFanout) Report(ev *componentstatus.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = ev
	for _, h := range f.hosts {
		componentstatus.ReportStatus(h, ev)
	}
}
