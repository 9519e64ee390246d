package cmsearch

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

func TestParseQuery(t *testing.T) {
	for q, want := range map[string]string{
		"type:diff TODO":                   "",
		"type:commit fix repo:^a/b$":       "",
		"(type:diff a) OR (type:commit b)": "",
		"TODO":                             query.ErrCommitOrDiffRequired.Error(),
		"type:diff a OR type:file b":       query.ErrCommitOrDiffRequired.Error(),
		"type:diff (":                      "invalid query",
		"":                                 "empty",
	} {
		_, err := ParseQuery(q, time.Now())
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", q, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: got %v, want an error with %q", q, err, want)
		}
	}
	if _, err := ParseQuery("TODO", time.Now()); !errors.Is(err, query.ErrCommitOrDiffRequired) {
		t.Errorf("content search: %v", err)
	}
}

func TestRevisionsFromRecordedHeads(t *testing.T) {
	const c = "cccccccccccccccccccccccccccccccccccccccc"
	repo := &store.Repo{Name: "github.com/acme/api", DefaultBranch: "main", HeadOIDs: map[string]string{
		"refs/heads/main": "m1", "refs/heads/dev": "d1", "refs/heads/release/1": "r1", "refs/heads/release/2": "r2",
	}}
	for _, tc := range []struct {
		query            string
		include, exclude []string
	}{
		{"type:diff x", []string{"m1"}, nil},
		{"type:diff x repo:acme/api@dev", []string{"d1"}, nil},
		{"type:diff x repo:acme/api@dev:main", []string{"d1", "m1"}, nil},
		{"type:diff x repo:acme/api@*refs/heads/release/*", []string{"r1", "r2"}, nil},
		{"type:diff x repo:acme/api@*refs/heads/*:*!refs/heads/release/*", []string{"d1", "m1"}, nil},
		{"type:diff x repo:acme/api@dev:^main", []string{"d1"}, []string{"m1"}},
		{"type:diff x repo:acme/api@" + c, []string{c}, nil},
		{"type:diff x repo:acme/api@nosuchbranch", nil, nil},
		{"type:diff x repo:other", nil, nil},
		{"type:diff x -repo:acme", nil, nil},
		{"(type:diff x repo:acme/api@dev) OR (type:commit y)", []string{"d1", "m1"}, nil},
	} {
		plan, err := ParseQuery(tc.query, time.Now())
		if err != nil {
			t.Fatalf("%s: %v", tc.query, err)
		}
		inc, exc := Revisions(plan, repo)
		if !cmp.Equal(inc, tc.include, cmpNilEmpty) || !cmp.Equal(exc, tc.exclude, cmpNilEmpty) {
			t.Errorf("%s: got %v ^%v, want %v ^%v", tc.query, inc, exc, tc.include, tc.exclude)
		}
		if covers := Covers(plan, repo); covers != (len(tc.include) > 0 || strings.Contains(tc.query, "nosuchbranch")) {
			t.Errorf("%s: Covers = %v", tc.query, covers)
		}
	}
	// An empty repository has nothing to search.
	plan, _ := ParseQuery("type:diff x", time.Now())
	if inc, _ := Revisions(plan, &store.Repo{Name: "empty", DefaultBranch: "main", HeadOIDs: map[string]string{}}); len(inc) != 0 {
		t.Errorf("empty repository: %v", inc)
	}
}

var cmpNilEmpty = cmp.Comparer(func(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
})
