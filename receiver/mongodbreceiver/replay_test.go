package mongodbreceiver

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/x/bsonx/bsoncore"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/wiremessage"
)

// replayServer speaks the MongoDB wire protocol (OP_QUERY for the
// driver's first handshake, OP_MSG after) and answers each command with a
// recorded reply from testdata/replies, so that the receiver's whole code
// path (driver, client, replies, crawler) runs against what FerretDB
// cannot produce: replica sets, mongos, views, validators, time series,
// $sample, $currentOp and privilege refusals.
//
// The recorded replies are shaped like mongod/mongos 7.0 replies; hello
// replies carry no topologyVersion, so the driver polls instead of
// streaming heartbeats.
type replayServer struct {
	t  testing.TB
	ln net.Listener
	// reply answers a command (its name, the database, the command
	// document); nil means "no such command".
	reply func(name, db string, cmd bson.Raw) bson.Raw

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	seen  []string // "<db>.<command>" in arrival order
	last  map[string]bson.Raw
	wg    sync.WaitGroup
}

func newReplayServer(t testing.TB, reply func(name, db string, cmd bson.Raw) bson.Raw) *replayServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &replayServer{t: t, ln: ln, reply: reply, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *replayServer) addr() string { return s.ln.Addr().String() }

func (s *replayServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c)
		}()
	}
}

func (s *replayServer) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// lastCommand is the last command received as "<db>.<command>".
func (s *replayServer) lastCommand(key string) bson.Raw {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last[key]
}

// commands lists the commands received so far, "<db>.<command>".
func (s *replayServer) commands() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.seen...)
}

func (s *replayServer) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	for {
		var size [4]byte
		if _, err := io.ReadFull(c, size[:]); err != nil {
			return
		}
		msg := make([]byte, binary.LittleEndian.Uint32(size[:]))
		copy(msg, size[:])
		if _, err := io.ReadFull(c, msg[4:]); err != nil {
			return
		}
		out, err := s.handle(msg)
		if err != nil {
			s.t.Errorf("replay server: %v", err)
			return
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// opQuery is the legacy OP_QUERY opcode, which the driver still uses for
// the first hello of each connection.
const opQuery wiremessage.OpCode = 2004

// handle answers one wire message.
func (s *replayServer) handle(msg []byte) ([]byte, error) {
	_, reqID, _, op, rem, ok := wiremessage.ReadHeader(msg)
	if !ok {
		return nil, errors.New("bad header")
	}
	switch op {
	case opQuery:
		// flags int32, fullCollectionName cstring, numberToSkip int32,
		// numberToReturn int32, query document.
		if len(rem) < 4 {
			return nil, errors.New("bad OP_QUERY")
		}
		rem = rem[4:]
		end := bytes.IndexByte(rem, 0)
		if end < 0 || len(rem) < end+1+8 {
			return nil, errors.New("bad OP_QUERY")
		}
		coll := string(rem[:end])
		query, _, ok := bsoncore.ReadDocument(rem[end+1+8:])
		if !ok {
			return nil, errors.New("bad OP_QUERY")
		}
		cmd := bson.Raw(query)
		if inner, ok := cmd.Lookup("$query").DocumentOK(); ok {
			cmd = inner
		}
		db, _, _ := strings.Cut(coll, ".")
		reply := s.answer(db, cmd)
		idx, out := wiremessage.AppendHeaderStart(nil, 0, reqID, wiremessage.OpReply)
		out = wiremessage.AppendReplyFlags(out, 0)
		out = wiremessage.AppendReplyCursorID(out, 0)
		out = wiremessage.AppendReplyStartingFrom(out, 0)
		out = wiremessage.AppendReplyNumberReturned(out, 1)
		out = append(out, reply...)
		return bsoncore.UpdateLength(out, idx, int32(len(out[idx:]))), nil
	case wiremessage.OpMsg:
		_, rem, _ = wiremessage.ReadMsgFlags(rem)
		var cmd bson.Raw
		for len(rem) > 0 {
			st, r, ok := wiremessage.ReadMsgSectionType(rem)
			if !ok {
				break
			}
			if st != wiremessage.SingleDocument {
				// Document sequences (bulk writes) are not used by the
				// receiver; stop at the first one.
				break
			}
			doc, r, ok := wiremessage.ReadMsgSectionSingleDocument(r)
			if !ok {
				return nil, errors.New("bad OP_MSG section")
			}
			cmd, rem = bson.Raw(doc), r
		}
		if cmd == nil {
			return nil, errors.New("OP_MSG without a command")
		}
		db, _ := cmd.Lookup("$db").StringValueOK()
		reply := s.answer(db, cmd)
		idx, out := wiremessage.AppendHeaderStart(nil, 0, reqID, wiremessage.OpMsg)
		out = wiremessage.AppendMsgFlags(out, 0)
		out = wiremessage.AppendMsgSectionType(out, wiremessage.SingleDocument)
		out = append(out, reply...)
		return bsoncore.UpdateLength(out, idx, int32(len(out[idx:]))), nil
	}
	return nil, errors.New("unexpected opcode " + op.String())
}

func (s *replayServer) answer(db string, cmd bson.Raw) bson.Raw {
	elems, err := cmd.Elements()
	if err != nil || len(elems) == 0 {
		return commandError(9, "FailedToParse", "empty command")
	}
	name := elems[0].Key()
	s.mu.Lock()
	s.seen = append(s.seen, db+"."+name)
	if s.last == nil {
		s.last = map[string]bson.Raw{}
	}
	s.last[db+"."+name] = slices.Clone(cmd)
	s.mu.Unlock()
	switch name {
	case "endSessions", "killCursors", "ping":
		return mustDoc(bson.D{{Key: "ok", Value: 1.0}})
	}
	if r := s.reply(name, db, cmd); r != nil {
		return r
	}
	return commandError(59, "CommandNotFound", "no such command: '"+name+"'")
}

// commandError is a server error reply.
func commandError(code int32, codeName, msg string) bson.Raw {
	return mustDoc(bson.D{
		{Key: "ok", Value: 0.0}, {Key: "errmsg", Value: msg},
		{Key: "code", Value: code}, {Key: "codeName", Value: codeName},
	})
}

func mustDoc(v any) bson.Raw {
	b, err := bson.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// recorded reads testdata/replies/<name>.json (extended JSON), with
// {{addr}} replaced by the replay server's address.
func recorded(tb testing.TB, name, addr string) bson.Raw {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "replies", name+".json"))
	require.NoError(tb, err)
	text := strings.ReplaceAll(string(b), "{{addr}}", addr)
	var d bson.D
	require.NoError(tb, bson.UnmarshalExtJSON([]byte(text), false, &d), name)
	return mustDoc(d)
}
