package awsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// The coordimap connector links OTel services to instances by this type.
func TestInstanceTypeSharedWithConnector(t *testing.T) {
	assert.Equal(t, internalid.TypeAWSInstance, TypeInstance)
}
