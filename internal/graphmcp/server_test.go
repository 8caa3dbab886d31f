package graphmcp

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/coordimap/otelcol-coordimap/internal/graphmcp/mcptest"
	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// fixtureStore is the fixture's graph, opened read-only as coordimap-mcp
// opens it.
func fixtureStore(t *testing.T) *graphstore.Store {
	t.Helper()
	path := filepath.Join(t.TempDir(), "graph.db")
	mcptest.Write(t, path)
	s, err := graphstore.OpenSQLite(context.Background(), path, graphstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newClient() *mcp.Client {
	return mcp.NewClient(&mcp.Implementation{Name: "graphmcp-test", Version: "v0"}, nil)
}

// inMemory connects a client to a server over store in memory.
func inMemory(t *testing.T, store *graphstore.Store, version string) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := NewServer(store, version).Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := newClient().Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		ss.Wait()
	})
	return cs
}

func TestInMemory(t *testing.T) {
	cs := inMemory(t, fixtureStore(t), "v1.2.3")
	if info := cs.InitializeResult().ServerInfo; info.Name != ServerName || info.Version != "v1.2.3" {
		t.Errorf("server info = %+v", info)
	}
	if cs.InitializeResult().Instructions == "" {
		t.Error("no instructions")
	}
	mcptest.Check(t, cs, "sqlite")
}

// bearer is the kind of authentication the extension's HTTP server puts
// in front of the handler.
func bearer(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthenticated", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

type withToken struct {
	token string
	next  http.RoundTripper
}

func (w withToken) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+w.token)
	return w.next.RoundTrip(r)
}

func TestStreamableHTTP(t *testing.T) {
	ctx := context.Background()
	mux := http.NewServeMux()
	mux.Handle("/mcp", bearer("s3cret", Handler(NewServer(fixtureStore(t), "v1.2.3"))))
	hs := httptest.NewServer(mux)
	defer hs.Close()

	// Without the credentials the auth layer refuses the session.
	if cs, err := newClient().Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp", MaxRetries: -1}, nil); err == nil {
		cs.Close()
		t.Fatal("connected without credentials")
	}
	cs, err := newClient().Connect(ctx, &mcp.StreamableClientTransport{Endpoint: hs.URL + "/mcp",
		HTTPClient: &http.Client{Transport: withToken{"s3cret", http.DefaultTransport}, Timeout: time.Minute}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if cs.ID() == "" {
		t.Error("no session ID: the handler should keep sessions")
	}
	mcptest.Check(t, cs, "sqlite")
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"":                          {},
		"90m":                       now.Add(-90 * time.Minute),
		"-2h":                       now.Add(-2 * time.Hour),
		"7d":                        now.Add(-7 * 24 * time.Hour),
		"1.5d":                      now.Add(-36 * time.Hour),
		"2026-12-01T10:00:00Z":      time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		"2026-12-01T12:00:00+02:00": time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		"2026-12-01T10:00:00":       time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC),
		"2026-12-01":                time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	} {
		got, err := parseWhen(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"yesterday", "d", "12", "2026-13-01"} {
		if _, err := parseWhen(in, now); err == nil {
			t.Errorf("parseWhen(%q) succeeded", in)
		}
	}
}

func TestBoundClamp(t *testing.T) {
	b := bound{def: 25, max: 200}
	for in, want := range map[int]int{0: 25, -3: 25, 1: 1, 200: 200, 201: 200, 1 << 30: 200} {
		if got := b.clamp(in); got != want {
			t.Errorf("clamp(%d) = %d, want %d", in, got, want)
		}
	}
}

// An asset's data above maxDataBytes is left out, and said so.
func TestLargeDataLeftOut(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "graph.db")
	w, err := graphstore.OpenSQLite(ctx, path, graphstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	big := `{"blob":"` + strings.Repeat("x", maxDataBytes) + `"}`
	if err := w.Apply(ctx, graphstore.Batch{Nodes: []graphstore.NodeState{
		{ScopeID: "s", ID: "big", Type: "kubernetes.configmap", Name: "big", DataSourceID: "k8s", Data: []byte(big), At: mcptest.T0},
		{ScopeID: "s", ID: "small", Type: "kubernetes.configmap", Name: "small", DataSourceID: "k8s", Data: []byte(`{"a":1}`), At: mcptest.T0},
	}}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	s, err := graphstore.OpenSQLite(ctx, path, graphstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sess := mcptest.Session{T: t, CS: inMemory(t, s, "v")}
	for id, wantCut := range map[string]bool{"big": true, "small": false} {
		var out struct {
			Asset struct {
				Data json.RawMessage `json:"data"`
			} `json:"asset"`
			DataTruncated bool `json:"data_truncated"`
		}
		sess.Call("get_asset", map[string]any{"id": id}, &out)
		if out.DataTruncated != wantCut || (len(out.Asset.Data) == 0) != wantCut {
			t.Errorf("%s: data_truncated %v with %d bytes of data; want truncated %v", id, out.DataTruncated, len(out.Asset.Data), wantCut)
		}
	}
}
