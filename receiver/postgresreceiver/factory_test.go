package postgresreceiver

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
	cfg := crawltest.CheckFactory(t, NewFactory(), "coordimap_postgres").(*Config)
	assert.Equal(t, "127.0.0.1:5432", cfg.Endpoint)
	assert.Equal(t, 60*time.Second, cfg.CollectionInterval)
	assert.False(t, cfg.TLS.Insecure, "TLS is on by default")
	assert.Empty(t, cfg.Databases)
}

// The constructor does nothing over the network; Shutdown without Start is
// fine, and so is Shutdown twice.
func TestShutdownWithoutStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	crawltest.CheckShutdownWithoutStart(t, NewFactory(), cfg)
}

// A receiver whose server is unreachable starts (the collector must not
// fail because a database is down), reports the error, and stops without
// leaking its goroutine.
func TestLifecycleServerUnreachable(t *testing.T) {
	defer goleak.VerifyNone(t)
	cfg := createDefaultConfig().(*Config)
	cfg.Username = "coordimap"
	cfg.Endpoint = "127.0.0.1:1" // nothing listens on port 1
	cfg.TLS.Insecure = true
	r := start(t, "unreachable", cfg)
	err := r.WaitError(t)
	assert.Contains(t, err.Error(), r.ID.String())
	assert.Contains(t, err.Error(), "127.0.0.1:1")
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

// TLS off to a server that is not on this machine is warned about at
// start: the password would cross the network in clear.
func TestStartWarnsOfPlaintextToRemoteServer(t *testing.T) {
	for endpoint, warned := range map[string]int{"127.0.0.1:1": 0, "192.0.2.1:5432": 1} {
		cfg := createDefaultConfig().(*Config)
		cfg.Username = "coordimap"
		cfg.Endpoint = endpoint
		cfg.TLS.Insecure = true
		r := start(t, "plaintext", cfg)
		assert.Equal(t, warned, r.Logs.FilterMessageSnippet("cross the network in clear").Len(), endpoint)
		require.NoError(t, r.Rcv.Shutdown(context.Background()))
	}
}
