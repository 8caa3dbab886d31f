// Package statustest gives tests a component.Host that records the
// component status events a component reports.
package statustest

import (
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
)

// Host records status events; safe for concurrent use.
type Host struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

// NewHost is a Host with no extensions.
func NewHost() *Host { return &Host{Host: componenttest.NewNopHost()} }

// Report records ev (componentstatus.Reporter).
func (h *Host) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

// Events are the events reported so far, oldest first.
func (h *Host) Events() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*componentstatus.Event(nil), h.events...)
}

// Last is the last reported event, StatusNone when none.
func (h *Host) Last() *componentstatus.Event {
	evs := h.Events()
	if len(evs) == 0 {
		return componentstatus.NewEvent(componentstatus.StatusNone)
	}
	return evs[len(evs)-1]
}
