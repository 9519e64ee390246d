package codehost_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
)

func giteaFixture(t *testing.T) *fakehost.Gitea {
	gt := fakehost.NewGitea(t)
	gt.AddOrg("forge")
	for _, name := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		gt.AddRepo(fakehost.Repo{Owner: "forge", Name: name, Private: name == "beta"})
	}
	gt.AddRepo(fakehost.Repo{Owner: "erin", Name: "notes", Private: true, Collaborators: []string{"frank", "grace"}})
	gt.AddRepo(fakehost.Repo{Owner: "forge", Name: "team-notes", Collaborators: []string{"frank"}})
	gt.AddRepo(fakehost.Repo{Owner: "erin", Name: "alphabet"})
	gt.SetMaxPerPage(2)
	return gt
}

func TestGiteaListRepos(t *testing.T) {
	gt := giteaFixture(t)
	c := newClient(t, codehost.KindGitea, map[string]any{
		"url": gt.URL(), "token": fakehost.DefaultToken,
		"repos":   []string{"erin/notes"},
		"orgs":    []string{"forge"},
		"query":   "alpha",
		"exclude": []any{"forge/gamma", "127.0.0.1/forge/team-notes"},
	})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/erin/alphabet", "127.0.0.1/erin/notes", "127.0.0.1/forge/alpha", "127.0.0.1/forge/beta", "127.0.0.1/forge/delta", "127.0.0.1/forge/epsilon"}
	if diff := cmp.Diff(want, names(repos)); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	if n := countRequests(gt.Requests(), "GET /api/v1/orgs/forge/repos"); n != 3 {
		t.Errorf("org listing took %d requests, want 3 pages", n)
	}
	for _, r := range repos {
		if r.Path == "forge/beta" && (!r.Private || r.CloneURL != gt.URL()+"/forge/beta.git" || r.Credential.Token != fakehost.DefaultToken) {
			t.Errorf("beta = %+v", r)
		}
	}

	// A user rather than an organization is listed through /users/{name}/repos.
	c = newClient(t, codehost.KindGitea, map[string]any{"url": gt.URL(), "token": fakehost.DefaultToken, "orgs": []string{"erin"}})
	repos, err = c.ListRepos(ctx(t))
	if err != nil || len(repos) != 2 {
		t.Fatalf("user repos: %v %v", names(repos), err)
	}
}

func TestGiteaErrorsAndPermissions(t *testing.T) {
	gt := giteaFixture(t)
	c := newClient(t, codehost.KindGitea, map[string]any{"url": gt.URL(), "token": "nope", "orgs": []string{"forge"}})
	if _, err := c.ListRepos(ctx(t)); !errors.Is(err, codehost.ErrUnauthorized) {
		t.Fatalf("bad token: %v", err)
	}
	gt.RateLimitNext(1, 9*time.Second)
	c = newClient(t, codehost.KindGitea, map[string]any{"url": gt.URL(), "token": fakehost.DefaultToken, "orgs": []string{"forge"}})
	var rl *codehost.RateLimitError
	if _, err := c.ListRepos(ctx(t)); !errors.As(err, &rl) || rl.RetryAfter != 9*time.Second {
		t.Fatalf("rate limit: %v", err)
	}

	// The owner of a user repository can read it without being a collaborator; an
	// organization is not a reader.
	for path, want := range map[string][]string{"erin/notes": {"erin", "frank", "grace"}, "forge/team-notes": {"frank"}} {
		logins, err := c.ListRepoPermissions(ctx(t), codehost.Repo{Kind: codehost.KindGitea, Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, logins); diff != "" {
			t.Errorf("%s readers (-want +got):\n%s", path, diff)
		}
	}
}

func TestGiteaChangesets(t *testing.T) {
	gt := giteaFixture(t)
	c := newClient(t, codehost.KindGitea, map[string]any{"url": gt.URL(), "token": fakehost.DefaultToken, "orgs": []string{"forge"}})
	repo := codehost.Repo{Kind: codehost.KindGitea, Name: "127.0.0.1/forge/alpha"}
	cs := codehost.Changeset{Title: "Rename the thing", Body: "why", BaseRef: "main", HeadRef: "campaign/rename", Draft: true}

	ch, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || exists || ch.State != codehost.StateDraft || ch.Title != "WIP: Rename the thing" {
		t.Fatalf("create: %+v %v %v", ch, exists, err)
	}
	again, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || !exists || again.ExternalID != ch.ExternalID {
		t.Fatalf("retry (409 adoption): %+v %v %v", again, exists, err)
	}
	if n := len(gt.PullRequests("forge/alpha")); n != 1 {
		t.Fatalf("%d pull requests, want 1", n)
	}
	upd, err := c.UpdateChangeset(ctx(t), repo, ch.ExternalID, codehost.Changeset{Title: "Rename it", Body: "because"})
	if err != nil || upd.Title != "WIP: Rename it" || upd.Body != "because" || upd.BaseRef != "main" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	ready, err := c.UndraftChangeset(ctx(t), repo, ch.ExternalID)
	if err != nil || ready.State != codehost.StateOpen || ready.Title != "Rename it" {
		t.Fatalf("undraft: %+v %v", ready, err)
	}

	_ = gt.AddReview("forge/alpha", 1, "frank", fakehost.ReviewChangesRequested)
	_ = gt.AddReview("forge/alpha", 1, "frank", fakehost.ReviewApproved)
	_ = gt.SetChecks("forge/alpha", 1, fakehost.StatusPending)
	got, err := c.LoadChangeset(ctx(t), repo, "1")
	if err != nil || got.ReviewState != codehost.ReviewApproved || got.CheckState != codehost.CheckPending {
		t.Fatalf("load: review %s checks %s %v", got.ReviewState, got.CheckState, err)
	}
	_ = gt.SetChecks("forge/alpha", 1, fakehost.StatusFailure)
	if got, _ := c.LoadChangeset(ctx(t), repo, "1"); got.CheckState != codehost.CheckFailed {
		t.Fatalf("checks = %s, want FAILED", got.CheckState)
	}

	if closed, err := c.CloseChangeset(ctx(t), repo, "1"); err != nil || closed.State != codehost.StateClosed {
		t.Fatalf("close: %s %v", closed.State, err)
	}
	if found, ok, err := c.FindChangesetByBranch(ctx(t), repo, "campaign/rename"); err != nil || !ok || found.ExternalID != "1" {
		t.Fatalf("find: %+v %v %v", found, ok, err)
	}
	if reopened, err := c.ReopenChangeset(ctx(t), repo, "1"); err != nil || reopened.State != codehost.StateOpen {
		t.Fatalf("reopen: %s %v", reopened.State, err)
	}
	_ = gt.MergePullRequest("forge/alpha", 1)
	if merged, err := c.LoadChangeset(ctx(t), repo, "1"); err != nil || merged.State != codehost.StateMerged {
		t.Fatalf("merged: %s %v", merged.State, err)
	}
	if _, err := c.CloseChangeset(ctx(t), repo, "1"); err == nil || codehost.Retryable(err) {
		t.Fatalf("closing a merged pull request: %v", err)
	}

	gt.RateLimitNext(1, 2*time.Second)
	var rl *codehost.RateLimitError
	if _, _, err := c.CreateChangeset(ctx(t), repo, codehost.Changeset{Title: "x", BaseRef: "main", HeadRef: "y"}); !errors.As(err, &rl) {
		t.Fatalf("rate-limited create: %v", err)
	}
}
