package mongodbreceiver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// TestTLS crawls FerretDB's TLS listener: verified against the CA,
// encrypted without verification, refused for an unknown CA; and the plain
// listener with TLS off.
func TestTLS(t *testing.T) {
	s := testServer(t)
	tests := []struct {
		name    string
		tls     func(c *Config)
		plain   bool
		mode    string
		wantErr string
	}{
		{name: "verified with the CA", tls: func(c *Config) { c.TLS.CAFile = tlsCA }, mode: "verify"},
		{name: "insecure_skip_verify", tls: func(c *Config) { c.TLS.InsecureSkipVerify = true }, mode: "skip-verify"},
		{name: "unknown CA", tls: func(*Config) {}, wantErr: "certificate"},
		{name: "insecure", tls: func(c *Config) { c.TLS.Insecure = true }, plain: true, mode: "disable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(s, "crm")
			cfg.TLS.Insecure = false
			if !tt.plain {
				cfg.Hosts = []string{s.TLSEndpoint()}
			}
			cfg.ScopeID = "s1"
			tt.tls(cfg)
			r := start(t, "tls", cfg, func(r *mongoReceiver) { r.selectTimeout = 2 * time.Second })
			if tt.wantErr != "" {
				assert.ErrorContains(t, r.WaitError(t), tt.wantErr)
				return
			}
			ld := r.WaitBatches(t, 1)[0]
			require.Equal(t, "crm", batchDatabase(ld))
			assert.Equal(t, tt.mode, entity.ReadSource(ld.ResourceLogs().At(0).Resource()).Config["tls"])
		})
	}
}
