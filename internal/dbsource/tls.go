package dbsource

import (
	"context"
	"crypto/tls"
	"fmt"

	"go.opentelemetry.io/collector/config/configtls"
	"go.uber.org/zap"

	"github.com/coordimap/otelcol-coordimap/internal/loopback"
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

// WarnPlaintext logs a warning when TLS is off (insecure: true) and host is
// not this machine: the password then crosses the network in clear.
func WarnPlaintext(logger *zap.Logger, cfg configtls.ClientConfig, host string) {
	if cfg.Insecure && !loopback.Is(host) {
		logger.Warn("TLS is off (tls.insecure: true) for a server that is not on this machine: the password and the crawled catalog cross the network in clear; set up TLS",
			zap.String("host", host))
	}
}
