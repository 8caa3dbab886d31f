package legacyconfig

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Severity says what a finding means for the result.
type Severity int

const (
	// Note: converted; the collector behaves differently on purpose, or
	// the legacy setting had no effect in the agent. The result stays
	// complete.
	Note Severity = iota
	// Invalid: the value was invalid in the agent, or the agent read it
	// otherwise than it reads; the converted value is said. The result is
	// incomplete: review it.
	Invalid
	// NotMapped: the setting (or the whole data source) has no equivalent
	// yet; it is kept in a comment. The result is incomplete.
	NotMapped
)

func (s Severity) String() string {
	switch s {
	case Invalid:
		return "invalid"
	case NotMapped:
		return "not mapped"
	}
	return "note"
}

// Finding is one thing the conversion reports.
type Finding struct {
	Severity Severity
	// Line in the legacy file; 0 when the finding is about something
	// missing from the file as a whole.
	Line int
	// Source is the data source; nil for the coordimap section.
	Source *DataSource
	// Setting is the legacy setting name; "" for the data source itself.
	Setting string
	Msg     string
}

// Format is the finding as one line: file:line: severity: where: message.
func (f Finding) Format(file string) string {
	var b strings.Builder
	b.WriteString(file)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
	}
	fmt.Fprintf(&b, ": %s: ", f.Severity)
	if f.Source != nil {
		b.WriteString(f.Source.Label())
		b.WriteString(": ")
	}
	if f.Setting != "" {
		b.WriteString(f.Setting)
		b.WriteString(": ")
	}
	b.WriteString(f.Msg)
	return b.String()
}

// EnvVar is an environment variable the converted configuration reads.
type EnvVar struct {
	Name string
	// For says which legacy setting it replaces.
	For  string
	Line int
	// Existing is true for a ${VAR} the legacy file already referenced,
	// false for one that replaces a secret written in clear.
	Existing bool
}

// Result is a converted configuration and what the conversion found.
type Result struct {
	// Config is the otelcol-coordimap configuration (YAML).
	Config   []byte
	Findings []Finding
	EnvVars  []EnvVar
	// Converted and Skipped count the data sources that became receivers
	// and those kept in a comment only.
	Converted, Skipped int
}

// Complete reports whether every legacy setting was converted with the
// meaning the agent gave it.
func (r *Result) Complete() bool {
	return !slices.ContainsFunc(r.Findings, func(f Finding) bool { return f.Severity > Note })
}

type report struct {
	findings []Finding
}

func (r *report) add(sev Severity, ds *DataSource, line int, setting, format string, args ...any) {
	r.findings = append(r.findings, Finding{Severity: sev, Line: line, Source: ds, Setting: setting, Msg: fmt.Sprintf(format, args...)})
}

func (r *report) sorted() []Finding {
	out := slices.Clone(r.findings)
	slices.SortStableFunc(out, func(a, b Finding) int { return a.Line - b.Line })
	return out
}

// WriteReport writes the findings, the variables to set and a summary;
// name is the legacy file, dest where the result went.
func (r *Result) WriteReport(w io.Writer, name, dest string) {
	for _, f := range r.Findings {
		fmt.Fprintln(w, f.Format(name))
	}
	if len(r.EnvVars) > 0 {
		fmt.Fprintln(w, "Set these environment variables for otelcol-coordimap:")
		for _, e := range r.EnvVars {
			fmt.Fprintf(w, "  %-40s %s\n", e.Name, e.For)
		}
	}
	status := "complete"
	if !r.Complete() {
		status = "incomplete: review the findings marked invalid and not mapped"
	}
	fmt.Fprintf(w, "coordimap-migrate: %s: %d data sources converted, %d not converted, written to %s; %s\n",
		name, r.Converted, r.Skipped, dest, status)
}
