package dbsource

import (
	"context"
	"crypto/tls"
	"fmt"

	"go.opentelemetry.io/collector/config/configtls"
)

// LoadTLS reads the files of a tls section, at Start so that a file that
// cannot be read stops the collector there: nil when TLS is off (insecure:
// true). When the section names no server_name_override, the server's
// certificate must name serverName (the endpoint's host); "" leaves that to
// the driver.
func LoadTLS(ctx context.Context, cfg configtls.ClientConfig, serverName string) (*tls.Config, error) {
	if cfg.Insecure {
		return nil, nil
	}
	tlsCfg, err := cfg.LoadTLSConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("tls: %w", err)
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = serverName
	}
	return tlsCfg, nil
}
