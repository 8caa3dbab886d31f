package mongodbreceiver

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configtls"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/dbsource"
)

func TestLoadConfig(t *testing.T) {
	caTLS := configtls.NewDefaultClientConfig()
	caTLS.CAFile = "/etc/ssl/mongo-ca.pem"
	insecureTLS := configtls.NewDefaultClientConfig()
	insecureTLS.Insecure = true

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{
			id:      component.NewID(typeStr),
			wantErr: "uri or hosts: set one of them",
		},
		{
			id: component.NewIDWithName(typeStr, "uri"),
			want: &Config{
				URI: "mongodb+srv://cluster0.example.mongodb.net/?authSource=admin&replicaSet=rs0",
				Config: dbsource.Config{
					Username:           "coordimap",
					Password:           configopaque.String("${env:MONGO_PASSWORD}"),
					CollectionInterval: 5 * time.Minute,
					ScopeID:            "6650f1a2c3d4e5f607182930",
					DataSourceID:       "mongo-main",
				},
				Databases:  []string{"shop", "crm"},
				TLS:        caTLS,
				SampleSize: 100,
			},
		},
		{
			id: component.NewIDWithName(typeStr, "hosts"),
			want: &Config{
				Hosts:      []string{"mongo-0.mongo:27017", "mongo-1.mongo:27017"},
				Config:     dbsource.Config{CollectionInterval: dbsource.DefaultCollectionInterval},
				Databases:  []string{"*"},
				TLS:        insecureTLS,
				SampleSize: defaultSampleSize,
			},
		},
		{
			id: component.NewIDWithName(typeStr, "all"),
			want: &Config{
				Hosts:      []string{"mongo:27017"},
				Config:     dbsource.Config{CollectionInterval: dbsource.DefaultCollectionInterval},
				Databases:  []string{"*"},
				TLS:        configtls.NewDefaultClientConfig(),
				SampleSize: 0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			crawltest.CheckConfig(t, NewFactory(), tt.id, tt.want, tt.wantErr)
		})
	}
}

func TestValidate(t *testing.T) {
	const secret = "S3cr3t-in-the-uri"
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.Hosts = []string{"mongo:27017"}
		return cfg
	}
	tests := []struct {
		name    string
		modify  func(*Config)
		wantErr string
	}{
		{name: "hosts", modify: func(*Config) {}},
		{name: "ipv6 host", modify: func(c *Config) { c.Hosts = []string{"[::1]:27017"} }},
		{name: "uri", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://a:27017,b:27017/?replicaSet=rs0" }},
		{name: "uri with credentials", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://u:"+secret+"@a:27017/" }},
		{name: "uri without path", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://a" }},
		{name: "srv uri", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb+srv://cluster0.example.net/" }},
		{name: "user and password", modify: func(c *Config) { c.Username, c.Password = "u", "p" }},
		{name: "user without password", modify: func(c *Config) { c.Username = "u" }},
		{name: "no server", modify: func(c *Config) { c.Hosts = nil }, wantErr: "uri or hosts: set one of them"},
		{name: "both", modify: func(c *Config) { c.URI = "mongodb://a/" }, wantErr: "uri and hosts: set only one of them"},
		{name: "bad scheme", modify: func(c *Config) { c.Hosts, c.URI = nil, "http://a/" }, wantErr: `uri: must start with "mongodb://" or "mongodb+srv://"`},
		{name: "no host", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb:///db" }, wantErr: "uri: must name at least one host"},
		{name: "srv with port", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb+srv://a:27017/" }, wantErr: "uri: a mongodb+srv:// URI names exactly one host, without a port"},
		{name: "srv with hosts", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb+srv://a,b/" }, wantErr: "uri: a mongodb+srv:// URI names exactly one host, without a port"},
		{name: "query without slash", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://a?x=1" }, wantErr: "uri: must have a / before the query ?"},
		{name: "tls in uri", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://a/?tls=true" }, wantErr: `uri: option "tls": set TLS in the tls section, not in the uri`},
		{name: "ssl in uri", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://a/?authSource=admin&sslInsecure=true" }, wantErr: `uri: option "sslInsecure": set TLS in the tls section, not in the uri`},
		{name: "bad escape in password", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://u:"+secret+"%zz@a/" }, wantErr: "uri: the password is not correctly percent-encoded"},
		{name: "unescaped @", modify: func(c *Config) { c.Hosts, c.URI = nil, "mongodb://u:p@"+secret+"@a/" }, wantErr: "uri: an @ in the credentials must be percent-encoded"},
		{name: "credentials twice", modify: func(c *Config) {
			c.Hosts, c.URI, c.Username = nil, "mongodb://u:"+secret+"@a/", "v"
		}, wantErr: "username: the uri already holds credentials; set them in one place"},
		{name: "password without user", modify: func(c *Config) { c.Password = "p" }, wantErr: "password: set username too"},
		{name: "bad host", modify: func(c *Config) { c.Hosts = []string{"mongo"} }, wantErr: "hosts: each must be host:port"},
		{name: "bad port", modify: func(c *Config) { c.Hosts = []string{"mongo:0"} }, wantErr: "hosts: port must be a number between 1 and 65535"},
		{name: "zero interval", modify: func(c *Config) { c.CollectionInterval = 0 }, wantErr: "collection_interval: must be positive"},
		{name: "no databases", modify: func(c *Config) { c.Databases = nil }, wantErr: `databases: must not be empty (use "*" for all)`},
		{name: "star with others", modify: func(c *Config) { c.Databases = []string{"*", "shop"} }, wantErr: `databases: "*" must be the only entry`},
		{name: "empty database", modify: func(c *Config) { c.Databases = []string{"shop", ""} }, wantErr: "databases: names must not be empty"},
		{name: "database twice", modify: func(c *Config) { c.Databases = []string{"shop", "shop"} }, wantErr: `databases: "shop" is listed twice`},
		{name: "bad database name", modify: func(c *Config) { c.Databases = []string{"a.b"} }, wantErr: `databases: "a.b" is not a valid database name`},
		{name: "system database listed", modify: func(c *Config) { c.Databases = []string{"admin", "shop"} }},
		{name: "negative sample", modify: func(c *Config) { c.SampleSize = -1 }, wantErr: "sample_size: must be between 0 and 1000"},
		{name: "huge sample", modify: func(c *Config) { c.SampleSize = 1001 }, wantErr: "sample_size: must be between 0 and 1000"},
		{name: "no sampling", modify: func(c *Config) { c.SampleSize = 0 }},
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.Password = "p"
				c.CollectionInterval = 0
				c.Databases = []string{""}
				c.SampleSize = -5
			},
			wantErr: "password: set username too\n" +
				"collection_interval: must be positive\n" +
				"databases: names must not be empty\n" +
				"sample_size: must be between 0 and 1000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.modify(cfg)
			err := cfg.Validate()
			crawltest.CheckError(t, err, tt.wantErr)
			if err != nil {
				assert.NotContains(t, err.Error(), secret, "errors never quote the uri's credentials")
			}
		})
	}
}

// The driver options keep what the URI says about authentication when the
// credentials come from username/password, and the tls section decides TLS
// even for mongodb+srv:// (which turns it on by default).
func TestClientOptions(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	cfg.URI = "mongodb://a:27017,b:27017/?authSource=users&authMechanism=SCRAM-SHA-1&replicaSet=rs0"
	cfg.Username, cfg.Password = "u", "p"
	require.NoError(t, cfg.Validate())
	s := newConnSettings(cfg, nil)
	opts, err := s.clientOptions(nil)
	require.NoError(t, err)
	require.NotNil(t, opts.Auth)
	assert.Equal(t, "u", opts.Auth.Username)
	assert.Equal(t, "p", opts.Auth.Password)
	assert.Equal(t, "users", opts.Auth.AuthSource)
	assert.Equal(t, "SCRAM-SHA-1", opts.Auth.AuthMechanism)
	assert.Nil(t, opts.TLSConfig)
	assert.Equal(t, appName, *opts.AppName)
	assert.Equal(t, []string{"a:27017", "b:27017"}, s.hosts)
	assert.Equal(t, "a:27017,b:27017", s.hostsString())

	// Credentials in the URI: the username is known for logs and
	// value_pairs, the password only for redaction.
	cfg = createDefaultConfig().(*Config)
	cfg.URI = "mongodb://reader:s%40cret-pw@a:27017/"
	s = newConnSettings(cfg, nil)
	assert.Equal(t, "reader", s.username)
	opts, err = s.clientOptions(nil)
	require.NoError(t, err)
	assert.Equal(t, "s@cret-pw", opts.Auth.Password)
	err = s.redact(errorString("failed: s@cret-pw and s%40cret-pw"))
	assert.Equal(t, "failed: xxxxx and xxxxx", err.Error())

	// Hosts: no credentials at all.
	cfg = createDefaultConfig().(*Config)
	cfg.Hosts = []string{"mongo:27017"}
	s = newConnSettings(cfg, nil)
	opts, err = s.clientOptions(nil)
	require.NoError(t, err)
	assert.Nil(t, opts.Auth)
	host, port, err := s.firstHost()
	require.NoError(t, err)
	assert.Equal(t, "mongo", host)
	assert.Equal(t, "27017", port)
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestParseURIHosts(t *testing.T) {
	for uri, want := range map[string]string{
		"mongodb://a":                           "a",
		"mongodb://u:p@a:1,b:2/db?x=y":          "a:1,b:2",
		"mongodb://[::1]:27017/":                "[::1]:27017",
		"mongodb+srv://cluster0.example.net/":   "cluster0.example.net",
		"mongodb://%2Ftmp%2Fmongodb-27017.sock": "%2Ftmp%2Fmongodb-27017.sock",
	} {
		p, err := parseURI(uri)
		require.NoError(t, err, uri)
		assert.Equal(t, want, strings.Join(p.hosts, ","), uri)
	}
}
