package mapping

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"   \t\n", nil},
		{"a@b", []string{"a@b"}},
		{
			"node-1@aws_ds us-central1-a-node-2@gcp_ds *my-project-id.iam.gserviceaccount.com@123456789012",
			[]string{"node-1@aws_ds", "us-central1-a-node-2@gcp_ds", "*my-project-id.iam.gserviceaccount.com@123456789012"},
		},
		{"  a@b \t c@d\n", []string{"a@b", "c@d"}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Split(tt.in), "Split(%q)", tt.in)
	}
}

func TestEntriesUnmarshalText(t *testing.T) {
	var e Entries
	require.NoError(t, e.UnmarshalText([]byte("a@b  c@d@e")))
	assert.Equal(t, Entries{"a@b", "c@d@e"}, e)
}

func TestLookup(t *testing.T) {
	table, err := Parse([]string{
		"node-1@aws_ds",
		"us-central1-a-node-2@gcp_ds",
		"*my-project-id.iam.gserviceaccount.com@123456789012",
		"10.0.0.5:5432@7710/app-sales@orders", // value keeps its '@'
		"web-*@i-web",
		"web-api-*@i-web-api",
		"*-db@i-db",
		"gke-*-pool-*@cluster-uid",
		"10.1.*@10.1/16",
		"10.1.2.*@10.1.2/24",
		" spaced@trimmed ",
		"*@catch-all",
	})
	require.NoError(t, err)
	assert.Equal(t, 12, table.Len())

	tests := []struct {
		key  string
		want string
	}{
		{"node-1", "aws_ds"},
		{"us-central1-a-node-2", "gcp_ds"},
		{"sa@my-project-id.iam.gserviceaccount.com", "123456789012"},
		{"10.0.0.5:5432", "7710/app-sales@orders"},
		{"web-1", "i-web"},
		{"web-", "i-web"}, // '*' matches the empty run
		{"web-api-1", "i-web-api"},
		{"web-api-db", "i-web-api"}, // 8 literal characters beat "*-db" (3)
		{"orders-db", "i-db"},
		{"gke-prod-pool-7", "cluster-uid"},
		{"gke--pool-", "cluster-uid"},
		{"10.1.2.3", "10.1.2/24"},
		{"10.1.3.4", "10.1/16"},
		{"spaced", "trimmed"},
		{"node-1x", "catch-all"}, // exact keys are not prefixes
		{"xnode-1", "catch-all"},
		{"", "catch-all"},
	}
	for _, tt := range tests {
		got, ok := table.Lookup(tt.key)
		assert.True(t, ok, "Lookup(%q)", tt.key)
		assert.Equal(t, tt.want, got, "Lookup(%q)", tt.key)
	}
}

func TestLookupAnchored(t *testing.T) {
	table, err := Parse([]string{"gke-*@a", "*.internal@b", "a*b*c@c"})
	require.NoError(t, err)
	for _, key := range []string{"x-gke-1", "host.internal.x", "abcx", "xabc", "acb", "ab"} {
		_, ok := table.Lookup(key)
		assert.False(t, ok, "Lookup(%q)", key)
	}
	for key, want := range map[string]string{"gke-1": "a", ".internal": "b", "abc": "c", "a-b-b-c": "c", "abbcc": "c"} {
		got, ok := table.Lookup(key)
		assert.True(t, ok, "Lookup(%q)", key)
		assert.Equal(t, want, got, "Lookup(%q)", key)
	}
}

func TestLookupEmpty(t *testing.T) {
	var nilTable *Table
	_, ok := nilTable.Lookup("x")
	assert.False(t, ok)
	assert.Equal(t, 0, nilTable.Len())

	table, err := Parse(nil)
	require.NoError(t, err)
	_, ok = table.Lookup("x")
	assert.False(t, ok)
	assert.Equal(t, 0, table.Len())
}

func TestLookupExactBeatsGlob(t *testing.T) {
	// The glob comes first and is longer than the exact key: the exact key
	// still wins.
	table, err := Parse([]string{"abc*@glob", "abc@exact"})
	require.NoError(t, err)
	got, _ := table.Lookup("abc")
	assert.Equal(t, "exact", got)
	got, _ = table.Lookup("abcd")
	assert.Equal(t, "glob", got)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		want    []string
		is      []error
	}{
		{
			name:    "empty entry",
			entries: []string{"a@b", "  "},
			want:    []string{`external_mappings[1] "  ": empty entry`},
			is:      []error{ErrEmptyEntry},
		},
		{
			name:    "missing at",
			entries: []string{"a@b", "b@c", "foo"},
			want:    []string{`external_mappings[2] "foo": missing '@'`},
			is:      []error{ErrMissingAt},
		},
		{
			name:    "empty key",
			entries: []string{"@value"},
			want:    []string{`external_mappings[0] "@value": empty key`},
			is:      []error{ErrEmptyKey},
		},
		{
			name:    "empty value",
			entries: []string{"key@"},
			want:    []string{`external_mappings[0] "key@": empty value`},
			is:      []error{ErrEmptyValue},
		},
		{
			name:    "duplicate exact key",
			entries: []string{"k@v1", "x@y", "k@v2"},
			want:    []string{`external_mappings[2] "k@v2": duplicate key "k", first at external_mappings[0]`},
			is:      []error{ErrDuplicateKey},
		},
		{
			name:    "duplicate exact key with the same value",
			entries: []string{"k@v", "k@v"},
			want:    []string{`external_mappings[1] "k@v": duplicate key "k", first at external_mappings[0]`},
			is:      []error{ErrDuplicateKey},
		},
		{
			name:    "duplicate glob",
			entries: []string{"gke-*@a", "gke-*@b"},
			want:    []string{`external_mappings[1] "gke-*@b": ambiguous glob: "gke-*" and "gke-*" (external_mappings[0]) both match "gke-" with literal length 4`},
			is:      []error{ErrAmbiguous},
		},
		{
			name:    "same glob after collapsing stars",
			entries: []string{"a**b@x", "a*b@y"},
			want:    []string{`external_mappings[1] "a*b@y": ambiguous glob: "a*b" and "a*b" (external_mappings[0]) both match "ab" with literal length 2`},
			is:      []error{ErrAmbiguous},
		},
		{
			name:    "overlapping globs of equal literal length",
			entries: []string{"a*@x", "*b@y"},
			want:    []string{`external_mappings[1] "*b@y": ambiguous glob: "*b" and "a*" (external_mappings[0]) both match "ab" with literal length 1`},
			is:      []error{ErrAmbiguous},
		},
		{
			name:    "two catch-alls",
			entries: []string{"*@x", "**@y"},
			want:    []string{`external_mappings[1] "**@y": ambiguous glob: "*" and "*" (external_mappings[0]) both match "" with literal length 0`},
			is:      []error{ErrAmbiguous},
		},
		{
			name:    "infix globs",
			entries: []string{"*-prod-*@x", "gke-*@y", "*-db@z", "*od-*@w", "*pro*@v"},
			want: []string{
				`external_mappings[3] "*od-*@w": ambiguous glob: "*od-*" and "*-db" (external_mappings[2]) both match "od-db" with literal length 3`,
				`external_mappings[4] "*pro*@v": ambiguous glob: "*pro*" and "*-db" (external_mappings[2]) both match "pro-db" with literal length 3`,
			},
			is: []error{ErrAmbiguous},
		},
		{
			name:    "every bad entry is reported, in order",
			entries: []string{"ok@1", "foo", "@x", "y@", "ok@2", "", "a*@1", "*a@2"},
			want: []string{
				`external_mappings[1] "foo": missing '@'`,
				`external_mappings[2] "@x": empty key`,
				`external_mappings[3] "y@": empty value`,
				`external_mappings[4] "ok@2": duplicate key "ok", first at external_mappings[0]`,
				`external_mappings[5] "": empty entry`,
				`external_mappings[7] "*a@2": ambiguous glob: "*a" and "a*" (external_mappings[6]) both match "a" with literal length 1`,
			},
			is: []error{ErrMissingAt, ErrEmptyKey, ErrEmptyValue, ErrDuplicateKey, ErrEmptyEntry, ErrAmbiguous},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := Parse(tt.entries)
			require.Error(t, err)
			assert.Nil(t, table)
			assert.Equal(t, strings.Join(tt.want, "\n"), err.Error())
			for _, want := range tt.is {
				assert.ErrorIs(t, err, want)
			}
		})
	}
}

func TestParseAcceptsDisjointGlobs(t *testing.T) {
	// Equal literal lengths, but no key matches two of them. (A prefix-only
	// and a suffix-only glob of equal length always tie: "ab*" and "*xy"
	// both match "abxy".)
	table, err := Parse([]string{
		"gke-a-*@1", "gke-b-*@2", // prefixes disagree
		"*-dba@3", "*-dbb@4", // suffixes disagree
		"a*b*c@5", "x*y*z@6",
		"ab*@7", "ac*@8",
	})
	require.NoError(t, err)
	assert.Equal(t, 8, table.Len())

	// "ab*", "*cd" and "a*d" have literal length 2 and all match "abcd".
	_, err = Parse([]string{"ab*@1", "*cd@2", "a*d@3"})
	require.ErrorIs(t, err, ErrAmbiguous)
	assert.Equal(t, `external_mappings[1] "*cd@2": ambiguous glob: "*cd" and "ab*" (external_mappings[0]) both match "abcd" with literal length 2`+"\n"+
		`external_mappings[2] "a*d@3": ambiguous glob: "a*d" and "ab*" (external_mappings[0]) both match "abd" with literal length 2`, err.Error())
}

func TestCommonKey(t *testing.T) {
	tests := []struct {
		p, q string
		ok   bool
	}{
		{"a*", "*b", true},
		{"a*", "b*", false},
		{"*a", "*b", false},
		{"a*b", "a*c", false},
		{"*x*", "*y*", true},
		{"a*b*c", "*bc", true},
		{"ab*", "*ba", true},
		{"abc*", "*cba", true},
		{"a*a", "aa*", true},
		{"*", "abc", true},
		{"a*b", "ab", true},
		{"a*b", "ac", false},
		{"x*-y-*z", "x-*-z", true},
		{"a*b", "b*a", false},
	}
	for _, tt := range tests {
		key, ok := commonKey(tt.p, tt.q)
		assert.Equal(t, tt.ok, ok, "commonKey(%q, %q)", tt.p, tt.q)
		if ok {
			assert.True(t, refMatch(tt.p, key), "%q does not match witness %q", tt.p, key)
			assert.True(t, refMatch(tt.q, key), "%q does not match witness %q", tt.q, key)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"a*", "a", true},
		{"a*", "ba", false},
		{"*a", "ba", true},
		{"a*a", "a", false}, // prefix and suffix cannot share the one 'a'
		{"a*a", "aa", true},
		{"a*b*a", "aba", true},
		{"a*b*a", "aab", false},
		{"*ab*ab*", "abab", true},
		{"*ab*ab*", "aab", false},
		{"*aab*", "aaab", true},
		{"x*y*z", "xyyzz", true},
		{"ü*ß", "üxß", true},
	}
	for _, tt := range tests {
		g := compileGlob(tt.pattern)
		assert.Equal(t, tt.want, g.match(tt.s), "%q matching %q", tt.pattern, tt.s)
		assert.Equal(t, tt.want, refMatch(tt.pattern, tt.s), "reference: %q matching %q", tt.pattern, tt.s)
	}
}

// refMatch is the textbook dynamic-programming glob matcher, written
// independently of glob.match to check it.
func refMatch(pattern, s string) bool {
	// ok[j]: pattern[:i] matches s[:j].
	ok := make([]bool, len(s)+1)
	ok[0] = true
	for i := 0; i < len(pattern); i++ {
		next := make([]bool, len(s)+1)
		if pattern[i] == '*' {
			seen := false
			for j := 0; j <= len(s); j++ {
				seen = seen || ok[j]
				next[j] = seen
			}
		} else {
			for j := 1; j <= len(s); j++ {
				next[j] = ok[j-1] && s[j-1] == pattern[i]
			}
		}
		ok = next
	}
	return ok[len(s)]
}

// refLookup applies DESIGN.md's rules naively. tie reports two best globs
// with the same literal length, which Parse must have rejected.
func refLookup(entries []string, key string) (value string, found, tie bool) {
	best := -1
	for _, e := range entries {
		k, v, _ := strings.Cut(e, "@")
		if !strings.Contains(k, "*") {
			if k == key {
				return v, true, false
			}
			continue
		}
		if !refMatch(k, key) {
			continue
		}
		lit := len([]rune(strings.ReplaceAll(k, "*", "")))
		switch {
		case lit > best:
			best, value, tie = lit, v, false
		case lit == best:
			tie = true
		}
	}
	return value, best >= 0, tie
}

func FuzzLookup(f *testing.F) {
	f.Add("node-1@a gke-*@b *-db@c *@d", "gke-x-db")
	f.Add("a*@x *b@y", "ab")
	f.Add("a*b*c@1 *bc@2 ab*@3", "abbc")
	f.Add("10.0.*@net 10.0.0.5:80@7710/app-@", "10.0.0.5:80")
	f.Add("*a*a*@1 aa@2", "aaa")
	f.Fuzz(func(t *testing.T, blob, key string) {
		entries := Split(blob)
		table, err := Parse(entries)
		if err != nil {
			return
		}
		got, ok := table.Lookup(key)
		want, wantOK, tie := refLookup(entries, key)
		if tie {
			t.Fatalf("Parse(%q) accepted globs that tie on %q", entries, key)
		}
		if ok != wantOK || got != want {
			t.Fatalf("Lookup(%q) over %q = %q, %v; reference %q, %v", key, entries, got, ok, want, wantOK)
		}
	})
}

func FuzzCommonKey(f *testing.F) {
	f.Add("a*", "*b", "ab")
	f.Add("*x*", "*y*", "xy")
	f.Add("a*b*a", "*ba", "aba")
	f.Fuzz(func(t *testing.T, p, q, s string) {
		p, q = "*"+collapseStars(p), collapseStars(q) // at least one glob
		key, ok := commonKey(p, q)
		if ok && (!refMatch(p, key) || !refMatch(q, key)) {
			t.Fatalf("commonKey(%q, %q) = %q, which does not match both", p, q, key)
		}
		if !ok && refMatch(p, s) && refMatch(q, s) {
			t.Fatalf("commonKey(%q, %q) found nothing, but %q matches both", p, q, s)
		}
	})
}

// benchEntries builds 1,000 globs in the shapes external_mappings holds:
// node-name and cluster prefixes, service-account suffixes, subnets, and a
// few infix patterns.
func benchEntries() []string {
	var entries []string
	for i := range 300 {
		entries = append(entries, fmt.Sprintf("gke-prod-c%03d-pool-*@cluster-uid-%03d", i, i))
	}
	for i := range 300 {
		entries = append(entries, fmt.Sprintf("*proj-%04d.iam.gserviceaccount.com@%012d", i, 100000000000+i))
	}
	for i := range 300 {
		entries = append(entries, fmt.Sprintf("10.%d.%d.*@vpc-%d", 16+i/200, i%200, i))
	}
	for i := range 100 {
		entries = append(entries, fmt.Sprintf("db-%03d.*.rds.amazonaws.com@123456789012@db-%d", i, i))
	}
	return entries
}

func BenchmarkLookup1000Globs(b *testing.B) {
	table, err := Parse(benchEntries())
	require.NoError(b, err)
	require.Equal(b, 1000, table.Len())
	keys := []string{
		"gke-prod-c150-pool-2-abcd",                // prefix glob, middle of its group
		"app-sa@proj-0299.iam.gserviceaccount.com", // suffix glob
		"10.17.99.4", // subnet
		"db-042.c9akciq32.eu-west-1.rds.amazonaws.com", // infix
		"ip-172-31-0-9.eu-west-1.compute.internal",     // miss: scans every glob
		"gke-staging-c001-pool-1-zzzz",                 // miss
	}
	for _, k := range keys[:4] {
		_, ok := table.Lookup(k)
		require.True(b, ok, k)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		table.Lookup(keys[i%len(keys)])
		i++
	}
}

func BenchmarkParse1000Globs(b *testing.B) {
	entries := benchEntries()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(entries); err != nil {
			b.Fatal(err)
		}
	}
}
