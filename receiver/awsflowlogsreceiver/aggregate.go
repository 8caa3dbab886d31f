package awsflowlogsreceiver

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// Attribute keys of the counters an aws_network_flow observation carries
// besides the entity.Observation fields.
const (
	attrPackets      = "aws.flow_logs.packets"
	attrBytes        = "aws.flow_logs.bytes"
	attrAccepted     = "aws.flow_logs.records.accepted"
	attrRejected     = "aws.flow_logs.records.rejected"
	attrInterfaceIDs = "aws.flow_logs.interface_ids"
)

// maxLineBytes bounds one line; a longer one is malformed.
const maxLineBytes = 64 << 10

// errCorrupt marks an object whose content cannot be read (a broken or
// truncated gzip stream), as opposed to S3 failing to serve it.
var errCorrupt = errors.New("corrupt object")

func isCorrupt(err error) bool {
	var ce flate.CorruptInputError
	return errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ce)
}

type flowKey struct{ src, dst string }

type flowAgg struct {
	packets, bytes     int64
	accepted, rejected int64
	first, last        int64 // unix seconds; 0 when unknown
	interfaces         []string
}

// stats counts what the lines of one crawl were.
type stats struct {
	Lines     int64 // every non-empty line, headers included
	Records   int64 // records that became part of a flow
	NoData    int64 // NODATA and SKIPDATA records, and records without addresses
	Malformed int64 // lines that do not parse in their object's format
}

// aggregator sums flow-log records into one flow per (source, destination)
// address pair. The packet addresses (pkt-srcaddr, pkt-dstaddr) are used
// when the format has them, so that traffic through NAT gateways and to pods
// is attributed to the real ends.
type aggregator struct {
	flows map[flowKey]*flowAgg
	stats stats
	// accountID is the first account-id field seen.
	accountID string
}

func newAggregator() *aggregator { return &aggregator{flows: map[flowKey]*flowAgg{}} }

func (a *aggregator) add(r *record) {
	if r.LogStatus == "NODATA" || r.LogStatus == "SKIPDATA" {
		a.stats.NoData++
		return
	}
	src, dst := r.PktSrcAddr, r.PktDstAddr
	if src == "" {
		src = r.SrcAddr
	}
	if dst == "" {
		dst = r.DstAddr
	}
	if src == "" || dst == "" {
		a.stats.NoData++
		return
	}
	a.stats.Records++
	if a.accountID == "" && r.AccountID != "" {
		a.accountID = strings.Clone(r.AccountID)
	}
	f, ok := a.flows[flowKey{src, dst}]
	if !ok {
		f = &flowAgg{}
		// The record aliases its line: keep copies, not the line.
		a.flows[flowKey{strings.Clone(src), strings.Clone(dst)}] = f
	}
	if r.Packets > 0 {
		f.packets += r.Packets
	}
	if r.Bytes > 0 {
		f.bytes += r.Bytes
	}
	switch r.Action {
	case "ACCEPT":
		f.accepted++
	case "REJECT":
		f.rejected++
	}
	if r.Start > 0 && (f.first == 0 || r.Start < f.first) {
		f.first = r.Start
	}
	if r.End > f.last {
		f.last = r.End
	}
	if r.InterfaceID != "" && !slices.Contains(f.interfaces, r.InterfaceID) {
		f.interfaces = append(f.interfaces, strings.Clone(r.InterfaceID))
	}
}

// readObject adds every line of one object. The first line decides the
// format when it is a header; otherwise def is used. Malformed lines are
// counted and skipped; only a read error (a broken gzip stream, a dropped
// connection) is returned.
func (a *aggregator) readObject(rd io.Reader, def format) error {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), maxLineBytes)
	f := def
	first := true
	var r record
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		a.stats.Lines++
		if first {
			first = false
			if hf, ok := headerFormat(line); ok {
				f = hf
				continue
			}
		}
		if err := f.parseLine(line, &r); err != nil {
			a.stats.Malformed++
			continue
		}
		a.add(&r)
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			// One absurd line: count it and stop reading this object; what
			// was read so far stays.
			a.stats.Malformed++
			return nil
		}
		if isCorrupt(err) {
			return fmt.Errorf("%w: %w", errCorrupt, err)
		}
		return fmt.Errorf("read: %w", err)
	}
	return nil
}

// merge adds what other aggregated (one object read in full).
func (a *aggregator) merge(other *aggregator) {
	a.stats.Lines += other.stats.Lines
	a.stats.Records += other.stats.Records
	a.stats.NoData += other.stats.NoData
	a.stats.Malformed += other.stats.Malformed
	if a.accountID == "" {
		a.accountID = other.accountID
	}
	for k, of := range other.flows {
		f, ok := a.flows[k]
		if !ok {
			a.flows[k] = of
			continue
		}
		f.packets += of.packets
		f.bytes += of.bytes
		f.accepted += of.accepted
		f.rejected += of.rejected
		if of.first > 0 && (f.first == 0 || of.first < f.first) {
			f.first = of.first
		}
		f.last = max(f.last, of.last)
		for _, i := range of.interfaces {
			if !slices.Contains(f.interfaces, i) {
				f.interfaces = append(f.interfaces, i)
			}
		}
	}
}

// observations returns the flows, ordered by source then destination.
func (a *aggregator) observations() []entity.Observation {
	keys := make([]flowKey, 0, len(a.flows))
	for k := range a.flows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y flowKey) int {
		if c := strings.Compare(x.src, y.src); c != 0 {
			return c
		}
		return strings.Compare(x.dst, y.dst)
	})
	out := make([]entity.Observation, 0, len(keys))
	for _, k := range keys {
		f := a.flows[k]
		ifaces := slices.Clone(f.interfaces)
		slices.Sort(ifaces)
		anyIfaces := make([]any, len(ifaces))
		for i, s := range ifaces {
			anyIfaces[i] = s
		}
		o := entity.Observation{
			Type:              entity.RelAWSNetworkFlow,
			SourceID:          k.src,
			DestinationID:     k.dst,
			Connections:       f.accepted,
			FailedConnections: f.rejected,
			BytesSent:         f.bytes,
			Attributes: map[string]any{
				attrPackets:      f.packets,
				attrBytes:        f.bytes,
				attrAccepted:     f.accepted,
				attrRejected:     f.rejected,
				attrInterfaceIDs: anyIfaces,
			},
		}
		if f.first > 0 {
			o.FirstSeen = time.Unix(f.first, 0).UTC()
		}
		if f.last > 0 {
			o.LastSeen = time.Unix(f.last, 0).UTC()
		}
		out = append(out, o)
	}
	return out
}
