package gcpflowlogsreceiver

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// record is one VPC flow log record (the jsonPayload of an entry of
// compute.googleapis.com/vpc_flows), the fields aggregation uses.
type record struct {
	Connection struct {
		SrcIP    string `json:"src_ip"`
		DstIP    string `json:"dest_ip"`
		SrcPort  int64  `json:"src_port"`
		DstPort  int64  `json:"dest_port"`
		Protocol int64  `json:"protocol"`
	} `json:"connection"`
	// Reporter is SRC or DEST: which end logged the record.
	Reporter    string   `json:"reporter"`
	BytesSent   intField `json:"bytes_sent"`
	PacketsSent intField `json:"packets_sent"`
	StartTime   string   `json:"start_time"`
	EndTime     string   `json:"end_time"`
	SrcInstance instance `json:"src_instance"`
	DstInstance instance `json:"dest_instance"`
	SrcGKE      gke      `json:"src_gke_details"`
	DstGKE      gke      `json:"dest_gke_details"`

	start, end time.Time
}

type instance struct {
	ProjectID string `json:"project_id"`
	VMName    string `json:"vm_name"`
	Zone      string `json:"zone"`
	Region    string `json:"region"`
}

type gke struct {
	Cluster struct {
		Location string `json:"cluster_location"`
		Name     string `json:"cluster_name"`
	} `json:"cluster"`
	Pod struct {
		Name      string `json:"pod_name"`
		Namespace string `json:"pod_namespace"`
		Workload  struct {
			Name string `json:"workload_name"`
			Type string `json:"workload_type"`
		} `json:"pod_workload"`
	} `json:"pod"`
}

// intField is an int64 that Cloud Logging writes as a string ("1024") or
// a number.
type intField int64

func (f *intField) UnmarshalJSON(b []byte) error {
	if len(b) > 1 && b[0] == '"' {
		b = b[1 : len(b)-1]
	}
	if string(b) == "null" || len(b) == 0 {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("not a count: %q", b)
	}
	*f = intField(n)
	return nil
}

var (
	errNoConnection = errors.New("no connection addresses")
	errTime         = errors.New("start_time/end_time: not RFC 3339")
)

// parseRecord reads one jsonPayload. A payload without addresses or with
// unreadable times or counts is malformed.
func parseRecord(payload []byte, r *record) error {
	*r = record{}
	if err := json.Unmarshal(payload, r); err != nil {
		return err
	}
	if r.Connection.SrcIP == "" || r.Connection.DstIP == "" {
		return errNoConnection
	}
	var err error
	if r.start, err = time.Parse(time.RFC3339Nano, r.StartTime); err != nil {
		return errTime
	}
	if r.end, err = time.Parse(time.RFC3339Nano, r.EndTime); err != nil {
		return errTime
	}
	if r.end.Before(r.start) {
		r.start, r.end = r.end, r.start
	}
	return nil
}
