package postgresreceiver

import (
	"context"
	"crypto/tls"
	"errors"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/pgtest"
	"github.com/coordimap/otelcol-coordimap/internal/testcert"
)

var (
	tlsOnce sync.Once
	tlsCA   string
	tlsErr  error
)

// enableTLS turns on ssl in the test server with a self-signed certificate
// for 127.0.0.1 and returns the certificate's path (its own CA). Clients
// that do not ask for TLS keep working.
func enableTLS(t *testing.T, s *pgtest.Server) string {
	t.Helper()
	tlsOnce.Do(func() { tlsCA, tlsErr = writeServerCert(s) })
	require.NoError(t, tlsErr)
	return tlsCA
}

func writeServerCert(s *pgtest.Server) (string, error) {
	certFile, keyFile, err := testcert.Write(filepath.Join(s.Dir, "data"))
	if err != nil {
		return "", err
	}
	if os.Geteuid() == 0 { // the server runs as postgres and must own its key
		u, err := user.Lookup("postgres")
		if err != nil {
			return "", err
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, f := range []string{certFile, keyFile} {
			if err := os.Chown(f, uid, gid); err != nil {
				return "", err
			}
		}
	}
	ctx := context.Background()
	if err := adminExec(ctx, s, "postgres", "ALTER SYSTEM SET ssl = on"); err != nil {
		return "", err
	}
	if err := adminExec(ctx, s, "postgres", "SELECT pg_reload_conf()"); err != nil {
		return "", err
	}
	return certFile, nil
}

func TestTLS(t *testing.T) {
	s := testServer(t)
	ca := enableTLS(t, s)

	tests := []struct {
		name    string
		tls     func(c *Config)
		sslMode string
		wantErr string
		wantSSL bool
	}{
		{name: "verified with the CA", tls: func(c *Config) { c.TLS.CAFile = ca }, sslMode: "verify-full", wantSSL: true},
		{name: "insecure_skip_verify", tls: func(c *Config) { c.TLS.InsecureSkipVerify = true }, sslMode: "require", wantSSL: true},
		{name: "unknown CA", tls: func(*Config) {}, wantErr: "the server's certificate is not trusted: name its CA in tls.ca_file"},
		{name: "insecure", tls: func(c *Config) { c.TLS.Insecure = true }, sslMode: "disable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(s, "crm")
			cfg.TLS.Insecure = false
			cfg.ScopeID = "s1"
			tt.tls(cfg)
			r := start(t, "tls", cfg)
			if tt.wantErr != "" {
				assert.ErrorContains(t, r.WaitError(t), tt.wantErr)
				return
			}
			ld := r.WaitBatches(t, 1)[0]
			assert.Equal(t, tt.sslMode, entity.ReadSource(ld.ResourceLogs().At(0).Resource()).Config["ssl_mode"])
			// Sessions of the previous case may take a moment to end.
			assert.Eventually(t, func() bool {
				return adminQueryString(t, s, "postgres",
					"SELECT coalesce(bool_or(s.ssl), false)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '"+applicationName+"'",
				) == strconv.FormatBool(tt.wantSSL)
			}, 10*time.Second, 20*time.Millisecond, "session encrypted: %v", tt.wantSSL)
		})
	}
}

// TLS is the default, but a server on this machine that offers no TLS is
// still crawled (the default config against a local PostgreSQL set up
// without certificates); one that offers TLS with a certificate that does
// not verify is not retried in clear (the "unknown CA" case of TestTLS).
func TestLoopbackServerWithoutTLS(t *testing.T) {
	s, err := pgtest.Start() // its own server: the shared one may have ssl on
	if err != nil {
		pgtest.Unavailable(t, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cfg := testConfig(s)
	cfg.TLS.Insecure = false
	cfg.ScopeID = "s1"
	r := start(t, "loopback_plain", cfg)
	ld := r.WaitBatches(t, 1)[0]
	assert.Equal(t, "s1", entity.ReadSource(ld.ResourceLogs().At(0).Resource()).ScopeID)
}

func TestPlaintextOnlyOnLoopback(t *testing.T) {
	refused := errors.New("failed to connect to `user=postgres database=`: server refused TLS connection")
	withTLS := func(host string) *pgx.ConnConfig {
		cc, err := pgx.ParseConfig("sslmode=disable")
		require.NoError(t, err)
		cc.Host, cc.TLSConfig = host, &tls.Config{ServerName: host}
		return cc
	}
	assert.True(t, plaintextOnLoopback(withTLS("127.0.0.1"), refused))
	assert.True(t, plaintextOnLoopback(withTLS("/var/run/postgresql"), refused))
	assert.False(t, plaintextOnLoopback(withTLS("db.example.com"), refused), "never in clear across the network")
	assert.False(t, plaintextOnLoopback(withTLS("10.0.0.5"), refused))
	assert.False(t, plaintextOnLoopback(withTLS("127.0.0.1"), errors.New("tls: failed to verify certificate")), "a bad certificate is an error")
	noTLS := withTLS("127.0.0.1")
	noTLS.TLSConfig = nil
	assert.False(t, plaintextOnLoopback(noTLS, refused))
}
