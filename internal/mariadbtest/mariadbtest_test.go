package mariadbtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"net"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"go.uber.org/goleak"
)

func TestStartPauseResume(t *testing.T) {
	defer goleak.VerifyNone(t)
	s, err := Start()
	if err != nil {
		Unavailable(t, err)
	}
	defer s.Close()
	dial := func() error {
		c, err := net.DialTimeout("tcp", s.Endpoint(), time.Second)
		if err == nil {
			c.Close()
		}
		return err
	}
	ctx := context.Background()
	if err := s.Exec(ctx, "", "CREATE DATABASE kept; CREATE TABLE kept.t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := dial(); err == nil {
		t.Fatal("server still listening after Pause")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := s.Exec(ctx, "kept", "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatalf("data not kept across Pause and Resume: %v", err)
	}
}

// The server offers TLS with a certificate for 127.0.0.1 that CAFile
// verifies, and names clients by IP.
func TestTLSAndClientIPs(t *testing.T) {
	s, err := Start()
	if err != nil {
		Unavailable(t, err)
	}
	defer s.Close()
	cfg := s.Config("")
	cfg.TLS = tlsConfig(t, s.CAFile)
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(conn)
	defer db.Close()
	var cipher, host string
	if err := db.QueryRow("SELECT VARIABLE_VALUE FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher'").Scan(&cipher); err != nil {
		t.Fatal(err)
	}
	if cipher == "" {
		t.Fatal("session not encrypted")
	}
	if err := db.QueryRow("SELECT host FROM information_schema.PROCESSLIST WHERE id = CONNECTION_ID()").Scan(&host); err != nil {
		t.Fatal(err)
	}
	if h, _, err := net.SplitHostPort(host); err != nil || h != "127.0.0.1" {
		t.Fatalf("process list host %q, want 127.0.0.1:<port>", host)
	}
}
func tlsConfig(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no certificate in", caFile)
	}
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}
