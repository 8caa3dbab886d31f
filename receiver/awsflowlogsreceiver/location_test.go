package awsflowlogsreceiver

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLocationOfKey(t *testing.T) {
	tests := []struct {
		key  string
		want location
	}{
		{"AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/22/123456789012_vpcflowlogs_eu-west-1_fl-1_20261122T1000Z_ab.log.gz",
			location{"123456789012", "eu-west-1"}},
		{"team-a/AWSLogs/123456789012/vpcflowlogs/us-gov-west-1/2026/11/22/x.log.gz", location{"123456789012", "us-gov-west-1"}},
		{"AWSLogs/aws-account-id=123456789012/aws-service=vpcflowlogs/aws-region=ap-southeast-2/year=2026/month=11/day=22/hour=10/x.log.gz",
			location{"123456789012", "ap-southeast-2"}},
		{"AWSLogs/123456789012/elasticloadbalancing/eu-west-1/2026/11/22/x.log.gz", location{"123456789012", ""}},
		{"AWSLogs/123456789012/vpcflowlogs/", location{"123456789012", ""}},
		{"AWSLogs/123456789012/vpcflowlogs/EU_WEST/2026/x", location{"123456789012", ""}},
		{"AWSLogs/12345/vpcflowlogs/eu-west-1/2026/11/22/x.log.gz", location{}},
		{"AWSLogs/unknown/vpcflowlogs/eu-west-1/2026/11/22/x.log.gz", location{}},
		{"AWSLogs/123456789012", location{}},
		{"all/flows.log", location{}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, locationOfKey(tt.key), tt.key)
	}
}
