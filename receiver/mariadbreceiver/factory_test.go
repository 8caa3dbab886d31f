package mariadbreceiver

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
	cfg := crawltest.CheckFactory(t, NewFactory(), "coordimap_mariadb").(*Config)
	assert.Equal(t, "127.0.0.1:3306", cfg.Endpoint)
	assert.Equal(t, 60*time.Second, cfg.CollectionInterval)
	assert.False(t, cfg.TLS.Insecure, "TLS is on by default")
	assert.Empty(t, cfg.Databases)
}

// The constructor does nothing over the network; Shutdown without Start is
// fine, and so is Shutdown twice.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the package test server runs throughout
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	crawltest.CheckShutdownWithoutStart(t, NewFactory(), cfg)
}

// A receiver whose server is unreachable starts (the collector must not
// fail because a database is down), reports the error, and stops without
// leaking a goroutine; Shutdown twice is fine.
func TestLifecycleServerUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the package test server runs throughout
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	cfg.Password = "Never-Shown-Pa55"
	cfg.Endpoint = "127.0.0.1:1" // nothing listens on port 1
	cfg.TLS.Insecure = true
	r := start(t, "unreachable", cfg)
	err := r.WaitError(t)
	assert.Contains(t, err.Error(), r.ID.String())
	assert.Contains(t, err.Error(), "127.0.0.1:1")
	assert.Contains(t, err.Error(), `user "coordimap"`)
	assert.NotContains(t, err.Error(), "Never-Shown-Pa55")
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
	require.NoError(t, r.Rcv.Shutdown(context.Background()))
}

// A TLS file that cannot be read fails Start: a configuration problem,
// caught before the collector runs.
func TestStartBadTLSFile(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	cfg.TLS.CAFile = "/nonexistent/ca.pem"
	require.ErrorContains(t, crawltest.StartError(t, NewFactory(), cfg), "tls")
}
