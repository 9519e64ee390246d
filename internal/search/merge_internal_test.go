package search

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// TestMergesDoNotDependOnOrder: which of two Basic queries finishes first decides the
// order a duplicate is merged in; the result must be the same either way.
func TestMergesDoNotDependOnOrder(t *testing.T) {
	repo := &store.Repo{ID: 1, Name: "r"}
	fa := &FileMatch{Repo: repo, Commit: "c", Path: "p", Language: "Go", PathMatches: []Range{{0, 1}},
		LineMatches: []LineMatch{{LineNumber: 1, Preview: "abc abc", Ranges: []Range{{0, 3}}}, {LineNumber: 4, Preview: "x", Ranges: []Range{{0, 1}}}}}
	fb := &FileMatch{Repo: repo, Commit: "c", Path: "p", PathMatches: []Range{{0, 1}},
		LineMatches: []LineMatch{{LineNumber: 1, Preview: "abc abc", Ranges: []Range{{1, 3}, {4, 7}}}, {LineNumber: 2, Preview: "y", Ranges: []Range{{0, 1}}}}}
	ab, ba := mergeFile(fa, fb), mergeFile(fb, fa)
	if diff := cmp.Diff(ab, ba); diff != "" {
		t.Errorf("file merges differ by order (-a,b +b,a):\n%s", diff)
	}
	if len(ab.LineMatches) != 3 || len(ab.LineMatches[0].Ranges) != 2 || ab.Language != "Go" {
		t.Errorf("merged file: %+v", ab)
	}

	commit := &vcs.Commit{OID: "c"}
	hunk := func(start int, matches ...LineRange) DiffHunk {
		return DiffHunk{OldStart: start, NewStart: start, Lines: []string{"+abc abc", "+def"}, Matches: matches}
	}
	ca := &CommitMatch{Repo: repo, Commit: commit, Diff: true, MessageRanges: []Range{{0, 2}},
		Files: []DiffFile{{NewPath: "b.go", Hunks: []DiffHunk{hunk(10, LineRange{0, 1, 4})}}, {NewPath: "a.go", Hunks: []DiffHunk{hunk(1, LineRange{1, 1, 2})}}}}
	cb := &CommitMatch{Repo: repo, Commit: commit, Diff: true, MessageRanges: []Range{{1, 4}},
		Files: []DiffFile{{NewPath: "b.go", Hunks: []DiffHunk{hunk(10, LineRange{0, 2, 8}), hunk(3, LineRange{1, 1, 3})}}}}
	cab, cba := mergeCommit(ca, cb), mergeCommit(cb, ca)
	if diff := cmp.Diff(cab, cba, cmp.AllowUnexported(CommitMatch{})); diff != "" {
		t.Errorf("commit merges differ by order (-a,b +b,a):\n%s", diff)
	}
	if len(cab.Files) != 2 || cab.Files[0].NewPath != "a.go" || len(cab.Files[1].Hunks) != 2 || cab.ResultCount() == 0 {
		t.Errorf("merged commit: %+v", cab)
	}
}
