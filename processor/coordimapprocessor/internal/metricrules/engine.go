package metricrules

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/coordimap/otelcol-coordimap/internal/entity"
)

// Engine evaluates rules and remembers, per rule, since when each target
// has matched (for `for`) and which targets fired (for `resolved`).
type Engine struct {
	evaluators map[string]Evaluator
	// Timeout bounds one rule's evaluation.
	Timeout time.Duration
	// Parallel is how many rules are evaluated at once.
	Parallel int

	mu    sync.Mutex
	state map[string]*ruleState
}

type ruleState struct {
	since  map[string]time.Time // first match of each matching target
	firing map[string]TargetHit // targets included in the last trigger
}

// NewEngine evaluates with the given evaluators by provider (a missing
// provider makes its rules fail).
func NewEngine(evaluators map[string]Evaluator) *Engine {
	return &Engine{evaluators: evaluators, Timeout: 10 * time.Second, Parallel: 4, state: map[string]*ruleState{}}
}

// Output is one trigger to send.
type Output struct {
	Rule   *Resolved
	Entity entity.Entity
}

// RuleError is a rule that could not be evaluated.
type RuleError struct {
	Rule *Resolved
	Err  error
}

func (e *RuleError) Error() string { return fmt.Sprintf("metric rule %q: %v", e.Rule.ID, e.Err) }
func (e *RuleError) Unwrap() error { return e.Err }

// ContextFunc gives what a rule's resolvers need and the data source it
// triggers for; false when that data source has not been seen yet.
type ContextFunc func(dataSourceID string) (*Context, DataSource, bool)

// Cycle evaluates rules at at and returns the triggers, in rule order, and
// the rules that failed. One failing rule does not stop the others. Rules
// whose data source is not known yet are skipped (returned in waiting).
func (e *Engine) Cycle(ctx context.Context, rules []*Resolved, at time.Time, lookup ContextFunc) (out []Output, failed []*RuleError, waiting []*Resolved) {
	type result struct {
		outs []Output
		err  error
		wait bool
	}
	results := make([]result, len(rules))
	sem := make(chan struct{}, max(1, e.Parallel))
	var wg sync.WaitGroup
	for i, r := range rules {
		rc, ds, ok := lookup(r.DataSource)
		if !ok {
			results[i].wait = true
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			outs, err := e.evaluate(ctx, r, at, rc, ds)
			results[i] = result{outs: outs, err: err}
		}()
	}
	wg.Wait()
	for i, res := range results {
		switch {
		case res.wait:
			waiting = append(waiting, rules[i])
		case res.err != nil:
			failed = append(failed, &RuleError{Rule: rules[i], Err: res.err})
		default:
			out = append(out, res.outs...)
		}
	}
	return out, failed, waiting
}

func (e *Engine) evaluate(ctx context.Context, r *Resolved, at time.Time, rc *Context, ds DataSource) ([]Output, error) {
	ev, ok := e.evaluators[r.Provider]
	if !ok {
		return nil, &ProviderError{Provider: r.Provider, Err: errors.New("provider not configured")}
	}
	if e.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, e.Timeout)
		defer cancel()
	}
	samples, err := ev.Evaluate(ctx, r, at)
	if err != nil {
		return nil, err
	}
	return e.Apply(r, at, rc, ds, samples), nil
}

// Apply turns one rule's samples into its triggers: the targets that have
// matched for the rule's `for`, and with `resolved` the targets that fired
// last time and no longer match.
func (e *Engine) Apply(r *Resolved, at time.Time, rc *Context, ds DataSource, samples []Sample) []Output {
	hits := Match(r, rc, samples)
	if r.For == 0 && !r.Resolved {
		if len(hits) == 0 {
			return nil
		}
		return []Output{{Rule: r, Entity: Entity(TriggerTypeMetricRule, ds, r, at, hits)}}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st := e.state[r.ID]
	if st == nil {
		st = &ruleState{since: map[string]time.Time{}, firing: map[string]TargetHit{}}
		e.state[r.ID] = st
	}
	matching := make(map[string]struct{}, len(hits))
	firing := hits[:0:0]
	for _, h := range hits {
		matching[h.InternalID] = struct{}{}
		first, seen := st.since[h.InternalID]
		if !seen {
			first = at
			st.since[h.InternalID] = at
		}
		if at.Sub(first) >= r.For {
			firing = append(firing, h)
		}
	}
	for id := range st.since {
		if _, ok := matching[id]; !ok {
			delete(st.since, id)
		}
	}
	var out []Output
	if len(firing) > 0 {
		out = append(out, Output{Rule: r, Entity: Entity(TriggerTypeMetricRule, ds, r, at, firing)})
	}
	if r.Resolved {
		var gone []TargetHit
		for _, id := range sortedKeys(st.firing) {
			if _, ok := matching[id]; !ok {
				gone = append(gone, st.firing[id])
			}
		}
		if len(gone) > 0 {
			resolvedRule := *r
			resolvedRule.ID = r.ID + ":resolved"
			ent := Entity(TriggerTypeResolved, ds, &resolvedRule, at, gone)
			// The payload names the rule itself.
			for i := range ent.OrderedBody {
				if ent.OrderedBody[i].Key == "rule_id" {
					ent.OrderedBody[i].Value = r.ID
				}
			}
			out = append(out, Output{Rule: r, Entity: ent})
		}
	}
	st.firing = make(map[string]TargetHit, len(firing))
	for _, h := range firing {
		st.firing[h.InternalID] = h
	}
	return out
}
