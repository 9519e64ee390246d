package search_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/dev/corpus/corpusgen"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/vcs/packfile"
)

// corpusMirror generates a 120-commit history (dev/corpus) from a small source tree and
// mirrors it; a second mirror of it reads blobs through git cat-file only.
func corpusMirror(t *testing.T) (m, catFile *vcs.Mirror) {
	t.Helper()
	src := t.TempDir()
	for d := 0; d < 8; d++ {
		for f := 0; f < 4; f++ {
			var b strings.Builder
			fmt.Fprintf(&b, "package p%d\n\n", d)
			for p := 0; p < 10; p++ {
				fmt.Fprintf(&b, "// F%d_%d does thing %d. TODO(p%d)\nfunc F%d_%d() int {\n\treturn %d // marker%d\n}\n\n", f, p, p, p%3, f, p, p*d, p%4)
			}
			path := filepath.Join(src, fmt.Sprintf("dir%d/sub%d", d, d%3), fmt.Sprintf("file%d.go", f))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		bin := filepath.Join(src, fmt.Sprintf("dir%d/data.bin", d))
		if err := os.WriteFile(bin, []byte("marker2\x00binary\n\nmarker2\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repos, err := corpusgen.Generate(context.Background(), corpusgen.Options{Src: src, Out: t.TempDir(), Commits: 120, Seed: 3,
		Start: time.Date(2023, 1, 2, 0, 0, 0, 0, time.UTC), Span: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mirror := func(opts vcs.Options) *vcs.Mirror {
		cache, err := vcs.NewCache(t.TempDir(), opts)
		if err != nil {
			t.Fatal(err)
		}
		m, err := cache.EnsureCloned(context.Background(), vcs.Repo{Name: repos[0].Name, URL: repos[0].Dir})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	return mirror(vcs.Options{AllowLocal: true}), mirror(vcs.Options{AllowLocal: true, NoPackReader: true})
}

func gitLines(t *testing.T, dir string, args ...string) []string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"--git-dir", dir}, args...)...).Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestCorpusHistory checks diff searches over ranges long enough to be split between
// two git processes, and counts at many commits, against git.
func TestCorpusHistory(t *testing.T) {
	ctx := context.Background()
	m, catFile := corpusMirror(t)
	head := gitLines(t, m.Dir(), "rev-parse", "HEAD")[0]
	svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, search.Options{Readers: 2})

	for _, tc := range []struct {
		query, base string
		gitArgs     []string
	}{
		{"marker3", "HEAD~100", []string{"-i", "-G", "marker3"}},
		{"case:yes /F1_[0-9]/", "HEAD~110", []string{"-G", "F1_[0-9]"}},
		{"file:^dir1/ TODO", "HEAD~90", []string{"-i", "-G", "TODO", "--", "dir1"}},
		{"thing 7", "HEAD~5", []string{"-i", "-G", "thing 7"}},
	} {
		base := gitLines(t, m.Dir(), "rev-parse", tc.base)[0]
		plan, err := query.Parse("type:diff count:all " + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		res, err := svc.SearchMirror(ctx, m, plan, search.Revisions{Include: []string{head}, Exclude: []string{base}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, mt := range res.Matches {
			got = append(got, mt.(*search.CommitMatch).Commit.OID)
		}
		args := append([]string{"log", "--format=%H"}, tc.gitArgs...)
		var paths []string
		if i := indexOf(args, "--"); i >= 0 {
			args, paths = args[:i:i], append([]string(nil), args[i:]...)
		}
		want := gitLines(t, m.Dir(), append(append(args, head, "^"+base), paths...)...)
		if !cmp.Equal(got, want) {
			t.Errorf("%s over %s..HEAD: %d commits %v, git log says %d %v", tc.query, tc.base, len(got), got, len(want), want)
		}
	}

	// Counts at every tenth commit, from one counter, agree with git grep.
	commits := gitLines(t, m.Dir(), "rev-list", "--reverse", "HEAD")
	var sample []string
	for i := 0; i < len(commits); i += 10 {
		sample = append(sample, commits[i])
	}
	plan, _ := query.Parse("marker2")
	c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	counts, err := c.AtMany(ctx, sample)
	if err != nil {
		t.Fatal(err)
	}
	for i, commit := range sample {
		out, _ := exec.Command("git", "--git-dir", m.Dir(), "grep", "-c", "-I", "-i", "-F", "marker2", commit).Output()
		want := 0
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				var n int
				fmt.Sscanf(l[strings.LastIndexByte(l, ':')+1:], "%d", &n)
				want += n
			}
		}
		if counts[i].Lines != want {
			t.Errorf("commit %d (%s): %d lines, git grep says %d", i*10, commit[:7], counts[i].Lines, want)
		}
	}
	// Blobs read in process and through git cat-file (a build without cgo) count the
	// same, file by file.
	if packfile.Fast {
		r, err := m.NewBlobReader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, viaGit := r.(*vcs.ObjectReader); viaGit {
			t.Fatal("the mirror's blobs are not read in process")
		}
		r.Close()
	}
	countHead := func(m *vcs.Mirror) *search.Counts {
		t.Helper()
		svc := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, search.Options{Readers: 2})
		c, err := svc.NewMirrorCounter(ctx, m, plan, search.CountOptions{Languages: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		got, err := c.At(ctx, head)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if diff := cmp.Diff(countHead(m), countHead(catFile), ignoreRead); diff != "" {
		t.Errorf("counts read through git cat-file differ (-in process +cat-file):\n%s", diff)
	}
	// Each commit counted by a fresh counter (a full tree listing, no derived state)
	// gives the same files and skipped files; with a small size limit, files cross
	// it as they grow.
	small := search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, search.Options{Readers: 2, MaxFileSize: 700})
	inc, err := small.NewMirrorCounter(ctx, m, plan, search.CountOptions{Languages: true})
	if err != nil {
		t.Fatal(err)
	}
	defer inc.Close()
	incCounts, err := inc.AtMany(ctx, sample)
	if err != nil {
		t.Fatal(err)
	}
	large := 0
	for i, commit := range sample {
		fresh, err := small.NewMirrorCounter(ctx, m, plan, search.CountOptions{Languages: true})
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.At(ctx, commit)
		fresh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, incCounts[i], ignoreRead); diff != "" {
			t.Errorf("commit %s: derived counts differ from a full count (-full +derived):\n%s", commit[:7], diff)
		}
		large += want.Skipped.Large
		if want.Skipped.Binary == 0 && i > 0 {
			t.Errorf("commit %s: no binary file skipped", commit[:7])
		}
	}
	if large == 0 {
		t.Errorf("no file crossed the size limit")
	}

	// One at a time (trees derived by diffs from the previous commit, in both
	// directions) gives the same.
	for i := len(sample) - 1; i >= 0; i-- {
		one, err := c.At(ctx, sample[i])
		if err != nil {
			t.Fatal(err)
		}
		if one.Lines != counts[i].Lines || one.Matches != counts[i].Matches {
			t.Errorf("At(%s) = %d/%d, AtMany gave %d/%d", sample[i][:7], one.Lines, one.Matches, counts[i].Lines, counts[i].Matches)
		}
	}
}
