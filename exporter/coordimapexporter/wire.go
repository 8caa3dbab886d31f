package coordimapexporter

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
	"github.com/coordimap/otelcol-coordimap/internal/pdatajson"
)

// The Coordimap API's names, as the original agent sent them.
const (
	elementTypeRelationship      = "coordimap.relationship_skipinsert"
	relationshipInternal         = "coordimap.relationship_skipinsert"
	relationshipExternalPrefix   = "coordimap.relationship.external."
	statusNoStatus               = "NoStatus"
	relationCodeParentChild      = entity.RelationCodeParentChild
	relationCodeGenericFlow      = entity.RelationCodeGenericFlow
	maxResponseBytes             = 1 << 20
	defaultRelationCodeOfUnknown = relationCodeParentChild
)

// relationCodes maps relationship types to the wire's relation_type.
var relationCodes = entity.RelationCodes

// element is one Coordimap element, with its data already encoded.
type element struct {
	retrievedAt time.Time
	name        string
	typ         string
	id          string
	status      string
	version     string
	data        []byte
	hash        [sha256.Size]byte
}

func newElement(retrievedAt time.Time, typ, id, name, status, version string, data []byte) *element {
	if status == "" {
		status = statusNoStatus
	}
	return &element{
		retrievedAt: retrievedAt,
		name:        name,
		typ:         typ,
		id:          id,
		status:      status,
		version:     version,
		data:        data,
		hash:        sha256.Sum256(data),
	}
}

// newRelationship is an edge element: id and name `<src>.<dst>`, data in
// the original agent's field order so equal edges hash equally.
func newRelationship(a *arena, retrievedAt time.Time, src, dst, kind string, side entity.ExternalSide) *element {
	relType := relationshipInternal
	if side != entity.NotExternal {
		relType = relationshipExternalPrefix + string(side)
	}
	code, ok := relationCodes[kind]
	if !ok {
		code = defaultRelationCodeOfUnknown
	}
	data := a.start()
	data = append(data, `{"source_id":`...)
	data = pdatajson.AppendString(data, src)
	data = append(data, `,"destination_id":`...)
	data = pdatajson.AppendString(data, dst)
	data = append(data, `,"relationship_type":`...)
	data = pdatajson.AppendString(data, relType)
	data = append(data, `,"relation_type":`...)
	data = strconv.AppendInt(data, int64(code), 10)
	data = a.finish(append(data, '}'))
	id := src + "." + dst
	return newElement(retrievedAt, elementTypeRelationship, id, id, statusNoStatus, "", data)
}

// arena hands out element data from shared chunks: one allocation per
// 64 KiB instead of one per element.
type arena struct{ buf []byte }

const arenaChunk = 64 << 10

// start returns a zero-length slice to append one element's data to.
func (a *arena) start() []byte {
	if cap(a.buf)-len(a.buf) < 1024 {
		a.buf = make([]byte, 0, arenaChunk)
	}
	return a.buf[len(a.buf):]
}

// finish claims what was appended since start. When the data outgrew the
// chunk, append moved it to memory of its own, which is kept as it is.
func (a *arena) finish(data []byte) []byte {
	end := len(a.buf) + len(data)
	if end <= cap(a.buf) && len(data) > 0 && &a.buf[:end][len(a.buf)] == &data[0] {
		a.buf = a.buf[:end]
	}
	return data[:len(data):len(data)]
}

// appendJSON writes the element with its keys sorted, as the original
// agent's HTTP client re-encoded them.
func (e *element) appendJSON(b []byte) []byte {
	b = append(b, `{"data":"`...)
	b = base64.StdEncoding.AppendEncode(b, e.data)
	b = append(b, `","hash":"`...)
	b = hex.AppendEncode(b, e.hash[:])
	b = append(b, `","id":`...)
	b = pdatajson.AppendString(b, e.id)
	b = append(b, `,"is_json_data":true,"name":`...)
	b = pdatajson.AppendString(b, e.name)
	b = append(b, `,"retrieved_at":`...)
	b = appendTime(b, e.retrievedAt)
	b = append(b, `,"status":`...)
	b = pdatajson.AppendString(b, e.status)
	b = append(b, `,"type":`...)
	b = pdatajson.AppendString(b, e.typ)
	b = append(b, `,"version":`...)
	b = pdatajson.AppendString(b, e.version)
	return append(b, '}')
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, time.RFC3339Nano)
	return append(b, '"')
}

// envelope is what surrounds the elements of one request.
type envelope struct {
	prefix []byte
	suffix []byte
}

// newEnvelope renders the request around a partition's elements:
//
//	{"cloud_crawl_data":{"crawl_internal_id":…,"crawled_data":{"data":[ELEMENTS]},
//	 "data_source":{…},"timestamp":…}}
//
// with every object's keys sorted, as the original agent's client sent them.
func newEnvelope(src entity.Source, partition string, ts time.Time) envelope {
	p := append([]byte(nil), `{"cloud_crawl_data":{"crawl_internal_id":`...)
	p = pdatajson.AppendString(p, partition)
	p = append(p, `,"crawled_data":{"data":[`...)

	s := append([]byte(nil), `]},"data_source":{"data_source_config":{`...)
	if rules := src.MetricRules; rules != "" && json.Valid([]byte(rules)) {
		// The processor's resolved metric rules, already JSON.
		s = append(s, `"metric_rules":`...)
		s = append(s, rules...)
		s = append(s, ',')
	}
	s = append(s, `"value_pairs":[`...)
	keys := make([]string, 0, len(src.Config))
	for k := range src.Config {
		if !looksSecret(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			s = append(s, ',')
		}
		s = append(s, `{"key":`...)
		s = pdatajson.AppendString(s, k)
		s = append(s, `,"value":`...)
		s = pdatajson.AppendString(s, src.Config[k])
		s = append(s, '}')
	}
	name, desc := src.Name, src.Description
	if name == "" {
		name = src.DataSourceID
	}
	if desc == "" {
		desc = src.DataSourceID
	}
	s = append(s, `]},"data_source_id":`...)
	s = pdatajson.AppendString(s, src.DataSourceID)
	s = append(s, `,"data_source_info":{"desc":`...)
	s = pdatajson.AppendString(s, desc)
	s = append(s, `,"name":`...)
	s = pdatajson.AppendString(s, name)
	s = append(s, `,"type":`...)
	s = pdatajson.AppendString(s, src.DataSourceType)
	s = append(s, `}},"timestamp":`...)
	s = appendTime(s, ts)
	s = append(s, `}}`...)
	return envelope{prefix: p, suffix: s}
}

// looksSecret drops settings whose names suggest a secret, should a
// receiver ever put one in its value_pairs by mistake.
func looksSecret(key string) bool {
	k := strings.ToLower(key)
	for _, w := range []string{"pass", "secret", "token", "api_key", "apikey", "credential", "private"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// encodeRequests splits a partition's elements into request bodies of at
// most maxBytes each (an element larger than that travels alone).
func encodeRequests(env envelope, elems []*element, maxBytes int) [][]byte {
	var bodies [][]byte
	overhead := len(env.prefix) + len(env.suffix)
	var cur []byte
	n := 0
	var scratch []byte
	for _, e := range elems {
		scratch = e.appendJSON(scratch[:0])
		if n > 0 && len(cur)+1+len(scratch)+len(env.suffix) > maxBytes {
			cur = append(cur, env.suffix...)
			bodies = append(bodies, cur)
			cur, n = nil, 0
		}
		if n == 0 {
			cur = make([]byte, 0, min(maxBytes, overhead+len(scratch)*len(elems))+1)
			cur = append(cur, env.prefix...)
		} else {
			cur = append(cur, ',')
		}
		cur = append(cur, scratch...)
		n++
	}
	if n > 0 {
		cur = append(cur, env.suffix...)
		bodies = append(bodies, cur)
	}
	return bodies
}
