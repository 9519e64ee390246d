package query

import (
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// parseOne parses a query that must give one Basic query.
func parseOne(t *testing.T, q string) Basic {
	t.Helper()
	p, err := ParseWith(q, Options{Now: testNow})
	if err != nil {
		t.Fatalf("Parse(%q): %v", q, err)
	}
	if len(p) != 1 {
		t.Fatalf("Parse(%q) gave %d basic queries, want 1", q, len(p))
	}
	return p[0]
}

func sources(res []*regexp.Regexp) []string {
	var out []string
	for _, re := range res {
		out = append(out, re.String())
	}
	return out
}

func TestRepos(t *testing.T) {
	reOpt := cmp.Comparer(func(a, b *regexp.Regexp) bool { return a.String() == b.String() })
	tests := []struct {
		query   string
		include []RepoFilter
		exclude []string
	}{
		{query: `x`},
		{
			query:   `repo:foo@main:release-1.2 -repo:archive repo:bar`,
			include: []RepoFilter{{Pattern: "foo", Regexp: regexp.MustCompile("(?i)foo"), Revs: []RevSpec{{Rev: "main"}, {Rev: "release-1.2"}}}, {Pattern: "bar", Regexp: regexp.MustCompile("(?i)bar")}},
			exclude: []string{"(?i)archive"},
		},
		{
			query: `repo:foo repo:bar rev:v1:*refs/heads/*:*!refs/heads/old*:^old`,
			include: []RepoFilter{
				{Pattern: "foo", Regexp: regexp.MustCompile("(?i)foo"), Revs: []RevSpec{{Rev: "v1"}, {RefGlob: "refs/heads/*"}, {RefGlob: "refs/heads/old*", Exclude: true}, {Rev: "old", Exclude: true}}},
				{Pattern: "bar", Regexp: regexp.MustCompile("(?i)bar"), Revs: []RevSpec{{Rev: "v1"}, {RefGlob: "refs/heads/*"}, {RefGlob: "refs/heads/old*", Exclude: true}, {Rev: "old", Exclude: true}}},
			},
		},
		{
			query:   `repo:^github\.com/acme/api$@HEAD@{1}:v1.2.3~2 case:yes`,
			include: []RepoFilter{{Pattern: `^github\.com/acme/api$`, Regexp: regexp.MustCompile(`(?i)^github\.com/acme/api$`), Revs: []RevSpec{{Rev: "HEAD@{1}"}, {Rev: "v1.2.3~2"}}}},
		},
		{
			query:   `repo:foo rev:at.time(2024-01-31T10:00:00Z) x`,
			include: []RepoFilter{{Pattern: "foo", Regexp: regexp.MustCompile("(?i)foo"), Revs: []RevSpec{{AtTime: time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC)}}}},
		},
		{
			// Relative to the parse time, with a branch; spaces need no quotes.
			query:   `repo:foo rev:at.time(3 weeks ago, release/1.2) x`,
			include: []RepoFilter{{Pattern: "foo", Regexp: regexp.MustCompile("(?i)foo"), Revs: []RevSpec{{Rev: "release/1.2", AtTime: testNow.AddDate(0, 0, -21)}}}},
		},
		{
			query:   `repo:bar@at.time(2023-06-01) x`,
			include: []RepoFilter{{Pattern: "bar", Regexp: regexp.MustCompile("(?i)bar"), Revs: []RevSpec{{AtTime: time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC)}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			include, exclude := parseOne(t, tc.query).Repos()
			if diff := cmp.Diff(tc.include, include, reOpt); diff != "" {
				t.Errorf("include (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.exclude, sources(exclude)); diff != "" {
				t.Errorf("exclude (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegexpFilters(t *testing.T) {
	b := parseOne(t, `type:diff file:\.go$ -file:_test author:alice -author:bob committer:carol -committer:dave message:fix -message:wip`)
	check := func(name string, include, exclude []*regexp.Regexp, wantIn, wantEx []string) {
		t.Helper()
		if diff := cmp.Diff(wantIn, sources(include)); diff != "" {
			t.Errorf("%s include (-want +got):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantEx, sources(exclude)); diff != "" {
			t.Errorf("%s exclude (-want +got):\n%s", name, diff)
		}
	}
	in, ex := b.Files()
	check("files", in, ex, []string{`(?i)\.go$`}, []string{"(?i)_test"})
	in, ex = b.Authors()
	check("authors", in, ex, []string{"(?i)alice"}, []string{"(?i)bob"})
	in, ex = b.Committers()
	check("committers", in, ex, []string{"(?i)carol"}, []string{"(?i)dave"})
	in, ex = b.Messages()
	check("messages", in, ex, []string{"(?i)fix"}, []string{"(?i)wip"})

	b = parseOne(t, `type:commit case:yes file:README author:Alice`)
	in, ex = b.Files()
	check("case-sensitive files", in, ex, []string{"README"}, nil)
	in, ex = b.Authors()
	check("case-sensitive authors", in, ex, []string{"Alice"}, nil)
	// Repository names stay case-insensitive.
	repos, _ := parseOne(t, `case:yes repo:Acme`).Repos()
	if got := repos[0].Regexp.String(); got != "(?i)Acme" {
		t.Errorf("repo regexp with case:yes = %q, want (?i)Acme", got)
	}
}

func TestScalarFilters(t *testing.T) {
	b := parseOne(t, `x`)
	if got := b.Types(); !cmp.Equal(got, []ResultType{TypeFile, TypePath}) {
		t.Errorf("default types = %v", got)
	}
	if n, all := b.Limit(); n != DefaultLimit || all {
		t.Errorf("default limit = %d, %v", n, all)
	}
	if got := b.Timeout(); got != DefaultTimeout {
		t.Errorf("default timeout = %s", got)
	}
	if _, ok := b.Fork(); ok {
		t.Error("fork set without fork:")
	}
	if _, ok := b.Archived(); ok {
		t.Error("archived set without archived:")
	}
	if got := b.Visibility(); got != VisibilityAny {
		t.Errorf("default visibility = %s", got)
	}
	if b.CaseSensitive() || b.Select() != "" || b.Context() != "" {
		t.Errorf("unexpected case/select/context: %v %q %q", b.CaseSensitive(), b.Select(), b.Context())
	}
	if _, ok := b.Before(); ok {
		t.Error("before set without before:")
	}

	b = parseOne(t, `type:diff case:yes fork:only archived:yes visibility:public count:42 timeout:90s select:commit context:@acme/backend lang:go -lang:Markdown lang:golang x`)
	if got := b.Types(); !cmp.Equal(got, []ResultType{TypeDiff}) {
		t.Errorf("types = %v", got)
	}
	if !b.IsCommitOrDiff() {
		t.Error("type:diff is not commit or diff")
	}
	if !b.CaseSensitive() {
		t.Error("case:yes is not case-sensitive")
	}
	if v, ok := b.Fork(); v != Only || !ok {
		t.Errorf("fork = %s, %v", v, ok)
	}
	if v, ok := b.Archived(); v != Yes || !ok {
		t.Errorf("archived = %s, %v", v, ok)
	}
	if got := b.Visibility(); got != VisibilityPublic {
		t.Errorf("visibility = %s", got)
	}
	if n, all := b.Limit(); n != 42 || all {
		t.Errorf("limit = %d, %v", n, all)
	}
	if got := b.Timeout(); got != 90*time.Second {
		t.Errorf("timeout = %s", got)
	}
	if got := b.Select(); got != SelectCommit {
		t.Errorf("select = %s", got)
	}
	if got := b.Context(); got != "@acme/backend" {
		t.Errorf("context = %s", got)
	}
	// lang:go and lang:golang are one filter.
	if got := b.Filters("l"); len(got) != 2 || got[1].Value != "Markdown" || !got[1].Negated {
		t.Errorf("Filters(l) = %+v", got)
	}
	include, exclude := b.Languages()
	if !cmp.Equal(include, []string{"Go"}) || !cmp.Equal(exclude, []string{"Markdown"}) {
		t.Errorf("languages = %v, %v", include, exclude)
	}

	if n, all := parseOne(t, `count:all x`).Limit(); n != 0 || !all {
		t.Errorf("count:all limit = %d, %v", n, all)
	}
	if got := parseOne(t, `context:global x`).Context(); got != "" {
		t.Errorf("context:global = %q", got)
	}
	// A Basic query made by hand has the defaults and does not panic.
	var zero Basic
	if got := zero.Types(); !cmp.Equal(got, []ResultType{TypeFile, TypePath}) {
		t.Errorf("zero Basic types = %v", got)
	}
}

func TestDates(t *testing.T) {
	tests := []struct {
		value string
		want  time.Time
	}{
		{"2024-01-31", time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)},
		{"2024-01-31T10:20:30Z", time.Date(2024, 1, 31, 10, 20, 30, 0, time.UTC)},
		{"2024-01-31T10:20:30.5+02:00", time.Date(2024, 1, 31, 8, 20, 30, 5e8, time.UTC)},
		{"2024-01-31T10:20:30", time.Date(2024, 1, 31, 10, 20, 30, 0, time.UTC)},
		{"2024-01-31 10:20", time.Date(2024, 1, 31, 10, 20, 0, 0, time.UTC)},
		{"now", testNow},
		{"today", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
		{"yesterday", testNow.AddDate(0, 0, -1)},
		{"1 day ago", testNow.AddDate(0, 0, -1)},
		{"3 weeks ago", testNow.AddDate(0, 0, -21)},
		{"3 Weeks Ago", testNow.AddDate(0, 0, -21)},
		{"3.weeks.ago", testNow.AddDate(0, 0, -21)},
		{"2 months ago", testNow.AddDate(0, -2, 0)},
		{"a year ago", testNow.AddDate(-1, 0, 0)},
		{"last month", testNow.AddDate(0, -1, 0)},
		{"10 hours ago", testNow.Add(-10 * time.Hour)},
		{"90 minutes", testNow.Add(-90 * time.Minute)},
		{"30 secs ago", testNow.Add(-30 * time.Second)},
	}
	for _, tc := range tests {
		got, msg := parseDate(tc.value, testNow)
		if msg != "" {
			t.Errorf("parseDate(%q): %s", tc.value, msg)
			continue
		}
		if !got.Equal(tc.want) {
			t.Errorf("parseDate(%q) = %s, want %s", tc.value, got, tc.want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "3 weeks hence", "x weeks ago", "-3 weeks ago", "3 fortnights ago", "31/01/2024", "2024-02-30", "1 2 3 4"} {
		if _, msg := parseDate(bad, testNow); msg == "" {
			t.Errorf("parseDate(%q) succeeded", bad)
		}
	}

	b := parseOne(t, `type:commit after:"2 weeks ago" before:2024-03-14`)
	after, ok := b.After()
	if !ok || !after.Equal(testNow.AddDate(0, 0, -14)) {
		t.Errorf("after = %s, %v", after, ok)
	}
	before, ok := b.Before()
	if !ok || !before.Equal(time.Date(2024, 3, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("before = %s, %v", before, ok)
	}
}

func TestPatternRegexp(t *testing.T) {
	tests := []struct {
		query string
		want  []string
	}{
		{`a.b`, []string{`(?i)a\.b`}},
		{`case:yes a.b`, []string{`a\.b`}},
		{`/a.b/ "c(d"`, []string{`(?i)a.b`, `(?i)c\(d`}},
		{`patterntype:regexp case:yes a.b NOT c`, []string{`a.b`, `c`}},
		{`(x case:yes) OR x`, nil}, // two basic queries: checked below
	}
	for _, tc := range tests[:len(tests)-1] {
		var got []string
		for _, p := range parseOne(t, tc.query).Pattern.Leaves() {
			got = append(got, p.RegexpSource())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%q (-want +got):\n%s", tc.query, diff)
		}
	}
	// A pattern shared by two branches gets each branch's case flag.
	p, err := Parse(`(x case:yes) OR x`)
	if err != nil {
		t.Fatal(err)
	}
	if !p[0].Pattern.Pattern.CaseSensitive || p[1].Pattern.Pattern.CaseSensitive {
		t.Errorf("case flags = %v, %v", p[0].Pattern.Pattern.CaseSensitive, p[1].Pattern.Pattern.CaseSensitive)
	}
}

func TestEval(t *testing.T) {
	tree := parseOne(t, `(foo OR bar) NOT baz`).Pattern
	tests := []struct {
		present []string
		want    bool
	}{
		{[]string{"foo"}, true},
		{[]string{"bar"}, true},
		{[]string{"foo", "baz"}, false},
		{[]string{"baz"}, false},
		{nil, false},
	}
	for _, tc := range tests {
		got := tree.Eval(func(p *Pattern) bool {
			for _, s := range tc.present {
				if s == p.Value {
					return true
				}
			}
			return false
		})
		if got != tc.want {
			t.Errorf("Eval with %v = %v, want %v", tc.present, got, tc.want)
		}
	}
	var none *PatternNode
	if !none.Eval(func(*Pattern) bool { return false }) {
		t.Error("a nil tree must match")
	}
}

func TestPlanTypes(t *testing.T) {
	tests := []struct {
		query string
		types []ResultType
		err   error
	}{
		{`type:diff foo`, []ResultType{TypeDiff}, nil},
		{`(type:diff foo) OR (type:commit author:x)`, []ResultType{TypeDiff, TypeCommit}, nil},
		{`foo`, []ResultType{TypeFile, TypePath}, ErrCommitOrDiffRequired},
		{`(type:diff foo) OR bar`, []ResultType{TypeDiff, TypeFile, TypePath}, ErrCommitOrDiffRequired},
		{`type:path foo`, []ResultType{TypePath}, ErrCommitOrDiffRequired},
	}
	for _, tc := range tests {
		p, err := Parse(tc.query)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.query, err)
		}
		if diff := cmp.Diff(tc.types, p.Types()); diff != "" {
			t.Errorf("%q types (-want +got):\n%s", tc.query, diff)
		}
		if err := p.CheckCommitOrDiff(); !errors.Is(err, tc.err) {
			t.Errorf("%q CheckCommitOrDiff = %v, want %v", tc.query, err, tc.err)
		}
	}
	if ErrCommitOrDiffRequired.Error() != "all branches of query must be of type:diff or type:commit" {
		t.Errorf("error text changed: %q", ErrCommitOrDiffRequired)
	}
}
