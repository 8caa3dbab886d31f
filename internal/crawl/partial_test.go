package crawl

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestPartial(t *testing.T) {
	assert.NoError(t, Partial(nil))
	denied := errors.New("AccessDenied")
	err := fmt.Errorf("crawl: %w", Partial(denied))
	assert.True(t, IsPartial(err))
	assert.ErrorIs(t, err, denied)
	assert.Equal(t, "crawl: AccessDenied", err.Error())
	assert.False(t, IsPartial(denied))
}

// A partial failure waits the whole interval, and does not count towards
// the backoff of a later full failure.
func TestPartialWaitsTheInterval(t *testing.T) {
	outcomes := []error{errors.New("down"), Partial(errors.New("denied")), errors.New("down"), nil}
	waits, _ := schedule(outcomes)
	assert.Equal(t, []time.Duration{time.Second, 10 * time.Second, time.Second}, waits)
}

func TestHealthSaysWhatAPartialFailureMeans(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	h := &Health{Source: "AWS", ID: component.MustNewID("coordimap_aws"), Logger: zap.New(core)}
	h.Report(Partial(errors.New("ec2 DescribeVpcs eu-west-1: UnauthorizedOperation")))
	assert.Equal(t, 1, logs.FilterMessageSnippet("the rest was emitted").Len())
	h.Report(errors.New("sts GetCallerIdentity: InvalidClientTokenId"))
	assert.Equal(t, 1, logs.FilterMessageSnippet("retrying with backoff").Len())
}
