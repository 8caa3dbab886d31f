package mongodbreceiver

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// This file turns server replies (raw BSON) into plain Go values. The
// client hands it what the server sent; the tests hand it recorded replies
// of real mongod and mongos servers, for what FerretDB cannot produce
// (replica sets, views, validators, currentOp).

// helloInfo is what hello says about the deployment.
type helloInfo struct {
	// SetName is the replica set name; empty for standalone and mongos.
	SetName string
	// Mongos is true when the server is a mongos router.
	Mongos bool
}

func parseHello(doc bson.Raw) helloInfo {
	var h helloInfo
	h.SetName, _ = doc.Lookup("setName").StringValueOK()
	msg, _ := doc.Lookup("msg").StringValueOK()
	h.Mongos = msg == "isdbgrid"
	return h
}

var errNoReplicaSetID = errors.New("the replica set configuration has no settings.replicaSetId")

// parseReplicaSetID reads config.settings.replicaSetId (an ObjectId) from a
// replSetGetConfig reply.
func parseReplicaSetID(reply bson.Raw) (string, error) {
	id, ok := reply.Lookup("config", "settings", "replicaSetId").ObjectIDOK()
	if !ok || id.IsZero() {
		return "", errNoReplicaSetID
	}
	return id.Hex(), nil
}

var errNoClusterID = errors.New("config.version has no clusterId")

// parseClusterID reads clusterId (an ObjectId) from the config.version
// document of a sharded cluster.
func parseClusterID(doc bson.Raw) (string, error) {
	id, ok := doc.Lookup("clusterId").ObjectIDOK()
	if !ok || id.IsZero() {
		return "", errNoClusterID
	}
	return id.Hex(), nil
}

// Collection kinds, listCollections' type.
const (
	kindCollection = "collection"
	kindView       = "view"
	kindTimeseries = "timeseries"
)

// collectionInfo is one listCollections entry, and for collections what
// listIndexes and the sample added.
type collectionInfo struct {
	Name string
	// Kind is collection, view or timeseries.
	Kind string
	UUID string
	// ReadOnly is info.readOnly (a server in read-only mode).
	ReadOnly bool
	// Views only.
	ViewOn   string
	Pipeline []any
	// PipelineJSON is the pipeline as relaxed extended JSON.
	PipelineJSON string
	// Validator, ValidationLevel and ValidationAction come from the
	// options of a collection with schema validation.
	Validator        map[string]any
	ValidationLevel  string
	ValidationAction string
	// Options holds every other creation option (capped, size, max,
	// timeseries, collation, clusteredIndex, expireAfterSeconds, …).
	Options map[string]any

	Indexes []indexInfo
	Fields  []fieldInfo
	// Sampled is the number of documents the fields were inferred from.
	Sampled int
}

func parseCollection(doc bson.Raw) (collectionInfo, error) {
	var c collectionInfo
	var ok bool
	if c.Name, ok = doc.Lookup("name").StringValueOK(); !ok || c.Name == "" {
		return c, errors.New("listCollections: an entry has no name")
	}
	c.Kind, _ = doc.Lookup("type").StringValueOK()
	if c.Kind == "" {
		c.Kind = kindCollection // before MongoDB 3.4
	}
	info, _ := doc.Lookup("info").DocumentOK()
	if info != nil {
		c.ReadOnly, _ = info.Lookup("readOnly").BooleanOK()
		if st, data, ok := info.Lookup("uuid").BinaryOK(); ok {
			c.UUID = binaryString(st, data)
		}
	}
	opts, _ := doc.Lookup("options").DocumentOK()
	if opts == nil {
		return c, nil
	}
	elems, err := opts.Elements()
	if err != nil {
		return c, fmt.Errorf("listCollections: %q: options: %w", c.Name, err)
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "viewOn":
			c.ViewOn, _ = v.StringValueOK()
		case "pipeline":
			if arr, ok := v.ArrayOK(); ok {
				c.Pipeline, _ = toValue(v).([]any)
				c.PipelineJSON = extJSON(arr)
			}
		case "validator":
			if m, ok := toValue(v).(map[string]any); ok && len(m) > 0 {
				c.Validator = m
			}
		case "validationLevel":
			c.ValidationLevel, _ = v.StringValueOK()
		case "validationAction":
			c.ValidationAction, _ = v.StringValueOK()
		default:
			if c.Options == nil {
				c.Options = map[string]any{}
			}
			c.Options[e.Key()] = toValue(v)
		}
	}
	return c, nil
}

// indexKey is one key of an index: a field and its order (asc, desc) or
// index type (text, 2dsphere, hashed, …).
type indexKey struct{ Field, Order string }

// indexInfo is one listIndexes entry.
type indexInfo struct {
	Name   string
	Keys   []indexKey
	Unique bool
	// Options holds the rest of the index specification (sparse,
	// partialFilterExpression, expireAfterSeconds, hidden, collation,
	// weights, …), the version v excepted.
	Options map[string]any
}

func parseIndex(doc bson.Raw) (indexInfo, error) {
	var ix indexInfo
	var ok bool
	if ix.Name, ok = doc.Lookup("name").StringValueOK(); !ok || ix.Name == "" {
		return ix, errors.New("listIndexes: an entry has no name")
	}
	elems, err := doc.Elements()
	if err != nil {
		return ix, fmt.Errorf("listIndexes: %q: %w", ix.Name, err)
	}
	for _, e := range elems {
		v := e.Value()
		switch e.Key() {
		case "name", "v", "ns":
		case "key":
			key, ok := v.DocumentOK()
			if !ok {
				return ix, fmt.Errorf("listIndexes: %q: key is not a document", ix.Name)
			}
			keys, err := key.Elements()
			if err != nil {
				return ix, fmt.Errorf("listIndexes: %q: key: %w", ix.Name, err)
			}
			for _, k := range keys {
				ix.Keys = append(ix.Keys, indexKey{Field: k.Key(), Order: keyOrder(k.Value())})
			}
			if w, ok := doc.Lookup("weights").DocumentOK(); ok {
				ix.Keys = textKeys(ix.Keys, w)
			}
		case "unique":
			ix.Unique = truthy(v)
		default:
			if ix.Options == nil {
				ix.Options = map[string]any{}
			}
			ix.Options[e.Key()] = toValue(v)
		}
	}
	return ix, nil
}

// textKeys replaces the internal keys of a text index (_fts: "text",
// _ftsx: 1) with the indexed fields, from its weights (sorted by name).
func textKeys(keys []indexKey, weights bson.Raw) []indexKey {
	i := slices.IndexFunc(keys, func(k indexKey) bool { return k.Field == "_fts" && k.Order == "text" })
	if i < 0 {
		return keys
	}
	elems, err := weights.Elements()
	if err != nil {
		return keys
	}
	var fields []indexKey
	for _, e := range elems {
		fields = append(fields, indexKey{Field: e.Key(), Order: "text"})
	}
	slices.SortFunc(fields, func(a, b indexKey) int { return strings.Compare(a.Field, b.Field) })
	end := i + 1
	if end < len(keys) && keys[end].Field == "_ftsx" {
		end++
	}
	return slices.Concat(keys[:i], fields, keys[end:])
}

// keyOrder names an index key's value: 1 is asc, -1 desc, a string the
// index type.
func keyOrder(v bson.RawValue) string {
	if s, ok := v.StringValueOK(); ok {
		return s
	}
	if f, ok := number(v); ok {
		switch {
		case f > 0:
			return "asc"
		case f < 0:
			return "desc"
		}
	}
	return v.String()
}

// truthy is MongoDB's reading of an option flag: true, or a non-zero
// number.
func truthy(v bson.RawValue) bool {
	if b, ok := v.BooleanOK(); ok {
		return b
	}
	f, ok := number(v)
	return ok && f != 0
}

func number(v bson.RawValue) (float64, bool) {
	switch v.Type {
	case bson.TypeInt32:
		return float64(v.Int32()), true
	case bson.TypeInt64:
		return float64(v.Int64()), true
	case bson.TypeDouble:
		return v.Double(), true
	}
	return 0, false
}

// fieldInfo is one top-level field seen in a collection's sample, with
// every type it had.
type fieldInfo struct {
	Name  string
	Types []string
}

// fieldTypes accumulates the fields of sampled documents.
type fieldTypes struct {
	docs  int
	types map[string][]string
}

func (ft *fieldTypes) add(field, typ string) {
	if ft.types == nil {
		ft.types = map[string][]string{}
	}
	if ts := ft.types[field]; !slices.Contains(ts, typ) {
		ft.types[field] = append(ts, typ)
	}
}

// addProjected reads one document of the sampling pipeline:
// {f: [{k: <field>, t: <$type alias>}, …]}.
func (ft *fieldTypes) addProjected(doc bson.Raw) error {
	arr, ok := doc.Lookup("f").ArrayOK()
	if !ok {
		return errors.New("sample: a document has no field list")
	}
	vals, err := arr.Values()
	if err != nil {
		return err
	}
	ft.docs++
	for _, v := range vals {
		kv, ok := v.DocumentOK()
		if !ok {
			continue
		}
		k, _ := kv.Lookup("k").StringValueOK()
		t, _ := kv.Lookup("t").StringValueOK()
		ft.add(k, typeName(t))
	}
	return nil
}

// addDocument reads the top-level fields of a whole document (the
// fallback when the server cannot run the sampling pipeline).
func (ft *fieldTypes) addDocument(doc bson.Raw) error {
	elems, err := doc.Elements()
	if err != nil {
		return err
	}
	ft.docs++
	for _, e := range elems {
		ft.add(e.Key(), typeName(bsonTypeAlias(e.Value().Type)))
	}
	return nil
}

// fields lists the fields sorted by name (as the original agent did), each
// with its types sorted.
func (ft *fieldTypes) fields() []fieldInfo {
	out := make([]fieldInfo, 0, len(ft.types))
	for name, ts := range ft.types {
		ts = slices.Clone(ts)
		slices.Sort(ts)
		out = append(out, fieldInfo{Name: name, Types: ts})
	}
	slices.SortFunc(out, func(a, b fieldInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// bsonTypeAlias is the server's $type alias of a BSON type.
func bsonTypeAlias(t bson.Type) string {
	switch t {
	case bson.TypeDouble:
		return "double"
	case bson.TypeString:
		return "string"
	case bson.TypeEmbeddedDocument:
		return "object"
	case bson.TypeArray:
		return "array"
	case bson.TypeBinary:
		return "binData"
	case bson.TypeUndefined:
		return "undefined"
	case bson.TypeObjectID:
		return "objectId"
	case bson.TypeBoolean:
		return "bool"
	case bson.TypeDateTime:
		return "date"
	case bson.TypeNull:
		return "null"
	case bson.TypeRegex:
		return "regex"
	case bson.TypeDBPointer:
		return "dbPointer"
	case bson.TypeJavaScript:
		return "javascript"
	case bson.TypeSymbol:
		return "symbol"
	case bson.TypeCodeWithScope:
		return "javascriptWithScope"
	case bson.TypeInt32:
		return "int"
	case bson.TypeTimestamp:
		return "timestamp"
	case bson.TypeInt64:
		return "long"
	case bson.TypeDecimal128:
		return "decimal"
	case bson.TypeMinKey:
		return "minKey"
	case bson.TypeMaxKey:
		return "maxKey"
	}
	return "unknown"
}

// typeName is the column type of a field: the original agent's names where
// it had one (string, int64, document, datetime, array, objectId), the
// server's $type alias otherwise (int32 for int, for symmetry with int64).
func typeName(alias string) string {
	switch alias {
	case "long":
		return "int64"
	case "int":
		return "int32"
	case "object":
		return "document"
	case "date":
		return "datetime"
	}
	return alias
}

// clientOp is one entry of currentOp: an operation or an idle connection.
type clientOp struct {
	// Address is the client's host:port.
	Address string
	// Conn identifies the connection (connectionId, else desc, else the
	// address).
	Conn    string
	AppName string
	// Database is the database the operation runs in; empty for an idle
	// connection.
	Database string
}

// parseOp reads one currentOp entry: from the currentOp command's inprog
// array or the $currentOp stage (projected). Entries without a client
// (internal threads) are skipped.
func parseOp(doc bson.Raw) (clientOp, bool) {
	var op clientOp
	op.Address, _ = doc.Lookup("client").StringValueOK()
	if op.Address == "" {
		op.Address, _ = doc.Lookup("client_s").StringValueOK() // mongos before 5.0
	}
	if op.Address == "" {
		return op, false
	}
	op.AppName, _ = doc.Lookup("appName").StringValueOK()
	switch v := doc.Lookup("connectionId"); {
	case v.Type == bson.TypeInt32 || v.Type == bson.TypeInt64:
		op.Conn = strconv.FormatInt(v.AsInt64(), 10)
	default:
		op.Conn, _ = doc.Lookup("desc").StringValueOK()
	}
	if op.Conn == "" {
		op.Conn = op.Address
	}
	if ns, _ := doc.Lookup("ns").StringValueOK(); ns != "" {
		op.Database, _, _ = strings.Cut(ns, ".")
	}
	if op.Database == "" {
		op.Database, _ = doc.Lookup("command", "$db").StringValueOK()
	}
	return op, true
}

// parseCurrentOp reads a currentOp command reply.
func parseCurrentOp(reply bson.Raw) ([]clientOp, error) {
	arr, ok := reply.Lookup("inprog").ArrayOK()
	if !ok {
		return nil, errors.New("currentOp: the reply has no inprog array")
	}
	vals, err := arr.Values()
	if err != nil {
		return nil, fmt.Errorf("currentOp: %w", err)
	}
	var ops []clientOp
	for _, v := range vals {
		if doc, ok := v.DocumentOK(); ok {
			if op, ok := parseOp(doc); ok {
				ops = append(ops, op)
			}
		}
	}
	return ops, nil
}

// clientFlow is what becomes one observation: connections from one client
// address (ip, no port) to one database.
type clientFlow struct {
	Address, Database string
	Connections       int64
}

// clientFlows groups currentOp entries by client IP and database. A
// connection counts for the databases its operations name; an idle
// connection names none, so it counts for its IP's database when that IP
// was seen using exactly one (the usual application pool). The receiver's
// own connections and databases not crawled are left out.
func clientFlows(ops []clientOp, crawled func(db string) bool) []clientFlow {
	type connKey struct{ ip, conn string }
	conns := map[connKey]map[string]bool{} // connection → the databases it names
	ipDBs := map[string]map[string]bool{}  // client IP → the databases it names
	for _, op := range ops {
		if op.AppName == appName {
			continue
		}
		ip := op.Address
		if h, _, err := net.SplitHostPort(op.Address); err == nil {
			ip = h
		}
		k := connKey{ip, op.Conn}
		if conns[k] == nil {
			conns[k] = map[string]bool{}
		}
		if op.Database != "" {
			conns[k][op.Database] = true
			if ipDBs[ip] == nil {
				ipDBs[ip] = map[string]bool{}
			}
			ipDBs[ip][op.Database] = true
		}
	}
	counts := map[[2]string]int64{}
	for k, dbs := range conns {
		if len(dbs) == 0 && len(ipDBs[k.ip]) == 1 {
			dbs = ipDBs[k.ip]
		}
		for db := range dbs {
			if crawled(db) {
				counts[[2]string{k.ip, db}]++
			}
		}
	}
	out := make([]clientFlow, 0, len(counts))
	for k, n := range counts {
		out = append(out, clientFlow{Address: k[0], Database: k[1], Connections: n})
	}
	slices.SortFunc(out, func(a, b clientFlow) int {
		if c := strings.Compare(a.Database, b.Database); c != 0 {
			return c
		}
		return strings.Compare(a.Address, b.Address)
	})
	return out
}

// toValue converts a BSON value to what an entity body holds (string,
// int64, float64, bool, nil, []any, map[string]any). Types without a
// counterpart become strings: ObjectIds in hex, dates in RFC 3339, binary
// as a UUID or base64, Decimal128 and timestamps as text.
func toValue(v bson.RawValue) any {
	switch v.Type {
	case bson.TypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return strconv.FormatFloat(f, 'g', -1, 64)
		}
		return f
	case bson.TypeString:
		return v.StringValue()
	case bson.TypeEmbeddedDocument:
		m := map[string]any{}
		elems, err := v.Document().Elements()
		if err != nil {
			return v.String()
		}
		for _, e := range elems {
			m[e.Key()] = toValue(e.Value())
		}
		return m
	case bson.TypeArray:
		vals, err := v.Array().Values()
		if err != nil {
			return v.String()
		}
		out := make([]any, 0, len(vals))
		for _, e := range vals {
			out = append(out, toValue(e))
		}
		return out
	case bson.TypeBinary:
		st, data := v.Binary()
		return binaryString(st, data)
	case bson.TypeObjectID:
		return v.ObjectID().Hex()
	case bson.TypeBoolean:
		return v.Boolean()
	case bson.TypeDateTime:
		return time.UnixMilli(v.DateTime()).UTC().Format(time.RFC3339Nano)
	case bson.TypeNull, bson.TypeUndefined:
		return nil
	case bson.TypeRegex:
		p, o := v.Regex()
		return "/" + p + "/" + o
	case bson.TypeJavaScript:
		return v.JavaScript()
	case bson.TypeSymbol:
		return v.Symbol()
	case bson.TypeCodeWithScope:
		code, _ := v.CodeWithScope()
		return code
	case bson.TypeInt32:
		return int64(v.Int32())
	case bson.TypeInt64:
		return v.Int64()
	case bson.TypeDecimal128:
		return v.Decimal128().String()
	case bson.TypeTimestamp:
		t, i := v.Timestamp()
		return fmt.Sprintf("Timestamp(%d, %d)", t, i)
	case bson.TypeMinKey:
		return "MinKey"
	case bson.TypeMaxKey:
		return "MaxKey"
	}
	return v.String()
}

// binaryString renders binary data: a UUID (subtype 4) in its usual form,
// anything else as base64.
func binaryString(subtype byte, data []byte) string {
	if subtype == bson.TypeBinaryUUID && len(data) == 16 {
		h := hex.EncodeToString(data)
		return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}
	return base64.StdEncoding.EncodeToString(data)
}

// extJSON renders a pipeline as relaxed extended JSON, the way mongosh
// prints it.
func extJSON(arr bson.RawArray) string {
	// MarshalExtJSON wants a document; wrap the array and unwrap the text.
	b, err := bson.MarshalExtJSON(bson.D{{Key: "p", Value: bson.RawValue{Type: bson.TypeArray, Value: arr}}}, false, false)
	if err != nil {
		return arr.String()
	}
	s := strings.TrimPrefix(string(b), `{"p":`)
	return strings.TrimSuffix(s, "}")
}
