package dbsource

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configtls"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestLoadTLS(t *testing.T) {
	ctx := context.Background()
	cfg := configtls.NewDefaultClientConfig()
	tlsCfg, err := LoadTLS(ctx, cfg, "db.internal")
	require.NoError(t, err)
	assert.Equal(t, "db.internal", tlsCfg.ServerName, "the endpoint's host by default")

	cfg.ServerName = "pg.example.com"
	tlsCfg, err = LoadTLS(ctx, cfg, "db.internal")
	require.NoError(t, err)
	assert.Equal(t, "pg.example.com", tlsCfg.ServerName, "server_name_override wins")

	cfg.Insecure = true
	tlsCfg, err = LoadTLS(ctx, cfg, "db.internal")
	require.NoError(t, err)
	assert.Nil(t, tlsCfg, "TLS off")

	cfg = configtls.NewDefaultClientConfig()
	cfg.CAFile = "/nonexistent/ca.pem"
	_, err = LoadTLS(ctx, cfg, "db.internal")
	assert.ErrorContains(t, err, "tls: ")
}

func TestWarnPlaintext(t *testing.T) {
	for host, local := range map[string]bool{"127.0.0.1": true, "/var/run/postgresql": true, "10.0.0.5": false, "db.internal": false} {
		core, logs := observer.New(zap.WarnLevel)
		insecure := configtls.NewDefaultClientConfig()
		insecure.Insecure = true
		WarnPlaintext(zap.New(core), insecure, host)
		WarnPlaintext(zap.New(core), configtls.NewDefaultClientConfig(), host)
		assert.Equal(t, map[bool]int{true: 0, false: 1}[local], logs.FilterMessageSnippet("in clear").Len(), host)
	}
}
