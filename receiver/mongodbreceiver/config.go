package mongodbreceiver

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/confmap"

	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

const (
	defaultSampleSize = 20
	// maxSampleSize bounds the documents read per collection and crawl.
	maxSampleSize = 1000
	// allDatabases in databases crawls every database but the system ones.
	allDatabases = "*"
)

// systemDatabases are left out of `databases: "*"`; list one explicitly to
// crawl it.
var systemDatabases = []string{"admin", "config", "local"}

var (
	errNoServer       = errors.New("uri or hosts: set one of them")
	errBothServers    = errors.New("uri and hosts: set only one of them")
	errURIScheme      = errors.New(`uri: must start with "mongodb://" or "mongodb+srv://"`)
	errURINoHost      = errors.New("uri: must name at least one host")
	errURISRVHost     = errors.New("uri: a mongodb+srv:// URI names exactly one host, without a port")
	errURICredentials = errors.New("username: the uri already holds credentials; set them in one place")
	errPasswordNoUser = errors.New("password: set username too")
	errHost           = errors.New("hosts: each must be host:port")
	errPort           = errors.New("hosts: port must be a number between 1 and 65535")
	errAllWithOthers  = errors.New(`databases: "*" must be the only entry`)
	errNoDatabases    = errors.New(`databases: must not be empty (use "*" for all)`)
	errSampleSize     = fmt.Errorf("sample_size: must be between 0 and %d", maxSampleSize)
)

// Config is what users set for a coordimap_mongodb receiver.
type Config struct {
	// URI is a mongodb:// or mongodb+srv:// connection string. It may hold
	// credentials, so it is opaque: never logged, never emitted.
	URI configopaque.String `mapstructure:"uri"`
	// Hosts is the seed list, host:port each; an alternative to URI.
	Hosts []string `mapstructure:"hosts"`
	// Config holds username and password (optional: SCRAM, against admin
	// unless the uri's authSource says otherwise), collection_interval,
	// scope_id (overrides the discovered replica set or cluster ID; a
	// standalone server has none, so it needs one configured) and
	// data_source_id.
	dbsource.Config `mapstructure:",squash"`
	// Databases to crawl: "*" (the default) is every database but admin,
	// config and local.
	Databases []string `mapstructure:"databases"`
	// TLS of the connections; insecure: true disables TLS. TLS options in
	// the uri are refused: this section is the one place for them.
	TLS configtls.ClientConfig `mapstructure:"tls"`
	// SampleSize is the number of documents read per collection to infer
	// its fields; 0 turns sampling off.
	SampleSize int `mapstructure:"sample_size"`
}

var (
	_ component.Config  = (*Config)(nil)
	_ confmap.Validator = (*Config)(nil)
)

func createDefaultConfig() component.Config {
	return &Config{
		Config:     dbsource.NewDefaultConfig(),
		Databases:  []string{allDatabases},
		TLS:        configtls.NewDefaultClientConfig(),
		SampleSize: defaultSampleSize,
	}
}

// Validate reports every problem of the configuration at once. It does no
// network I/O (a mongodb+srv:// URI is resolved when connecting).
func (cfg *Config) Validate() error {
	var errs []error
	switch {
	case cfg.URI == "" && len(cfg.Hosts) == 0:
		errs = append(errs, errNoServer)
	case cfg.URI != "" && len(cfg.Hosts) > 0:
		errs = append(errs, errBothServers)
	case cfg.URI != "":
		u, err := parseURI(string(cfg.URI))
		if err != nil {
			errs = append(errs, err)
		} else if u.hasUser && cfg.Username != "" {
			errs = append(errs, errURICredentials)
		}
	default:
		for _, h := range cfg.Hosts {
			if err := checkHost(h); err != nil {
				errs = append(errs, err)
				break
			}
		}
	}
	if cfg.Password != "" && cfg.Username == "" {
		errs = append(errs, errPasswordNoUser)
	}
	errs = append(errs, cfg.Config.Validate()...)
	if err := checkDatabases(cfg.Databases); err != nil {
		errs = append(errs, err)
	}
	if cfg.SampleSize < 0 || cfg.SampleSize > maxSampleSize {
		errs = append(errs, errSampleSize)
	}
	return errors.Join(errs...)
}

// checkDatabases gives the first problem of the databases setting.
func checkDatabases(dbs []string) error {
	if len(dbs) == 0 {
		return errNoDatabases
	}
	errs := dbsource.CheckDatabases(dbs, func(db string) error {
		switch {
		case db == allDatabases && len(dbs) > 1:
			return errAllWithOthers
		case strings.ContainsAny(db, `/\. "$`):
			return fmt.Errorf("databases: %q is not a valid database name", db)
		}
		return nil
	})
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// checkHost accepts host:port with a port in 1..65535.
func checkHost(h string) error {
	host, portStr, err := net.SplitHostPort(h)
	if err != nil || host == "" {
		return errHost
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return errPort
	}
	return nil
}

// uriParts is what the receiver needs to know about a URI before the
// driver parses it: never the password itself.
type uriParts struct {
	srv      bool
	hosts    []string
	hasUser  bool
	username string
	// password is the decoded password, kept only to redact it from
	// error messages.
	password string
}

// parseURI splits a MongoDB URI the way the driver does, without DNS
// lookups and with errors that never quote the credentials.
func parseURI(uri string) (uriParts, error) {
	var p uriParts
	var rest string
	switch {
	case strings.HasPrefix(uri, "mongodb+srv://"):
		p.srv, rest = true, uri[len("mongodb+srv://"):]
	case strings.HasPrefix(uri, "mongodb://"):
		rest = uri[len("mongodb://"):]
	default:
		return p, errURIScheme
	}
	if i := strings.Index(rest, "@"); i >= 0 {
		userInfo := rest[:i]
		rest = rest[i+1:]
		user, pass, _ := strings.Cut(userInfo, ":")
		var err error
		if p.username, err = url.PathUnescape(user); err != nil {
			return p, errors.New("uri: the username is not correctly percent-encoded")
		}
		if p.password, err = url.PathUnescape(pass); err != nil {
			return p, errors.New("uri: the password is not correctly percent-encoded")
		}
		p.hasUser = true
	}
	hosts, query := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		hosts = rest[:i]
		if rest[i] == '?' {
			return p, errors.New("uri: must have a / before the query ?")
		}
		if _, q, ok := strings.Cut(rest[i:], "?"); ok {
			query = q
		}
	}
	if strings.Contains(hosts, "@") {
		return p, errors.New("uri: an @ in the credentials must be percent-encoded")
	}
	for _, h := range strings.Split(hosts, ",") {
		if h != "" {
			p.hosts = append(p.hosts, h)
		}
	}
	switch {
	case len(p.hosts) == 0:
		return p, errURINoHost
	case p.srv && (len(p.hosts) != 1 || strings.Contains(p.hosts[0], ":")):
		return p, errURISRVHost
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return p, errors.New("uri: the options after ? are not a valid query string")
	}
	for k := range values {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "tls") || strings.HasPrefix(lk, "ssl") {
			return p, fmt.Errorf("uri: option %q: set TLS in the tls section, not in the uri", k)
		}
	}
	return p, nil
}
