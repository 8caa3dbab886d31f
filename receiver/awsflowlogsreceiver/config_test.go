package awsflowlogsreceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
)

func TestLoadConfig(t *testing.T) {
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	storageID := component.MustNewIDWithName("file_storage", "flows")

	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{
			id:      component.NewID(typeStr),
			wantErr: "bucket: must not be empty\nregion: must not be empty",
		},
		{
			id: component.NewIDWithName(typeStr, "all"),
			want: &Config{
				Bucket:    "my-flow-logs",
				Prefix:    "AWSLogs/123456789012/vpcflowlogs/",
				Region:    "eu-west-1",
				LogFormat: "${version} ${vpc-id} ${subnet-id} ${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${packets} ${bytes} ${action} ${log-status}",
				Credentials: awssdk.Credentials{
					AccessKeyID:     configopaque.String("${env:AWS_ACCESS_KEY_ID}"),
					SecretAccessKey: configopaque.String("${env:AWS_SECRET_ACCESS_KEY}"),
					AssumeRoleARN:   "arn:aws:iam::123456789012:role/coordimap-read",
					ExternalID:      "coordimap",
				},
				Endpoint:         "https://s3.example.internal",
				ResolveEndpoints: false,
				ResolveMaxAge:    30 * time.Minute,
				// resolve_secondary_addresses: false in the file.
				EC2Endpoint:        "https://ec2.example.internal",
				RDSEndpoint:        "https://rds.example.internal",
				CollectionInterval: time.Minute,
				ScopeID:            "123456789012",
				DataSourceID:       "aws-flows",
				Storage:            &storageID,
				MaxAge:             72 * time.Hour,
				StartFrom:          "2026-11-01T00:00:00Z",
			},
		},
		{
			id: component.NewIDWithName(typeStr, "endpoints"),
			want: &Config{
				Bucket: "my-flow-logs", Region: "fr-par", LogFormat: "default",
				Endpoints:        awssdk.Endpoints{S3: "https://s3.fr-par.example", EC2: "https://ec2.example.internal", RDS: "https://rds.example.internal"},
				ResolveEndpoints: true, ResolveMaxAge: defaultResolveMaxAge, ResolveSecondaryAddresses: true,
				CollectionInterval: defaultCollectionInterval, MaxAge: defaultMaxAge,
			},
		},
		{
			id: component.NewIDWithName(typeStr, "format_all"),
			want: &Config{
				Bucket:                    "my-flow-logs",
				Region:                    "us-east-1",
				LogFormat:                 "all",
				ResolveEndpoints:          true,
				ResolveMaxAge:             defaultResolveMaxAge,
				ResolveSecondaryAddresses: true,
				CollectionInterval:        defaultCollectionInterval,
				MaxAge:                    defaultMaxAge,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.id.String(), func(t *testing.T) {
			cfg := NewFactory().CreateDefaultConfig()
			sub, err := cm.Sub(tt.id.String())
			require.NoError(t, err)
			require.NoError(t, sub.Unmarshal(cfg))
			err = confmap.Validate(cfg)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, cfg)
		})
	}
}

func TestValidate(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		cfg.Bucket = "b"
		cfg.Region = "us-east-1"
		return cfg
	}
	tests := []struct {
		name    string
		modify  func(*Config)
		wantErr string
	}{
		{name: "minimal", modify: func(*Config) {}},
		{name: "no bucket", modify: func(c *Config) { c.Bucket = "" }, wantErr: "bucket: must not be empty"},
		{name: "no region", modify: func(c *Config) { c.Region = "" }, wantErr: "region: must not be empty"},
		{name: "typo in the region", modify: func(c *Config) { c.Region = "us-east1" }, wantErr: `region: "us-east1" is not an AWS region name (e.g. eu-west-1)`},
		{name: "any region with an endpoint", modify: func(c *Config) { c.Region, c.Endpoint = "fr-par", "https://s3.fr-par.example" }},
		{name: "not a role ARN", modify: func(c *Config) { c.AssumeRoleARN = "arn:aws:iam::123456789012:user/me" },
			wantErr: `assume_role_arn: "arn:aws:iam::123456789012:user/me" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`},
		{name: "bad format", modify: func(c *Config) { c.LogFormat = "${srcaddr} ${foo}" }, wantErr: `log_format: unknown field "foo"`},
		{name: "key without secret", modify: func(c *Config) { c.AccessKeyID = "AKID" }, wantErr: "access_key_id and secret_access_key: set both or neither"},
		{name: "secret without key", modify: func(c *Config) { c.SecretAccessKey = "s" }, wantErr: "access_key_id and secret_access_key: set both or neither"},
		{name: "external id alone", modify: func(c *Config) { c.ExternalID = "x" }, wantErr: "external_id: needs assume_role_arn"},
		{name: "endpoint not a URL", modify: func(c *Config) { c.Endpoint = "localhost:9000" }, wantErr: "endpoint: must be an http or https URL"},
		{name: "endpoint http", modify: func(c *Config) { c.Endpoint = "http://127.0.0.1:9000" }},
		{name: "ec2_endpoint not a URL", modify: func(c *Config) { c.EC2Endpoint = "ec2.internal" }, wantErr: "ec2_endpoint: must be an http or https URL"},
		{name: "ec2_endpoint https", modify: func(c *Config) { c.EC2Endpoint = "https://vpce-0abc.ec2.us-east-1.vpce.amazonaws.com" }},
		{name: "rds_endpoint not a URL", modify: func(c *Config) { c.RDSEndpoint = "rds.internal" }, wantErr: "rds_endpoint: must be an http or https URL"},
		{name: "endpoints map", modify: func(c *Config) { c.Region, c.Endpoints.S3 = "fr-par", "https://s3.fr-par.example" }},
		{name: "endpoints map not a URL", modify: func(c *Config) { c.Endpoints.EC2 = "ec2.internal" }, wantErr: "endpoints: ec2: must be an http or https URL"},
		{name: "old and new keys agree", modify: func(c *Config) { c.Endpoint, c.Endpoints.S3 = "https://s3.x", "https://s3.x" }},
		{name: "old and new keys differ", modify: func(c *Config) { c.EC2Endpoint, c.Endpoints.EC2 = "https://a", "https://b" },
			wantErr: "ec2_endpoint (deprecated) and endpoints.ec2 differ: keep endpoints.ec2 only"},
		{name: "resolution off", modify: func(c *Config) { c.ResolveEndpoints = false }},
		{name: "no resolve age", modify: func(c *Config) { c.ResolveMaxAge = 0 }, wantErr: "resolve_max_age: must be positive"},
		{name: "any age", modify: func(c *Config) { c.MaxAge = 0 }},
		{name: "negative max_age", modify: func(c *Config) { c.MaxAge = -time.Hour }, wantErr: "max_age: must not be negative"},
		{name: "start_from not a time", modify: func(c *Config) { c.StartFrom = "2026-11-01" },
			wantErr: `start_from: not an RFC 3339 time (2026-11-22T00:00:00Z): parsing time "2026-11-01" as "2006-01-02T15:04:05Z07:00": cannot parse "" as "T"`},
		{name: "zero interval", modify: func(c *Config) { c.CollectionInterval = 0 }, wantErr: "collection_interval: must be positive"},
		{
			name: "every problem at once",
			modify: func(c *Config) {
				c.Bucket, c.Region, c.LogFormat, c.AccessKeyID, c.ExternalID, c.Endpoint, c.CollectionInterval = "", "", "x", "k", "e", "ftp://h", -1
				c.EC2Endpoint = "h:1"
			},
			wantErr: "bucket: must not be empty\nregion: must not be empty\n" +
				`log_format: "x" is not a ${field}` + "\n" +
				"access_key_id and secret_access_key: set both or neither\nexternal_id: needs assume_role_arn\n" +
				"endpoint: must be an http or https URL\nec2_endpoint: must be an http or https URL\ncollection_interval: must be positive",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			tt.modify(cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.EqualError(t, err, tt.wantErr)
		})
	}
}
