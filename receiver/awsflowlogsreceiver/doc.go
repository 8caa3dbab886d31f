// Package awsflowlogsreceiver implements the coordimap_aws_flow_logs
// receiver: every collection_interval it lists the VPC flow-log objects AWS
// delivered to an S3 bucket, reads the new ones (gzip text with a header
// line, in the default, a custom or the "all" log_format), aggregates the
// records into aws_network_flow relationship records, resolves their ends to
// the AWS inventory's instances, NAT gateways and network interfaces with
// the account's network interfaces (internal/awsnet), and remembers which
// objects it read in a storage extension so that a restart neither re-reads
// nor skips objects.
//
// Files: parser.go (one line to a record), config.go, factory.go,
// client.go (the seam over the S3 and EC2 APIs), location.go (account and
// region of an object's key), aggregate.go (records to observations),
// resolve.go (ends to internal IDs), checkpoint.go and receiver.go
// (lifecycle and the loop).
package awsflowlogsreceiver // import "github.com/coordimap/otelcol-coordimap/receiver/awsflowlogsreceiver"
