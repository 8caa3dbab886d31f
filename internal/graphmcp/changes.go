package graphmcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/graphstore"
)

// What changed: the change feed and diffs.

// --- changes_since

type changesInput struct {
	Since    string `json:"since,omitempty" jsonschema:"changes at or after this time: an RFC 3339 time or a duration ago (90m, 24h, 7d); default 24h"`
	AfterSeq int64  `json:"after_seq,omitempty" jsonschema:"changes with a sequence number above this one (next_seq of a previous call); overrides since"`
	Limit    int    `json:"limit,omitempty" jsonschema:"changes returned"`
}

type changesOutput struct {
	Changes   []graphstore.Change `json:"changes" jsonschema:"oldest first"`
	NextSeq   int64               `json:"next_seq" jsonschema:"pass as after_seq to read on"`
	LastSeq   int64               `json:"last_seq" jsonschema:"the newest change in the store"`
	Truncated bool                `json:"truncated" jsonschema:"more changes follow: call again with after_seq = next_seq"`
}

func (t *tools) changesSince(ctx context.Context, in changesInput) (changesOutput, error) {
	limit := changesBound.clamp(in.Limit)
	var changes []graphstore.Change
	var err error
	if in.AfterSeq > 0 {
		changes, err = t.store.ChangesSince(ctx, in.AfterSeq, limit+1)
	} else {
		since := in.Since
		if strings.TrimSpace(since) == "" {
			since = "24h"
		}
		var at time.Time
		if at, err = parseWhen(since, t.now()); err != nil {
			return changesOutput{}, fmt.Errorf("since: %w", err)
		}
		changes, err = t.store.ChangesSinceTime(ctx, at, limit+1)
	}
	if err != nil {
		return changesOutput{}, err
	}
	last, err := t.store.LastSeq(ctx)
	if err != nil {
		return changesOutput{}, err
	}
	out := changesOutput{LastSeq: last, NextSeq: in.AfterSeq}
	if len(changes) > limit {
		changes, out.Truncated = changes[:limit], true
	}
	if len(changes) > 0 {
		out.NextSeq = changes[len(changes)-1].Seq
	} else if in.AfterSeq <= 0 {
		out.NextSeq = last
	}
	out.Changes = changes
	return out, nil
}

// --- diff_graph

type diffInput struct {
	From  string `json:"from" jsonschema:"the earlier time: an RFC 3339 time or a duration ago (24h)"`
	To    string `json:"to,omitempty" jsonschema:"the later time (default now)"`
	Kind  string `json:"kind,omitempty" jsonschema:"only node (assets) or edge (relationships) changes; empty both"`
	Limit int    `json:"limit,omitempty" jsonschema:"entries returned per list (created, updated, deleted)"`
}

type diffOutput struct {
	From      time.Time           `json:"from"`
	To        time.Time           `json:"to"`
	Created   []graphstore.Change `json:"created"`
	Updated   []graphstore.Change `json:"updated" jsonschema:"fields lists the top-level fields that changed"`
	Deleted   []graphstore.Change `json:"deleted"`
	Counts    diffCounts          `json:"counts" jsonschema:"entries per list before the limit"`
	Truncated bool                `json:"truncated"`
}

type diffCounts struct {
	Created int `json:"created"`
	Updated int `json:"updated"`
	Deleted int `json:"deleted"`
}

func (t *tools) diffGraph(ctx context.Context, in diffInput) (diffOutput, error) {
	now := t.now()
	from, err := parseWhen(in.From, now)
	if err != nil {
		return diffOutput{}, fmt.Errorf("from: %w", err)
	}
	if from.IsZero() {
		return diffOutput{}, fmt.Errorf("from is empty: give %s", whenHelp)
	}
	to, err := parseWhen(in.To, now)
	if err != nil {
		return diffOutput{}, fmt.Errorf("to: %w", err)
	}
	if to.IsZero() {
		to = now
	}
	if !to.After(from) {
		return diffOutput{}, fmt.Errorf("to (%s) is not after from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	d, err := t.store.Diff(ctx, from, to, diffScan)
	if err != nil {
		return diffOutput{}, err
	}
	limit := diffBound.clamp(in.Limit)
	out := diffOutput{From: d.From, To: d.To}
	for _, l := range []struct {
		in    []graphstore.Change
		out   *[]graphstore.Change
		count *int
	}{{d.Created, &out.Created, &out.Counts.Created}, {d.Updated, &out.Updated, &out.Counts.Updated}, {d.Deleted, &out.Deleted, &out.Counts.Deleted}} {
		kept := []graphstore.Change{}
		for _, c := range l.in {
			if in.Kind == "" || c.Kind == in.Kind {
				kept = append(kept, c)
			}
		}
		*l.count = len(kept)
		if len(kept) > limit {
			kept, out.Truncated = kept[:limit], true
		}
		*l.out = kept
	}
	return out, nil
}
