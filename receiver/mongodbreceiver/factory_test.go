package mongodbreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
)

func TestFactory(t *testing.T) {
	cfg := crawltest.CheckFactory(t, NewFactory(), "coordimap_mongodb").(*Config)
	assert.Equal(t, []string{"*"}, cfg.Databases)
	assert.Equal(t, 60*time.Second, cfg.CollectionInterval)
	assert.Equal(t, 20, cfg.SampleSize)
	assert.False(t, cfg.TLS.Insecure, "TLS is on by default")
	assert.Empty(t, cfg.URI)
	assert.Empty(t, cfg.Hosts)
}

// The constructor does nothing over the network; Shutdown without Start is
// fine, and so is Shutdown twice.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{"127.0.0.1:1"}
	crawltest.CheckShutdownWithoutStart(t, NewFactory(), cfg)
}

// A receiver whose server is unreachable starts (the collector must not
// fail because a database is down), reports the error, and stops without
// leaking the driver's goroutines.
func TestLifecycleServerUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{"127.0.0.1:1"} // nothing listens on port 1
	cfg.TLS.Insecure = true
	cfg.ScopeID = "s1"
	r := start(t, "unreachable", cfg, func(r *mongoReceiver) { r.selectTimeout = 200 * time.Millisecond })
	err := r.WaitError(t)
	assert.Contains(t, err.Error(), r.ID.String())
	assert.Contains(t, err.Error(), "127.0.0.1:1")
	assert.Equal(t, "unavailable", errorClass(err))
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
}

// A mongodb+srv:// name that does not resolve does not stop the collector
// either: the DNS lookup happens in the crawl loop and is retried.
func TestLifecycleSRVUnresolvable(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.URI = "mongodb+srv://coordimap-test.invalid/"
	cfg.ScopeID = "s1"
	r := start(t, "srv", cfg)
	assert.ErrorContains(t, r.WaitError(t), "connecting")
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
}

// A TLS file that cannot be read fails Start: a configuration problem,
// caught before the collector runs.
func TestStartBadTLSFile(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Hosts = []string{"127.0.0.1:1"}
	cfg.TLS.CAFile = "/nonexistent/ca.pem"
	require.ErrorContains(t, crawltest.StartError(t, NewFactory(), cfg), "tls")
}
