package awsflowlogsreceiver

import "strings"

// location is where flows were logged: the account and the region. Either
// may be unknown ("").
type location struct{ account, region string }

// locationOfKey reads AWS's key layout,
// `<prefix>AWSLogs/<account-id>/vpcflowlogs/<region>/YYYY/MM/DD/<file>`, or
// with Hive-compatible prefixes
// `<prefix>AWSLogs/aws-account-id=<account-id>/aws-service=vpcflowlogs/aws-region=<region>/year=…`.
func locationOfKey(key string) location {
	_, rest, ok := strings.Cut(key, "AWSLogs/")
	if !ok {
		return location{}
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) < 2 {
		return location{}
	}
	acct := strings.TrimPrefix(parts[0], "aws-account-id=")
	if !isAccountID(acct) {
		return location{}
	}
	loc := location{account: acct}
	if len(parts) == 4 && strings.TrimPrefix(parts[1], "aws-service=") == "vpcflowlogs" {
		if region := strings.TrimPrefix(parts[2], "aws-region="); isRegion(region) {
			loc.region = region
		}
	}
	return loc
}

// isAccountID reports whether s is an AWS account ID (12 digits). The
// account-id field of a record can be "unknown" for interfaces AWS
// services create.
func isAccountID(s string) bool {
	_, isNum := parseUint(s)
	return isNum && len(s) == 12
}

// isRegion reports whether s looks like a region name (us-east-1,
// us-gov-west-1, cn-north-1).
func isRegion(s string) bool {
	if s == "" || len(s) > 32 || !strings.Contains(s, "-") {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
