package dbsource

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configtls"
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
