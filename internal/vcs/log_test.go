package vcs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func clonedHistory(t *testing.T) (*history, *Mirror) {
	t.Helper()
	h := newHistory(t)
	c := newTestCache(t, "")
	m, err := c.EnsureCloned(testContext(t), h.w.repo("example.com/history"))
	if err != nil {
		t.Fatal(err)
	}
	return h, m
}

func oids(commits []*Commit) []string {
	var out []string
	for _, c := range commits {
		out = append(out, c.OID)
	}
	return out
}

func TestCheckRevision(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"main", "feature/x", "v1.0", "HEAD~2", "HEAD^2", "abc123", "v1^{commit}", "@"} {
		if err := CheckRevision(ok); err != nil {
			t.Errorf("CheckRevision(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "-n", "--output=/tmp/x", "^main", "a..b", "a...b", "HEAD:README", ":/msg", "main@{1}", "a b", "a\nb", "x*"} {
		if err := CheckRevision(bad); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("CheckRevision(%q) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestResolveRevision(t *testing.T) {
	t.Parallel()
	h, m := clonedHistory(t)
	ctx := testContext(t)
	for rev, want := range map[string]string{
		"main":     h.c3,
		"feature":  h.c4,
		"v1":       h.c3, // annotated tag peeled to its commit
		h.c2[:8]:   h.c2,
		h.c1:       h.c1,
		"main~2":   h.c1,
		"HEAD":     h.c3,
		"feature^": h.c2,
	} {
		got, err := m.ResolveRevision(ctx, rev)
		if err != nil || got != want {
			t.Errorf("ResolveRevision(%q) = %q, %v; want %q", rev, got, err, want)
		}
	}
	for _, rev := range []string{"nope", "0000000000000000000000000000000000000000", "main~10"} {
		_, err := m.ResolveRevision(ctx, rev)
		var nf *RevisionNotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, ErrRevisionNotFound) || nf.Rev != rev {
			t.Errorf("ResolveRevision(%q) = %v, want RevisionNotFoundError", rev, err)
		}
	}
	// A tree is not a commit.
	tree := gitT(t, h.w.dir, nil, "rev-parse", "main^{tree}")
	if _, err := m.ResolveRevision(ctx, tree); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("ResolveRevision(tree) = %v, want not found", err)
	}
	if _, err := m.ResolveRevision(ctx, "--all"); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("ResolveRevision(--all) = %v, want ErrInvalidArgument", err)
	}
}

func TestLog(t *testing.T) {
	t.Parallel()
	h, m := clonedHistory(t)
	ctx := testContext(t)
	day := 24 * time.Hour

	all, err := m.Commits(ctx, LogOptions{Include: []string{"main", "feature"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{h.c4, h.c3, h.c2, h.c1}, oids(all)); diff != "" {
		t.Errorf("log main feature (-want +got):\n%s", diff)
	}
	c2 := all[2]
	want := &Commit{
		OID:       h.c2,
		Parents:   []string{h.c1},
		Author:    Signature{Name: "Bob", Email: "bob@example.com", Date: baseTime.Add(day)},
		Committer: Signature{Name: "Bob", Email: "bob@example.com", Date: baseTime.Add(day)},
		Message:   "change A\n\nReturn two.\n",
	}
	if diff := cmp.Diff(want, c2); diff != "" {
		t.Errorf("parsed commit (-want +got):\n%s", diff)
	}
	if c2.Subject() != "change A" {
		t.Errorf("Subject = %q", c2.Subject())
	}

	for name, tc := range map[string]struct {
		opts LogOptions
		want []string
	}{
		"new ^old":      {LogOptions{Include: []string{"main", "feature"}, Exclude: []string{h.c2}}, []string{h.c4, h.c3}},
		"since":         {LogOptions{Include: []string{"main"}, Since: baseTime.Add(day)}, []string{h.c3, h.c2}},
		"until":         {LogOptions{Include: []string{"main"}, Until: baseTime.Add(day)}, []string{h.c2, h.c1}},
		"since until":   {LogOptions{Include: []string{"main", "feature"}, Since: baseTime.Add(day), Until: baseTime.Add(2 * day)}, []string{h.c3, h.c2}},
		"author":        {LogOptions{Include: []string{"main", "feature"}, AuthorPattern: "^alice", IgnoreCase: true}, []string{h.c3, h.c1}},
		"author case":   {LogOptions{Include: []string{"main"}, AuthorPattern: "^alice"}, nil},
		"author email":  {LogOptions{Include: []string{"main", "feature"}, AuthorPattern: "carol@example"}, []string{h.c4}},
		"message":       {LogOptions{Include: []string{"main"}, MessagePattern: "two"}, []string{h.c2}},
		"path":          {LogOptions{Include: []string{"main", "feature"}, Paths: []string{"src/a.go"}}, []string{h.c2, h.c1}},
		"dir path":      {LogOptions{Include: []string{"main", "feature"}, Paths: []string{"src"}}, []string{h.c4, h.c3, h.c2, h.c1}},
		"literal paths": {LogOptions{Include: []string{"main"}, Paths: []string{"src/*.go"}}, nil},
		"max count":     {LogOptions{Include: []string{"main"}, MaxCount: 2}, []string{h.c3, h.c2}},
		"empty range":   {LogOptions{Include: []string{"main"}, Exclude: []string{"main"}}, nil},
	} {
		got, err := m.Commits(ctx, tc.opts)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, oids(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}

	if _, err := m.Commits(ctx, LogOptions{Include: []string{"main", "nope"}}); !errors.Is(err, ErrRevisionNotFound) {
		t.Errorf("log with unknown revision = %v, want ErrRevisionNotFound", err)
	}
	if _, err := m.Commits(ctx, LogOptions{Include: []string{"main"}, Exclude: []string{"--all"}}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("log with option as revision = %v, want ErrInvalidArgument", err)
	}

	// Stopping early kills git and yields nothing more.
	n := 0
	for c, err := range m.Log(ctx, LogOptions{Include: []string{"main"}}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if c.OID == h.c3 {
			break
		}
	}
	if n != 1 {
		t.Errorf("iterated %d commits after break, want 1", n)
	}
}

func TestLogDiff(t *testing.T) {
	t.Parallel()
	h, m := clonedHistory(t)
	ctx := testContext(t)
	w := h.w
	// A rename with an edit, a deletion, a name with a space and a tab, a
	// removed line that looks like a header, and a binary file.
	gitT(t, w.dir, nil, "mv", "src/b.go", "src/bee.go")
	c5 := w.commit(baseTime.Add(5*24*time.Hour), "Dave", "rework", map[string]string{
		"src/bee.go":    "package src\n\nfunc B() {}\n",
		"docs/guide.md": "",
		"my file.txt":   "-- not a header\nkeep\n",
		"tab\tname.txt": "x\n",
		"bin.dat":       "a\x00b",
	})
	c6 := w.commit(baseTime.Add(6*24*time.Hour), "Dave", "edit", map[string]string{
		"my file.txt": "keep\n",
	})
	if _, err := m.c.Fetch(ctx, w.repo(m.name)); err != nil {
		t.Fatal(err)
	}

	commits, err := m.Commits(ctx, LogOptions{Include: []string{"main"}, Exclude: []string{h.c3}, Diff: true})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{c6, c5}, oids(commits)); diff != "" {
		t.Fatalf("commits (-want +got):\n%s", diff)
	}
	want6 := []FileDiff{{
		OldPath: "my file.txt", NewPath: "my file.txt", OldMode: ModeFile, NewMode: ModeFile, Status: FileModified,
		Hunks: []Hunk{{OldStart: 1, OldLines: 2, NewStart: 1, NewLines: 1, Body: []byte("--- not a header\n keep\n")}},
	}}
	if diff := cmp.Diff(want6, commits[0].Files); diff != "" {
		t.Errorf("diff of c6 (-want +got):\n%s", diff)
	}
	want5 := []FileDiff{
		{OldPath: "bin.dat", OldMode: 0, NewPath: "bin.dat", NewMode: ModeFile, Status: FileAdded, Binary: true},
		{OldPath: "docs/guide.md", OldMode: ModeFile, Status: FileDeleted,
			Hunks: []Hunk{{OldStart: 1, OldLines: 1, NewStart: 0, NewLines: 0, Body: []byte("-guide\n")}}},
		{NewPath: "my file.txt", NewMode: ModeFile, Status: FileAdded,
			Hunks: []Hunk{{OldStart: 0, OldLines: 0, NewStart: 1, NewLines: 2, Body: []byte("+-- not a header\n+keep\n")}}},
		{OldPath: "src/b.go", NewPath: "src/bee.go", Status: FileRenamed}, // pure rename: git shows no modes
		{NewPath: "tab\tname.txt", NewMode: ModeFile, Status: FileAdded,
			Hunks: []Hunk{{OldStart: 0, OldLines: 0, NewStart: 1, NewLines: 1, Body: []byte("+x\n")}}},
	}
	want5[0].OldPath = "" // added binary: no old side
	if diff := cmp.Diff(want5, commits[1].Files); diff != "" {
		t.Errorf("diff of c5 (-want +got):\n%s", diff)
	}

	// Hunks with sections and context settings, over the whole history.
	commits, err = m.Commits(ctx, LogOptions{Include: []string{h.c2}, Exclude: []string{h.c1}, Diff: true, ContextLines: -1})
	if err != nil {
		t.Fatal(err)
	}
	wantHunk := []Hunk{{OldStart: 4, OldLines: 1, NewStart: 4, NewLines: 1, Section: "func A() int {", Body: []byte("-\treturn 1\n+\treturn 2\n")}}
	var aGo *FileDiff
	for i := range commits[0].Files {
		if commits[0].Files[i].Path() == "src/a.go" {
			aGo = &commits[0].Files[i]
		}
	}
	if aGo == nil {
		t.Fatalf("no diff for src/a.go in %+v", commits[0].Files)
	}
	if diff := cmp.Diff(wantHunk, aGo.Hunks); diff != "" {
		t.Errorf("-U0 hunk (-want +got):\n%s", diff)
	}
	var lines []string
	for l := range aGo.Hunks[0].Lines() {
		lines = append(lines, string(l))
	}
	if diff := cmp.Diff([]string{"-\treturn 1", "+\treturn 2"}, lines); diff != "" {
		t.Errorf("Lines (-want +got):\n%s", diff)
	}

	// A byte cap drops later hunks and says so.
	commits, err = m.Commits(ctx, LogOptions{Include: []string{c5}, MaxCount: 1, Diff: true, MaxDiffBytes: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !commits[0].DiffTruncated {
		t.Error("DiffTruncated not set")
	}
	total := 0
	for _, f := range commits[0].Files {
		for _, hk := range f.Hunks {
			total += len(hk.Body)
		}
	}
	if total > 10 {
		t.Errorf("kept %d hunk bytes, cap 10", total)
	}
}

func TestNewestCommitAtAndFirstCommit(t *testing.T) {
	t.Parallel()
	h, m := clonedHistory(t)
	ctx := testContext(t)
	day := 24 * time.Hour
	for _, tc := range []struct {
		at    time.Time
		paths []string
		want  string
	}{
		{baseTime.Add(-time.Hour), nil, ""},
		{baseTime, nil, h.c1},
		{baseTime.Add(day + time.Hour), nil, h.c2},
		{baseTime.Add(30 * day), nil, h.c3},
		{baseTime.Add(30 * day), []string{"src/a.go"}, h.c2},
		{baseTime.Add(30 * day), []string{"nothing/here"}, ""},
	} {
		c, err := m.NewestCommitAt(ctx, "main", tc.at, tc.paths...)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if c != nil {
			got = c.OID
		}
		if got != tc.want {
			t.Errorf("NewestCommitAt(%v, %v) = %q, want %q", tc.at, tc.paths, got, tc.want)
		}
	}
	first, err := m.FirstCommitTime(ctx, "feature")
	if err != nil || !first.Equal(baseTime) {
		t.Errorf("FirstCommitTime = %v, %v; want %v", first, err, baseTime)
	}
}

func TestParseGitHeaderPaths(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{
		`a/x y b/x y`:            {"x y", "x y"},
		`a/x b/x`:                {"x", "x"},
		`"a/t\tb" "b/t\tb"`:      {"t\tb", "t\tb"},
		`a/plain "b/q\"uote"`:    {"plain", `q"uote`},
		`"a/caf\303\251" b/cafe`: {"café", "cafe"},
	} {
		a, b, ok := parseGitHeaderPaths(in)
		if !ok || a != want[0] || b != want[1] {
			t.Errorf("parseGitHeaderPaths(%q) = %q %q %v, want %q", in, a, b, ok, want)
		}
	}
	if _, _, ok := parseGitHeaderPaths(`a/x b/y z`); ok {
		t.Error("ambiguous header parsed")
	}
	if got := diffPath(`"b/a\\b"`, "b/"); got != `a\b` {
		t.Errorf("diffPath = %q", got)
	}
	if got := diffPath("b/sp ace.txt\t", "b/"); got != "sp ace.txt" {
		t.Errorf("diffPath with trailing tab = %q", got)
	}
	if strings.Contains(unquotePath(`"unterminated`), "\x00") {
		t.Error("bad unquote")
	}
}
