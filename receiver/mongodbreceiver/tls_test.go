package mongodbreceiver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// writeServerCert writes a self-signed certificate for 127.0.0.1 (its own
// CA) and its key into dir.
func writeServerCert(dir string) (certFile, keyFile string, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return "", "", err
	}
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

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
				ev := r.waitStatus(t, componentstatus.StatusRecoverableError)
				assert.ErrorContains(t, ev.Err(), tt.wantErr)
				return
			}
			ld := r.waitBatches(t, 1)[0]
			require.Equal(t, "crm", batchDatabase(ld))
			assert.Equal(t, tt.mode, entity.ReadSource(ld.ResourceLogs().At(0).Resource()).Config["tls"])
		})
	}
}
