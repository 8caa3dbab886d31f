// Package awssdk is how the AWS receivers use aws-sdk-go-v2: they
// authenticate and load the SDK's configuration (the SDK's default
// credential chain — environment, shared files, web identity, ECS and EC2
// roles — or a static key pair, optionally with a role assumed on top, and
// adaptive retry), and read paginated calls.
package awssdk // import "github.com/coordimap/otelcol-coordimap/internal/awssdk"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"go.opentelemetry.io/collector/config/configopaque"
)

// SessionName is the role session name of an assumed role, as CloudTrail
// shows it.
const SessionName = "otelcol-coordimap"

var (
	errKeyPair    = errors.New("access_key_id and secret_access_key: set both or neither")
	errExternalID = errors.New("external_id: needs assume_role_arn")
)

// Credentials are the credential settings of an AWS receiver, squashed
// into its configuration.
type Credentials struct {
	// AccessKeyID and SecretAccessKey, when set, replace the default
	// credential chain.
	AccessKeyID     configopaque.String `mapstructure:"access_key_id"`
	SecretAccessKey configopaque.String `mapstructure:"secret_access_key"`
	// AssumeRoleARN is a role assumed (with STS) on top of the credentials
	// above; ExternalID goes with it.
	AssumeRoleARN string `mapstructure:"assume_role_arn"`
	ExternalID    string `mapstructure:"external_id"`
}

// Validate returns every problem of the credential settings, each naming
// its field.
func (c Credentials) Validate() []error {
	var errs []error
	if (c.AccessKeyID == "") != (c.SecretAccessKey == "") {
		errs = append(errs, errKeyPair)
	}
	if c.AssumeRoleARN != "" {
		if a, err := arn.Parse(c.AssumeRoleARN); err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") {
			errs = append(errs, fmt.Errorf("assume_role_arn: %q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", c.AssumeRoleARN))
		}
	}
	if c.ExternalID != "" && c.AssumeRoleARN == "" {
		errs = append(errs, errExternalID)
	}
	return errs
}

// Load builds the SDK configuration for region: the credentials, adaptive
// retry (throttling is retried with backoff and slows the client down),
// and the assumed role, whose STS calls go to stsEndpoint when it is set.
// Nothing goes over the network until a client makes a call.
func (c Credentials) Load(ctx context.Context, region, stsEndpoint string) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(region),
		awsconfig.WithRetryMode(aws.RetryModeAdaptive),
	}
	if c.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(string(c.AccessKeyID), string(c.SecretAccessKey), "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	// One transport for every client of this configuration, so that
	// CloseIdle drops all their kept-alive connections at shutdown.
	if bc, ok := cfg.HTTPClient.(*awshttp.BuildableClient); ok {
		cfg.HTTPClient = sharedClient(bc)
	}
	if c.AssumeRoleARN != "" {
		stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) {
			if stsEndpoint != "" {
				o.BaseEndpoint = aws.String(stsEndpoint)
			}
		})
		provider := stscreds.NewAssumeRoleProvider(stsClient, c.AssumeRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = SessionName
			if c.ExternalID != "" {
				o.ExternalID = aws.String(c.ExternalID)
			}
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return cfg, nil
}

// sharedClient is the SDK's client as configured (its transport: timeouts,
// TLS 1.2, pool sizes, AWS_CA_BUNDLE) in a plain client that, like the
// SDK's, does not follow redirects. The SDK leaves a client that is not its
// BuildableClient as it is, so every service client built from the
// configuration shares this one transport (a BuildableClient gives each a
// copy).
func sharedClient(bc *awshttp.BuildableClient) *http.Client {
	return &http.Client{
		Transport: bc.GetTransport(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// CloseIdle closes the idle kept-alive connections of the clients of a
// configuration Load made (c is its HTTPClient, or a wrapper of it that
// has CloseIdleConnections): a receiver's Shutdown leaves no connection,
// and no goroutine of its, behind.
func CloseIdle(c aws.HTTPClient) {
	if ic, ok := c.(interface{ CloseIdleConnections() }); ok {
		ic.CloseIdleConnections()
	}
}

// regionName is the shape of AWS region names: us-east-1, us-gov-west-1,
// cn-north-1, eu-isoe-west-1, ap-southeast-3.
var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// IsRegion reports whether name has the shape of an AWS region name. An
// AWS-compatible cloud (an endpoint override) may name its regions
// otherwise; check only without one.
func IsRegion(name string) bool { return regionName.MatchString(name) }

// AllPages reads every page of a paginated call (more and next are the SDK
// paginator's HasMorePages and NextPage) and returns the items of all.
func AllPages[O, P, T any](ctx context.Context, more func() bool, next func(context.Context, ...func(*O)) (P, error), items func(P) []T) ([]T, error) {
	var out []T
	for more() {
		page, err := next(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, items(page)...)
	}
	return out, nil
}
