package e2etest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The recorded replies of the issue-17 account: the scenario's first,
// then the AWS receiver's shared ones.
var awsReplies = []string{
	filepath.Join("..", "..", "receiver", "awsreceiver", "testdata", "scenario"),
	filepath.Join("..", "..", "receiver", "awsreceiver", "testdata", "api"),
}

// recordedActions are the Query-API actions answered from the recorded
// replies; every other call gets a valid empty answer, so the inventory
// holds the scenario's VPC, subnets, instances, ENIs, NAT gateway, ALB
// and RDS instance and little else.
var recordedActions = map[string]bool{
	"GetCallerIdentity": true, "DescribeVpcs": true, "DescribeSubnets": true, "DescribeInstances": true,
	"DescribeNetworkInterfaces": true, "DescribeNatGateways": true, "DescribeSecurityGroups": true,
	"DescribeDBInstances": true, "DescribeLoadBalancers": true, "DescribeAvailabilityZones": true,
}

// awsReplay answers the real SDK clients of both AWS receivers (EC2, STS,
// RDS, Elastic Load Balancing, Auto Scaling: Query APIs; S3's ListBuckets,
// Lambda, EKS, ECR: empty).
func awsReplay(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Get("x-id") == "ListBuckets":
		w.Header().Set("Content-Type", "application/xml")
		_, _ = fmt.Fprint(w, `<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o</ID></Owner><Buckets></Buckets></ListAllMyBucketsResult>`)
		return
	case r.Header.Get("X-Amz-Target") != "":
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = fmt.Fprint(w, `{}`)
		return
	case r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{}`)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action, version := r.Form.Get("Action"), r.Form.Get("Version")
	token := r.Form.Get("NextToken")
	if token == "" {
		token = r.Form.Get("Marker")
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	if recordedActions[action] && version != "2012-06-01" { // not classic ELB
		file := action + ".xml"
		if token != "" {
			file = action + "_" + token + ".xml"
		}
		for _, dir := range awsReplies {
			if body, err := os.ReadFile(filepath.Join(dir, file)); err == nil {
				_, _ = w.Write(body)
				return
			}
		}
	}
	if version == "2016-11-15" { // EC2's Query API: no Result element
		_, _ = fmt.Fprintf(w, `<%[1]sResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>e2e</requestId></%[1]sResponse>`, action)
		return
	}
	_, _ = fmt.Fprintf(w, `<%[1]sResponse><%[1]sResult></%[1]sResult><ResponseMetadata><RequestId>e2e</RequestId></ResponseMetadata></%[1]sResponse>`, action)
}

// The built collector with coordimap_aws and coordimap_aws_flow_logs on the
// issue-17 account (recorded replies, flow logs in the default and a
// custom v5 format in an in-process S3): exactly one aws_network_flow edge
// per client → server pair reaches the Coordimap endpoint, the database
// end is the RDS element, public peers arrive as elements, and the owner
// element's ID is the account ID.
func TestCollectorDeliversAWSFlows(t *testing.T) {
	bin := collectorBinary(t)
	awsSrv := httptest.NewServer(http.HandlerFunc(awsReplay))
	defer awsSrv.Close()
	backend := s3mem.New()
	s3Srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer s3Srv.Close()
	require.NoError(t, backend.CreateBucket("flow-logs"))
	for key, file := range map[string]string{
		"AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/22/123456789012_vpcflowlogs_eu-west-1_fl-subnet_20261122T1000Z_a.log.gz": "flows-default.log",
		"AWSLogs/123456789012/vpcflowlogs/eu-west-1/2026/11/22/123456789012_vpcflowlogs_eu-west-1_fl-eni_20261122T1000Z_b.log.gz":    "flows-v5.log",
	} {
		raw, err := os.ReadFile(filepath.Join(awsReplies[0], file))
		require.NoError(t, err)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		_, _ = zw.Write(raw)
		require.NoError(t, zw.Close())
		_, err = backend.PutObject("flow-logs", key, map[string]string{}, bytes.NewReader(gz.Bytes()), int64(gz.Len()), nil)
		require.NoError(t, err)
	}
	fake := &api{elements: map[string]element{}, keys: map[string]bool{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, fmt.Appendf(nil, `
receivers:
  coordimap_aws:
    region: eu-west-1
    regions: [eu-west-1]
    access_key_id: ${env:E2E_AWS_KEY}
    secret_access_key: ${env:E2E_AWS_SECRET}
    endpoints: {ec2: %[1]s, sts: %[1]s, s3: %[1]s, rds: %[1]s, elb: %[1]s, autoscaling: %[1]s, lambda: %[1]s, eks: %[1]s, ecr: %[1]s}
    collection_interval: 1h
    data_source_id: aws
  coordimap_aws_flow_logs:
    bucket: flow-logs
    region: eu-west-1
    endpoints:
      s3: %[2]s
      ec2: %[1]s
      rds: %[1]s
    access_key_id: ${env:E2E_AWS_KEY}
    secret_access_key: ${env:E2E_AWS_SECRET}
    resolve_max_age: 876000h
    max_age: 0s # the objects' keys are dated 2026-11-22, whatever today is
    collection_interval: 1h
    data_source_id: aws-flows
processors:
  coordimap: {}
exporters:
  coordimap:
    endpoint: %[3]s
    api_key: ${env:E2E_API_KEY}
service:
  pipelines:
    logs:
      receivers: [coordimap_aws, coordimap_aws_flow_logs]
      processors: [coordimap]
      exporters: [coordimap]
  telemetry:
    metrics:
      level: none
`, awsSrv.URL, s3Srv.URL, srv.URL), 0o600))

	_, out, exited := runCollector(t, bin, cfgPath, "E2E_AWS_KEY=AKIDFAKEFAKEFAKE", "E2E_AWS_SECRET=e2e-fake-secret", "E2E_API_KEY=e2e-api-key")

	const (
		owner  = "123456789012"
		web1   = "123456789012@i-0aaaaaaaaaaaaaaa1"
		web2   = "123456789012@i-0aaaaaaaaaaaaaaa2"
		worker = "123456789012@i-0bbbbbbbbbbbbbbb3"
		rds    = "123456789012@shop-db.cabcdefghijk.eu-west-1.rds.amazonaws.com"
		alb    = "123456789012@arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-alb/50dc6c495c0c9188"
	)
	wantEdges := []string{
		web1 + "." + rds, web2 + "." + rds, worker + "." + rds, worker + ".external-ip@52.94.5.1",
		alb + "." + web1, "external-ip@198.51.100.23." + web1, "external-ip@203.0.113.9." + alb,
	}
	want := append([]string{owner, owner + ".123456789012@vpc-0a1b2c3d4e5f60001", web1, web2, worker, rds, alb,
		"external-ip@198.51.100.23", "external-ip@203.0.113.9", "external-ip@52.94.5.1"}, wantEdges...)
	awaitElements(t, fake, want, out, exited)

	fake.mu.Lock()
	defer fake.mu.Unlock()
	var flows []string
	for id, e := range fake.elements {
		if e.Type != "coordimap.relationship_skipinsert" {
			continue
		}
		var d struct {
			RelationType int `json:"relation_type"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &d))
		if d.RelationType == 105 {
			flows = append(flows, id)
		}
	}
	// Exactly these: none reversed, none twice (IDs are unique, and a
	// reversed pair would be another ID).
	assert.ElementsMatch(t, wantEdges, flows)
	assert.NotContains(t, fake.elements, "123456789012@123456789012")
	assert.Equal(t, "aws.rds", fake.elements[rds].Type)
	assert.Equal(t, "coordimap.external_ip", fake.elements["external-ip@198.51.100.23"].Type)
	var scanner map[string]any
	require.NoError(t, json.Unmarshal(fake.elements["external-ip@198.51.100.23"].Data, &scanner))
	assert.Equal(t, map[string]any{"attempts": float64(2), "packets": float64(2), "bytes": float64(120)}, scanner["rejected"])
	assert.False(t, strings.Contains(out.String(), "e2e-fake-secret"), "the secret key is not logged")
}
