package search_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/lookout/lookout/internal/search"
)

// TestOrOfFiltersMergesDuplicates: a query whose OR holds filters runs as several Basic
// queries; a file or commit two of them find is one result with the matches of both,
// exactly what one Basic query with an OR pattern finds, whichever finished first.
func TestOrOfFiltersMergesDuplicates(t *testing.T) {
	f := newFixture(t)
	ignore := cmpopts.IgnoreUnexported(search.CommitMatch{})
	strip := func(res *search.Results) *search.Results {
		res.Elapsed, res.Plan = 0, nil
		return res
	}
	for _, tc := range []struct{ split, single string }{
		// Disjoint matches on the same lines and files.
		{`repo:^acme/api$ count:all case:yes ((lang:go errBoom) OR (file:main\.go$ errors))`, `repo:^acme/api$ count:all case:yes file:main\.go$ (errBoom OR errors)`},
		// Overlapping matches (err inside errBoom) are joined as one.
		{`repo:^acme/api$ count:all case:yes ((lang:go errBoom) OR (file:main\.go$ err))`, `repo:^acme/api$ count:all case:yes file:main\.go$ (errBoom OR err)`},
		// Diff matches: the union of the matching hunks and their ranges.
		{`repo:^acme/api$ count:all case:yes type:diff ((lang:go errBoom) OR (file:main\.go$ errors))`, `repo:^acme/api$ count:all case:yes type:diff file:main\.go$ (errBoom OR errors)`},
	} {
		want := strip(f.search(t, f.alice, tc.single))
		if want.MatchCount == 0 {
			t.Fatalf("%s finds nothing", tc.single)
		}
		first := strip(f.search(t, f.alice, tc.split))
		// The split query detects languages (lang:), the single one need not.
		if diff := cmp.Diff(want, first, ignore, cmpopts.IgnoreFields(search.FileMatch{}, "Language")); diff != "" {
			t.Fatalf("%s\nand %s differ (-single +split):\n%s", tc.single, tc.split, diff)
		}
		for range 5 { // goroutines finish in any order
			if diff := cmp.Diff(first, strip(f.search(t, f.alice, tc.split)), ignore); diff != "" {
				t.Fatalf("%s differs from one run to the next:\n%s", tc.split, diff)
			}
		}
	}
	// The diff preview counts and highlights what both found.
	res := f.search(t, f.alice, `repo:^acme/api$ count:all case:yes type:diff ((lang:go errBoom) OR (file:main\.go$ errors))`)
	oldest := res.Matches[len(res.Matches)-1].(*search.CommitMatch)
	if _, hs := oldest.DiffPreview(); len(hs) != 3 || oldest.ResultCount() != 3 { // errors twice, errBoom once
		t.Errorf("diff highlights %v, count %d; want 3", hs, oldest.ResultCount())
	}

	// Two Basic queries read the same tree: its binary and large files are skipped once.
	res = f.search(t, f.alice, `repo:^acme/api$ ((case:yes TODO) OR (case:no fixme))`)
	if len(res.Plan) != 2 || res.Skipped != (search.Skipped{Binary: 1, Large: 1}) {
		t.Errorf("%d basic queries skipped %+v, want 1 binary and 1 large file", len(res.Plan), res.Skipped)
	}
}
