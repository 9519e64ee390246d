package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that no input panics, that every error is an *Error with a
// position inside the query, that queries over MaxQueryLength are refused, and that
// the canonical form of a plan parses back to the same plan (and the same text).
//
// Plain go test runs the seeds: every case of parse_test.go, the corpus under
// testdata/fuzz/FuzzParse, and deeply nested ones. Explore with
// go test -run '^$' -fuzz FuzzParse -fuzztime 60s -fuzzminimizetime 1s ./internal/search/query
// (without the last flag, minimising each new input stalls the run for seconds).
func FuzzParse(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.query)
	}
	for _, tc := range invalidCases {
		f.Add(tc.query)
	}
	// Long inputs are left to TestMaxQueryLength and TestParseAllocatesLinearly: the
	// fuzzer minimises every new interesting input, which for 16 KB inputs takes
	// longer than a fuzzing session.
	f.Add(strings.Repeat("(a OR repo:b) ", 8) + "c")
	f.Add(strings.Repeat("NOT (", 70) + "a" + strings.Repeat(")", 70))
	f.Fuzz(func(t *testing.T, q string) {
		opts := Options{Now: testNow}
		plan, err := ParseWith(q, opts)
		if len(q) > MaxQueryLength && (err == nil || !strings.Contains(err.Error(), "query is too long")) {
			t.Fatalf("Parse of %d bytes = %v, want the length error", len(q), err)
		}
		if err != nil {
			var qe *Error
			if !errors.As(err, &qe) {
				t.Fatalf("Parse(%q) error is %T, not *Error: %v", q, err, err)
			}
			if qe.Pos < 0 || qe.Pos > len(q) {
				t.Fatalf("Parse(%q) error position %d out of range: %v", q, qe.Pos, err)
			}
			return
		}
		if len(plan) == 0 || len(plan) > MaxBasicQueries {
			t.Fatalf("Parse(%q) gave %d basic queries", q, len(plan))
		}
		for _, b := range plan {
			exerciseAccessors(t, b)
		}
		s := plan.String()
		again, err := ParseWith(s, opts)
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", q, s, err)
		}
		if diff := cmp.Diff(plan, again, planOpts...); diff != "" {
			t.Fatalf("Parse(%q) = %q, which parses to another plan (-first +second):\n%s", q, s, diff)
		}
		if s2 := again.String(); s2 != s {
			t.Fatalf("Parse(%q) = %q, which is written back as %q", q, s, s2)
		}
	})
}

// exerciseAccessors calls every accessor of a parsed Basic query: none may fail.
func exerciseAccessors(t *testing.T, b Basic) {
	t.Helper()
	b.Types()
	b.Repos()
	b.Files()
	b.Languages()
	b.Authors()
	b.Committers()
	b.Messages()
	b.CaseSensitive()
	b.Fork()
	b.Archived()
	b.Visibility()
	if n, all := b.Limit(); !all && (n < 1 || n > MaxCount) {
		t.Fatalf("%q: limit %d", b, n)
	}
	if d := b.Timeout(); d <= 0 || d > DefaultMaxTimeout {
		t.Fatalf("%q: timeout %s", b, d)
	}
	b.Select()
	b.Context()
	b.Before()
	b.After()
	for _, p := range b.Pattern.Leaves() {
		if _, err := p.Compile(); err != nil {
			t.Fatalf("%q: pattern %q does not compile: %v", b, p.Value, err)
		}
	}
	b.Pattern.Eval(func(*Pattern) bool { return true })
}
