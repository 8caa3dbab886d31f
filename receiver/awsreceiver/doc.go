// Package awsreceiver implements the coordimap_aws receiver: every
// collection_interval it discovers the account (STS GetCallerIdentity) and
// the enabled regions, crawls each region's EC2 inventory (VPCs, subnets,
// instances so far) with aws-sdk-go-v2 and emits it as entity event records
// built with internal/entity.
//
// Files: config.go, factory.go, client.go (the seam over the SDK),
// crawler.go (API objects to entities), iam.go (policy_config: IAM's
// calls and entities) and receiver.go (lifecycle, loop, deletes, scope
// discovery).
package awsreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/awsreceiver"
