package awsflowlogsreceiver

import (
	"errors"
	"fmt"
	"strings"
)

// field is one VPC flow-log field (https://docs.aws.amazon.com/vpc/latest/userguide/flow-log-records.html).
type field uint8

const (
	fIgnored field = iota // a known field the receiver does not use (v7+ ECS fields, reject-reason)
	fVersion
	fAccountID
	fInterfaceID
	fSrcAddr
	fDstAddr
	fSrcPort
	fDstPort
	fProtocol
	fPackets
	fBytes
	fStart
	fEnd
	fAction
	fLogStatus
	fVpcID
	fSubnetID
	fInstanceID
	fTCPFlags
	fType
	fPktSrcAddr
	fPktDstAddr
	fRegion
	fAZID
	fSublocationType
	fSublocationID
	fPktSrcAWSService
	fPktDstAWSService
	fFlowDirection
	fTrafficPath
)

// fieldNames maps the names AWS uses in log_format (${name}) and in the
// header line of an S3 object to fields: every v2–v5 field, plus the later
// ones, which are accepted and ignored.
var fieldNames = map[string]field{
	"version":             fVersion,
	"account-id":          fAccountID,
	"interface-id":        fInterfaceID,
	"srcaddr":             fSrcAddr,
	"dstaddr":             fDstAddr,
	"srcport":             fSrcPort,
	"dstport":             fDstPort,
	"protocol":            fProtocol,
	"packets":             fPackets,
	"bytes":               fBytes,
	"start":               fStart,
	"end":                 fEnd,
	"action":              fAction,
	"log-status":          fLogStatus,
	"vpc-id":              fVpcID,
	"subnet-id":           fSubnetID,
	"instance-id":         fInstanceID,
	"tcp-flags":           fTCPFlags,
	"type":                fType,
	"pkt-srcaddr":         fPktSrcAddr,
	"pkt-dstaddr":         fPktDstAddr,
	"region":              fRegion,
	"az-id":               fAZID,
	"sublocation-type":    fSublocationType,
	"sublocation-id":      fSublocationID,
	"pkt-src-aws-service": fPktSrcAWSService,
	"pkt-dst-aws-service": fPktDstAWSService,
	"flow-direction":      fFlowDirection,
	"traffic-path":        fTrafficPath,
	// v7 and v8: known, not used.
	"ecs-cluster-arn":            fIgnored,
	"ecs-cluster-name":           fIgnored,
	"ecs-container-instance-arn": fIgnored,
	"ecs-container-instance-id":  fIgnored,
	"ecs-container-id":           fIgnored,
	"ecs-second-container-id":    fIgnored,
	"ecs-service-name":           fIgnored,
	"ecs-task-definition-arn":    fIgnored,
	"ecs-task-arn":               fIgnored,
	"ecs-task-id":                fIgnored,
	"reject-reason":              fIgnored,
}

const (
	// FormatDefault is AWS's default (version 2) format.
	FormatDefault = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"
	// FormatAll is what the original agent's `log_format: all` stands for:
	// every v2–v5 field in alphabetical order.
	FormatAll = "${account-id} ${action} ${az-id} ${bytes} ${dstaddr} ${dstport} ${end} ${flow-direction} ${instance-id} ${interface-id} ${log-status} ${packets} ${pkt-dst-aws-service} ${pkt-dstaddr} ${pkt-src-aws-service} ${pkt-srcaddr} ${protocol} ${region} ${srcaddr} ${srcport} ${start} ${sublocation-id} ${sublocation-type} ${subnet-id} ${tcp-flags} ${traffic-path} ${type} ${version} ${vpc-id}"
)

// format is the column layout of a flow-log line.
type format struct {
	cols []field
}

// parseFormat reads a log_format value: "" or "default", "all", or a
// space-separated ${field} list in any order.
func parseFormat(s string) (format, error) {
	switch strings.TrimSpace(s) {
	case "", "default":
		s = FormatDefault
	case "all":
		s = FormatAll
	}
	var f format
	seen := map[string]bool{}
	for _, tok := range strings.Fields(s) {
		if !strings.HasPrefix(tok, "${") || !strings.HasSuffix(tok, "}") || len(tok) < 4 {
			return format{}, fmt.Errorf("log_format: %q is not a ${field}", tok)
		}
		name := tok[2 : len(tok)-1]
		fld, ok := fieldNames[name]
		if !ok {
			return format{}, fmt.Errorf("log_format: unknown field %q", name)
		}
		if seen[name] {
			return format{}, fmt.Errorf("log_format: field %q appears twice", name)
		}
		seen[name] = true
		f.cols = append(f.cols, fld)
	}
	if len(f.cols) == 0 {
		return format{}, errors.New("log_format: no fields")
	}
	return f, nil
}

// headerFormat reads the header line AWS writes at the top of every S3
// object (`version account-id interface-id …`). ok is false when the line is
// not a header (some field is not a known name), i.e. it is a record.
func headerFormat(line string) (f format, ok bool) {
	seen := map[string]bool{}
	for tok := range strings.FieldsSeq(line) {
		fld, known := fieldNames[tok]
		if !known || seen[tok] {
			return format{}, false
		}
		seen[tok] = true
		f.cols = append(f.cols, fld)
	}
	return f, len(f.cols) > 0
}

// Missing is the value of a numeric field that is absent from the format or
// written as "-".
const Missing int64 = -1

// record is one parsed flow-log line. String fields alias the line; ""
// means absent or "-". Numeric fields are Missing when absent or "-".
type record struct {
	Version          int64
	AccountID        string
	InterfaceID      string
	SrcAddr          string
	DstAddr          string
	SrcPort          int64
	DstPort          int64
	Protocol         int64
	Packets          int64
	Bytes            int64
	Start            int64
	End              int64
	Action           string
	LogStatus        string
	VpcID            string
	SubnetID         string
	InstanceID       string
	TCPFlags         int64
	Type             string
	PktSrcAddr       string
	PktDstAddr       string
	Region           string
	AZID             string
	SublocationType  string
	SublocationID    string
	PktSrcAWSService string
	PktDstAWSService string
	FlowDirection    string
	TrafficPath      int64
}

var emptyRecord = record{
	Version: Missing, SrcPort: Missing, DstPort: Missing, Protocol: Missing,
	Packets: Missing, Bytes: Missing, Start: Missing, End: Missing,
	TCPFlags: Missing, TrafficPath: Missing,
}

// Errors of malformed lines.
var (
	errFieldCount = errors.New("wrong number of fields")
	errNumber     = errors.New("not a number")
)

// parseLine parses one line in format f into r. It never panics; a line
// whose field count differs from the format or whose numeric field is not a
// number is an error.
func (f format) parseLine(line string, r *record) error {
	*r = emptyRecord
	col := 0
	i := 0
	n := len(line)
	for {
		for i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r') {
			i++
		}
		if i >= n {
			break
		}
		j := i
		for j < n && line[j] != ' ' && line[j] != '\t' && line[j] != '\r' {
			j++
		}
		if col >= len(f.cols) {
			return errFieldCount
		}
		if err := r.set(f.cols[col], line[i:j]); err != nil {
			return err
		}
		col++
		i = j
	}
	if col != len(f.cols) {
		return errFieldCount
	}
	return nil
}

func (r *record) set(fld field, v string) error {
	if v == "-" {
		return nil
	}
	switch fld {
	case fIgnored:
	case fAccountID:
		r.AccountID = v
	case fInterfaceID:
		r.InterfaceID = v
	case fSrcAddr:
		r.SrcAddr = v
	case fDstAddr:
		r.DstAddr = v
	case fAction:
		r.Action = v
	case fLogStatus:
		r.LogStatus = v
	case fVpcID:
		r.VpcID = v
	case fSubnetID:
		r.SubnetID = v
	case fInstanceID:
		r.InstanceID = v
	case fType:
		r.Type = v
	case fPktSrcAddr:
		r.PktSrcAddr = v
	case fPktDstAddr:
		r.PktDstAddr = v
	case fRegion:
		r.Region = v
	case fAZID:
		r.AZID = v
	case fSublocationType:
		r.SublocationType = v
	case fSublocationID:
		r.SublocationID = v
	case fPktSrcAWSService:
		r.PktSrcAWSService = v
	case fPktDstAWSService:
		r.PktDstAWSService = v
	case fFlowDirection:
		r.FlowDirection = v
	default:
		x, ok := parseUint(v)
		if !ok {
			return errNumber
		}
		switch fld {
		case fVersion:
			r.Version = x
		case fSrcPort:
			r.SrcPort = x
		case fDstPort:
			r.DstPort = x
		case fProtocol:
			r.Protocol = x
		case fPackets:
			r.Packets = x
		case fBytes:
			r.Bytes = x
		case fStart:
			r.Start = x
		case fEnd:
			r.End = x
		case fTCPFlags:
			r.TCPFlags = x
		case fTrafficPath:
			r.TrafficPath = x
		}
	}
	return nil
}

// parseUint parses a non-negative decimal that fits in an int64.
func parseUint(s string) (int64, bool) {
	if s == "" || len(s) > 18 {
		return 0, false
	}
	var x int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		x = x*10 + int64(c-'0')
	}
	return x, true
}
