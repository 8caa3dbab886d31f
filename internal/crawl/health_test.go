package crawl

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

type statusHost struct{ events []*componentstatus.Event }

func (h *statusHost) GetExtensions() map[component.ID]component.Component { return nil }
func (h *statusHost) Report(e *componentstatus.Event)                     { h.events = append(h.events, e) }

func TestHealthReportsOncePerChange(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	host := &statusHost{}
	h := &Health{Source: "Test", ID: component.MustNewID("coordimap_test"), Endpoint: "db:1", Logger: zap.New(core),
		Classify: func(err error) string {
			if errors.Is(err, errDown) {
				return "unavailable"
			}
			return err.Error()
		}}
	h.Start(host)

	h.Report(nil)
	h.Report(nil)
	h.Report(errDown)
	h.Report(errDown)
	h.Report(errors.New("password authentication failed"))
	h.Report(nil)

	var statuses []componentstatus.Status
	for _, e := range host.events {
		statuses = append(statuses, e.Status())
	}
	assert.Equal(t, []componentstatus.Status{
		componentstatus.StatusOK,
		componentstatus.StatusRecoverableError, // down
		componentstatus.StatusRecoverableError, // another kind of failure
		componentstatus.StatusOK,
	}, statuses)
	assert.ErrorContains(t, host.events[1].Err(), "coordimap_test: ")
	assert.Equal(t, 2, logs.FilterMessageSnippet("crawl failed").Len())
	assert.Equal(t, 1, logs.FilterMessageSnippet("still failing").Len())
	assert.Equal(t, 1, logs.FilterMessageSnippet("recovered").Len())
}

var errDown = errors.New("connection refused")

// AWS errors that differ only by their request IDs are one problem.
func TestWithoutRequestIDs(t *testing.T) {
	a := errors.New("ec2 DescribeNetworkInterfaces us-east-1: operation error EC2: DescribeNetworkInterfaces, https response error StatusCode: 403, RequestID: 3b1c7a52-1, api error UnauthorizedOperation: no")
	b := errors.New("ec2 DescribeNetworkInterfaces us-east-1: operation error EC2: DescribeNetworkInterfaces, https response error StatusCode: 403, RequestID: 9f00e1d4-2, api error UnauthorizedOperation: no")
	s3 := errors.New("list s3://b/p: operation error S3: ListObjectsV2, https response error StatusCode: 403, RequestID: R1, HostID: H1, api error AccessDenied: Access Denied")
	assert.Equal(t, WithoutRequestIDs(a), WithoutRequestIDs(b))
	assert.Equal(t, "list s3://b/p: operation error S3: ListObjectsV2, https response error StatusCode: 403, api error AccessDenied: Access Denied", WithoutRequestIDs(s3))
}
