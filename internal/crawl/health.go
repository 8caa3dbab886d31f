package crawl

import (
	"fmt"
	"regexp"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
)

// Health logs and reports a receiver's crawl outcomes once per change:
// from healthy to failing, from one kind of failure to another, and back to
// healthy. A source that stays down is logged once, not every interval.
type Health struct {
	// Source names what is crawled in log messages ("PostgreSQL").
	Source string
	// Retry says in the failure log how the receiver tries again; empty
	// means the backoff of Loop.
	Retry string
	// ID is the receiver's component ID; errors are prefixed with it.
	ID       component.ID
	Endpoint string
	Logger   *zap.Logger
	// Classify groups errors that are the same problem to a user (a server
	// going down shows as refused, then terminated, then "starting up").
	// Nil compares error texts.
	Classify func(error) string

	host      component.Host
	failing   bool
	healthy   bool
	lastClass string
}

// Start remembers the host that component status goes to.
func (h *Health) Start(host component.Host) { h.host = host }

// Report takes one crawl's outcome (nil on success).
func (h *Health) Report(err error) {
	if err == nil {
		if h.failing {
			h.Logger.Info(h.Source+" crawl recovered", zap.String("endpoint", h.Endpoint))
		}
		if !h.healthy && h.host != nil {
			componentstatus.ReportStatus(h.host, componentstatus.NewEvent(componentstatus.StatusOK))
		}
		h.failing, h.healthy, h.lastClass = false, true, ""
		return
	}
	err = fmt.Errorf("%s: %w", h.ID, err)
	class := err.Error()
	if h.Classify != nil {
		class = h.Classify(err)
	}
	if !h.failing || class != h.lastClass {
		retry := h.Retry
		switch {
		case IsPartial(err):
			retry = "the rest was emitted; trying again at the next collection_interval"
		case retry == "":
			retry = "retrying with backoff up to collection_interval"
		}
		h.Logger.Error(h.Source+" crawl failed; "+retry, zap.Error(err))
		if h.host != nil {
			componentstatus.ReportStatus(h.host, componentstatus.NewRecoverableErrorEvent(err))
		}
		h.lastClass = class
	} else {
		h.Logger.Debug(h.Source+" crawl still failing", zap.Error(err))
	}
	h.failing, h.healthy = true, false
}

// requestIDs matches the parts of a cloud API error that change with every
// request: AWS's "RequestID: …, " and S3's "HostID: …, ".
var requestIDs = regexp.MustCompile(`(RequestID|HostID): [^,]*, `)

// WithoutRequestIDs is a Classify for cloud API errors: the error text
// without its request IDs, so that a permission refused on every crawl is
// one failure, not a new one each time.
func WithoutRequestIDs(err error) string { return requestIDs.ReplaceAllString(err.Error(), "") }
