package search

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/search/query"
)

// reference finds what a pattern matches the slow, obvious way: RE2 line by line, with
// the Go semantics of (?i), and returns byte ranges in the whole text.
func reference(t *testing.T, p *query.Pattern, text string) []Range {
	t.Helper()
	src := p.Value
	if p.Kind == query.Literal {
		src = regexp.QuoteMeta(src)
	}
	if !p.CaseSensitive {
		src = "(?i)" + src
	}
	re := regexp.MustCompile(src)
	var out []Range
	off := 0
	for _, line := range strings.SplitAfter(text, "\n") {
		body := strings.TrimSuffix(line, "\n")
		for _, m := range re.FindAllStringIndex(body, -1) {
			out = append(out, Range{off + m[0], off + m[1]})
		}
		off += len(line)
	}
	return out
}

func TestLeafFastPathsAgreeWithRegexp(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", "K", "k", "s", "S", "x", " ", "\n", "foo", "FOO", "Foo", "\u212a", "\u017f", "é", "É", "(", ".", "\t", "bar"}
	patterns := []query.Pattern{
		{Value: "foo", Kind: query.Literal},
		{Value: "foo", Kind: query.Literal, CaseSensitive: true},
		{Value: "k", Kind: query.Literal},
		{Value: "ks", Kind: query.Literal},
		{Value: "sk", Kind: query.Literal, CaseSensitive: true},
		{Value: "a.", Kind: query.Literal},
		{Value: "é", Kind: query.Literal},
		{Value: "bar", Kind: query.Literal},
		{Value: `fo+`, Kind: query.Regexp},
		{Value: `foo\s*bar`, Kind: query.Regexp},
		{Value: `^foo`, Kind: query.Regexp},
		{Value: `bar$`, Kind: query.Regexp},
		{Value: `[a-z]+foo`, Kind: query.Regexp, CaseSensitive: true},
		{Value: `k+s`, Kind: query.Regexp},
		{Value: `(foo|bar)x`, Kind: query.Regexp},
		{Value: `x(\w)`, Kind: query.Regexp},
		{Value: `foo[^b]`, Kind: query.Regexp},
		{Value: `ba.`, Kind: query.Regexp},
		{Value: `(?s)o.b`, Kind: query.Regexp},
		{Value: `foo|bar`, Kind: query.Regexp},
		{Value: `foo|bar`, Kind: query.Regexp, CaseSensitive: true},
		{Value: `sk|ba[rz]`, Kind: query.Regexp},
		{Value: `(ks|foo)+ ?x`, Kind: query.Regexp},
		{Value: `(é|ba)r`, Kind: query.Regexp},
		{Value: `^(foo|bar)$`, Kind: query.Regexp},
	}
	for i := range patterns {
		p := &patterns[i]
		l, err := compileLeaf(p)
		if err != nil {
			t.Fatalf("%q: %v", p.Value, err)
		}
		for n := 0; n < 600; n++ {
			if n == 300 {
				l.chunk = 5 // texts are matched in chunks of lines: make them small
			}
			var b strings.Builder
			for k := rng.Intn(60); k > 0; k-- {
				b.WriteString(alphabet[rng.Intn(len(alphabet))])
			}
			text := b.String()
			want := reference(t, p, text)
			// (?s) makes . match a newline in RE2; matching is per line, so the
			// reference (per line) is the truth for every pattern.
			var got []Range
			l.each([]byte(text), func(s, e int) bool { got = append(got, Range{s, e}); return true })
			if !cmp.Equal(want, got) {
				t.Fatalf("pattern %q (case %v) in %q:\nwant %v\n got %v", p.Value, p.CaseSensitive, text, want, got)
			}
			matches, lines := l.count([]byte(text))
			if matches != len(want) {
				t.Fatalf("pattern %q in %q: count %d, want %d", p.Value, text, matches, len(want))
			}
			wantLines := map[int]bool{}
			for _, r := range want {
				wantLines[strings.Count(text[:r.Start], "\n")] = true
			}
			if lines != len(wantLines) {
				t.Fatalf("pattern %q in %q: %d lines, want %d", p.Value, text, lines, len(wantLines))
			}
			if has := l.has([]byte(text)); has != (len(want) > 0) {
				t.Fatalf("pattern %q in %q: has %v", p.Value, text, has)
			}
		}
	}
}

func TestPrefilterSets(t *testing.T) {
	for _, tc := range []struct {
		re   string
		want []string
	}{
		{`TODO|FIXME`, []string{"todo", "fixme"}},
		{`(TODO|FIXME):`, []string{"todo", "fixme"}},
		{`func (Read|Write)At\(`, []string{"func "}},
		{`errors\.New`, nil}, // a literal: no prefilter needed
		{`a|bc`, nil},        // too short to scan for
		{`[a-z]+`, nil},
	} {
		l, err := compileLeaf(&query.Pattern{Value: tc.re, Kind: query.Regexp})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range l.pres {
			got = append(got, string(n.b))
		}
		if !cmp.Equal(got, tc.want) {
			t.Errorf("%s: prefilter %q, want %q", tc.re, got, tc.want)
		}
	}
}

func TestMatcherTreeAndSignature(t *testing.T) {
	parse := func(q string) *Matcher {
		t.Helper()
		plan, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		m, err := NewMatcher(plan[0].Pattern)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	text := []byte("alpha beta\ngamma\nalpha again\n")
	for _, tc := range []struct {
		q       string
		matches int
	}{
		{"alpha", 2},
		{"alpha beta", 3},      // AND: both in the file; matches of both
		{"alpha NOT delta", 2}, // negated leaves add no matches
		{"alpha NOT gamma", 0}, // gamma is in the file
		{"delta OR gamma", 1},  // one side
		{"(alpha OR delta) beta", 3},
		{`/alpha|beta/`, 3},
		{`"alpha beta"`, 1},
	} {
		m := parse(tc.q)
		if got := m.Count(text).Matches; got != tc.matches {
			t.Errorf("%s: %d matches, want %d", tc.q, got, tc.matches)
		}
		if got := len(m.Ranges(text)); got != tc.matches {
			t.Errorf("%s: %d ranges, want %d", tc.q, got, tc.matches)
		}
	}
	sigs := map[string]string{}
	for _, q := range []string{"foo", "case:yes foo", "Foo", "/foo/", "NOT foo bar", "foo bar", "foo OR bar", "file:x foo", "lang:go foo"} {
		sig := string(parse(q).Signature())
		if prev, ok := sigs[sig]; ok {
			// Path filters are not part of the content signature.
			if !(strings.Contains(q, ":") && !strings.HasPrefix(q, "case:") && prev == "foo") {
				t.Errorf("%q and %q share a signature", q, prev)
			}
			continue
		}
		sigs[sig] = q
	}
	if string(parse("file:x foo").Signature()) != string(parse("foo").Signature()) {
		t.Errorf("file: changed the content signature")
	}
}

func TestLineMatchesAndHighlights(t *testing.T) {
	data := []byte("one two\nthree two two\nfour\n")
	m, _ := NewMatcher(&query.PatternNode{Op: query.PatternLeaf, Pattern: &query.Pattern{Value: "two", Kind: query.Literal}})
	got := lineMatches(data, m.Ranges(data))
	want := []LineMatch{
		{LineNumber: 0, Preview: "one two", Ranges: []Range{{4, 7}}},
		{LineNumber: 1, Preview: "three two two", Ranges: []Range{{6, 9}, {10, 13}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("line matches (-want +got):\n%s", diff)
	}
	hs := highlights("héllo\nwörld wörld", []Range{{Start: 0, End: 6}, {Start: 14, End: 20}})
	if diff := cmp.Diff([]Highlight{{0, 0, 5}, {1, 6, 5}}, hs); diff != "" {
		t.Errorf("highlights (-want +got):\n%s", diff)
	}
}

// FuzzMatcher checks that any parsable query compiles to a matcher that neither panics
// nor disagrees with itself (counts and ranges) on any text.
func FuzzMatcher(f *testing.F) {
	for _, seed := range [][2]string{
		{"foo", "a foo\nfoo foo"},
		{"/a+b/ NOT c", "aab\nc"},
		{"case:yes /(?i)k(s)/", "\u212a\u017f ks KS"},
		{`/^$/`, "\n\n"},
		{`/x*/`, "xx\n"},
		{`"a\nb" OR /[^a]/`, "a\nb"},
		{`patterntype:regexp (a|b)+ c`, "abc\ncab"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, q, text string) {
		plan, err := query.Parse(q)
		if err != nil {
			return
		}
		for _, b := range plan {
			m, err := NewMatcher(b.Pattern)
			if err != nil {
				t.Fatalf("parsed query %q does not compile: %v", q, err)
			}
			data := []byte(text)
			c := m.Count(data)
			rs := m.Ranges(data)
			if c.Matches != len(rs) {
				t.Fatalf("%q on %q: count %d, %d ranges", q, text, c.Matches, len(rs))
			}
			for _, r := range rs {
				if r.Start < 0 || r.End > len(data) || r.Start > r.End {
					t.Fatalf("%q on %q: range %v out of bounds", q, text, r)
				}
			}
			_ = lineMatches(data, rs)
			_ = highlights(text, rs)
		}
	})
}
