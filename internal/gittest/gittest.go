// Package gittest makes real git repositories for tests: a work tree with commits at
// fixed dates and authors, and bare remotes to push to.
package gittest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Env is the environment git runs with in tests: no user or system config, a fixed
// identity, and no prompts.
func Env(extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_TERMINAL_PROMPT=0",
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"LC_ALL=C",
	}
	return append(env, extra...)
}

// Run runs git in dir and returns its trimmed output, failing the test on error.
func Run(t testing.TB, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Repo is a non-bare repository with a work tree.
type Repo struct {
	t   testing.TB
	Dir string
}

// NewRepo initialises a repository whose default branch is main.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "work")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Run(t, dir, Env(), "init", "-q", "-b", "main")
	return &Repo{t: t, Dir: dir}
}

// Commit writes files (path → content; an empty content deletes the file), commits them
// at date as author ("Name <email>", or "" for the default), and returns the commit id.
func (r *Repo) Commit(date time.Time, author, message string, files map[string]string) string {
	r.t.Helper()
	for path, content := range files {
		full := filepath.Join(r.Dir, path)
		if content == "" {
			_ = os.Remove(full)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
	}
	Run(r.t, r.Dir, Env(), "add", "-A")
	stamp := date.UTC().Format(time.RFC3339)
	env := Env("GIT_AUTHOR_DATE="+stamp, "GIT_COMMITTER_DATE="+stamp)
	if author != "" {
		name, email, _ := strings.Cut(author, " <")
		env = append(env, "GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+strings.TrimSuffix(email, ">"))
	}
	Run(r.t, r.Dir, env, "commit", "-q", "--allow-empty", "-m", message)
	return r.Head()
}

// Head returns the commit id of HEAD.
func (r *Repo) Head() string {
	r.t.Helper()
	return Run(r.t, r.Dir, Env(), "rev-parse", "HEAD")
}

// Git runs a git command in the work tree.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Run(r.t, r.Dir, Env(), args...)
}

// NewBare makes an empty bare repository (a remote to push to) and returns its path.
func NewBare(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "remote.git")
	Run(t, t.TempDir(), Env(), "init", "-q", "--bare", "-b", "main", dir)
	return dir
}

// GrepCount counts the case-insensitive literal matches of pattern in the repository at
// dir at the newest commit of main dated at or before at, with git itself: the
// independent answer code insights' points must equal. 0 before the history.
func GrepCount(t testing.TB, dir, pattern string, at time.Time) int {
	t.Helper()
	commit := Run(t, dir, Env(), "rev-list", "-1", "--before="+strconv.FormatInt(at.Unix(), 10), "main")
	if commit == "" {
		return 0
	}
	cmd := exec.Command("git", "grep", "-o", "-i", "-I", "-F", "-e", pattern, commit)
	cmd.Dir = dir
	cmd.Env = Env()
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
			return 0 // no match
		}
		t.Fatalf("git grep: %v", err)
	}
	return strings.Count(string(out), "\n")
}
