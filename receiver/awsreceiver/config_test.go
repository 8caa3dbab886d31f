package awsreceiver

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
	tests := []struct {
		id      component.ID
		want    *Config
		wantErr string
	}{
		{id: component.NewID(typeStr), want: createDefaultConfig().(*Config)},
		{
			id: component.NewIDWithName(typeStr, "all"),
			want: &Config{
				Regions: []string{"eu-west-1", "us-east-1"},
				Region:  "eu-west-1",
				Credentials: awssdk.Credentials{
					AccessKeyID:     configopaque.String("${env:AWS_ACCESS_KEY_ID}"),
					SecretAccessKey: configopaque.String("${env:AWS_SECRET_ACCESS_KEY}"),
					AssumeRoleARN:   "arn:aws:iam::123456789012:role/coordimap-read",
					ExternalID:      "coordimap",
				},
				Endpoints:          Endpoints{EC2: "https://ec2.example.internal", STS: "https://sts.example.internal", S3: "https://s3.example.internal", ELB: "https://elasticloadbalancing.example.internal", AutoScaling: "https://autoscaling.example.internal", Lambda: "https://lambda.example.internal", EKS: "https://eks.example.internal", ECR: "https://ecr.example.internal", IAM: "https://iam.example.internal"},
				PolicyConfig:       true,
				CollectionInterval: 10 * time.Minute,
				ScopeID:            "123456789012",
				DataSourceID:       "aws-prod",
				MaxConcurrency:     defaultMaxConcurrency,
				RequestsPerSecond:  5,
			},
		},
		{
			id:      component.NewIDWithName(typeStr, "bad"),
			wantErr: "regions: names must not be empty\nregions: \"eu-west\" is not an AWS region name (e.g. eu-west-1)\nexternal_id: needs assume_role_arn\nendpoints: elb: must be an http or https URL",
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

// The credential keys are squashed in: a typo in one is still refused.
func TestUnknownKeyRefused(t *testing.T) {
	cfg := createDefaultConfig()
	err := confmap.NewFromStringMap(map[string]any{"acces_key_id": "AKID", "secret_access_key": "s"}).Unmarshal(cfg)
	require.ErrorContains(t, err, "acces_key_id")
}
