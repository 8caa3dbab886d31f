package awsflowlogsreceiver

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// client is the seam over the S3 API: list the flow-log objects and open
// one of them.
type client struct {
	s3     *s3.Client
	bucket string
}

// object is one listed flow-log object.
type object struct {
	Key          string
	LastModified time.Time
	Size         int64
}

// awsConfig loads the SDK configuration: the default credential chain, or
// the configured key pair, then the assumed role if any.
func awsConfig(ctx context.Context, cfg *Config) (aws.Config, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRegion(cfg.Region),
		awsconfig.WithRetryMode(aws.RetryModeAdaptive),
	}
	if cfg.AccessKeyID != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(string(cfg.AccessKeyID), string(cfg.SecretAccessKey), "")))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("aws config: %w", err)
	}
	if cfg.AssumeRoleARN != "" {
		stsClient := sts.NewFromConfig(awsCfg)
		provider := stscreds.NewAssumeRoleProvider(stsClient, cfg.AssumeRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "otelcol-coordimap"
			if cfg.ExternalID != "" {
				o.ExternalID = aws.String(cfg.ExternalID)
			}
		})
		awsCfg.Credentials = aws.NewCredentialsCache(provider)
	}
	return awsCfg, nil
}

func newClient(ctx context.Context, cfg *Config) (*client, error) {
	awsCfg, err := awsConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s3Client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Flow-log objects carry no checksum; the SDK would log that on
		// every GetObject to stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.UsePathStyle = true
		}
	})
	return &client{s3: s3Client, bucket: cfg.Bucket}, nil
}

// list returns every object under prefix, in key order.
func (c *client) list(ctx context.Context, prefix string) ([]object, error) {
	var out []object
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{
		Bucket: aws.String(c.bucket),
		Prefix: aws.String(prefix),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", c.bucket, prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, object{
				Key:          aws.ToString(o.Key),
				LastModified: aws.ToTime(o.LastModified),
				Size:         aws.ToInt64(o.Size),
			})
		}
	}
	return out, nil
}

// open returns the text of an object, gunzipped when it is gzip (by its
// magic bytes, whatever its name or Content-Encoding says).
func (c *client) open(ctx context.Context, key string) (io.ReadCloser, error) {
	res, err := c.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(c.bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", c.bucket, key, err)
	}
	br := bufio.NewReaderSize(res.Body, 64<<10)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			_ = res.Body.Close()
			if isCorrupt(err) {
				err = fmt.Errorf("%w: %w", errCorrupt, err)
			}
			return nil, fmt.Errorf("gunzip s3://%s/%s: %w", c.bucket, key, err)
		}
		return readCloser{Reader: zr, close: res.Body.Close}, nil
	}
	return readCloser{Reader: br, close: res.Body.Close}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
