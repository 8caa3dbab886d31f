package gcpreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
)

func TestFactory(t *testing.T) {
	cfg := crawltest.CheckFactory(t, NewFactory(), "coordimap_gcp").(*Config)
	assert.Equal(t, defaultCollectionInterval, cfg.CollectionInterval)
	assert.Equal(t, defaultMaxConcurrency, cfg.MaxConcurrency)
	cfg.ProjectID = "shop-prod-1"
	crawltest.CheckShutdownWithoutStart(t, NewFactory(), cfg)
}
