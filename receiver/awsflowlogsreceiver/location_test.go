package awsflowlogsreceiver

import (
	"errors"
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

// AWS errors that differ only by their request IDs are one problem.
func TestClassify(t *testing.T) {
	a := errors.New("ec2 DescribeNetworkInterfaces us-east-1: operation error EC2: DescribeNetworkInterfaces, https response error StatusCode: 403, RequestID: 3b1c7a52-1, api error UnauthorizedOperation: no")
	b := errors.New("ec2 DescribeNetworkInterfaces us-east-1: operation error EC2: DescribeNetworkInterfaces, https response error StatusCode: 403, RequestID: 9f00e1d4-2, api error UnauthorizedOperation: no")
	s3 := errors.New("list s3://b/p: operation error S3: ListObjectsV2, https response error StatusCode: 403, RequestID: R1, HostID: H1, api error AccessDenied: Access Denied")
	assert.Equal(t, classify(a), classify(b))
	assert.Equal(t, "list s3://b/p: operation error S3: ListObjectsV2, https response error StatusCode: 403, api error AccessDenied: Access Denied", classify(s3))
}
