package awsflowlogsreceiver

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
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
	// The addresses an end resolved from, when it was resolved.
	attrSourceAddrs      = "aws.flow_logs.source.addresses"
	attrDestinationAddrs = "aws.flow_logs.destination.addresses"
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

// flowKey is a flow as logged: its ends (packet addresses) and the ENI
// that logged it. Two ENIs of one VPC log the same flow; each side is
// kept apart until the ends are resolved, because which end is the
// logging ENI's decides how it resolves.
type flowKey struct{ src, dst, iface string }

// End of a flow that the logging ENI's own address is on, as the
// flow-direction field says (sideUnknown without it).
const (
	sideUnknown uint8 = iota
	sideSource
	sideDestination
)

type flowAgg struct {
	packets, bytes     int64
	accepted, rejected int64
	first, last        int64 // unix seconds; 0 when unknown
	// Where the first record was logged: what resolving the ends needs.
	instance, vpc string
	loc           location
	side          uint8
}

// stats counts what the lines of one crawl were.
type stats struct {
	Lines     int64 // every non-empty line, headers included
	Records   int64 // records that became part of a flow
	NoData    int64 // NODATA and SKIPDATA records, and records without addresses
	Malformed int64 // lines that do not parse in their object's format
}

// aggregator sums flow-log records into one flow per (source, destination,
// interface). The packet addresses (pkt-srcaddr, pkt-dstaddr) are used when
// the format has them, so that traffic through NAT gateways and to pods is
// attributed to the real ends.
type aggregator struct {
	flows map[flowKey]*flowAgg
	stats stats
	// at is where the object being read was logged (its key), for records
	// without account-id or region fields.
	at location
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
	f, ok := a.flows[flowKey{src, dst, r.InterfaceID}]
	if !ok {
		f = a.newFlow(r)
		// The record aliases its line: keep copies, not the line.
		a.flows[flowKey{strings.Clone(src), strings.Clone(dst), strings.Clone(r.InterfaceID)}] = f
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
}

// newFlow starts a flow with where r was logged: the record's fields, else
// the object's key.
func (a *aggregator) newFlow(r *record) *flowAgg {
	f := &flowAgg{instance: strings.Clone(r.InstanceID), vpc: strings.Clone(r.VpcID), loc: a.at}
	if isAccountID(r.AccountID) {
		f.loc.account = strings.Clone(r.AccountID)
	}
	if r.Region != "" {
		f.loc.region = strings.Clone(r.Region)
	}
	// The logging ENI's own address is srcaddr on egress, dstaddr on
	// ingress; it is an end of the flow unless the packet address differs
	// (a pod behind the node's address, traffic through a NAT gateway).
	switch r.FlowDirection {
	case "egress":
		if r.PktSrcAddr == "" || r.PktSrcAddr == r.SrcAddr {
			f.side = sideSource
		}
	case "ingress":
		if r.PktDstAddr == "" || r.PktDstAddr == r.DstAddr {
			f.side = sideDestination
		}
	}
	return f
}

// readObject adds every line of one object, logged at (from its key). The
// first line decides the format when it is a header; otherwise def is used.
// Malformed lines are counted and skipped; only a read error (a broken gzip
// stream, a dropped connection) is returned.
func (a *aggregator) readObject(rd io.Reader, def format, at location) error {
	a.at = at
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
	for k, of := range other.flows {
		f, ok := a.flows[k]
		if !ok {
			a.flows[k] = of
			continue
		}
		f.add(of)
	}
}

// add sums o's counters into f.
func (f *flowAgg) add(o *flowAgg) {
	f.packets += o.packets
	f.bytes += o.bytes
	f.accepted += o.accepted
	f.rejected += o.rejected
	if o.first > 0 && (f.first == 0 || o.first < f.first) {
		f.first = o.first
	}
	f.last = max(f.last, o.last)
}

// byScope splits the flows by the scope of the account each was logged
// in (several accounts deliver to an organisation's central bucket).
// scopeOf is asked once per account, in order, the unknown account ("")
// last.
func (a *aggregator) byScope(scopeOf func(account string) (string, error)) (map[string]*aggregator, error) {
	byAccount := map[string]*aggregator{}
	for k, f := range a.flows {
		sub, ok := byAccount[f.loc.account]
		if !ok {
			sub = newAggregator()
			byAccount[f.loc.account] = sub
		}
		sub.flows[k] = f
	}
	accounts := slices.Sorted(maps.Keys(byAccount))
	if accounts[0] == "" {
		accounts = append(accounts[1:], "")
	}
	out := map[string]*aggregator{}
	for _, account := range accounts {
		scope, err := scopeOf(account)
		if err != nil {
			return nil, err
		}
		if sub, ok := out[scope]; ok {
			maps.Copy(sub.flows, byAccount[account].flows)
			continue
		}
		out[scope] = byAccount[account]
	}
	return out, nil
}

// regions are the regions the flows were logged in, sorted.
func (a *aggregator) regions() []string {
	var out []string
	for _, f := range a.flows {
		if f.loc.region != "" && !slices.Contains(out, f.loc.region) {
			out = append(out, f.loc.region)
		}
	}
	slices.Sort(out)
	return out
}

type edgeKey struct{ src, dst string }

// edge is one emitted flow: the logged flows whose ends resolved alike.
type edge struct {
	counters   flowAgg
	interfaces []string
	// The addresses of the ends that were resolved to an internal ID.
	srcAddrs, dstAddrs []string
}

// observations returns one flow per (source, destination), ordered by
// source then destination. With indexOf, the ends are first resolved to
// the internal IDs (in scope) of the AWS inventory's elements with the
// network interfaces of the region the flow was logged in (indexOf returns
// nil for a region whose interfaces are unknown): several addresses of one
// instance become one flow. Without it, the ends stay addresses.
func (a *aggregator) observations(scope string, indexOf func(region string) *awsnet.Index, lookupSince int64) []entity.Observation {
	edges := make(map[edgeKey]*edge, len(a.flows))
	for k, f := range a.flows {
		src, dst := k.src, k.dst
		var srcID, dstID string
		if indexOf != nil {
			srcID, dstID = resolveEnds(k, f, scope, indexOf(f.loc.region), lookupSince)
		}
		if srcID != "" {
			src = srcID
		}
		if dstID != "" {
			dst = dstID
		}
		e, ok := edges[edgeKey{src, dst}]
		if !ok {
			e = &edge{}
			edges[edgeKey{src, dst}] = e
		}
		e.counters.add(f)
		if k.iface != "" && !slices.Contains(e.interfaces, k.iface) {
			e.interfaces = append(e.interfaces, k.iface)
		}
		if srcID != "" && !slices.Contains(e.srcAddrs, k.src) {
			e.srcAddrs = append(e.srcAddrs, k.src)
		}
		if dstID != "" && !slices.Contains(e.dstAddrs, k.dst) {
			e.dstAddrs = append(e.dstAddrs, k.dst)
		}
	}
	keys := make([]edgeKey, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y edgeKey) int {
		if c := strings.Compare(x.src, y.src); c != 0 {
			return c
		}
		return strings.Compare(x.dst, y.dst)
	})
	out := make([]entity.Observation, 0, len(keys))
	for _, k := range keys {
		e := edges[k]
		f := &e.counters
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
				attrInterfaceIDs: sortedAny(e.interfaces),
			},
		}
		// A resolved end is an element of the AWS inventory, another
		// data source.
		switch {
		case len(e.srcAddrs) > 0 && len(e.dstAddrs) > 0:
			o.External = entity.ExternalBothSides
		case len(e.srcAddrs) > 0:
			o.External = entity.ExternalSource
		case len(e.dstAddrs) > 0:
			o.External = entity.ExternalDestination
		}
		if len(e.srcAddrs) > 0 {
			o.Attributes[attrSourceAddrs] = sortedAny(e.srcAddrs)
		}
		if len(e.dstAddrs) > 0 {
			o.Attributes[attrDestinationAddrs] = sortedAny(e.dstAddrs)
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

// sortedAny is ss sorted, as a list attribute value.
func sortedAny(ss []string) []any {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
