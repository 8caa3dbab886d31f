package awsreceiver

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/coordimap/otelcol-coordimap/internal/crawltest"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

const (
	testAccount = "123456789012@"
	iamARN      = "arn:aws:iam::123456789012:"
)

// iamReceiver is a receiver with policy_config against the fake, one
// region, its client built (crawls are called directly).
func iamReceiver(t *testing.T, api *fakeAPI, policyConfig bool) (*awsReceiver, *consumertest.LogsSink) {
	t.Helper()
	cfg := testConfig(api.url)
	cfg.Endpoints.IAM = api.url
	cfg.Regions = []string{"eu-west-1"}
	cfg.PolicyConfig = policyConfig
	sink := new(consumertest.LogsSink)
	set := receivertest.NewNopSettings(typeStr)
	set.ID = component.NewIDWithName(typeStr, "golden")
	r := newReceiver(cfg, set, sink)
	c, err := newClient(context.Background(), cfg)
	require.NoError(t, err)
	r.client = c
	return r, sink
}

// records are the batch's records by entity type and internal ID (states
// and deletes apart).
func records(logs plog.Logs) (states, deletes map[string]entity.Record) {
	states, deletes = map[string]entity.Record{}, map[string]entity.Record{}
	for _, rl := range logs.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				rec := entity.View(lr)
				key := rec.Type() + " " + rec.InternalID()
				if rec.Kind() == entity.KindDelete {
					deletes[key] = rec
				} else {
					states[key] = rec
				}
			}
		}
	}
	return states, deletes
}

// linkTargets are the internal IDs a record links to, by relationship
// type and target type ("parent_child aws.iam_role").
func linkTargets(rec entity.Record) map[string][]string {
	out := map[string][]string{}
	for _, l := range rec.Links() {
		k := l.Type + " " + l.Target.Type
		out[k] = append(out[k], l.Target.InternalID)
	}
	return out
}

// onlyIAM keeps the IAM records of a batch (its resource and scope too).
func onlyIAM(logs plog.Logs) plog.Logs {
	out := plog.NewLogs()
	for _, rl := range logs.ResourceLogs().All() {
		orl := out.ResourceLogs().AppendEmpty()
		rl.Resource().CopyTo(orl.Resource())
		for _, sl := range rl.ScopeLogs().All() {
			osl := orl.ScopeLogs().AppendEmpty()
			sl.Scope().CopyTo(osl.Scope())
			for _, lr := range sl.LogRecords().All() {
				if strings.HasPrefix(entity.View(lr).Type(), "aws.iam_") {
					lr.CopyTo(osl.LogRecords().AppendEmpty())
				}
			}
		}
	}
	return out
}

// The real SDK against recorded IAM responses: ListRoles, then
// GetAccountAuthorizationDetails over two pages with the first call
// throttled and retried. Roles, the customer managed policies and the AWS
// managed ones in use, instance profiles; the regions' resources link to
// the roles and profiles IAM emitted, and only to those.
func TestGoldenIAM(t *testing.T) {
	api := newFakeAPI(t)
	api.setThrottle("GetAccountAuthorizationDetails", 1)
	r, sink := iamReceiver(t, api, true)
	require.NoError(t, r.crawl(context.Background()))

	logs := sink.AllLogs()
	require.Len(t, logs, 1)
	file := filepath.Join("testdata", "golden", "iam.yaml")
	crawltest.Golden{}.Check(t, file, onlyIAM(logs[0]))
	raw, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.NotContains(t, string(raw), "not-to-be-emitted", "neither trust policy conditions nor inline policy documents are emitted")
	assert.NotContains(t, r.seen[iamKey], entity.Key{Type: TypeIAMPolicy, InternalID: testAccount + "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		"an AWS managed policy attached to nothing (a permissions boundary only) is not an element")

	// Signed for us-east-1 (IAM's global endpoint), home region eu-west-1.
	api.requireCalled(t, "us-east-1 ListRoles", 1)
	api.requireCalled(t, "us-east-1 GetAccountAuthorizationDetails", 2) // throttled, then retried
	api.requireCalled(t, "us-east-1 GetAccountAuthorizationDetails iam-page-2", 1)
	assert.Len(t, r.seen[iamKey], 5+6+2, "5 roles, 2 customer and 4 AWS managed policies, 2 instance profiles")
	assert.Len(t, r.seen["eu-west-1"], 41)

	states, _ := records(logs[0])
	role := func(name string) string { return testAccount + iamARN + "role/" + name }
	profile := func(name string) string { return testAccount + iamARN + "instance-profile/" + name }
	for _, tt := range []struct {
		entity, typ string
		want        []string
	}{
		{"aws.lambda " + testAccount + "arn:aws:lambda:eu-west-1:123456789012:function:shop-thumbnailer", TypeIAMRole, []string{role("shop-thumbnailer-role")}},
		// Its role is gone from IAM: no link to an element that does not exist.
		{"aws.lambda " + testAccount + "arn:aws:lambda:eu-west-1:123456789012:function:shop-nightly-report", TypeIAMRole, nil},
		{"aws.instance " + testAccount + "i-0123456789abcdef0", TypeIAMInstanceProfile, []string{profile("shop-api-profile")}},
		{"aws.instance " + testAccount + "i-0fedcba9876543210", TypeIAMInstanceProfile, []string{profile("eks-8ec6b4a2-1c2d-3e4f-5a6b-7c8d9e0f1a2b")}},
		{"aws.eks " + testAccount + "arn:aws:eks:eu-west-1:123456789012:cluster/shop-eks", TypeIAMRole, []string{role("shop-eks-cluster-role")}},
		{"aws.eks_nodegroup " + testAccount + "arn:aws:eks:eu-west-1:123456789012:nodegroup/shop-eks/shop-ng/8ec6b4a2-1c2d-3e4f-5a6b-7c8d9e0f1a2b", TypeIAMRole, []string{role("shop-eks-node-role")}},
		{"aws.iam_instance_profile " + profile("shop-api-profile"), TypeIAMRole, []string{role("shop-api-role")}},
	} {
		rec, ok := states[tt.entity]
		require.True(t, ok, tt.entity)
		assert.Equal(t, tt.want, linkTargets(rec)[entity.RelParentChild+" "+tt.typ], tt.entity)
	}
	assert.Equal(t, []string{testAccount + iamARN + "policy/shop-assets-read", testAccount + "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"},
		linkTargets(states["aws.iam_role "+role("shop-api-role")])[entity.RelAttached+" "+TypeIAMPolicy])
}

// IAM refusing (AccessDenied) is reported, keeps what IAM emitted last
// time (no deletes, the regions' links to it stay) and the regions are
// still emitted; once it answers again, what vanished is deleted.
func TestIAMAccessDeniedKeepsIAM(t *testing.T) {
	api := newFakeAPI(t)
	r, sink := iamReceiver(t, api, true)
	require.NoError(t, r.crawl(context.Background()))
	require.Len(t, r.seen[iamKey], 13)

	// A role the last crawl emitted that IAM no longer lists.
	gone := entity.Ref{Type: TypeIAMRole, InternalID: testAccount + iamARN + "role/gone"}
	r.seen[iamKey].Add(gone)

	api.setDenied("us-east-1", true)
	err := r.crawl(context.Background())
	require.ErrorContains(t, err, "iam ListRoles")
	require.ErrorContains(t, err, "AccessDenied")
	require.Len(t, sink.AllLogs(), 2)
	states, deletes := records(sink.AllLogs()[1])
	assert.Empty(t, deletes)
	assert.Len(t, states, 1+41+2, "the owner, the region's 41, the 2 buckets; no IAM")
	lambda := states["aws.lambda "+testAccount+"arn:aws:lambda:eu-west-1:123456789012:function:shop-thumbnailer"]
	assert.Equal(t, []string{testAccount + iamARN + "role/shop-thumbnailer-role"}, linkTargets(lambda)[entity.RelParentChild+" "+TypeIAMRole])
	assert.Len(t, r.seen[iamKey], 14, "kept")

	api.setDenied("us-east-1", false)
	require.NoError(t, r.crawl(context.Background()))
	require.Len(t, sink.AllLogs(), 3)
	_, deletes = records(sink.AllLogs()[2])
	assert.Equal(t, []string{TypeIAMRole + " " + gone.InternalID}, keys(deletes))
	assert.Len(t, r.seen[iamKey], 13)
}

// Without policy_config nothing calls IAM and nothing links to it.
func TestPolicyConfigOff(t *testing.T) {
	api := newFakeAPI(t)
	r, sink := iamReceiver(t, api, false)
	require.NoError(t, r.crawl(context.Background()))
	api.requireCalled(t, "us-east-1 ListRoles", 0)
	api.requireCalled(t, "us-east-1 GetAccountAuthorizationDetails", 0)
	assert.NotContains(t, r.seen, iamKey)
	states, _ := records(sink.AllLogs()[0])
	for k, rec := range states {
		assert.False(t, strings.HasPrefix(rec.Type(), "aws.iam_"), k)
		for _, l := range rec.Links() {
			assert.False(t, strings.HasPrefix(l.Target.Type, "aws.iam_"), k)
		}
	}
}

func keys(m map[string]entity.Record) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestTrustPrincipals(t *testing.T) {
	tests := []struct {
		name, doc string
		want      map[string][]any
	}{
		{
			name: "service, URL-encoded as IAM returns it",
			doc:  "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D",
			want: map[string][]any{"service": {"ec2.amazonaws.com"}},
		},
		{
			name: "lists, repeats, one statement as an object, plain JSON",
			doc:  `{"Statement":{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","edgelambda.amazonaws.com","lambda.amazonaws.com"],"AWS":"210987654321"}}}`,
			want: map[string][]any{"service": {"edgelambda.amazonaws.com", "lambda.amazonaws.com"}, "aws": {"210987654321"}},
		},
		{
			name: "anyone, federated; Deny and unknown kinds ignored",
			doc:  `{"Statement":[{"Effect":"Allow","Principal":"*"},{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com","Other":"x"}},{"Effect":"Deny","Principal":{"AWS":"111111111111"}}]}`,
			want: map[string][]any{"aws": {"*"}, "federated": {"cognito-identity.amazonaws.com"}},
		},
		{name: "not JSON", doc: "%7Bnot", want: map[string][]any{}},
		{name: "empty", doc: "", want: map[string][]any{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, trustPrincipals(tt.doc))
		})
	}
}

func TestIAMRegion(t *testing.T) {
	for home, want := range map[string]string{
		"us-east-1":      "us-east-1",
		"eu-west-1":      "us-east-1",
		"ap-southeast-3": "us-east-1",
		"cn-northwest-1": "cn-northwest-1",
		"us-gov-east-1":  "us-gov-east-1",
		"us-iso-east-1":  "us-iso-east-1",
		"us-isob-east-1": "us-isob-east-1",
	} {
		assert.Equal(t, want, iamRegion(home), home)
	}
}

// Trust and policy documents come from the API, URL-encoded JSON of any
// shape: reading them never panics, and only Allow statements' principals
// come out.
func FuzzTrustPrincipals(f *testing.F) {
	f.Add(`%7B%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22ec2.amazonaws.com%22%7D%7D%5D%7D`)
	f.Add(`{"Statement":{"Effect":"Allow","Principal":"*"}}`)
	f.Add(`{"Statement":[{"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::1:root",7]}},{"Effect":"Allow","Principal":{"Federated":null}}]}`)
	f.Add(`%ZZ`)
	f.Fuzz(func(t *testing.T, encoded string) {
		for kind, ps := range trustPrincipals(encoded) {
			if kind != "service" && kind != "aws" && kind != "federated" {
				t.Fatalf("kind %q", kind)
			}
			for _, p := range ps {
				if _, ok := p.(string); !ok {
					t.Fatalf("principal %v", p)
				}
			}
		}
		_ = policyDocument(encoded)
	})
}
