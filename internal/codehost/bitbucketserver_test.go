package codehost_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
)

func bitbucketFixture(t *testing.T) *fakehost.BitbucketServer {
	bb := fakehost.NewBitbucketServer(t)
	for _, name := range []string{"core", "ui", "docs", "tools", "legacy"} {
		bb.AddRepo(fakehost.Repo{Owner: "PROJ", Name: name, Private: name != "docs", Archived: name == "legacy"})
	}
	bb.AddRepo(fakehost.Repo{Owner: "OPS", Name: "deploy", Private: true, Collaborators: []string{"henry", "ivy"}})
	bb.AddRepo(fakehost.Repo{Owner: "~JANE", Name: "core-fork", Fork: true})
	bb.AddUser(fakehost.User{Login: "henry", Email: "henry@example.com"})
	bb.GrantProject("OPS", "judy", "henry")
	bb.SetMaxPerPage(2)
	return bb
}

func TestBitbucketServerListRepos(t *testing.T) {
	bb := bitbucketFixture(t)
	c := newClient(t, codehost.KindBitbucketServer, map[string]any{
		"url": bb.URL(), "token": fakehost.DefaultToken,
		"repos":   []string{"OPS/deploy"},
		"orgs":    []string{"PROJ"},
		"query":   "core",
		"exclude": []any{map[string]string{"pattern": "^PROJ/(ui|tools)$"}},
	})
	repos, err := c.ListRepos(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.1/OPS/deploy", "127.0.0.1/PROJ/core", "127.0.0.1/PROJ/docs", "127.0.0.1/PROJ/legacy", "127.0.0.1/~JANE/core-fork"}
	if diff := cmp.Diff(want, names(repos)); diff != "" {
		t.Fatalf("names (-want +got):\n%s", diff)
	}
	if n := countRequests(bb.Requests(), "GET /rest/api/1.0/projects/PROJ/repos?"); n != 3 {
		t.Errorf("project listing took %d requests, want 3 pages", n)
	}
	for _, r := range repos {
		switch r.Path {
		case "OPS/deploy":
			// Bitbucket puts the user in clone links; Lookout keeps credentials out of URLs.
			if r.CloneURL != bb.URL()+"/scm/ops/deploy.git" || !r.Private || r.URI != bb.URL()+"/projects/OPS/repos/deploy/browse" {
				t.Errorf("deploy = %+v", r)
			}
			if r.Credential.Username != "x-token-auth" || r.Credential.Token != fakehost.DefaultToken {
				t.Errorf("credential = %v", r.Credential)
			}
		case "PROJ/docs":
			if r.Private {
				t.Error("docs is public")
			}
		case "PROJ/legacy":
			if !r.Archived {
				t.Error("legacy is archived")
			}
		case "~JANE/core-fork":
			if !r.Fork {
				t.Error("core-fork is a fork")
			}
		}
	}
}

func TestBitbucketServerAuth(t *testing.T) {
	bb := bitbucketFixture(t)
	bb.SetUsername("svc-lookout")
	for _, tc := range []struct {
		cfg     map[string]any
		wantErr error
	}{
		{map[string]any{"username": "svc-lookout", "token": fakehost.DefaultToken}, nil},
		{map[string]any{"username": "someone-else", "token": fakehost.DefaultToken}, codehost.ErrUnauthorized},
		{map[string]any{"username": "svc-lookout", "token": "wrong"}, codehost.ErrUnauthorized},
		{map[string]any{"token": fakehost.DefaultToken}, nil}, // Bearer (HTTP access token)
	} {
		tc.cfg["url"], tc.cfg["orgs"] = bb.URL(), []string{"OPS"}
		c := newClient(t, codehost.KindBitbucketServer, tc.cfg)
		_, err := c.ListRepos(ctx(t))
		if (tc.wantErr == nil && err != nil) || (tc.wantErr != nil && !errors.Is(err, tc.wantErr)) {
			t.Errorf("%v: err = %v, want %v", tc.cfg, err, tc.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "Authentication failed") {
			t.Errorf("error should carry Bitbucket's message: %v", err)
		}
	}
}

func TestBitbucketServerErrorsAndPermissions(t *testing.T) {
	bb := bitbucketFixture(t)
	c := newClient(t, codehost.KindBitbucketServer, map[string]any{"url": bb.URL(), "token": fakehost.DefaultToken, "repos": []string{"OPS/deploy", "OPS/gone"}})
	repos, err := c.ListRepos(ctx(t))
	if !errors.Is(err, codehost.ErrNotFound) || len(repos) != 1 {
		t.Fatalf("missing repo: %v %v", names(repos), err)
	}
	logins, err := c.ListRepoPermissions(ctx(t), repos[0])
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"henry", "henry@example.com", "ivy", "judy"}, logins); diff != "" {
		t.Errorf("readers (-want +got):\n%s", diff)
	}
	bb.RateLimitNext(1, 11*time.Second)
	var rl *codehost.RateLimitError
	if _, err := c.ListRepos(ctx(t)); !errors.As(err, &rl) || rl.RetryAfter != 11*time.Second {
		t.Fatalf("rate limit: %v", err)
	}
}

func TestBitbucketServerChangesets(t *testing.T) {
	bb := bitbucketFixture(t)
	c := newClient(t, codehost.KindBitbucketServer, map[string]any{"url": bb.URL(), "token": fakehost.DefaultToken, "orgs": []string{"PROJ"}})
	repo := codehost.Repo{Kind: codehost.KindBitbucketServer, Name: "127.0.0.1/PROJ/core"}
	cs := codehost.Changeset{Title: "Upgrade", Body: "b", BaseRef: "main", HeadRef: "campaign/upgrade"}

	if _, _, err := c.CreateChangeset(ctx(t), repo, codehost.Changeset{Title: "x", BaseRef: "main", HeadRef: "y", Draft: true}); !errors.Is(err, codehost.ErrUnsupported) {
		t.Fatalf("draft: %v", err)
	}
	ch, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || exists || ch.State != codehost.StateOpen || ch.HeadRef != "campaign/upgrade" || ch.BaseRef != "main" || ch.ExternalID != "1" {
		t.Fatalf("create: %+v %v %v", ch, exists, err)
	}
	if ch.URL != bb.URL()+"/projects/PROJ/repos/core/pull-requests/1" {
		t.Errorf("URL = %q", ch.URL)
	}
	again, exists, err := c.CreateChangeset(ctx(t), repo, cs)
	if err != nil || !exists || again.ExternalID != "1" {
		t.Fatalf("retry (DuplicatePullRequestException adoption): %+v %v %v", again, exists, err)
	}
	if n := len(bb.PullRequests("PROJ/core")); n != 1 {
		t.Fatalf("%d pull requests, want 1", n)
	}

	_ = bb.AddReview("PROJ/core", 1, "henry", fakehost.ReviewApproved) // bumps the version, as activity does
	upd, err := c.UpdateChangeset(ctx(t), repo, "1", codehost.Changeset{Title: "Upgrade all", Body: "bb", BaseRef: "develop"})
	if err != nil || upd.Title != "Upgrade all" || upd.Body != "bb" || upd.BaseRef != "develop" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	// Someone edits the pull request between Lookout's read and its write: the stale
	// write is refused (PullRequestOutOfDateException) and retried on the new version.
	puts := 0
	bb.OnRequest(func(r *http.Request) {
		if r.Method == http.MethodPut {
			if puts++; puts == 1 {
				_ = bb.SetLabels("PROJ/core", 1, "bumps-the-version")
			}
		}
	})
	upd, err = c.UpdateChangeset(ctx(t), repo, "1", codehost.Changeset{Title: "Upgrade everything", Body: "bb"})
	bb.OnRequest(nil)
	if err != nil || upd.Title != "Upgrade everything" || puts != 2 {
		t.Fatalf("update after a concurrent edit: %+v %v (%d PUTs)", upd, err, puts)
	}

	_ = bb.SetChecks("PROJ/core", 1, fakehost.StatusSuccess)
	got, err := c.LoadChangeset(ctx(t), repo, "1")
	if err != nil || got.ReviewState != codehost.ReviewApproved || got.CheckState != codehost.CheckPassed {
		t.Fatalf("load: review %s checks %s %v", got.ReviewState, got.CheckState, err)
	}
	_ = bb.AddReview("PROJ/core", 1, "ivy", fakehost.ReviewChangesRequested)
	bb.SetCommitStatus(got.HeadSHA, "lint", fakehost.StatusPending)
	got, _ = c.LoadChangeset(ctx(t), repo, "1")
	if got.ReviewState != codehost.ReviewChangesRequested || got.CheckState != codehost.CheckPending {
		t.Fatalf("load: review %s checks %s", got.ReviewState, got.CheckState)
	}

	if closed, err := c.CloseChangeset(ctx(t), repo, "1"); err != nil || closed.State != codehost.StateClosed {
		t.Fatalf("decline: %s %v", closed.State, err)
	}
	if found, ok, err := c.FindChangesetByBranch(ctx(t), repo, "campaign/upgrade"); err != nil || !ok || found.State != codehost.StateClosed {
		t.Fatalf("find declined: %+v %v %v", found, ok, err)
	}
	if reopened, err := c.ReopenChangeset(ctx(t), repo, "1"); err != nil || reopened.State != codehost.StateOpen {
		t.Fatalf("reopen: %s %v", reopened.State, err)
	}
	_ = bb.MergePullRequest("PROJ/core", 1)
	if merged, err := c.LoadChangeset(ctx(t), repo, "1"); err != nil || merged.State != codehost.StateMerged {
		t.Fatalf("merged: %s %v", merged.State, err)
	}
	if _, err := c.UndraftChangeset(ctx(t), repo, "1"); !errors.Is(err, codehost.ErrUnsupported) {
		t.Fatalf("undraft: %v", err)
	}
	bb.RateLimitNext(1, time.Second)
	var rl *codehost.RateLimitError
	if _, _, err := c.CreateChangeset(ctx(t), repo, codehost.Changeset{Title: "x", BaseRef: "main", HeadRef: "z"}); !errors.As(err, &rl) {
		t.Fatalf("rate-limited create: %v", err)
	}
}
