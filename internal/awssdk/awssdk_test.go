package awssdk

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Credentials
		want string
	}{
		{name: "default chain"},
		{name: "key pair", c: Credentials{AccessKeyID: "AKID", SecretAccessKey: "s"}},
		{name: "role", c: Credentials{AssumeRoleARN: "arn:aws:iam::123456789012:role/coordimap-read", ExternalID: "x"}},
		{name: "role in another partition", c: Credentials{AssumeRoleARN: "arn:aws-cn:iam::123456789012:role/path/r"}},
		{name: "half a pair", c: Credentials{AccessKeyID: "AKID"}, want: errKeyPair.Error()},
		{name: "external id alone", c: Credentials{ExternalID: "x"}, want: errExternalID.Error()},
		{
			name: "not an ARN", c: Credentials{AssumeRoleARN: "coordimap-read"},
			want: `assume_role_arn: "coordimap-read" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
		},
		{
			name: "a user, not a role", c: Credentials{AssumeRoleARN: "arn:aws:iam::123456789012:user/me"},
			want: `assume_role_arn: "arn:aws:iam::123456789012:user/me" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errors.Join(tt.c.Validate()...)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tt.want)
		})
	}
}

func TestIsRegion(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1", "eu-isoe-west-1", "ap-southeast-3", "il-central-1"} {
		assert.True(t, IsRegion(r), r)
	}
	for _, r := range []string{"", "eu-west", "euwest1", "EU-WEST-1", "eu-west-1a", "eu west 1", "nyc3"} {
		assert.False(t, IsRegion(r), r)
	}
}

// The assumed role's credentials come from STS (at the endpoint given),
// with the external ID and session name, over the key pair; the SDK's
// clients then sign with them.
func TestLoadAssumesTheRole(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		switch r.Form.Get("Action") {
		case "AssumeRole":
			calls.Add(1)
			assert.Equal(t, "arn:aws:iam::123456789012:role/coordimap-read", r.Form.Get("RoleArn"))
			assert.Equal(t, "ext-1", r.Form.Get("ExternalId"))
			assert.Equal(t, SessionName, r.Form.Get("RoleSessionName"))
			assert.Contains(t, r.Header.Get("Authorization"), "Credential=AKIDBASE/", "signed with the key pair")
			w.Header().Set("Content-Type", "text/xml")
			_, _ = w.Write([]byte(`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>tok</SessionToken>
<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/coordimap-read/otelcol-coordimap</Arn><AssumedRoleId>AROA:otelcol-coordimap</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>`))
		case "GetCallerIdentity":
			assert.True(t, strings.Contains(r.Header.Get("Authorization"), "Credential=ASIAROLE/"), "signed with the role's credentials")
			w.Header().Set("Content-Type", "text/xml")
			_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>
<Arn>arn:aws:sts::123456789012:assumed-role/coordimap-read/otelcol-coordimap</Arn><UserId>AROA:otelcol-coordimap</UserId><Account>123456789012</Account>
</GetCallerIdentityResult><ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
		default:
			http.Error(w, "unexpected "+r.Form.Get("Action"), http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	c := Credentials{AccessKeyID: "AKIDBASE", SecretAccessKey: "base-secret",
		AssumeRoleARN: "arn:aws:iam::123456789012:role/coordimap-read", ExternalID: "ext-1"}
	cfg, err := c.Load(context.Background(), "eu-west-1", srv.URL)
	require.NoError(t, err)
	assert.Zero(t, calls.Load(), "nothing is called before a client needs credentials")
	out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(srv.URL) }).
		GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	require.NoError(t, err)
	assert.Equal(t, "123456789012", aws.ToString(out.Account))
	assert.Equal(t, int32(1), calls.Load())
}
