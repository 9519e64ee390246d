package corpusgen

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeSource makes a small source tree of Go-like files with paragraphs.
func writeSource(t testing.TB) string {
	t.Helper()
	src := t.TempDir()
	for d := 0; d < 6; d++ {
		for f := 0; f < 5; f++ {
			var b strings.Builder
			fmt.Fprintf(&b, "package p%d\n\n", d)
			for p := 0; p < 12; p++ {
				fmt.Fprintf(&b, "// F%d_%d does thing %d.\nfunc F%d_%d() int {\n\treturn %d // marker%d\n}\n\n", f, p, p, f, p, p*d, p%4)
			}
			path := filepath.Join(src, fmt.Sprintf("dir%d/sub%d", d, d%2), fmt.Sprintf("file%d.go", f))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(src, "blob.bin"), []byte("bin\x00ary"), 0o644); err != nil {
		t.Fatal(err)
	}
	return src
}

func git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGenerateIsDeterministicAndDated(t *testing.T) {
	src := writeSource(t)
	start := time.Date(2023, 1, 2, 9, 0, 0, 0, time.UTC)
	var heads []string
	for i := 0; i < 2; i++ {
		out := t.TempDir()
		repos, err := Generate(context.Background(), Options{Src: src, Out: out, Repos: 2, Commits: 80, Start: start, Span: 365 * 24 * time.Hour, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		if len(repos) != 2 {
			t.Fatalf("repos %+v", repos)
		}
		heads = append(heads, git(t, repos[0].Dir, "rev-parse", "main"), git(t, repos[1].Dir, "rev-parse", "main"))
		if n := git(t, repos[0].Dir, "rev-list", "--count", "main"); n != "80" {
			t.Errorf("repo 0 has %s commits, want 80", n)
		}
		first := git(t, repos[0].Dir, "log", "--reverse", "--format=%cI", "main")
		if !strings.HasPrefix(first, "2023-01-02T09:00:00+00:00") {
			t.Errorf("first commit at %q", strings.SplitN(first, "\n", 2)[0])
		}
		last := git(t, repos[0].Dir, "log", "-1", "--format=%cI", "main")
		if last < "2023-10-01" || last > "2024-01-03" {
			t.Errorf("last commit at %s, want near the end of the span", last)
		}
		// Later commits edit, add and delete files, and name what they touch.
		if stat := git(t, repos[0].Dir, "log", "--format=", "--numstat", "main~60..main"); !strings.Contains(stat, ".go") {
			t.Errorf("no edits in the later history")
		}
		if msgs := git(t, repos[0].Dir, "log", "--format=%s", "main"); !strings.Contains(msgs, "initial import") || !strings.Contains(msgs, ": add ") {
			t.Errorf("messages:\n%s", msgs)
		}
	}
	if heads[0] != heads[2] || heads[1] != heads[3] {
		t.Errorf("not deterministic: %v", heads)
	}
	if heads[0] == heads[1] {
		t.Errorf("repositories 0 and 1 are the same")
	}
}
