package codehost_test

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

func tryGit(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	return cmd.Run()
}

// TestGitHubServesGit clones and pushes through the fake's git endpoint with the
// credential codehost hands out, then opens a pull request from the pushed branch.
func TestGitHubServesGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	origin := filepath.Join(t.TempDir(), "app")
	if err := os.Mkdir(origin, 0o755); err != nil {
		t.Fatal(err)
	}
	git(t, origin, "init", "-q")
	if err := os.WriteFile(filepath.Join(origin, "README"), []byte("hi\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, origin, "add", "README")
	git(t, origin, "commit", "-q", "-m", "initial")

	gh := fakehost.NewGitHub(t)
	gh.AddRepo(fakehost.Repo{Owner: "acme", Name: "app", Private: true, GitDir: origin})
	c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"acme/app"}})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	repo := repos[0]

	work := t.TempDir()
	if err := tryGit(work, "clone", "-q", repo.CloneURL, "anon"); err == nil {
		t.Fatal("cloned a private repository without credentials")
	}
	u, _ := url.Parse(repo.CloneURL)
	u.User = url.UserPassword(repo.Credential.Username, repo.Credential.Token)
	git(t, work, "clone", "-q", u.String(), "clone")
	clone := filepath.Join(work, "clone")
	git(t, clone, "checkout", "-q", "-b", "campaign/x")
	if err := os.WriteFile(filepath.Join(clone, "README"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, clone, "commit", "-q", "-am", "change")
	pushed := git(t, clone, "rev-parse", "HEAD")

	// GitHub refuses a pull request from a branch it does not have.
	_, _, err = c.CreateChangeset(ctx(t), repo, codehost.Changeset{Title: "t", BaseRef: "main", HeadRef: "campaign/x"})
	if err == nil || codehost.Retryable(err) || !strings.Contains(err.Error(), "Validation Failed") {
		t.Fatalf("pull request from a missing branch: %v", err)
	}
	git(t, clone, "push", "-q", "origin", "campaign/x")
	ch, _, err := c.CreateChangeset(ctx(t), repo, codehost.Changeset{Title: "t", BaseRef: "main", HeadRef: "campaign/x"})
	if err != nil || ch.HeadSHA != pushed {
		t.Fatalf("pull request: %+v %v (pushed %s)", ch, err, pushed)
	}
}
