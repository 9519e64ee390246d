package vcs

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"
)

// testEnv isolates test-side git commands from the user's configuration.
func testEnv(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=/nonexistent",
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}
	return append(env, extra...)
}

// gitT runs git in dir for test setup and returns trimmed stdout.
func gitT(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = testEnv(env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// baseTime is the date of the first commit of every test repository.
var baseTime = time.Date(2020, 1, 1, 12, 0, 0, 0, time.UTC)

// workRepo is a non-bare repository that tests commit to and mirror from.
type workRepo struct {
	t   testing.TB
	dir string
}

func newWorkRepo(t testing.TB) *workRepo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "origin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gitT(t, dir, nil, "init", "-q", "-b", "main")
	return &workRepo{t: t, dir: dir}
}

// commit writes files (path -> content; empty content deletes) and commits
// them with fixed author/committer dates.
func (w *workRepo) commit(date time.Time, author, msg string, files map[string]string) string {
	w.t.Helper()
	for path, content := range files {
		p := filepath.Join(w.dir, path)
		if content == "" {
			gitT(w.t, w.dir, nil, "rm", "-q", "--", path)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			w.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	gitT(w.t, w.dir, nil, "add", "-A")
	stamp := "@" + strconv.FormatInt(date.Unix(), 10) + " +0000"
	gitT(w.t, w.dir, []string{
		"GIT_AUTHOR_NAME=" + author, "GIT_AUTHOR_EMAIL=" + strings.ToLower(author) + "@example.com", "GIT_AUTHOR_DATE=" + stamp,
		"GIT_COMMITTER_NAME=" + author, "GIT_COMMITTER_EMAIL=" + strings.ToLower(author) + "@example.com", "GIT_COMMITTER_DATE=" + stamp,
	}, "commit", "-q", "--allow-empty", "-m", msg)
	return w.head()
}

func (w *workRepo) head() string {
	return gitT(w.t, w.dir, nil, "rev-parse", "HEAD")
}

func (w *workRepo) repo(name string) Repo {
	return Repo{Name: name, URL: w.dir}
}

func newTestCache(t testing.TB, dir string) *Cache {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	c, err := NewCache(dir, Options{Logger: logtest.Scoped(t), AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// history builds the repository most tests use:
//
//	c1 2020-01-01 alice  README.md, src/a.go
//	c2 2020-01-02 bob    src/a.go changed, docs/guide.md
//	c3 2020-01-03 alice  src/b.go, README.md changed; tagged v1 (annotated)
//	feature branch from c2: c4 2020-01-04 carol  src/feature.go
type history struct {
	w              *workRepo
	c1, c2, c3, c4 string
}

func newHistory(t testing.TB) *history {
	w := newWorkRepo(t)
	h := &history{w: w}
	day := 24 * time.Hour
	h.c1 = w.commit(baseTime, "Alice", "initial commit", map[string]string{
		"README.md": "# Project\n",
		"src/a.go":  "package src\n\nfunc A() int {\n\treturn 1\n}\n",
	})
	h.c2 = w.commit(baseTime.Add(day), "Bob", "change A\n\nReturn two.", map[string]string{
		"src/a.go":      "package src\n\nfunc A() int {\n\treturn 2\n}\n",
		"docs/guide.md": "guide\n",
	})
	h.c3 = w.commit(baseTime.Add(2*day), "Alice", "add B", map[string]string{
		"src/b.go":  "package src\n\nfunc B() {}\n",
		"README.md": "# Project\n\nNow with B.\n",
	})
	gitT(t, w.dir, []string{"GIT_COMMITTER_NAME=x", "GIT_COMMITTER_EMAIL=x@example.com", "GIT_COMMITTER_DATE=@1577880000 +0000"},
		"tag", "-a", "-m", "release", "v1", h.c3)
	gitT(t, w.dir, nil, "checkout", "-q", "-b", "feature", h.c2)
	h.c4 = w.commit(baseTime.Add(3*day), "Carol", "add feature", map[string]string{
		"src/feature.go": "package src\n\n// Feature is new.\nfunc Feature() {}\n",
	})
	gitT(t, w.dir, nil, "checkout", "-q", "main")
	return h
}
