package query

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParse checks that no input panics, that every error is an *Error with a
// position inside the query, and that the canonical form of a plan parses back to
// the same plan (and the same text).
func FuzzParse(f *testing.F) {
	for _, tc := range validCases {
		f.Add(tc.query)
	}
	for _, tc := range invalidCases {
		f.Add(tc.query)
	}
	f.Fuzz(func(t *testing.T, q string) {
		opts := Options{Now: testNow}
		plan, err := ParseWith(q, opts)
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
