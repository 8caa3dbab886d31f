package coordimapconnector

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

const (
	stateKey     = "state"
	stateVersion = 1
)

// savedState is what the storage extension keeps: services with their
// instances and links, and edges with their totals and latency buckets.
// Calls since the last flush are not kept (they were emitted).
type savedState struct {
	Version  int            `json:"version"`
	Services []savedService `json:"services"`
	Edges    []savedEdge    `json:"edges"`
}

type savedService struct {
	Scope     string               `json:"scope"`
	Namespace string               `json:"namespace,omitempty"`
	Name      string               `json:"name"`
	Version   string               `json:"version,omitempty"`
	Language  string               `json:"language,omitempty"`
	Virtual   bool                 `json:"virtual,omitempty"`
	LastSeen  time.Time            `json:"last_seen"`
	Instances map[string]time.Time `json:"instances,omitempty"`
	Links     []savedLink          `json:"links,omitempty"`
}

type savedLink struct {
	Type string    `json:"type"`
	ID   string    `json:"id"`
	Seen time.Time `json:"seen"`
}

type savedEdge struct {
	Source      string    `json:"source"`
	Destination string    `json:"destination"`
	Name        string    `json:"name,omitempty"`
	Port        int64     `json:"port,omitempty"`
	External    bool      `json:"external,omitempty"`
	Paired      bool      `json:"paired,omitempty"`
	Peer        string    `json:"peer,omitempty"`
	Requests    int64     `json:"requests"`
	Errors      int64     `json:"errors"`
	Latency     [][2]int  `json:"latency,omitempty"` // [bucket, count]
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Touched     time.Time `json:"touched"`
}

// save encodes the services and edges.
func (g *graph) save() ([]byte, error) {
	st := savedState{Version: stateVersion}
	for _, s := range g.services {
		ss := savedService{
			Scope: s.key.scope, Namespace: s.key.namespace, Name: s.key.name,
			Version: s.version, Language: s.language, Virtual: s.virtual, LastSeen: s.lastSeen,
			Instances: s.instances,
		}
		for l, seen := range s.links {
			ss.Links = append(ss.Links, savedLink{Type: l.typ, ID: l.id, Seen: seen})
		}
		st.Services = append(st.Services, ss)
	}
	for k, e := range g.edges {
		se := savedEdge{
			Source: k.src, Destination: k.dst, Name: k.name, Port: e.port, External: e.external, Paired: e.paired, Peer: e.peer,
			Requests: e.requests, Errors: e.errors, FirstSeen: e.firstSeen, LastSeen: e.lastSeen, Touched: e.touched,
		}
		for b, c := range e.latency {
			if c > 0 {
				se.Latency = append(se.Latency, [2]int{b, int(c)})
			}
		}
		st.Edges = append(st.Edges, se)
	}
	return json.Marshal(st)
}

type restored struct{ services, edges int }

// restore loads saved state, skipping what outlived edge_ttl by now.
func (g *graph) restore(st *savedState, now time.Time) restored {
	var n restored
	if st == nil {
		return n
	}
	for _, ss := range st.Services {
		if now.Sub(ss.LastSeen) > g.cfg.EdgeTTL {
			continue
		}
		s := g.newService(serviceKey{ss.Scope, ss.Namespace, ss.Name})
		s.version, s.language, s.virtual, s.lastSeen = ss.Version, ss.Language, ss.Virtual, ss.LastSeen
		for inst, seen := range ss.Instances {
			s.instances[inst] = seen
		}
		for _, l := range ss.Links {
			s.links[infraRef{l.Type, l.ID}] = l.Seen
		}
		n.services++
	}
	for _, se := range st.Edges {
		if g.byID[se.Source] == nil || now.Sub(se.Touched) > g.cfg.EdgeTTL {
			continue
		}
		e := &edge{
			port: se.Port, external: se.External, paired: se.Paired, peer: se.Peer,
			requests: se.Requests, errors: se.Errors, firstSeen: se.FirstSeen, lastSeen: se.LastSeen, touched: se.Touched,
		}
		for _, bc := range se.Latency {
			if bc[0] >= 0 && bc[0] < histBuckets && bc[1] > 0 {
				e.latency[bc[0]] = uint32(bc[1])
			}
		}
		g.edges[edgeKey{se.Source, se.Destination, se.Name}] = e
		n.edges++
	}
	return n
}

// stateStore keeps the state in a storage extension; without one (client
// nil) nothing is kept.
type stateStore struct {
	client storage.Client
}

func (s stateStore) load(ctx context.Context) (*savedState, error) {
	if s.client == nil {
		return nil, nil
	}
	raw, err := s.client.Get(ctx, stateKey)
	if err != nil {
		return nil, fmt.Errorf("load state: %w", err)
	}
	if raw == nil {
		return nil, nil
	}
	var st savedState
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("decode state: %w", err)
	}
	if st.Version != stateVersion {
		return nil, nil
	}
	return &st, nil
}

func (s stateStore) save(ctx context.Context, raw []byte) error {
	if s.client == nil {
		return nil
	}
	return s.client.Set(ctx, stateKey, raw)
}

func (s stateStore) close(ctx context.Context) error {
	if s.client == nil {
		return nil
	}
	return s.client.Close(ctx)
}
