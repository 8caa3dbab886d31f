package awsflowlogsreceiver

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/awsnet"
	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// Attribute keys an aws_network_flow observation carries besides the
// entity.Observation fields.
const (
	attrAccepted     = "aws.flow_logs.records.accepted"
	attrRejected     = "aws.flow_logs.records.rejected"
	attrInterfaceIDs = "aws.flow_logs.interface_ids"
	// The server's ports the client reached (the destination's), sorted.
	attrServerPorts = "aws.flow_logs.destination.ports"
	// The addresses an end resolved from, when it was resolved.
	attrSourceAddrs      = "aws.flow_logs.source.addresses"
	attrDestinationAddrs = "aws.flow_logs.destination.addresses"
)

// maxServerPorts bounds the server ports kept per flow.
const maxServerPorts = 16

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

// flowKey is a flow as logged, oriented client → server (see orient): its
// ends (packet addresses) and the ENI that logged it. Two ENIs of one VPC
// log the same flow; each side is kept apart until the ends are resolved,
// because which end is the logging ENI's decides how it resolves, and
// because the two sides count the same packets (see edge).
type flowKey struct{ src, dst, iface string }

// End of a flow (client or server) that the logging ENI's own address is
// on, as the flow-direction field says (sideUnknown without it).
const (
	sideUnknown uint8 = iota
	sideSource
	sideDestination
)

// counters are the traffic of one flow or edge: accepted requests (client
// → server) and responses apart, connections counted once per
// connection, and rejected traffic apart from accepted traffic.
type counters struct {
	reqPackets, reqBytes   int64
	respPackets, respBytes int64
	connections            int64
	rejAttempts            int64
	rejPackets, rejBytes   int64
}

func (c *counters) add(o *counters) {
	c.reqPackets += o.reqPackets
	c.reqBytes += o.reqBytes
	c.respPackets += o.respPackets
	c.respBytes += o.respBytes
	c.connections += o.connections
	c.rejAttempts += o.rejAttempts
	c.rejPackets += o.rejPackets
	c.rejBytes += o.rejBytes
}

// maxOf keeps, counter by counter, the larger of c and o: both ends of a
// flow between two logging ENIs saw the same packets.
func (c *counters) maxOf(o *counters) {
	c.reqPackets = max(c.reqPackets, o.reqPackets)
	c.reqBytes = max(c.reqBytes, o.reqBytes)
	c.respPackets = max(c.respPackets, o.respPackets)
	c.respBytes = max(c.respBytes, o.respBytes)
	c.connections = max(c.connections, o.connections)
	c.rejAttempts = max(c.rejAttempts, o.rejAttempts)
	c.rejPackets = max(c.rejPackets, o.rejPackets)
	c.rejBytes = max(c.rejBytes, o.rejBytes)
}

type flowAgg struct {
	counters
	accepted, rejected int64 // records
	first, last        int64 // unix seconds; 0 when unknown
	ports              []uint16
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
	request := orient(r, src, dst)
	client, server, serverPort := src, dst, r.DstPort
	if !request {
		client, server, serverPort = dst, src, r.SrcPort
	}
	f, ok := a.flows[flowKey{client, server, r.InterfaceID}]
	if !ok {
		f = a.newFlow(r, request)
		// The record aliases its line: keep copies, not the line.
		a.flows[flowKey{strings.Clone(client), strings.Clone(server), strings.Clone(r.InterfaceID)}] = f
	}
	packets, bytes := max(r.Packets, 0), max(r.Bytes, 0)
	switch r.Action {
	case "ACCEPT":
		f.accepted++
		if request {
			f.reqPackets += packets
			f.reqBytes += bytes
			if opensConnection(r) {
				f.connections++
			}
		} else {
			f.respPackets += packets
			f.respBytes += bytes
		}
	case "REJECT":
		f.rejected++
		f.rejPackets += packets
		f.rejBytes += bytes
		if request {
			f.rejAttempts++
		}
	}
	if serverPort > 0 && serverPort <= 65535 && len(f.ports) < maxServerPorts && !slices.Contains(f.ports, uint16(serverPort)) {
		f.ports = append(f.ports, uint16(serverPort))
	}
	if r.Start > 0 && (f.first == 0 || r.Start < f.first) {
		f.first = r.Start
	}
	if r.End > f.last {
		f.last = r.End
	}
}

// TCP flags of the tcp-flags field (AWS reports SYN-ACK as 18 and no
// other ACK), and protocol numbers.
const (
	flagSYN    = 2
	flagSYNACK = 18
	protoTCP   = 6
)

// orient reports whether the record's source (src, its packet address
// when the format has one) is the client: the end that opened the
// connection. In order:
//
//  1. TCP with tcp-flags (v3+): SYN-ACK (18) is sent by the server, a SYN
//     without it by the client;
//  2. the ports: a well-known port (below 1024) is the server's rather
//     than a registered one (1024–32767), a registered one rather than an
//     ephemeral one (32768 and above); between ports of one class, the
//     lower;
//  3. without ports that differ (ICMP, equal ports): the end with the
//     lower address is the server, so that both directions still make one
//     flow.
//
// flow-direction does not say who initiated: it says which end is the
// logging ENI's (see newFlow).
func orient(r *record, src, dst string) bool {
	if r.Protocol == protoTCP && r.TCPFlags != Missing {
		switch {
		case r.TCPFlags&flagSYNACK == flagSYNACK:
			return false
		case r.TCPFlags&flagSYN != 0:
			return true
		}
	}
	sp, dp := r.SrcPort, r.DstPort
	if sp > 0 && dp > 0 && sp != dp {
		if cs, cd := portClass(sp), portClass(dp); cs != cd {
			return cd < cs
		}
		return dp < sp
	}
	sa, errS := netip.ParseAddr(src)
	da, errD := netip.ParseAddr(dst)
	if errS != nil || errD != nil {
		return src > dst
	}
	return da.Unmap().Compare(sa.Unmap()) < 0
}

// portClass ranks a port: 0 well-known, 1 registered, 2 ephemeral
// (IANA's dynamic range starts at 49152, Linux's at 32768).
func portClass(p int64) int {
	switch {
	case p < 1024:
		return 0
	case p < 32768:
		return 1
	}
	return 2
}

// opensConnection reports whether an accepted request record counts as a
// connection: with TCP flags, the record of the window that carried the
// SYN (a connection logged over several windows is counted once); without
// them (other protocols, formats without tcp-flags), every request record
// (one per 5-tuple and capture window).
func opensConnection(r *record) bool {
	if r.Protocol == protoTCP && r.TCPFlags != Missing {
		return r.TCPFlags&flagSYN != 0
	}
	return true
}

// newFlow starts a flow with where r was logged: the record's fields, else
// the object's key. request says whether r runs client → server.
func (a *aggregator) newFlow(r *record, request bool) *flowAgg {
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
	var side uint8
	switch r.FlowDirection {
	case "egress":
		if r.PktSrcAddr == "" || r.PktSrcAddr == r.SrcAddr {
			side = sideSource
		}
	case "ingress":
		if r.PktDstAddr == "" || r.PktDstAddr == r.DstAddr {
			side = sideDestination
		}
	}
	if !request && side != sideUnknown {
		// The record runs server → client: its source is the flow's
		// destination.
		side = sideSource + sideDestination - side
	}
	f.side = side
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
	f.counters.add(&o.counters)
	f.accepted += o.accepted
	f.rejected += o.rejected
	for _, p := range o.ports {
		if len(f.ports) < maxServerPorts && !slices.Contains(f.ports, p) {
			f.ports = append(f.ports, p)
		}
	}
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
	// sides are the counters of the flows by the end that logged them
	// (the client's ENI, the server's ENI), or by logging ENI where that
	// is unknown. A flow between two ENIs of the account is logged by
	// both: the edge takes each counter's larger side instead of the sum.
	sides              []loggedBy
	accepted, rejected int64
	first, last        int64
	ports              []uint16
	interfaces         []string
	// The addresses of the ends that were resolved to an internal ID.
	srcAddrs, dstAddrs []string
}

type loggedBy struct {
	side  uint8
	iface string
	c     counters
}

func (e *edge) add(f *flowAgg, side uint8, iface string) {
	key := ""
	if side == sideUnknown {
		key = iface
	}
	i := slices.IndexFunc(e.sides, func(l loggedBy) bool { return l.side == side && l.iface == key })
	if i < 0 {
		e.sides = append(e.sides, loggedBy{side: side, iface: key})
		i = len(e.sides) - 1
	}
	e.sides[i].c.add(&f.counters)
	e.accepted += f.accepted
	e.rejected += f.rejected
	for _, p := range f.ports {
		if !slices.Contains(e.ports, p) {
			e.ports = append(e.ports, p)
		}
	}
	if f.first > 0 && (e.first == 0 || f.first < e.first) {
		e.first = f.first
	}
	e.last = max(e.last, f.last)
}

// observations returns one flow per (client, server), ordered by source
// then destination. With indexOf, the ends are first resolved to the
// internal IDs (in scope) of the AWS inventory's elements with the
// network interfaces of the region the flow was logged in (indexOf returns
// nil for a region whose interfaces are unknown): several addresses of one
// instance become one flow. Without it, the ends stay addresses.
func (a *aggregator) observations(scope string, indexOf func(region string) *awsnet.Index, lookupSince int64) []entity.Observation {
	edges := make(map[edgeKey]*edge, len(a.flows))
	for k, f := range a.flows {
		src, dst := k.src, k.dst
		var srcID, dstID string
		side := f.side
		if indexOf != nil {
			srcID, dstID, side = resolveEnds(k, f, scope, indexOf(f.loc.region), lookupSince)
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
		e.add(f, side, k.iface)
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
		var c counters
		for i := range e.sides {
			c.maxOf(&e.sides[i].c)
		}
		o := entity.Observation{
			Type:              entity.RelAWSNetworkFlow,
			SourceID:          k.src,
			DestinationID:     k.dst,
			Connections:       c.connections,
			FailedConnections: c.rejAttempts,
			BytesSent:         c.reqBytes,
			BytesReceived:     c.respBytes,
			PacketsSent:       c.reqPackets,
			PacketsReceived:   c.respPackets,
			RejectedPackets:   c.rejPackets,
			RejectedBytes:     c.rejBytes,
			Attributes: map[string]any{
				attrAccepted:     e.accepted,
				attrRejected:     e.rejected,
				attrInterfaceIDs: sortedAny(e.interfaces),
			},
		}
		if len(e.ports) > 0 {
			ports := slices.Sorted(slices.Values(e.ports))
			if len(ports) == 1 {
				o.DestinationPort = int64(ports[0])
			}
			list := make([]any, len(ports))
			for i, p := range ports {
				list[i] = int64(p)
			}
			o.Attributes[attrServerPorts] = list
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
		if e.first > 0 {
			o.FirstSeen = time.Unix(e.first, 0).UTC()
		}
		if e.last > 0 {
			o.LastSeen = time.Unix(e.last, 0).UTC()
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
