package issuemonitors

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

func TestCandidates(t *testing.T) {
	repo := &store.Repo{ID: 3, Name: "github.com/acme/api"}
	other := &store.Repo{ID: 4, Name: "github.com/acme/web"}
	file := &search.FileMatch{Repo: repo, Commit: "c1", Path: "cmd/run.go", MatchCount: 3, Lines: 40, Size: 900, Language: "Go",
		LineMatches: []search.LineMatch{
			{LineNumber: 4, Preview: "\texec.Command(a)", Ranges: []search.Range{{Start: 1, End: 13}}},
			{LineNumber: 9, Preview: "exec.Command(a)  ", Ranges: []search.Range{{Start: 0, End: 12}}},
			{LineNumber: 12, Preview: "x := exec.Command(b)", Ranges: []search.Range{{Start: 5, End: 17}}},
		}}
	pathOnly := &search.FileMatch{Repo: other, Commit: "c2", Path: "exec.go"}
	date := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	commit := &search.CommitMatch{Repo: repo, Commit: &vcs.Commit{OID: "abc", Message: "add exec\n\nbody", Author: vcs.Signature{Name: "A", Email: "a@x"}, Committer: vcs.Signature{Date: date}}}
	repoMatch := &search.RepoMatch{Repo: other}
	all := []search.Match{file, pathOnly, commit, repoMatch}

	keys := func(cs []Candidate) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Key)
		}
		return out
	}
	for identity, want := range map[string][]string{
		IdentityDefault:    {"file:3:cmd/run.go", "file:4:exec.go", "commit:3:abc", "repo:4"},
		IdentityFile:       {"file:3:cmd/run.go", "file:4:exec.go", "", ""},
		IdentityCommit:     {"", "", "commit:3:abc", ""},
		IdentityRepository: {"repo:3", "repo:4"},
	} {
		if diff := cmp.Diff(want, keys(Candidates(all, identity))); diff != "" {
			t.Errorf("%s keys (-want +got):\n%s", identity, diff)
		}
	}

	// LINE: one issue per line text (whitespace trimmed), line numbers 1-based; a match
	// without lines has no key.
	lines := Candidates([]search.Match{file, pathOnly}, IdentityLine)
	if len(lines) != 3 || lines[0].Key != lineKey(3, "cmd/run.go", "exec.Command(a)") || lines[1].Key != lineKey(3, "cmd/run.go", "x := exec.Command(b)") || lines[2].Key != "" {
		t.Fatalf("line candidates: %+v", lines)
	}
	if d := lines[0].Data; d.MatchCount != 2 || !cmp.Equal(d.LineNumbers, []int{5, 10}) || d.Line != "exec.Command(a)" || d.Kind != KindLine {
		t.Fatalf("merged line: %+v", d)
	}

	// REPOSITORY adds the match counts of a repository's results.
	repos := Candidates(all, IdentityRepository)
	if repos[0].Data.MatchCount != 4 || repos[1].Data.MatchCount != 2 {
		t.Fatalf("repository counts: %+v", repos)
	}

	d := Candidates([]search.Match{file, commit}, IdentityDefault)
	if got := d[0].Data; got.MatchCount != 3 || got.LineCount != 40 || got.Size != 900 || !cmp.Equal(got.LineNumbers, []int{5, 10, 13}) {
		t.Fatalf("file data: %+v", got)
	}
	if got := d[1].Data; got.Subject != "add exec" || got.Author != "A <a@x>" || !got.Date.Equal(date) || got.Commit != "abc" {
		t.Fatalf("commit data: %+v", got)
	}
	if v, ok := DataNumber(d[0].JSON(), "lineCount"); !ok || v != 40 {
		t.Fatalf("lineCount from data: %v %v", v, ok)
	}

	// Long keys are bounded, stay distinct, and keep whole runes.
	long := strings.Repeat("é", 400)
	k1, k2 := fileKey(1, long+"a"), fileKey(1, long+"b")
	if len(k1) > maxKeyLen || k1 == k2 || !strings.HasPrefix(k1, "file:1:é") || !utf8Valid(k1) {
		t.Fatalf("bounded keys: %q %q", k1, k2)
	}
	if KeyKind(k1) != KindFile || KeyKind("line:1:a:b") != KindLine || KeyKind("repo:1") != KindRepository || KeyKind("x") != "" {
		t.Fatal("KeyKind")
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
