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

func githubFixture(t *testing.T) *fakehost.GitHub {
	gh := fakehost.NewGitHub(t)
	gh.AddOrg("acme")
	for _, name := range []string{"api", "web", "widgets", "old", "secret-thing"} {
		gh.AddRepo(fakehost.Repo{Owner: "acme", Name: name, Description: name + " service",
			Private: name == "secret-thing", Archived: name == "old"})
	}
	gh.AddRepo(fakehost.Repo{Owner: "alice", Name: "tool", Collaborators: []string{"bob", "carol", "dave"}})
	gh.AddRepo(fakehost.Repo{Owner: "bob", Name: "widget-fork", Fork: true})
	gh.AddUser(fakehost.User{Login: "bob"})
	gh.AddUser(fakehost.User{Login: "carol"})
	gh.AddUser(fakehost.User{Login: "dave"})
	gh.SetMaxPerPage(2)
	return gh
}

func TestGitHubListRepos(t *testing.T) {
	gh := githubFixture(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{
		"url": gh.URL(), "token": fakehost.DefaultToken,
		"repos":   []string{"alice/tool"},
		"orgs":    []string{"acme", "bob"}, // bob is a user: listed through /users/bob/repos
		"query":   "widget org:acme",
		"exclude": []any{"acme/web", map[string]string{"pattern": "^acme/o"}},
	})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/acme/api", "127.0.0.1/acme/secret-thing", "127.0.0.1/acme/widgets", "127.0.0.1/alice/tool", "127.0.0.1/bob/widget-fork"}
	if diff := cmp.Diff(want, names(repos)); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	// Five acme repos at two per page: three pages, all followed through Link headers.
	if n := countRequests(gh.Requests(), "GET /api/v3/orgs/acme/repos"); n != 3 {
		t.Errorf("org listing took %d requests, want 3 pages", n)
	}
	var secret, fork codehost.Repo
	for _, r := range repos {
		switch r.Path {
		case "acme/secret-thing":
			secret = r
		case "bob/widget-fork":
			fork = r
		}
	}
	if !secret.Private || secret.Fork || secret.DefaultBranch != "main" || secret.Description != "secret-thing service" {
		t.Errorf("secret-thing = %+v", secret)
	}
	if secret.CloneURL != gh.URL()+"/acme/secret-thing.git" || secret.URI != gh.URL()+"/acme/secret-thing" {
		t.Errorf("URLs = %q, %q", secret.CloneURL, secret.URI)
	}
	if secret.ExternalID == "" || secret.Kind != codehost.KindGitHub {
		t.Errorf("external ID %q kind %q", secret.ExternalID, secret.Kind)
	}
	if secret.Credential != (codehost.Credential{Username: "x-access-token", Token: fakehost.DefaultToken}) {
		t.Errorf("credential = %v", secret.Credential)
	}
	if strings.Contains(secret.Credential.String(), fakehost.DefaultToken) {
		t.Errorf("Credential.String leaks the token: %s", secret.Credential)
	}
	if !fork.Fork {
		t.Errorf("fork not marked: %+v", fork)
	}
}

func TestGitHubListReposMissingIsPartial(t *testing.T) {
	gh := githubFixture(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{
		"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/tool", "alice/gone"},
	})
	repos, err := c.ListRepos(ctx(t))
	if !errors.Is(err, codehost.ErrNotFound) || !strings.Contains(err.Error(), "alice/gone") {
		t.Fatalf("err = %v, want ErrNotFound naming alice/gone", err)
	}
	if diff := cmp.Diff([]string{"127.0.0.1/alice/tool"}, names(repos)); diff != "" {
		t.Errorf("partial result (-want +got):\n%s", diff)
	}
}

func TestGitHubAuthFailure(t *testing.T) {
	gh := githubFixture(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": "wrong", "orgs": []string{"acme"}})
	_, err := c.ListRepos(ctx(t))
	if !errors.Is(err, codehost.ErrUnauthorized) || codehost.Retryable(err) {
		t.Fatalf("err = %v, want non-retryable ErrUnauthorized", err)
	}
	if !strings.Contains(err.Error(), "Bad credentials") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("message %q should quote GitHub and not the token", err)
	}
}

func TestGitHubRateLimit(t *testing.T) {
	for _, secondary := range []bool{false, true} {
		gh := githubFixture(t)
		if secondary {
			gh.RateLimitSecondaryNext(1, 42*time.Second)
		} else {
			gh.RateLimitNext(1, 42*time.Second)
		}
		c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "orgs": []string{"acme"}})
		_, err := c.ListRepos(ctx(t))
		var rl *codehost.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("secondary=%v: err = %v, want RateLimitError", secondary, err)
		}
		if rl.RetryAfter < 40*time.Second || rl.RetryAfter > 43*time.Second {
			t.Errorf("secondary=%v: RetryAfter = %s, want about 42s", secondary, rl.RetryAfter)
		}
		if !codehost.Retryable(err) {
			t.Errorf("rate limit should be retryable")
		}
	}
}

func TestGitHubRepoPermissions(t *testing.T) {
	gh := githubFixture(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/tool"}})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	logins, err := c.ListRepoPermissions(ctx(t), repos[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"bob", "carol", "dave"}, logins); diff != "" {
		t.Errorf("logins over two pages (-want +got):\n%s", diff)
	}
}

func TestGitHubChangesets(t *testing.T) {
	gh := githubFixture(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/tool"}})
	repo := codehost.Repo{Kind: codehost.KindGitHub, Name: "127.0.0.1/alice/tool"} // as stored: Path derived from Name
	cs := codehost.Changeset{Title: "Fix all the things", Body: "Campaign body", BaseRef: "refs/heads/main", HeadRef: "refs/heads/campaign/fix"}

	ch, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || exists {
		t.Fatalf("create: %v exists=%v", err, exists)
	}
	if ch.ExternalID != "1" || ch.State != codehost.StateOpen || ch.HeadRef != "campaign/fix" || ch.BaseRef != "main" ||
		ch.Title != cs.Title || ch.Body != cs.Body || ch.ReviewState != codehost.ReviewPending || ch.CheckState != codehost.CheckUnknown {
		t.Fatalf("created = %+v", ch)
	}
	if ch.URL != gh.URL()+"/alice/tool/pull/1" || ch.HeadSHA == "" || ch.CreatedAt.IsZero() {
		t.Errorf("created URL/sha/time = %q %q %v", ch.URL, ch.HeadSHA, ch.CreatedAt)
	}

	// A retry after the pull request was opened adopts it.
	again, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || !exists || again.ExternalID != ch.ExternalID {
		t.Fatalf("retry: %+v exists=%v err=%v", again, exists, err)
	}
	if n := len(gh.PullRequests("alice/tool")); n != 1 {
		t.Fatalf("%d pull requests on the host, want 1", n)
	}

	upd, err := c.UpdateChangeset(ctx(t), repo, ch.ExternalID, codehost.Changeset{Title: "New title", Body: "New body", BaseRef: "develop"})
	if err != nil || upd.Title != "New title" || upd.Body != "New body" || upd.BaseRef != "develop" {
		t.Fatalf("update: %+v %v", upd, err)
	}

	if err := gh.AddReview("alice/tool", 1, "bob", fakehost.ReviewCommented); err != nil {
		t.Fatal(err)
	}
	if err := gh.AddReview("alice/tool", 1, "carol", fakehost.ReviewApproved); err != nil {
		t.Fatal(err)
	}
	if err := gh.SetChecks("alice/tool", 1, fakehost.StatusPending); err != nil {
		t.Fatal(err)
	}
	gh.SetCheckRun(ch.HeadSHA, "build", "completed", "success")
	got, err := c.LoadChangeset(ctx(t), repo, "1")
	if err != nil || got.ReviewState != codehost.ReviewApproved || got.CheckState != codehost.CheckPending {
		t.Fatalf("load: review %s checks %s err %v", got.ReviewState, got.CheckState, err)
	}
	_ = gh.AddReview("alice/tool", 1, "dave", fakehost.ReviewChangesRequested)
	gh.SetCheckRun(ch.HeadSHA, "lint", "completed", "failure")
	_ = gh.SetChecks("alice/tool", 1, fakehost.StatusSuccess)
	got, err = c.LoadChangeset(ctx(t), repo, "1")
	if err != nil || got.ReviewState != codehost.ReviewChangesRequested || got.CheckState != codehost.CheckFailed {
		t.Fatalf("load: review %s checks %s err %v", got.ReviewState, got.CheckState, err)
	}

	closed, err := c.CloseChangeset(ctx(t), repo, "1")
	if err != nil || closed.State != codehost.StateClosed {
		t.Fatalf("close: %s %v", closed.State, err)
	}
	// With the only pull request closed, creating opens a new one.
	second, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || exists || second.ExternalID != "2" {
		t.Fatalf("create after close: %+v exists=%v %v", second, exists, err)
	}
	found, ok, err := c.FindChangesetByBranch(ctx(t), repo, "campaign/fix")
	if err != nil || !ok || found.ExternalID != "2" {
		t.Fatalf("find prefers the open one: %+v %v %v", found, ok, err)
	}
	if _, ok, err := c.FindChangesetByBranch(ctx(t), repo, "nope"); ok || err != nil {
		t.Fatalf("find missing: %v %v", ok, err)
	}
	reopened, err := c.ReopenChangeset(ctx(t), repo, "1")
	if err != nil || reopened.State != codehost.StateOpen {
		t.Fatalf("reopen: %s %v", reopened.State, err)
	}
	if err := gh.MergePullRequest("alice/tool", 2); err != nil {
		t.Fatal(err)
	}
	merged, err := c.LoadChangeset(ctx(t), repo, "2")
	if err != nil || merged.State != codehost.StateMerged {
		t.Fatalf("merged: %s %v", merged.State, err)
	}
	if _, err := c.ReopenChangeset(ctx(t), repo, "2"); err == nil || codehost.Retryable(err) {
		t.Fatalf("reopening a merged pull request: %v, want a non-retryable error", err)
	}
	if _, err := c.LoadChangeset(ctx(t), repo, "99"); !errors.Is(err, codehost.ErrNotFound) {
		t.Fatalf("load missing: %v", err)
	}
}

func TestGitHubDraftAndRateLimitedCreate(t *testing.T) {
	gh := githubFixture(t)
	c := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/tool"}})
	repo := codehost.Repo{Kind: codehost.KindGitHub, Path: "alice/tool"}
	cs := codehost.Changeset{Title: "Draft it", BaseRef: "main", HeadRef: "campaign/draft", Draft: true}

	gh.RateLimitNext(1, 5*time.Second)
	_, _, err := c.CreateChangeset(ctx(t), repo, cs)
	var rl *codehost.RateLimitError
	if !errors.As(err, &rl) {
		t.Fatalf("err = %v, want RateLimitError", err)
	}
	if len(gh.PullRequests("alice/tool")) != 0 {
		t.Fatal("a rate-limited create opened a pull request")
	}

	// The content-creation limit: a 422 without headers, held back like a rate limit.
	gh.SubmittedTooQuicklyNext(1)
	c2 := newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/tool"}})
	if _, _, err := c2.CreateChangeset(ctx(t), repo, cs); !errors.As(err, &rl) || rl.RetryAfter < time.Minute {
		t.Fatalf("submitted too quickly: err = %v, want a RateLimitError of minutes", err)
	}
	if len(gh.PullRequests("alice/tool")) != 0 {
		t.Fatal("a refused create opened a pull request")
	}

	// go-github remembers the exhausted quota until its reset; a new client starts fresh,
	// as a retried job does.
	c = newClient(t, codehost.KindGitHub, map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "repos": []string{"alice/tool"}})
	ch, _, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || ch.State != codehost.StateDraft {
		t.Fatalf("draft create: %+v %v", ch, err)
	}
	ready, err := c.UndraftChangeset(ctx(t), repo, ch.ExternalID)
	if err != nil || ready.State != codehost.StateOpen {
		t.Fatalf("undraft: %s %v", ready.State, err)
	}
	if pr, _ := gh.PullRequest("alice/tool", 1); pr.Draft {
		t.Error("the host still has a draft")
	}
}
