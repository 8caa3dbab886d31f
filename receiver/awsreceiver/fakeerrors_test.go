package awsreceiver

import "net/http"

// The wire protocols of the services the receiver calls; each shapes its
// errors differently, and the SDK reads the error code from that shape.
const (
	protoEC2    = "ec2"   // EC2 Query: <Response><Errors><Error><Code>
	protoQuery  = "query" // AWS Query (RDS, ELB, Auto Scaling, STS, IAM): <ErrorResponse><Error><Code>
	protoREST   = "rest"  // REST-JSON (Lambda, EKS): X-Amzn-Errortype header
	protoJSON   = "json"  // JSON 1.1 (ECR): "__type" in the body
	protoS3     = "s3"    // REST-XML: <Error><Code>
	errThrottle = "throttle"
	errDenied   = "denied"
)

// apiError is a recorded error response: its file in testdata/api/errors,
// HTTP status and (REST-JSON) error type header.
type apiError struct {
	file    string
	status  int
	errType string
}

// errorFor is what the real service answers when it throttles or refuses
// one call (a missing IAM action).
func errorFor(proto, kind string) apiError {
	switch proto + " " + kind {
	case protoEC2 + " " + errThrottle:
		return apiError{file: "../RequestLimitExceeded.xml", status: http.StatusServiceUnavailable}
	case protoEC2 + " " + errDenied:
		return apiError{file: "ec2-UnauthorizedOperation.xml", status: http.StatusForbidden}
	case protoQuery + " " + errThrottle:
		return apiError{file: "query-Throttling.xml", status: http.StatusBadRequest}
	case protoQuery + " " + errDenied:
		return apiError{file: "query-AccessDenied.xml", status: http.StatusForbidden}
	case protoREST + " " + errThrottle:
		return apiError{file: "json-TooManyRequestsException.json", status: http.StatusTooManyRequests, errType: "TooManyRequestsException"}
	case protoREST + " " + errDenied:
		return apiError{file: "json-AccessDeniedException.json", status: http.StatusForbidden, errType: "AccessDeniedException"}
	case protoJSON + " " + errThrottle:
		return apiError{file: "json-ThrottlingException.json", status: http.StatusBadRequest}
	case protoJSON + " " + errDenied:
		return apiError{file: "json-AccessDeniedException.json", status: http.StatusBadRequest}
	case protoS3 + " " + errThrottle:
		return apiError{file: "s3-SlowDown.xml", status: http.StatusServiceUnavailable}
	default: // S3 refusing
		return apiError{file: "s3-AccessDenied.xml", status: http.StatusForbidden}
	}
}
