package mongodbreceiver

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// appName marks the receiver's own connections (the handshake's
// application name) so that currentOp does not report it as a client.
const appName = "otelcol-coordimap"

const (
	// connectTimeout bounds a TCP connect and TLS handshake.
	connectTimeout = 10 * time.Second
	// serverSelectionTimeout bounds the wait for a usable server: a server
	// that is down fails a crawl after this long.
	serverSelectionTimeout = 10 * time.Second
)

// redacted replaces secrets in what the receiver logs or reports.
const redacted = "xxxxx"

// connSettings is everything the receiver connects with, computed once in
// Start. The driver options themselves are built in the crawl loop: a
// mongodb+srv:// URI needs DNS, and DNS may be down at start.
type connSettings struct {
	uri      string // "" when hosts are configured
	hosts    []string
	srv      bool
	username string
	password string
	// configCreds: username and password come from the config, not the URI.
	configCreds bool
	// uriPassword is the password inside the URI, kept only for redaction.
	uriPassword string
	tls         *tls.Config // nil: no TLS
	// selectTimeout is the server selection timeout.
	selectTimeout time.Duration
}

// newConnSettings reads the validated configuration; tlsCfg comes from
// configtls (nil when tls.insecure).
func newConnSettings(cfg *Config, tlsCfg *tls.Config) connSettings {
	s := connSettings{
		username:      cfg.Username,
		password:      string(cfg.Password),
		configCreds:   cfg.Username != "",
		tls:           tlsCfg,
		selectTimeout: serverSelectionTimeout,
	}
	if cfg.URI != "" {
		p, _ := parseURI(string(cfg.URI)) // validated
		s.uri = string(cfg.URI)
		s.hosts = p.hosts
		s.srv = p.srv
		s.uriPassword = p.password
		if p.hasUser {
			s.username = p.username
		}
	} else {
		s.hosts = cfg.Hosts
	}
	return s
}

// clientOptions builds the driver options. For a mongodb+srv:// URI this
// resolves DNS.
func (s *connSettings) clientOptions(monitor *event.CommandMonitor) (*options.ClientOptions, error) {
	// Everything goes through a URI, so that the driver reads the
	// credentials together with what the URI says about them (authSource,
	// authMechanism).
	uri := s.uri
	if uri == "" {
		uri = "mongodb://" + strings.Join(s.hosts, ",") + "/"
	}
	if s.configCreds {
		uri = withCredentials(uri, s.username, s.password)
	}
	opts := options.Client().ApplyURI(uri)
	if err := opts.Validate(); err != nil {
		return nil, s.redact(err)
	}
	// The tls section is the one place for TLS: it also decides for a
	// mongodb+srv:// URI (which turns TLS on by default).
	opts.TLSConfig = s.tls
	opts.SetAppName(appName)
	opts.SetConnectTimeout(connectTimeout)
	opts.SetServerSelectionTimeout(s.selectTimeout)
	if s.uri == "" || !strings.Contains(strings.ToLower(s.uri), "readpreference=") {
		// Metadata reads work on secondaries: a primary that is down does
		// not stop the crawl.
		opts.SetReadPreference(readpref.PrimaryPreferred())
	}
	// One crawl runs one command at a time.
	opts.SetMaxPoolSize(4)
	if monitor != nil {
		opts.SetMonitor(monitor)
	}
	return opts, nil
}

// connect creates the driver client; it does no I/O beyond the DNS of a
// mongodb+srv:// URI (the driver connects in the background and on use).
func (s *connSettings) connect(monitor *event.CommandMonitor) (*mongo.Client, error) {
	opts, err := s.clientOptions(monitor)
	if err != nil {
		return nil, err
	}
	c, err := mongo.Connect(opts)
	if err != nil {
		return nil, s.redact(err)
	}
	return c, nil
}

// withCredentials puts user (and password) into a URI that has none.
func withCredentials(uri, user, password string) string {
	scheme, rest, _ := strings.Cut(uri, "://")
	creds := escapeUserInfo(user)
	if password != "" {
		creds += ":" + escapeUserInfo(password)
	}
	return scheme + "://" + creds + "@" + rest
}

// escapeUserInfo percent-encodes every byte but the unreserved ones, as
// the driver's parser (url.PathUnescape) expects.
func escapeUserInfo(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// redact removes the passwords (as given and percent-encoded) from an
// error's message; the driver's errors should not hold them, this makes
// sure.
func (s *connSettings) redact(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	out := redactString(msg, s.password, s.uriPassword)
	if out == msg {
		return err
	}
	return &redactedError{msg: out, err: err}
}

func redactString(msg string, secrets ...string) string {
	for _, sec := range secrets {
		// Very short secrets would blank out ordinary words; the driver
		// never quotes a password anyway.
		if len(sec) < 4 {
			continue
		}
		msg = strings.ReplaceAll(msg, sec, redacted)
		msg = strings.ReplaceAll(msg, url.PathEscape(sec), redacted)
		msg = strings.ReplaceAll(msg, url.QueryEscape(sec), redacted)
		msg = strings.ReplaceAll(msg, escapeUserInfo(sec), redacted)
	}
	return msg
}

// redactedError is an error whose message had a secret removed; it still
// unwraps to the original so that errors.As works, but prints only the
// redacted text.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// hostsString is the seed list for logs and value_pairs: host:port,… (the
// SRV name for mongodb+srv://), never credentials.
func (s *connSettings) hostsString() string { return strings.Join(s.hosts, ",") }

var errNoHosts = errors.New("no hosts")

// firstHost splits the first seed into host and port (27017 when the seed
// has none, as with mongodb+srv://).
func (s *connSettings) firstHost() (string, string, error) {
	if len(s.hosts) == 0 {
		return "", "", errNoHosts
	}
	h := s.hosts[0]
	if i := strings.LastIndex(h, ":"); i >= 0 && !strings.HasSuffix(h, "]") {
		return strings.Trim(h[:i], "[]"), h[i+1:], nil
	}
	return strings.Trim(h, "[]"), "27017", nil
}
