package mariadbreceiver

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// TestTLS connects to the test server, which offers TLS with a
// self-signed certificate for 127.0.0.1, with each TLS setting.
func TestTLS(t *testing.T) {
	s := testServer(t)
	sslAccepts := func() int {
		n, err := strconv.Atoi(adminQueryString(t, s,
			"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SSL_ACCEPTS'"))
		require.NoError(t, err)
		return n
	}

	tests := []struct {
		name    string
		tls     func(c *Config)
		sslMode string
		wantErr string
		wantSSL bool
	}{
		{name: "verified with the CA", tls: func(c *Config) { c.TLS.CAFile = s.CAFile }, sslMode: "verify-full", wantSSL: true},
		{name: "insecure_skip_verify", tls: func(c *Config) { c.TLS.InsecureSkipVerify = true }, sslMode: "require", wantSSL: true},
		{name: "unknown CA", tls: func(*Config) {}, wantErr: "certificate"},
		{name: "insecure", tls: func(c *Config) { c.TLS.Insecure = true }, sslMode: "disable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(s, "catalog")
			cfg.TLS.Insecure = false
			cfg.ScopeID = "s1"
			tt.tls(cfg)
			before := sslAccepts()
			r := start(t, "tls", cfg)
			if tt.wantErr != "" {
				assert.ErrorContains(t, r.WaitError(t), tt.wantErr)
				assert.Empty(t, r.Sink.AllLogs())
				return
			}
			ld := r.WaitBatches(t, 1)[0]
			assert.Equal(t, tt.sslMode, entity.ReadSource(ld.ResourceLogs().At(0).Resource()).Config["ssl_mode"])
			assert.Equal(t, tt.wantSSL, sslAccepts() > before, "session encrypted: %v", tt.wantSSL)
		})
	}
}
