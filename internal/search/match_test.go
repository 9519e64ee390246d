package search

import (
	"fmt"
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
	alphabet := []string{"a", "b", "K", "k", "s", "S", "x", " ", "\n", "foo", "FOO", "Foo", "\u212a", "\u017f", "é", "É", "(", ".", "\t", "bar",
		"1", "2", "77", "\xff", "Q"}
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
		// No literal: the class window prefilter.
		{Value: `[A-Z][a-z]+[0-9]{2,}`, Kind: query.Regexp, CaseSensitive: true},
		{Value: `[a-z][0-9][0-9]`, Kind: query.Regexp},
		{Value: `\b[0-9]{3}\b`, Kind: query.Regexp},
		{Value: `[(.][0-9]+\t?`, Kind: query.Regexp, CaseSensitive: true},
		{Value: `(x|b)[0-9]é`, Kind: query.Regexp, CaseSensitive: true},
		{Value: `[ks][0-9]{2}`, Kind: query.Regexp},
		{Value: `([A-Z])[0-9]{2}`, Kind: query.Regexp, CaseSensitive: true},
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

func TestClassWindows(t *testing.T) {
	show := func(w *classWindow) string {
		if w == nil {
			return ""
		}
		var b strings.Builder
		for i, c := range w.classes {
			if i == w.anchor {
				b.WriteString("*")
			}
			b.WriteString("[")
			for _, r := range c.ranges {
				if r[0] == r[1] {
					fmt.Fprintf(&b, "%c", r[0])
				} else {
					fmt.Fprintf(&b, "%c-%c", r[0], r[1])
				}
			}
			b.WriteString("]")
		}
		return b.String()
	}
	for _, tc := range []struct {
		re   string
		fold bool
		want string
	}{
		{`[A-Z][a-z]+[0-9]{2,}`, false, "[a-z]*[0-9][0-9]"},
		{`[A-Z][0-9]`, false, "*[A-Z][0-9]"},
		{`x[0-9]+`, false, "*[x][0-9]"},
		{`[0-9]`, false, "*[0-9]"},  // common, and still pays
		{`.+`, false, ""},           // any rune: no byte class
		{`[(][a-z]+[)]`, false, ""}, // the regexp skips to "(" itself
		{`[\t]+`, false, ""},        // the same
		{`x[0-9a-f]{2}`, false, "*[x][0-9a-f][0-9a-f]"},
		{`.[0-9][0-9]`, false, "*[0-9][0-9]"}, // a dot may be any rune
		{`\b[0-9]{3}\b`, false, "*[0-9][0-9][0-9]"},
		{`q[0-9]`, true, "*[Qq][0-9]"},
		{`k[0-9][0-9]`, true, "*[0-9][0-9]"}, // a folded k also matches the Kelvin sign
		{`[a-z]*[0-9]{2}`, false, "*[0-9][0-9]"},
		{`(a|b)[0-9]{2}`, false, "*[a-b][0-9][0-9]"},
		{`errors\.New`, false, ""}, // a literal is scanned for instead
	} {
		p := &query.Pattern{Value: tc.re, Kind: query.Regexp, CaseSensitive: !tc.fold}
		l, err := compileLeaf(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := show(l.win); got != tc.want {
			t.Errorf("%s (fold %v): window %s, want %s", tc.re, tc.fold, got, tc.want)
		}
	}
}

// TestByteClassIndex checks the 8-bytes-at-a-time class search against a byte loop,
// for every byte value in every lane.
func TestByteClassIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	classes := []*byteClass{
		newByteClass([][2]byte{{'0', '9'}}),
		newByteClass([][2]byte{{'A', 'Z'}, {'a', 'z'}}),
		newByteClass([][2]byte{{'A', 'Z'}, {'_', '_'}, {'a', 'z'}}),
		newByteClass([][2]byte{{1, 1}, {0x7f, 0x7f}}),
		newByteClass([][2]byte{{'x', 'x'}}),
		newByteClass([][2]byte{{0, 9}}),
		newByteClass([][2]byte{{'!', '/'}, {':', '@'}, {'[', '`'}, {'{', '~'}}),
	}
	for _, c := range classes {
		for n := 0; n < 3000; n++ {
			data := make([]byte, 1+rng.Intn(40))
			for i := range data {
				// Bytes outside the class mostly, so that the first hit is anywhere.
				data[i] = byte(rng.Intn(256))
				for c.in[data[i]] && rng.Intn(4) > 0 {
					data[i] = byte(rng.Intn(256))
				}
			}
			from := rng.Intn(len(data))
			want := -1
			for i := from; i < len(data); i++ {
				if c.in[data[i]] {
					want = i
					break
				}
			}
			if got := c.indexFrom(data, from); got != want {
				t.Fatalf("class %v in %q from %d: %d, want %d", c.ranges, data, from, got, want)
			}
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
