package awsflowlogsreceiver

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/coordimap/otelcol-coordimap/internal/awssdk"
)

const (
	// listLookback is how far before the horizon the date partitions are
	// still listed: AWS names a partition after the start of the logged
	// window, and delivers it minutes (rarely hours) later.
	listLookback = 24 * time.Hour
	// maxListDepth bounds the folders walked above the date partitions;
	// below it a folder is listed whole.
	maxListDepth = 8
)

// listSince returns the objects under prefix that may have been delivered
// at or after since, in key order per date root. AWS writes flow logs
// under date partitions (`…/<region>/YYYY/MM/DD/`, or Hive-style
// `…/aws-region=<region>/year=YYYY/month=MM/day=DD/`): the folders above
// them are walked with a delimiter, years before since are not listed at
// all, and the year of since is listed from its month and day on
// (StartAfter). Objects outside date partitions are listed whole. A zero
// since lists everything.
func (c *client) listSince(ctx context.Context, prefix string, since time.Time) ([]object, error) {
	if since.IsZero() {
		return c.list(ctx, prefix, "")
	}
	return c.walk(ctx, prefix, since.Add(-listLookback).UTC(), 0)
}

func (c *client) walk(ctx context.Context, prefix string, since time.Time, depth int) ([]object, error) {
	if depth >= maxListDepth {
		return c.list(ctx, prefix, "")
	}
	p := s3.NewListObjectsV2Paginator(c.s3, &s3.ListObjectsV2Input{
		Bucket:    aws.String(c.bucket),
		Prefix:    aws.String(prefix),
		Delimiter: aws.String("/"),
	})
	var out []object
	folders, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, func(page *s3.ListObjectsV2Output) []string {
		out = append(out, objects(page)...)
		folders := make([]string, 0, len(page.CommonPrefixes))
		for _, cp := range page.CommonPrefixes {
			folders = append(folders, aws.ToString(cp.Prefix))
		}
		return folders
	})
	if err != nil {
		return nil, fmt.Errorf("list s3://%s/%s: %w", c.bucket, prefix, err)
	}
	for _, f := range folders {
		var objs []object
		year, hive, isYear := yearFolder(f)
		switch {
		case !isYear:
			objs, err = c.walk(ctx, f, since, depth+1)
		case year < since.Year():
			continue
		case year > since.Year():
			objs, err = c.list(ctx, f, "")
		case hive:
			objs, err = c.list(ctx, f, f+since.Format("month=01/day=02"))
		default:
			objs, err = c.list(ctx, f, f+since.Format("01/02"))
		}
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

// yearFolder reads a folder named after a year: `…/2026/` or
// `…/year=2026/` (hive).
func yearFolder(folder string) (year int, hive, ok bool) {
	name := strings.TrimSuffix(folder, "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	name, hive = strings.CutPrefix(name, "year=")
	if len(name) != 4 {
		return 0, false, false
	}
	y, err := strconv.Atoi(name)
	if err != nil || y < 1970 {
		return 0, false, false
	}
	return y, hive, true
}

// list returns every object under prefix whose key sorts after
// startAfter (every object when it is ""), in key order.
func (c *client) list(ctx context.Context, prefix, startAfter string) ([]object, error) {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(c.bucket), Prefix: aws.String(prefix)}
	if startAfter != "" {
		in.StartAfter = aws.String(startAfter)
	}
	p := s3.NewListObjectsV2Paginator(c.s3, in)
	out, err := awssdk.AllPages(ctx, p.HasMorePages, p.NextPage, objects)
	if err != nil {
		return nil, fmt.Errorf("list s3://%s/%s: %w", c.bucket, prefix, err)
	}
	return out, nil
}

func objects(page *s3.ListObjectsV2Output) []object {
	objs := make([]object, 0, len(page.Contents))
	for _, o := range page.Contents {
		objs = append(objs, object{
			Key:          aws.ToString(o.Key),
			LastModified: aws.ToTime(o.LastModified),
			Size:         aws.ToInt64(o.Size),
		})
	}
	return objs
}
