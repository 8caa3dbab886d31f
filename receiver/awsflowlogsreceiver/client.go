package awsflowlogsreceiver

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
)

// client is the seam over the AWS APIs: list the flow-log objects, open
// one of them (S3), list the network interfaces of a region (EC2). It is
// used by the crawl goroutine only.
type client struct {
	s3     *s3.Client
	bucket string

	awsCfg      aws.Config
	ec2Endpoint string
	ec2ByRegion map[string]*ec2.Client
	rdsEndpoint string
	rdsByRegion map[string]*rds.Client
}

// object is one listed flow-log object.
type object struct {
	Key          string
	LastModified time.Time
	Size         int64
}

func newClient(ctx context.Context, cfg *Config) (*client, error) {
	awsCfg, err := cfg.Credentials.Load(ctx, cfg.Region, "")
	if err != nil {
		return nil, err
	}
	s3Client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		// Flow-log objects carry no checksum; the SDK would log that on
		// every GetObject to stderr.
		o.DisableLogOutputChecksumValidationSkipped = true
		if ep := cfg.endpoints().S3; ep != "" {
			o.BaseEndpoint = aws.String(ep)
			o.UsePathStyle = true
		}
	})
	return &client{
		s3: s3Client, bucket: cfg.Bucket, awsCfg: awsCfg,
		ec2Endpoint: cfg.endpoints().EC2, ec2ByRegion: map[string]*ec2.Client{},
		rdsEndpoint: cfg.endpoints().RDS, rdsByRegion: map[string]*rds.Client{},
	}, nil
}

// networkInterfaces returns every network interface of region the
// credentials can see, one DescribeNetworkInterfaces call per 1,000.
func (c *client) networkInterfaces(ctx context.Context, region string) ([]ec2types.NetworkInterface, error) {
	ec2Client, ok := c.ec2ByRegion[region]
	if !ok {
		ec2Client = ec2.NewFromConfig(c.awsCfg, func(o *ec2.Options) {
			o.Region = region
			if c.ec2Endpoint != "" {
				o.BaseEndpoint = aws.String(c.ec2Endpoint)
			}
		})
		c.ec2ByRegion[region] = ec2Client
	}
	out, err := awsnet.List(ctx, ec2Client)
	if err != nil {
		return nil, fmt.Errorf("ec2 DescribeNetworkInterfaces %s: %w", region, err)
	}
	return out, nil
}

// dbInstances returns every RDS DB instance of region, one
// DescribeDBInstances call per 100.
func (c *client) dbInstances(ctx context.Context, region string) ([]rdstypes.DBInstance, error) {
	rdsClient, ok := c.rdsByRegion[region]
	if !ok {
		rdsClient = rds.NewFromConfig(c.awsCfg, func(o *rds.Options) {
			o.Region = region
			if c.rdsEndpoint != "" {
				o.BaseEndpoint = aws.String(c.rdsEndpoint)
			}
		})
		c.rdsByRegion[region] = rdsClient
	}
	p := rds.NewDescribeDBInstancesPaginator(rdsClient, &rds.DescribeDBInstancesInput{})
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *rds.DescribeDBInstancesOutput) []rdstypes.DBInstance { return page.DBInstances })
	if err != nil {
		return nil, fmt.Errorf("rds DescribeDBInstances %s: %w", region, err)
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
