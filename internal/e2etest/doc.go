// Package e2etest runs the built otelcol-coordimap binary against a real
// PostgreSQL and an httptest Coordimap API. `make test` builds the binary
// and passes its path in COORDIMAP_COLLECTOR_BIN.
package e2etest
