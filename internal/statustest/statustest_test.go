package statustest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component/componentstatus"
)

func TestHost(t *testing.T) {
	h := NewHost()
	assert.Equal(t, componentstatus.StatusNone, h.Last().Status())
	componentstatus.ReportStatus(h, componentstatus.NewEvent(componentstatus.StatusOK))
	componentstatus.ReportStatus(h, componentstatus.NewRecoverableErrorEvent(assert.AnError))
	assert.Len(t, h.Events(), 2)
	assert.Equal(t, componentstatus.StatusRecoverableError, h.Last().Status())
}
