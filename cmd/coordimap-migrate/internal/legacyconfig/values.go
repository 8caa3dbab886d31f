package legacyconfig

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// wholeRef matches a value that is one ${VAR} reference: the only form
// the agent expanded (utils.LoadValueFromEnvConfig), and only for some
// settings.
var wholeRef = regexp.MustCompile(`^\$\{([^{}]*)\}$`)

// envName is what the collector's env provider accepts as a name.
var envName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// refName is the variable a whole-value ${VAR} names, "" otherwise.
func refName(v string) (string, bool) {
	m := wholeRef.FindStringSubmatch(v)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// agentInterval is what the agent made of a crawl_interval: its last
// character is the unit, s or m, the rest an integer. Another unit gave
// fallback (the crawler's default; 0 where the crawler then did not
// crawl at all); text that is no integer stopped the crawler (failed).
func agentInterval(v string, fallback time.Duration) (d time.Duration, failed bool) {
	if v == "" {
		return 0, true // the agent indexed past the end and panicked
	}
	amount, err := strconv.ParseInt(v[:len(v)-1], 10, 32)
	if err != nil {
		return 0, true
	}
	switch v[len(v)-1] {
	case 's':
		d = time.Duration(amount) * time.Second
	case 'm':
		d = time.Duration(amount) * time.Minute
	default:
		return fallback, fallback <= 0
	}
	if d <= 0 {
		return 0, true // time.NewTicker panics
	}
	return d, false
}

// intendedInterval reads a crawl_interval as a Go duration, a bare number
// as seconds.
func intendedInterval(v string) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		d := time.Duration(n) * time.Second
		return d, n > 0
	}
	d, err := time.ParseDuration(v)
	return d, err == nil && d > 0
}

// formatDuration writes d the short way (90s, 5m, 1h, 1h30m0s as 90m).
func formatDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d%time.Second == 0:
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// envVarName builds a variable name from parts: upper case, runs of other
// characters than letters and digits as one '_'.
func envVarName(parts ...string) string {
	var b strings.Builder
	under := false
	for _, p := range parts {
		for _, r := range strings.ToUpper(p) {
			if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
				b.WriteRune(r)
				under = false
				continue
			}
			if !under && b.Len() > 0 {
				b.WriteByte('_')
				under = true
			}
		}
		if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimRight(b.String(), "_")
}

// componentName makes s a valid collector component name: no spaces,
// control characters or symbols (Unicode Z, C and S classes), no "::"
// (the confmap key separator).
func componentName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if isNameRune(r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return strings.ReplaceAll(b.String(), "::", "__")
}

func isNameRune(r rune) bool {
	return !unicode.In(r, unicode.Z, unicode.C, unicode.S)
}
