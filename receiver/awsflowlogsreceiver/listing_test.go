package awsflowlogsreceiver

import (
	"bytes"
	"net/http"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/component/componenttest"
)

// listedKeys records every key that ListObjectsV2 answers name.
type listedKeys struct {
	mu   sync.Mutex
	keys []string
}

var keyElement = regexp.MustCompile(`<Key>([^<]*)</Key>`)

func (l *listedKeys) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("list-type") != "2" {
			next.ServeHTTP(w, r)
			return
		}
		rec := &capture{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, m := range keyElement.FindAllSubmatch(rec.body.Bytes(), -1) {
			l.keys = append(l.keys, string(m[1]))
		}
	})
}

func (l *listedKeys) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.keys)
}

type capture struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (c *capture) Write(b []byte) (int, error) {
	c.body.Write(b)
	return c.ResponseWriter.Write(b)
}

// Months of flow logs lie under the prefix: a first start lists only the
// date partitions from start_from (or max_age) on, not every object ever
// written, in both AWS key layouts.
func TestListingNarrowedToRecentDates(t *testing.T) {
	const (
		plainRoot = "AWSLogs/" + testAccount + "/vpcflowlogs/us-east-1/"
		hiveRoot  = "AWSLogs/aws-account-id=" + testAccount + "/aws-service=vpcflowlogs/aws-region=eu-west-1/"
	)
	for _, tc := range []struct {
		name string
		set  func(*Config, *flowLogsReceiver)
	}{
		{"start_from", func(*Config, *flowLogsReceiver) {}},
		{"max_age", func(cfg *Config, r *flowLogsReceiver) {
			cfg.StartFrom = ""
			cfg.MaxAge = 24 * time.Hour
			r.now = func() time.Time { return time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var listed listedKeys
			s3 := newFakeS3At(t, time.Date(2025, 10, 1, 10, 0, 0, 0, time.UTC), listed.wrap)
			old := []string{
				plainRoot + "2025/10/01/" + testAccount + "_vpcflowlogs_us-east-1_fl-1_20251001T1000Z_old1.log.gz",
				plainRoot + "2026/10/01/" + testAccount + "_vpcflowlogs_us-east-1_fl-1_20261001T1000Z_old2.log.gz",
				plainRoot + "2026/11/19/" + testAccount + "_vpcflowlogs_us-east-1_fl-1_20261119T1000Z_old3.log.gz",
				hiveRoot + "year=2026/month=11/day=19/" + testAccount + "_vpcflowlogs_eu-west-1_fl-2_20261119T1000Z_old4.log.gz",
			}
			for _, k := range old {
				s3.put(t, k, "default.log", false)
			}
			s3.clock.Advance(time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC).Sub(s3.clock.Now()))
			recent := []string{
				plainRoot + "2026/11/22/" + testAccount + "_vpcflowlogs_us-east-1_fl-1_20261122T1000Z_new1.log.gz",
				hiveRoot + "year=2026/month=11/day=22/" + testAccount + "_vpcflowlogs_eu-west-1_fl-2_20261122T1000Z_new2.log.gz",
			}
			for _, k := range recent {
				s3.put(t, k, "default.log", false)
			}
			cfg := testConfig(s3.url)
			cfg.Prefix = "AWSLogs/"
			r, sink := startReceiver(t, cfg, componenttest.NewNopHost(), "narrow", func(r *flowLogsReceiver) { tc.set(cfg, r) })
			logs := firstBatch(t, r, sink)

			keys := listed.get()
			for _, k := range recent {
				assert.Contains(t, keys, k)
			}
			for _, k := range old {
				assert.NotContains(t, keys, k, "listed although older than %s", tc.name)
			}
			assert.Equal(t, []string{"10.0.1.5>10.0.2.7", "203.0.113.9>10.0.1.5"}, edges(logs), "the recent objects only")
		})
	}
}
