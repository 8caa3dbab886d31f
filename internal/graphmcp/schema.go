package graphmcp

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
)

// typeSchemas override inference: raw JSON (an asset's data) is any value.
var typeSchemas = map[reflect.Type]*jsonschema.Schema{
	reflect.TypeFor[json.RawMessage](): {},
}

// schemaFor infers T's JSON schema. T is one of this package's static
// types, so failing is a programming error that every test shows.
func schemaFor[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](&jsonschema.ForOptions{TypeSchemas: typeSchemas})
	if err != nil {
		panic(fmt.Sprintf("graphmcp: schema of %T: %v", *new(T), err))
	}
	return s
}

// bound is an integer input's default and cap: larger values are capped,
// not refused.
type bound struct{ def, max int }

func (b bound) clamp(n int) int {
	if n <= 0 {
		return b.def
	}
	return min(n, b.max)
}

// inputEdit refines an inferred input schema.
type inputEdit func(*jsonschema.Schema)

// withBound documents a bounded integer property.
func withBound(name string, b bound) inputEdit {
	return func(s *jsonschema.Schema) {
		p := prop(s, name)
		p.Minimum = jsonschema.Ptr(1.0)
		p.Default = json.RawMessage(fmt.Sprint(b.def))
		p.Description = strings.TrimSuffix(p.Description, ".") + fmt.Sprintf(" (default %d, at most %d; more is capped).", b.def, b.max)
	}
}

// withEnum restricts a string property.
func withEnum(name, def string, values ...string) inputEdit {
	return func(s *jsonschema.Schema) {
		p := prop(s, name)
		for _, v := range values {
			p.Enum = append(p.Enum, v)
		}
		if def != "" {
			p.Default = json.RawMessage(fmt.Sprintf("%q", def))
		}
	}
}

// withDefault sets a property's default (JSON).
func withDefault(name, def string) inputEdit {
	return func(s *jsonschema.Schema) { prop(s, name).Default = json.RawMessage(def) }
}

func prop(s *jsonschema.Schema, name string) *jsonschema.Schema {
	p, ok := s.Properties[name]
	if !ok {
		panic("graphmcp: no input property " + name)
	}
	return p
}

// whenHelp describes a time input.
const whenHelp = "an RFC 3339 time (2026-12-07T10:00:00Z) or a duration ago (90m, 24h, 7d)"

// parseWhen reads a time input: RFC 3339 (or a date, or a time without a
// zone, taken as UTC) or a duration before now ("90m", "24h", "7d").
// Empty is the zero time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil {
		return now.Add(-d).UTC(), nil
	}
	if days, ok := strings.CutSuffix(strings.TrimPrefix(s, "-"), "d"); ok {
		if n, err := strconv.ParseFloat(days, 64); err == nil && n >= 0 {
			return now.Add(-time.Duration(n * float64(24*time.Hour))).UTC(), nil
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not %s", s, whenHelp)
}
