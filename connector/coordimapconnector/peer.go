package coordimapconnector

import (
	"net/netip"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/coordimap/otelcol-coordimap/internal/internalid"
)

// Span attributes that name the other end of a call.
const (
	attrPeerService     = "peer.service"
	attrServerAddress   = "server.address"
	attrServerPort      = "server.port"
	attrNetPeerAddress  = "network.peer.address"
	attrNetPeerPort     = "network.peer.port"
	attrRPCService      = "rpc.service"
	attrDBSystemName    = "db.system.name"
	attrDBSystemOld     = "db.system"
	attrDBNamespace     = "db.namespace"
	attrMessagingDest   = "messaging.destination.name"
	attrMessagingSystem = "messaging.system"
)

// peerAttrs is what a client or producer span says about its peer. The
// strings point into the span's attributes and are copied only when the
// span becomes a one-sided edge.
type peerAttrs struct {
	peerService, serverAddress, netPeerAddress, rpcService string
	dbSystem, dbNamespace, pgSystemID, messagingDest       string
	serverPort, netPeerPort                                int64
}

// readPeer reads the peer attributes of a span in one pass.
func readPeer(attrs pcommon.Map) peerAttrs {
	var p peerAttrs
	for k, v := range attrs.All() {
		switch k {
		case attrPeerService:
			p.peerService = v.Str()
		case attrServerAddress:
			p.serverAddress = v.Str()
		case attrServerPort:
			p.serverPort = intValue(v)
		case attrNetPeerAddress:
			p.netPeerAddress = v.Str()
		case attrNetPeerPort:
			p.netPeerPort = intValue(v)
		case attrRPCService:
			p.rpcService = v.Str()
		case attrDBSystemName, attrDBSystemOld:
			p.dbSystem = v.Str()
		case attrDBNamespace:
			p.dbNamespace = v.Str()
		case attrPGSystemID:
			p.pgSystemID = v.AsString()
		case attrMessagingDest:
			p.messagingDest = v.Str()
		}
	}
	return p
}

func intValue(v pcommon.Value) int64 {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return v.Int()
	case pcommon.ValueTypeStr:
		n, _ := strconv.ParseInt(v.Str(), 10, 64)
		return n
	}
	return 0
}

// isDatabase: the server end of a database call sends no spans, so the
// call is one-sided at once instead of waiting in the store.
func (p *peerAttrs) isDatabase() bool { return p.dbSystem != "" }

// peerEnd is the destination of a one-sided edge.
type peerEnd struct {
	// id is an internal ID, a service's ID, or an address (ip or ip:port)
	// that the coordimap processor resolves (pods, Kubernetes services,
	// load balancers, databases announce their addresses).
	id string
	// port is the destination port of an address; name the name of the
	// entity meant among those announcing it (a database).
	port int64
	name string
	// virtual: id is a virtual service node of name label.
	virtual bool
	key     serviceKey
	// external: id belongs to another data source (a database element).
	external bool
	// label is what the span named, for the record.
	label string
}

// resolve names the destination of a one-sided call from caller, in this
// order: a PostgreSQL database by db.postgresql.system_identifier and
// db.namespace (its exact ID); peer.service (that service); server.address
// when it is an ip, then network.peer.address (an address for the
// processor, with db.namespace as the name of the database meant); server.address as a name, rpc.service, db.namespace (with
// db.system.name), messaging.destination.name (virtual nodes). ok is false
// when the span names no peer.
func (p *peerAttrs) resolve(caller *service) (peerEnd, bool) {
	switch {
	case p.pgSystemID != "" && p.dbNamespace != "" && (p.dbSystem == "postgresql" || p.dbSystem == "postgres"):
		return peerEnd{id: internalid.PostgresDatabase(p.pgSystemID, p.dbNamespace), external: true, label: p.dbNamespace}, true
	case p.peerService != "":
		key := serviceKey{caller.key.scope, caller.key.namespace, p.peerService}
		return peerEnd{id: internalid.OTelService(key.scope, key.namespace, key.name), virtual: true, key: key, label: p.peerService}, true
	}
	for _, ap := range [...]struct {
		addr string
		port int64
	}{{p.serverAddress, p.serverPort}, {p.netPeerAddress, p.netPeerPort}} {
		if a, ok := addressEnd(ap.addr, ap.port); ok {
			if p.isDatabase() {
				// The databases of one server share its address.
				a.name = p.dbNamespace
			}
			return a, true
		}
	}
	var name string
	switch {
	case p.serverAddress != "":
		name = p.serverAddress
		if p.serverPort != 0 {
			name += ":" + strconv.FormatInt(p.serverPort, 10)
		}
		if p.dbNamespace != "" {
			name += "/" + p.dbNamespace
		}
	case p.rpcService != "":
		name = p.rpcService
	case p.dbNamespace != "":
		name = p.dbSystem + "/" + p.dbNamespace
	case p.messagingDest != "":
		name = p.messagingDest
	default:
		return peerEnd{}, false
	}
	key := serviceKey{caller.key.scope, "", name}
	return peerEnd{id: internalid.OTelService(key.scope, "", name), virtual: true, key: key, label: name}, true
}

// addressEnd is an ip (with its port when known) as a destination.
func addressEnd(addr string, port int64) (peerEnd, bool) {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return peerEnd{}, false
	}
	ip = ip.Unmap()
	if port > 0 && port <= 65535 {
		return peerEnd{id: netip.AddrPortFrom(ip, uint16(port)).String(), port: port, label: addr}, true
	}
	return peerEnd{id: ip.String(), label: addr}, true
}
