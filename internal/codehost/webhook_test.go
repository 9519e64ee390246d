package codehost_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
)

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func header(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

func TestVerifyWebhook(t *testing.T) {
	body := []byte(`{"zen":"Keep it logically awesome."}`)
	const secret = "It's a Secret to Everybody"
	good := sign(secret, body)
	bad := sign("other", body)
	for _, tc := range []struct {
		name   string
		kind   codehost.Kind
		secret string
		h      http.Header
		want   error
	}{
		{"github ok", codehost.KindGitHub, secret, header("X-Hub-Signature-256", "sha256="+good), nil},
		{"github wrong", codehost.KindGitHub, secret, header("X-Hub-Signature-256", "sha256="+bad), codehost.ErrBadSignature},
		{"github missing", codehost.KindGitHub, secret, header("X-Hub-Signature", "sha1=abc"), codehost.ErrBadSignature},
		{"github no prefix", codehost.KindGitHub, secret, header("X-Hub-Signature-256", good), codehost.ErrBadSignature},
		{"github not hex", codehost.KindGitHub, secret, header("X-Hub-Signature-256", "sha256=zz"), codehost.ErrBadSignature},
		{"github no secret", codehost.KindGitHub, "", header("X-Hub-Signature-256", "sha256="+sign("", body)), codehost.ErrNoSecret},
		{"gitlab ok", codehost.KindGitLab, secret, header("X-Gitlab-Token", secret), nil},
		{"gitlab wrong", codehost.KindGitLab, secret, header("X-Gitlab-Token", secret+"x"), codehost.ErrBadSignature},
		{"gitlab missing", codehost.KindGitLab, secret, header(), codehost.ErrBadSignature},
		{"gitea ok", codehost.KindGitea, secret, header("X-Gitea-Signature", good), nil},
		{"gitea wrong", codehost.KindGitea, secret, header("X-Gitea-Signature", bad), codehost.ErrBadSignature},
		{"gitea only github header", codehost.KindGitea, secret, header("X-Hub-Signature-256", "sha256="+good), codehost.ErrBadSignature},
		{"bitbucket ok", codehost.KindBitbucketServer, secret, header("X-Hub-Signature", "sha256="+good), nil},
		{"bitbucket wrong", codehost.KindBitbucketServer, secret, header("X-Hub-Signature", "sha256="+bad), codehost.ErrBadSignature},
		{"bitbucket missing", codehost.KindBitbucketServer, secret, header(), codehost.ErrBadSignature},
		{"git ok", codehost.KindGit, secret, header("X-Hub-Signature-256", "sha256="+good), nil},
		{"git missing", codehost.KindGit, secret, header(), codehost.ErrBadSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := codehost.VerifyWebhook(tc.kind, tc.secret, tc.h, body)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
		})
	}
	// The signature covers the body: one changed byte fails.
	tampered := append([]byte(nil), body...)
	tampered[3] ^= 1
	if err := codehost.VerifyWebhook(codehost.KindGitHub, secret, header("X-Hub-Signature-256", "sha256="+good), tampered); !errors.Is(err, codehost.ErrBadSignature) {
		t.Fatalf("tampered body verified: %v", err)
	}
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "webhooks", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseWebhookFixtures(t *testing.T) {
	for _, tc := range []struct {
		file string
		kind codehost.Kind
		h    http.Header
		want codehost.Event
	}{
		{"github-push.json", codehost.KindGitHub, header("X-GitHub-Event", "push"), &codehost.PushEvent{
			Repo: codehost.EventRepo{Name: "github.com/Codertocat/Hello-World", Path: "Codertocat/Hello-World", ExternalID: "186853002",
				CloneURLs: []string{"https://github.com/Codertocat/Hello-World.git", "git@github.com:Codertocat/Hello-World.git"},
				URL:       "https://github.com/Codertocat/Hello-World"},
			Ref: "refs/heads/main", Before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", After: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e",
			Changes: []codehost.RefChange{{Ref: "refs/heads/main", Before: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", After: "f95f852bd8fca8fcc58a9a2d6c842781e32a215e"}},
		}},
		{"github-pull_request-closed.json", codehost.KindGitHub, header("X-GitHub-Event", "pull_request"), &codehost.PullRequestEvent{
			Repo: codehost.EventRepo{Name: "github.com/Codertocat/Hello-World", Path: "Codertocat/Hello-World", ExternalID: "186853002",
				CloneURLs: []string{"https://github.com/Codertocat/Hello-World.git", "git@github.com:Codertocat/Hello-World.git"},
				URL:       "https://github.com/Codertocat/Hello-World"},
			Number: 2, Action: "closed", State: codehost.StateMerged, Title: "Update the README with new information.",
			URL: "https://github.com/Codertocat/Hello-World/pull/2", HeadRef: "changes", BaseRef: "master", HeadSHA: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
		}},
		{"gitlab-push.json", codehost.KindGitLab, header("X-Gitlab-Event", "Push Hook"), &codehost.PushEvent{
			Repo: codehost.EventRepo{Name: "example.com/mike/diaspora", Path: "mike/diaspora", ExternalID: "15",
				CloneURLs: []string{"http://example.com/mike/diaspora.git", "git@example.com:mike/diaspora.git"}, URL: "http://example.com/mike/diaspora"},
			Ref: "refs/heads/master", Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Changes: []codehost.RefChange{{Ref: "refs/heads/master", Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}},
		}},
		// Instance-wide system hooks carry the same payload under another header value.
		{"gitlab-push.json", codehost.KindGitLab, header("X-Gitlab-Event", "System Hook"), &codehost.PushEvent{
			Repo: codehost.EventRepo{Name: "example.com/mike/diaspora", Path: "mike/diaspora", ExternalID: "15",
				CloneURLs: []string{"http://example.com/mike/diaspora.git", "git@example.com:mike/diaspora.git"}, URL: "http://example.com/mike/diaspora"},
			Ref: "refs/heads/master", Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Changes: []codehost.RefChange{{Ref: "refs/heads/master", Before: "95790bf891e76fee5e1747ab589903a6a1f80f22", After: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"}},
		}},
		{"gitlab-merge_request-approved.json", codehost.KindGitLab, header("X-Gitlab-Event", "Merge Request Hook"), &codehost.ReviewEvent{
			Repo: codehost.EventRepo{Name: "example.com/gitlabhq/gitlab-test", Path: "gitlabhq/gitlab-test", ExternalID: "1",
				CloneURLs: []string{"http://example.com/gitlabhq/gitlab-test.git", "git@example.com:gitlabhq/gitlab-test.git"}, URL: "http://example.com/gitlabhq/gitlab-test"},
			Number: 1, State: codehost.ReviewApproved, Reviewer: "root",
		}},
		{"gitea-pull_request.json", codehost.KindGitea, header("X-Gitea-Event", "pull_request", "X-Gitea-Event-Type", "pull_request"), &codehost.PullRequestEvent{
			Repo: codehost.EventRepo{Name: "gitea.example.com/org/app", Path: "org/app", ExternalID: "12",
				CloneURLs: []string{"https://gitea.example.com/org/app.git", "git@gitea.example.com:org/app.git"}, URL: "https://gitea.example.com/org/app"},
			Number: 7, Action: "opened", State: codehost.StateDraft, Title: "WIP: Add a feature", URL: "https://gitea.example.com/org/app/pulls/7",
			HeadRef: "feature", BaseRef: "main", HeadSHA: "9f1e2d3c4b5a69788796a5b4c3d2e1f001122334",
		}},
		// Old Gitea sends only the coarse X-Gitea-Event.
		{"gitea-pull_request.json", codehost.KindGitea, header("X-Gitea-Event", "pull_request_approved"), &codehost.ReviewEvent{
			Repo: codehost.EventRepo{Name: "gitea.example.com/org/app", Path: "org/app", ExternalID: "12",
				CloneURLs: []string{"https://gitea.example.com/org/app.git", "git@gitea.example.com:org/app.git"}, URL: "https://gitea.example.com/org/app"},
			Number: 7, State: codehost.ReviewApproved, Reviewer: "dev",
		}},
		{"bitbucket-refs_changed.json", codehost.KindBitbucketServer, header("X-Event-Key", "repo:refs_changed"), &codehost.PushEvent{
			Repo: codehost.EventRepo{Path: "PROJ/repository", ExternalID: "84"},
			Ref:  "refs/heads/master", Before: "ecddabb624f6f5ba43816f5926e580a5f680a932", After: "178864a7d521b6f5e720b386b2c2b0ef8563e0dc",
			Changes: []codehost.RefChange{
				{Ref: "refs/heads/master", Before: "ecddabb624f6f5ba43816f5926e580a5f680a932", After: "178864a7d521b6f5e720b386b2c2b0ef8563e0dc"},
				{Ref: "refs/tags/v1.0", Before: "0000000000000000000000000000000000000000", After: "178864a7d521b6f5e720b386b2c2b0ef8563e0dc"},
			},
		}},
		{"bitbucket-pr-reviewer-needs_work.json", codehost.KindBitbucketServer, header("X-Event-Key", "pr:reviewer:needs_work"), &codehost.ReviewEvent{
			Repo: codehost.EventRepo{Path: "PROJ/repository", ExternalID: "84"}, Number: 9, State: codehost.ReviewChangesRequested, Reviewer: "user",
		}},
	} {
		t.Run(tc.file+" "+tc.h.Get("X-Gitlab-Event")+tc.h.Get("X-Gitea-Event"), func(t *testing.T) {
			got, err := codehost.ParseWebhook(tc.kind, tc.h, fixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseWebhookUnknownAndMalformed(t *testing.T) {
	for _, tc := range []struct {
		kind codehost.Kind
		h    http.Header
	}{
		{codehost.KindGitHub, header("X-GitHub-Event", "ping")},
		{codehost.KindGitHub, header("X-GitHub-Event", "issues")},
		{codehost.KindGitHub, header()},
		{codehost.KindGitLab, header("X-Gitlab-Event", "Note Hook")},
		{codehost.KindGitea, header("X-Gitea-Event", "issues", "X-Gitea-Event-Type", "issues")},
		{codehost.KindBitbucketServer, header("X-Event-Key", "diagnostics:ping")},
		{codehost.KindBitbucketServer, header("X-Event-Key", "pr:reviewer:changed_unknown_future_event")},
	} {
		if _, err := codehost.ParseWebhook(tc.kind, tc.h, []byte(`{"zen":"x"}`)); !errors.Is(err, codehost.ErrUnknownEvent) {
			t.Errorf("%s %v: err = %v, want ErrUnknownEvent", tc.kind, tc.h, err)
		}
	}
	for _, tc := range []struct {
		kind codehost.Kind
		h    http.Header
		body string
	}{
		{codehost.KindGitHub, header("X-GitHub-Event", "push"), `{"ref": 1}`},
		{codehost.KindGitHub, header("X-GitHub-Event", "push"), `{}`},
		{codehost.KindGitLab, header("X-Gitlab-Event", "Merge Request Hook"), `not json`},
		{codehost.KindGitea, header("X-Gitea-Event-Type", "pull_request"), `{"action":"opened"}`},
		{codehost.KindBitbucketServer, header("X-Event-Key", "repo:refs_changed"), `{"changes":[]}`},
	} {
		_, err := codehost.ParseWebhook(tc.kind, tc.h, []byte(tc.body))
		if err == nil || errors.Is(err, codehost.ErrUnknownEvent) {
			t.Errorf("%s %s: err = %v, want a malformed-payload error", tc.kind, tc.body, err)
		}
	}
}

// TestFakeDeliveries checks the fakes' webhook builders against VerifyWebhook and
// ParseWebhook, so tests of the webhook endpoints can rely on them.
func TestFakeDeliveries(t *testing.T) {
	const before, after = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	check := func(t *testing.T, kind codehost.Kind, d fakehost.Delivery, err error) codehost.Event {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := codehost.VerifyWebhook(kind, fakehost.DefaultWebhookSecret, d.Header, d.Body); err != nil {
			t.Fatalf("verify: %v", err)
		}
		if err := codehost.VerifyWebhook(kind, "another secret", d.Header, d.Body); !errors.Is(err, codehost.ErrBadSignature) {
			t.Fatalf("verified with the wrong secret: %v", err)
		}
		req := d.Request("http://lookout.example/.api/webhooks/x")
		if req.Method != http.MethodPost || req.Header.Get("Content-Type") == "" {
			t.Fatalf("request = %s %v", req.Method, req.Header)
		}
		ev, err := codehost.ParseWebhook(kind, d.Header, d.Body)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		return ev
	}

	t.Run("github", func(t *testing.T) {
		gh := fakehost.NewGitHub(t)
		repo := gh.AddRepo(fakehost.Repo{Owner: "acme", Name: "api"})
		d, err := gh.PushDelivery("acme/api", "refs/heads/main", before, after)
		push := check(t, codehost.KindGitHub, d, err).(*codehost.PushEvent)
		if push.Repo.Name != "127.0.0.1/acme/api" || push.After != after || push.Repo.ExternalID == "" || push.Repo.CloneURLs[0] != gh.URL()+"/acme/api.git" {
			t.Errorf("push = %+v", push)
		}
		pr, _ := gh.AddPullRequest(repo.Path(), fakehost.PullRequest{Title: "t", Head: "feature"})
		_ = gh.MergePullRequest(repo.Path(), pr.Number)
		d, err = gh.PullRequestDelivery(repo.Path(), pr.Number, "closed")
		if ev := check(t, codehost.KindGitHub, d, err).(*codehost.PullRequestEvent); ev.State != codehost.StateMerged || ev.Number != pr.Number || ev.HeadRef != "feature" {
			t.Errorf("pull_request = %+v", ev)
		}
		_ = gh.AddReview(repo.Path(), pr.Number, "bob", fakehost.ReviewChangesRequested)
		d, err = gh.ReviewDelivery(repo.Path(), pr.Number)
		if ev := check(t, codehost.KindGitHub, d, err).(*codehost.ReviewEvent); ev.State != codehost.ReviewChangesRequested || ev.Reviewer != "bob" {
			t.Errorf("review = %+v", ev)
		}
		_ = gh.SetChecks(repo.Path(), pr.Number, fakehost.StatusFailure)
		d, err = gh.StatusDelivery(repo.Path(), pr.Number, "ci/fake")
		if ev := check(t, codehost.KindGitHub, d, err).(*codehost.StatusEvent); ev.State != codehost.CheckFailed || ev.SHA != pr.HeadSHA || !cmp.Equal(ev.Branches, []string{"feature"}) {
			t.Errorf("status = %+v", ev)
		}
	})

	t.Run("gitlab", func(t *testing.T) {
		gl := fakehost.NewGitLab(t)
		repo := gl.AddRepo(fakehost.Repo{Owner: "group/sub", Name: "proj"})
		d, err := gl.PushDelivery(repo.Path(), "refs/tags/v1", before, after)
		if d.Header.Get("X-Gitlab-Event") != "Tag Push Hook" {
			t.Errorf("tag push sent as %q", d.Header.Get("X-Gitlab-Event"))
		}
		if push := check(t, codehost.KindGitLab, d, err).(*codehost.PushEvent); push.Repo.Name != "127.0.0.1/group/sub/proj" || push.Ref != "refs/tags/v1" {
			t.Errorf("push = %+v", push)
		}
		pr, _ := gl.AddPullRequest(repo.Path(), fakehost.PullRequest{Title: "Draft: t", Head: "feature"})
		d, err = gl.MergeRequestDelivery(repo.Path(), pr.Number, "open")
		if ev := check(t, codehost.KindGitLab, d, err).(*codehost.PullRequestEvent); ev.State != codehost.StateDraft || ev.Number != pr.Number || ev.HeadSHA != pr.HeadSHA {
			t.Errorf("merge request = %+v", ev)
		}
		_ = gl.AddReview(repo.Path(), pr.Number, "carol", fakehost.ReviewApproved)
		d, err = gl.MergeRequestDelivery(repo.Path(), pr.Number, "approved")
		if ev := check(t, codehost.KindGitLab, d, err).(*codehost.ReviewEvent); ev.State != codehost.ReviewApproved || ev.Reviewer != "carol" {
			t.Errorf("approval = %+v", ev)
		}
		_ = gl.SetChecks(repo.Path(), pr.Number, fakehost.StatusSuccess)
		d, err = gl.PipelineDelivery(repo.Path(), pr.Number)
		if ev := check(t, codehost.KindGitLab, d, err).(*codehost.StatusEvent); ev.State != codehost.CheckPassed || !cmp.Equal(ev.Numbers, []int64{pr.Number}) {
			t.Errorf("pipeline = %+v", ev)
		}
	})

	t.Run("gitea", func(t *testing.T) {
		gt := fakehost.NewGitea(t)
		repo := gt.AddRepo(fakehost.Repo{Owner: "org", Name: "app"})
		d, err := gt.PushDelivery(repo.Path(), "refs/heads/main", before, after)
		if push := check(t, codehost.KindGitea, d, err).(*codehost.PushEvent); push.Repo.Path != "org/app" || push.Before != before {
			t.Errorf("push = %+v", push)
		}
		pr, _ := gt.AddPullRequest(repo.Path(), fakehost.PullRequest{Title: "t", Head: "feature"})
		d, err = gt.PullRequestDelivery(repo.Path(), pr.Number, "synchronized")
		if ev := check(t, codehost.KindGitea, d, err).(*codehost.PullRequestEvent); ev.State != codehost.StateOpen || ev.Action != "synchronized" {
			t.Errorf("pull_request_sync = %+v", ev)
		}
		_ = gt.AddReview(repo.Path(), pr.Number, "dave", fakehost.ReviewChangesRequested)
		d, err = gt.ReviewDelivery(repo.Path(), pr.Number)
		if ev := check(t, codehost.KindGitea, d, err).(*codehost.ReviewEvent); ev.State != codehost.ReviewChangesRequested || ev.Reviewer != "dave" {
			t.Errorf("review = %+v", ev)
		}
		_ = gt.SetChecks(repo.Path(), pr.Number, fakehost.StatusPending)
		d, err = gt.StatusDelivery(repo.Path(), pr.Number, "ci/fake")
		if ev := check(t, codehost.KindGitea, d, err).(*codehost.StatusEvent); ev.State != codehost.CheckPending || ev.SHA != pr.HeadSHA {
			t.Errorf("status = %+v", ev)
		}
	})

	t.Run("bitbucket", func(t *testing.T) {
		bb := fakehost.NewBitbucketServer(t)
		repo := bb.AddRepo(fakehost.Repo{Owner: "PROJ", Name: "core"})
		d, err := bb.PushDelivery(repo.Path(), fakehost.RefUpdate{Ref: "refs/heads/main", Before: before, After: after},
			fakehost.RefUpdate{Ref: "refs/heads/old", Before: before, After: "0000000000000000000000000000000000000000"})
		push := check(t, codehost.KindBitbucketServer, d, err).(*codehost.PushEvent)
		if push.Repo.Name != "127.0.0.1/PROJ/core" || len(push.Changes) != 2 || push.Ref != "refs/heads/main" || push.Repo.CloneURLs[0] != bb.URL()+"/scm/proj/core.git" {
			t.Errorf("push = %+v", push)
		}
		pr, _ := bb.AddPullRequest(repo.Path(), fakehost.PullRequest{Title: "t", Head: "feature"})
		_ = bb.ClosePullRequest(repo.Path(), pr.Number)
		d, err = bb.PullRequestDelivery(repo.Path(), pr.Number, "pr:declined")
		if ev := check(t, codehost.KindBitbucketServer, d, err).(*codehost.PullRequestEvent); ev.State != codehost.StateClosed || ev.HeadRef != "feature" {
			t.Errorf("declined = %+v", ev)
		}
		_ = bb.AddReview(repo.Path(), pr.Number, "erin", fakehost.ReviewApproved)
		d, err = bb.ReviewDelivery(repo.Path(), pr.Number)
		if ev := check(t, codehost.KindBitbucketServer, d, err).(*codehost.ReviewEvent); ev.State != codehost.ReviewApproved || ev.Reviewer != "erin" {
			t.Errorf("review = %+v", ev)
		}
	})
}

func TestGitPushPayload(t *testing.T) {
	ev, err := codehost.ParseWebhook(codehost.KindGit, http.Header{}, []byte(`{"repository":"/srv/git/app.git","ref":"refs/heads/main","before":"a","after":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	push, ok := ev.(*codehost.PushEvent)
	if !ok || push.Repo.CloneURLs[0] != "/srv/git/app.git" || push.Ref != "refs/heads/main" || push.After != "b" {
		t.Fatalf("parsed %#v", ev)
	}
	if _, err := codehost.ParseWebhook(codehost.KindGit, http.Header{}, []byte(`{"ref":"x"}`)); err == nil {
		t.Fatal("a payload without repository was accepted")
	}
	cfg, err := codehost.ParseConfig(codehost.KindGit, []byte(`{"repos":[{"url":"/srv/a","private":true},"/srv/b"],"webhookSecret":"s3"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Secret() != "s3" {
		t.Fatalf("secret %q", cfg.Secret())
	}
	red, _ := json.Marshal(cfg.Redacted())
	if strings.Contains(string(red), "s3") {
		t.Fatalf("redacted config shows the secret: %s", red)
	}
	src, _ := codehost.NewSource(codehost.KindGit, cfg, nil)
	repos, err := src.ListRepos(context.Background())
	if err != nil || len(repos) != 2 || !repos[0].Private || repos[1].Private {
		t.Fatalf("repos %+v %v", repos, err)
	}
}
