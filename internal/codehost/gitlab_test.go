package codehost_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
)

func gitlabFixture(t *testing.T) *fakehost.GitLab {
	gl := fakehost.NewGitLab(t)
	gl.AddOrg("platform")
	for _, p := range []struct{ owner, name string }{
		{"platform", "api"}, {"platform", "web"}, {"platform/infra", "terraform"}, {"platform/infra", "ansible"}, {"platform/infra/deep", "charts"},
	} {
		gl.AddRepo(fakehost.Repo{Owner: p.owner, Name: p.name, Description: "the " + p.name, Private: p.name == "terraform"})
	}
	gl.AddRepo(fakehost.Repo{Owner: "alice", Name: "dotfiles", Collaborators: []string{"alice", "bob", "carol"}})
	gl.AddRepo(fakehost.Repo{Owner: "bob", Name: "api-client", Fork: true})
	gl.SetMaxPerPage(2)
	return gl
}

func TestGitLabListRepos(t *testing.T) {
	gl := gitlabFixture(t)
	c := newClient(t, codehost.KindGitLab, map[string]any{
		"url": gl.URL(), "token": fakehost.DefaultToken,
		"repos":   []string{"alice/dotfiles"},
		"orgs":    []string{"platform"},
		"query":   "api",
		"exclude": []any{map[string]string{"pattern": "ansible$"}},
	})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"127.0.0.1/alice/dotfiles", "127.0.0.1/bob/api-client", "127.0.0.1/platform/api", "127.0.0.1/platform/infra/deep/charts",
		"127.0.0.1/platform/infra/terraform", "127.0.0.1/platform/web",
	}
	if diff := cmp.Diff(want, names(repos)); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	if n := countRequests(gl.Requests(), "GET /api/v4/groups/platform/projects"); n != 3 {
		t.Errorf("group listing took %d requests, want 3 pages", n)
	}
	for _, r := range repos {
		switch r.Path {
		case "platform/infra/terraform":
			if !r.Private || r.CloneURL != gl.URL()+"/platform/infra/terraform.git" || r.URI != gl.URL()+"/platform/infra/terraform" {
				t.Errorf("terraform = %+v", r)
			}
			if r.Credential.Username != "oauth2" || r.Credential.Token != fakehost.DefaultToken {
				t.Errorf("credential = %v", r.Credential)
			}
		case "bob/api-client":
			if !r.Fork {
				t.Errorf("fork not marked")
			}
		}
	}
}

func TestGitLabErrors(t *testing.T) {
	gl := gitlabFixture(t)
	c := newClient(t, codehost.KindGitLab, map[string]any{"url": gl.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/dotfiles", "alice/nope"}})
	repos, err := c.ListRepos(ctx(t))
	if !errors.Is(err, codehost.ErrNotFound) || len(repos) != 1 {
		t.Fatalf("missing project: %d repos, err %v", len(repos), err)
	}

	c = newClient(t, codehost.KindGitLab, map[string]any{"url": gl.URL(), "token": "wrong", "orgs": []string{"platform"}})
	if _, err := c.ListRepos(ctx(t)); !errors.Is(err, codehost.ErrUnauthorized) || !strings.Contains(err.Error(), "401 Unauthorized") {
		t.Fatalf("bad token: %v", err)
	}

	c = newClient(t, codehost.KindGitLab, map[string]any{"url": gl.URL(), "token": fakehost.DefaultToken, "orgs": []string{"nogroup"}})
	if _, err := c.ListRepos(ctx(t)); !errors.Is(err, codehost.ErrNotFound) {
		t.Fatalf("missing group: %v", err)
	}

	before := countRequests(gl.Requests(), "GET /api/v4/groups/platform/projects")
	gl.RateLimitNext(1, 17*time.Second)
	c = newClient(t, codehost.KindGitLab, map[string]any{"url": gl.URL(), "token": fakehost.DefaultToken, "orgs": []string{"platform"}})
	_, err = c.ListRepos(ctx(t))
	var rl *codehost.RateLimitError
	if !errors.As(err, &rl) || rl.RetryAfter != 17*time.Second {
		t.Fatalf("rate limit: %v", err)
	}
	if n := countRequests(gl.Requests(), "GET /api/v4/groups/platform/projects") - before; n != 1 {
		t.Errorf("the client retried a 429 by itself (%d requests)", n)
	}
}

func TestGitLabRepoPermissions(t *testing.T) {
	gl := gitlabFixture(t)
	c := newClient(t, codehost.KindGitLab, map[string]any{"url": gl.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/dotfiles"}})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	logins, err := c.ListRepoPermissions(ctx(t), repos[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"alice", "bob", "carol"}, logins); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
}

func TestGitLabChangesets(t *testing.T) {
	gl := gitlabFixture(t)
	c := newClient(t, codehost.KindGitLab, map[string]any{"url": gl.URL(), "token": fakehost.DefaultToken, "orgs": []string{"platform"}})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var repo codehost.Repo
	for _, r := range repos {
		if r.Path == "platform/infra/terraform" {
			repo = r
		}
	}
	const path = "platform/infra/terraform"
	cs := codehost.Changeset{Title: "Bump provider", Body: "body", BaseRef: "main", HeadRef: "campaign/bump", Draft: true}

	ch, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || exists || ch.State != codehost.StateDraft || ch.Title != "Draft: Bump provider" || ch.ExternalID != "1" {
		t.Fatalf("create: %+v exists=%v %v", ch, exists, err)
	}
	again, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || !exists || again.ExternalID != "1" {
		t.Fatalf("retry (409 adoption): %+v exists=%v %v", again, exists, err)
	}
	if n := len(gl.PullRequests(path)); n != 1 {
		t.Fatalf("%d merge requests, want 1", n)
	}

	upd, err := c.UpdateChangeset(ctx(t), repo, "1", codehost.Changeset{Title: "Bump provider to v5", Body: "new", BaseRef: "develop"})
	if err != nil || upd.Title != "Draft: Bump provider to v5" || upd.State != codehost.StateDraft || upd.BaseRef != "develop" || upd.Body != "new" {
		t.Fatalf("update keeps the draft: %+v %v", upd, err)
	}
	ready, err := c.UndraftChangeset(ctx(t), repo, "1")
	if err != nil || ready.State != codehost.StateOpen || ready.Title != "Bump provider to v5" {
		t.Fatalf("undraft: %+v %v", ready, err)
	}

	_ = gl.AddReview(path, 1, "bob", fakehost.ReviewApproved)
	_ = gl.SetChecks(path, 1, fakehost.StatusSuccess)
	got, err := c.LoadChangeset(ctx(t), repo, "1")
	if err != nil || got.ReviewState != codehost.ReviewApproved || got.CheckState != codehost.CheckPassed || got.HeadSHA == "" {
		t.Fatalf("load: %+v %v", got, err)
	}
	_ = gl.AddReview(path, 1, "carol", fakehost.ReviewChangesRequested)
	_ = gl.SetChecks(path, 1, fakehost.StatusFailure)
	_ = gl.SetLabels(path, 1, "deps", "bot")
	got, err = c.LoadChangeset(ctx(t), repo, "1")
	if err != nil || got.ReviewState != codehost.ReviewChangesRequested || got.CheckState != codehost.CheckFailed {
		t.Fatalf("load: review %s checks %s %v", got.ReviewState, got.CheckState, err)
	}
	if diff := cmp.Diff([]string{"deps", "bot"}, got.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}

	if closed, err := c.CloseChangeset(ctx(t), repo, "1"); err != nil || closed.State != codehost.StateClosed {
		t.Fatalf("close: %s %v", closed.State, err)
	}
	if found, ok, err := c.FindChangesetByBranch(ctx(t), repo, "refs/heads/campaign/bump"); err != nil || !ok || found.State != codehost.StateClosed {
		t.Fatalf("find closed: %+v %v %v", found, ok, err)
	}
	if reopened, err := c.ReopenChangeset(ctx(t), repo, "1"); err != nil || reopened.State != codehost.StateOpen {
		t.Fatalf("reopen: %s %v", reopened.State, err)
	}
	_ = gl.MergePullRequest(path, 1)
	if merged, err := c.LoadChangeset(ctx(t), repo, "1"); err != nil || merged.State != codehost.StateMerged {
		t.Fatalf("merged: %s %v", merged.State, err)
	}

	// Repositories stored without a numeric ID are addressed by path.
	byPath := codehost.Repo{Kind: codehost.KindGitLab, Name: "127.0.0.1/" + path}
	if got, err := c.LoadChangeset(ctx(t), byPath, "1"); err != nil || got.State != codehost.StateMerged {
		t.Fatalf("load by path: %+v %v", got, err)
	}

	gl.RateLimitNext(1, 3*time.Second)
	_, _, err = c.CreateChangeset(ctx(t), repo, codehost.Changeset{Title: "x", BaseRef: "main", HeadRef: "other"})
	var rl *codehost.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("rate-limited create: %v", err)
	}
}
