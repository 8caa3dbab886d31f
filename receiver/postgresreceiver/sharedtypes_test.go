package postgresreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// The coordimap connector names databases by this type.
func TestDatabaseTypeSharedWithConnector(t *testing.T) {
	assert.Equal(t, internalid.TypePostgresDatabase, typeDatabase)
}
