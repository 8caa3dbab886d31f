package awsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver/receivertest"
)

func TestFactory(t *testing.T) {
	f := NewFactory()
	assert.Equal(t, "coordimap_aws", f.Type().String())
	assert.Equal(t, component.StabilityLevelAlpha, f.LogsStability())
	cfg := f.CreateDefaultConfig().(*Config)
	require.NoError(t, componenttest.CheckConfigStruct(cfg))
	assert.Equal(t, 5*time.Minute, cfg.CollectionInterval)
	assert.Equal(t, "us-east-1", cfg.Region)
	assert.False(t, cfg.PolicyConfig, "IAM is opt-in")
	require.NoError(t, cfg.Validate())
}

func TestShutdownWithoutStart(t *testing.T) {
	rcv, err := NewFactory().CreateLogs(context.Background(), receivertest.NewNopSettings(typeStr), createDefaultConfig(), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, rcv.Shutdown(context.Background()))
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		modify  func(*Config)
		wantErr string
	}{
		{name: "default", modify: func(*Config) {}},
		{name: "no home region", modify: func(c *Config) { c.Region = "" }, wantErr: "region: must not be empty"},
		{name: "empty region", modify: func(c *Config) { c.Regions = []string{"eu-west-1", ""} }, wantErr: "regions: names must not be empty"},
		{name: "region twice", modify: func(c *Config) { c.Regions = []string{"eu-west-1", "eu-west-1"} }, wantErr: `regions: "eu-west-1" is listed twice`},
		{name: "typo in a region", modify: func(c *Config) { c.Region, c.Regions = "us-east1", []string{"eu-west-1", "euwest-1"} },
			wantErr: "region: \"us-east1\" is not an AWS region name (e.g. us-east-1)\nregions: \"euwest-1\" is not an AWS region name (e.g. eu-west-1)"},
		{name: "any region name with an ec2 endpoint", modify: func(c *Config) { c.Region, c.Endpoints.EC2 = "nyc3", "https://ec2.example.internal" }},
		{name: "not a role ARN", modify: func(c *Config) { c.AssumeRoleARN = "coordimap-read" },
			wantErr: `assume_role_arn: "coordimap-read" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`},
		{name: "half key pair", modify: func(c *Config) { c.AccessKeyID = "AKID" }, wantErr: "access_key_id and secret_access_key: set both or neither"},
		{name: "external id alone", modify: func(c *Config) { c.ExternalID = "x" }, wantErr: "external_id: needs assume_role_arn"},
		{name: "bad endpoints", modify: func(c *Config) { c.Endpoints = Endpoints{EC2: "localhost:1", STS: "ftp://x"} },
			wantErr: "endpoints: ec2: must be an http or https URL\nendpoints: sts: must be an http or https URL"},
		{name: "bad iam endpoint", modify: func(c *Config) { c.PolicyConfig, c.Endpoints.IAM = true, "iam.example.internal" }, wantErr: "endpoints: iam: must be an http or https URL"},
		{name: "zero interval", modify: func(c *Config) { c.CollectionInterval = 0 }, wantErr: "collection_interval: must be positive"},
		{name: "negative rate", modify: func(c *Config) { c.RequestsPerSecond = -1 }, wantErr: "requests_per_second: must not be negative"},
		{name: "no rate bound", modify: func(c *Config) { c.RequestsPerSecond = 0 }},
		{name: "zero concurrency", modify: func(c *Config) { c.MaxConcurrency = 0 }, wantErr: "max_concurrency: must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig().(*Config)
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
