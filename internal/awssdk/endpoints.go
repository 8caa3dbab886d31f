package awssdk

import (
	"fmt"
	"net/url"
)

// Endpoints override the service endpoints (AWS-compatible clouds, VPC
// interface endpoints, tests): the `endpoints:` map both AWS receivers
// take. Empty means AWS's own endpoint of the region.
type Endpoints struct {
	EC2 string `mapstructure:"ec2"`
	STS string `mapstructure:"sts"`
	// S3 switches to path-style addressing.
	S3  string `mapstructure:"s3"`
	RDS string `mapstructure:"rds"`
	// ELB is Elastic Load Balancing (v2: application, network and gateway
	// load balancers).
	ELB         string `mapstructure:"elb"`
	AutoScaling string `mapstructure:"autoscaling"`
	Lambda      string `mapstructure:"lambda"`
	EKS         string `mapstructure:"eks"`
	ECR         string `mapstructure:"ecr"`
	// IAM is used with policy_config; requests are signed for iamRegion.
	IAM string `mapstructure:"iam"`
}

// Validate names each endpoint that is not an http or https URL.
func (e Endpoints) Validate() []error {
	var errs []error
	for _, ep := range []struct{ name, url string }{
		{"ec2", e.EC2}, {"sts", e.STS}, {"s3", e.S3}, {"rds", e.RDS}, {"elb", e.ELB},
		{"autoscaling", e.AutoScaling}, {"lambda", e.Lambda}, {"eks", e.EKS}, {"ecr", e.ECR}, {"iam", e.IAM},
	} {
		if ep.url != "" && !IsHTTPURL(ep.url) {
			errs = append(errs, fmt.Errorf("endpoints: %s: must be an http or https URL", ep.name))
		}
	}
	return errs
}

// IsHTTPURL reports whether s is an absolute http or https URL.
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
