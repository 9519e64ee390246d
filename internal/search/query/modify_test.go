package query

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestModify(t *testing.T) {
	tests := []struct {
		name  string
		query string
		apply func(Plan) (Plan, error)
		want  string // canonical form of the result
		err   string
	}{
		{
			name:  "pin to one repository at a revision",
			query: `type:diff repo:acme foo`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("repo", `^github\.com/acme/api$@abc123`) },
			want:  `type:diff repo:acme repo:^github\.com/acme/api$@abc123 foo`,
		},
		{
			name:  "add to every branch",
			query: `(type:diff a) OR (type:commit b)`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("r", "x") },
			want:  `(type:diff repo:x a) OR (type:commit repo:x b)`,
		},
		{
			name:  "add a negated filter",
			query: `foo`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("-file", "_test\\.go$") },
			want:  `-file:_test\.go$ foo`,
		},
		{
			name:  "add a value that needs quotes",
			query: `type:commit x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("message", "fix bug") },
			want:  `type:commit message:"fix bug" x`,
		},
		{
			name:  "adding the same filter again is a no-op",
			query: `count:all x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("count", "ALL") },
			want:  `count:all x`,
		},
		{
			name:  "replace count",
			query: `count:10 x`,
			apply: func(p Plan) (Plan, error) { return p.ReplaceFilter("count", "all") },
			want:  `count:all x`,
		},
		{
			name:  "replace count when there is none",
			query: `type:diff x`,
			apply: func(p Plan) (Plan, error) { return p.ReplaceFilter("count", "all") },
			want:  `type:diff count:all x`,
		},
		{
			name:  "replace only the negated repo filters",
			query: `repo:a -repo:b -repo:c x`,
			apply: func(p Plan) (Plan, error) { return p.ReplaceFilter("-repo", "d") },
			want:  `repo:a -repo:d x`,
		},
		{
			name:  "replace repo filters and drop rev:",
			query: `repo:a rev:dev x`,
			apply: func(p Plan) (Plan, error) {
				p, err := p.RemoveFilter("rev")
				if err != nil {
					return nil, err
				}
				return p.ReplaceFilter("repo", "^b$@main")
			},
			want: `repo:^b$@main x`,
		},
		{
			name:  "the case flag of a new case: applies to the patterns",
			query: `Foo`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("case", "yes") },
			want:  `case:yes Foo`,
		},
		{
			name:  "keeps the pattern type",
			query: `patterntype:regexp a.b`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("lang", "go") },
			want:  `patterntype:regexp lang:Go a.b`,
		},
		{
			name:  "conflict with the query",
			query: `type:commit x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("type", "diff") },
			err:   `invalid query ("type:diff"): type: may appear only once (already type:commit)`,
		},
		{
			name:  "invalid value",
			query: `x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("lang", "cobolx") },
			err:   `invalid query ("lang:cobolx"): unknown language "cobolx"`,
		},
		{
			name:  "empty value",
			query: `x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("repo", "") },
			err:   `invalid query ("repo:"): filter repo: needs a value`,
		},
		{
			name:  "unknown field",
			query: `x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("colour", "red") },
			err:   `invalid query ("colour:red"): unknown filter colour`,
		},
		{
			name:  "content is a pattern",
			query: `x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("content", "y") },
			err:   `invalid query ("content:y"): content: changes the patterns and cannot be added to a parsed query`,
		},
		{
			name:  "negating what cannot be negated",
			query: `x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("-count", "5") },
			err:   `invalid query ("-count:5"): filter count: cannot be negated`,
		},
		{
			name:  "a commit filter on a file search",
			query: `x`,
			apply: func(p Plan) (Plan, error) { return p.AddFilter("author", "alice") },
			err:   `invalid query ("author:alice"): author: needs type:commit or type:diff`,
		},
		{
			name:  "removing the only filter",
			query: `type:commit`,
			apply: func(p Plan) (Plan, error) { return p.RemoveFilter("type") },
			err:   `invalid query at 0: empty query`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParseWith(tc.query, Options{Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			before := p.String()
			got, err := tc.apply(p)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error = %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s := got.String(); s != tc.want {
				t.Errorf("result = %q, want %q", s, tc.want)
			}
			if after := p.String(); after != before {
				t.Errorf("the original plan changed: %q → %q", before, after)
			}
			again, err := ParseWith(got.String(), Options{Now: testNow})
			if err != nil {
				t.Fatalf("result %q does not parse: %v", got.String(), err)
			}
			if diff := cmp.Diff(got, again, planOpts...); diff != "" {
				t.Errorf("result parses to another plan (-modified +parsed):\n%s", diff)
			}
		})
	}
}

func TestModifyKeepsOriginalPatterns(t *testing.T) {
	p, err := Parse(`Foo`)
	if err != nil {
		t.Fatal(err)
	}
	q, err := p.AddFilter("case", "yes")
	if err != nil {
		t.Fatal(err)
	}
	if p[0].Pattern.Pattern.CaseSensitive || !q[0].Pattern.Pattern.CaseSensitive {
		t.Errorf("case flags: original %v, modified %v", p[0].Pattern.Pattern.CaseSensitive, q[0].Pattern.Pattern.CaseSensitive)
	}
	if !q[0].CaseSensitive() {
		t.Error("modified plan is not case-sensitive")
	}
}

func TestOnlyRepoFilters(t *testing.T) {
	valid := []string{
		`repo:a`,
		`repo:^github\.com/acme/ -repo:archive fork:yes archived:no visibility:public context:global`,
		`repo:a OR repo:b`,
		`NOT repo:a repo:b`,
		`r:a@main`,
	}
	for _, q := range valid {
		if err := OnlyRepoFilters(q); err != nil {
			t.Errorf("OnlyRepoFilters(%q) = %v", q, err)
		}
	}
	invalid := []struct{ query, err string }{
		{`repo:a foo`, `invalid query at 7 ("foo"): a scope query may hold only repo: filters (repo:, -repo:, fork:, archived:, visibility:, context:)`},
		{`repo:a lang:go`, `invalid query at 7 ("lang:go"): a scope query may hold only repo: filters (repo:, -repo:, fork:, archived:, visibility:, context:)`},
		{`repo:a OR (type:repo repo:b)`, `invalid query at 11 ("type:repo"): a scope query may hold only repo: filters (repo:, -repo:, fork:, archived:, visibility:, context:)`},
		{`content:x`, `invalid query at 0 ("content:x"): a scope query may hold only repo: filters (repo:, -repo:, fork:, archived:, visibility:, context:)`},
		{`repo:a count:all`, `invalid query at 7 ("count:all"): a scope query may hold only repo: filters (repo:, -repo:, fork:, archived:, visibility:, context:)`},
		{`repo:(`, `invalid query at 0 ("repo:("): invalid regular expression "(": missing closing )`},
		{`(repo:a`, `invalid query at 0 ("("): unbalanced parenthesis: this ( is never closed`},
		{``, `invalid query at 0: empty query`},
	}
	for _, tc := range invalid {
		err := OnlyRepoFilters(tc.query)
		if err == nil || err.Error() != tc.err {
			t.Errorf("OnlyRepoFilters(%q) = %v, want %s", tc.query, err, tc.err)
		}
	}
}
