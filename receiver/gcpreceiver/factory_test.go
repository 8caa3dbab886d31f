package gcpreceiver

import (
	"path/filepath"
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

// A credentials file that cannot be read fails Start, before the collector
// runs.
func TestStartWithoutCredentials(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.ProjectID, cfg.CredentialsFile = "shop-prod-1", filepath.Join(t.TempDir(), "missing.json")
	assert.ErrorContains(t, crawltest.StartError(t, NewFactory(), cfg), "credentials_file")
}
