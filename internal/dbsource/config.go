// Package dbsource is the configuration the database receivers share: who
// crawls (username, password), how often (collection_interval) and under
// which identity (scope_id, data_source_id) in Config, plus, for a server
// reached at one host:port, the endpoint and the element that hosts the
// server (mapping_internal_id) in EndpointConfig.
//
// A receiver's Config squash-embeds one of them, so the keys stay flat, and
// its Validate joins the embedded Validate with its own checks. The
// embedded Validate returns []error, not error: as a confmap.Validator it
// would be called a second time by confmap.Validate, its errors prefixed
// with the embedded field's name.
//
// The tls section stays in each receiver's Config for the same reason:
// configtls validates itself, and inside an embedded struct its errors
// would read "endpointconfig::config::tls: …" instead of "tls: …".
package dbsource // import "github.com/coordimap/otelcol-coordimap/internal/dbsource"

import (
	"errors"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
)

// DefaultCollectionInterval is collection_interval when it is not set.
const DefaultCollectionInterval = 60 * time.Second

var errCollectionInterval = errors.New("collection_interval: must be positive")

// Config is what users set for any database receiver.
type Config struct {
	// Username and Password authenticate the crawler. The password never
	// leaves the receiver: not in logs, records, errors nor value_pairs.
	Username string              `mapstructure:"username"`
	Password configopaque.String `mapstructure:"password"`
	// CollectionInterval is the time between two crawls; the first crawl
	// runs at start.
	CollectionInterval time.Duration `mapstructure:"collection_interval"`
	// ScopeID overrides the scope the receiver discovers (the server's or
	// the deployment's own ID).
	ScopeID string `mapstructure:"scope_id"`
	// DataSourceID defaults to the component ID.
	DataSourceID string `mapstructure:"data_source_id"`
}

// NewDefaultConfig is Config with its defaults.
func NewDefaultConfig() Config {
	return Config{CollectionInterval: DefaultCollectionInterval}
}

// Validate lists the problems of the shared fields.
func (c *Config) Validate() []error {
	if c.CollectionInterval <= 0 {
		return []error{errCollectionInterval}
	}
	return nil
}

// DataSource is data_source_id, or the receiver's component ID when it is
// not set.
func (c *Config) DataSource(id component.ID) string {
	if c.DataSourceID != "" {
		return c.DataSourceID
	}
	return id.String()
}

// CrawlInterval is collection_interval the way the original agent wrote
// its crawl_interval value pair (`60s`).
func (c *Config) CrawlInterval() string {
	return strconv.FormatInt(int64(c.CollectionInterval/time.Second), 10) + "s"
}
