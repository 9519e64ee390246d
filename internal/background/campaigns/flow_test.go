package campaigns_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/app"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

const fooSpec = `
name: foo-to-bar
description: Replace foo with bar.
on:
  - repositoriesMatchingQuery: foo
steps:
  - run: sed -i 's/foo/bar/g' README.md src/main.txt
changesetTemplate:
  title: Replace foo with bar
  branch: campaigns/foo-to-bar
  commit:
    message: Replace foo with bar
`

func newService(t *testing.T, e *hostEnv) *campaigns.Service {
	t.Helper()
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{AllowLocal: true, Logger: logtest.Scoped(t)})
	if err != nil {
		t.Fatal(err)
	}
	mirrors := &reposvc.Service{Store: e.st, VCS: cache, Logger: logtest.Scoped(t), Credentials: app.CloneCredential}
	return &campaigns.Service{Store: e.st, Search: search.NewService(e.st, mirrors, nil, nil, search.Options{}), ExternalURL: "http://lookout.test"}
}

// TestSpecPlanToPullRequests runs the worker's campaign routines on a plan from a spec
// over three repositories of a fake GitHub: the steps run, the campaign pushes one
// branch per repository (a taken branch name gets a suffix) and opens one pull request
// per repository; a merge delivered by webhook shows in the counts.
func TestSpecPlanToPullRequests(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "lib", "web")
	// lib already has a branch of that name: the campaign must not take it over.
	libWork := gittest.NewRepo(t)
	libWork.Git("fetch", "-q", e.work["lib"].Dir, "main")
	libWork.Git("push", "-q", e.work["lib"].Dir, "FETCH_HEAD:refs/heads/campaigns/foo-to-bar")
	taken := e.branchHead(t, "lib", "campaigns/foo-to-bar")

	startWorker(t, e.db, workerConfig{})
	svc := newService(t, e)
	viewer := store.Viewer{UserID: e.user.ID}
	plan, err := svc.CreatePlanFromSpec(ctx, viewer, e.user.ID, fooSpec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "plan finished", 60*time.Second, func() bool {
		st, err := svc.PlanStatus(ctx, plan)
		return err == nil && st.State != "PROCESSING"
	})
	status, _ := svc.PlanStatus(ctx, plan)
	if status.State != "COMPLETED" || status.Completed != 3 || len(status.Errors) != 0 {
		t.Fatalf("plan status %+v", status)
	}
	jobs, err := e.st.Campaigns().ListJobs(ctx, store.CampaignJobListOptions{PlanID: plan.ID, OnlyWithDiff: true})
	if err != nil || len(jobs) != 3 {
		t.Fatalf("jobs with a diff: %d %v", len(jobs), err)
	}
	if !strings.Contains(*jobs[0].Diff, "+It uses bar.") {
		t.Fatalf("diff:\n%s", *jobs[0].Diff)
	}
	logs, err := e.st.Campaigns().JobLogs(ctx, jobs[0].ID)
	if err != nil || len(logs) != 1 || logs[0].ExitCode == nil || *logs[0].ExitCode != 0 {
		t.Fatalf("job log: %+v %v", logs, err)
	}

	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Foo to bar", Description: "We prefer bar.", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	var list []*store.Changeset
	waitFor(t, "three open pull requests", 60*time.Second, func() bool {
		list, err = e.st.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{CampaignID: c.ID, Viewer: store.InternalViewer})
		if err != nil || len(list) != 3 {
			return false
		}
		for _, ch := range list {
			if ch.ExternalState != "OPEN" || ch.State != "completed" {
				return false
			}
		}
		return true
	})
	branches := map[string]string{}
	for _, ch := range list {
		repo, _ := e.st.Repos().GetByID(ctx, store.InternalViewer, ch.RepoID)
		name := repo.Name[strings.LastIndex(repo.Name, "/")+1:]
		branches[name] = ch.Branch
		prs := e.gh.PullRequests("acme/" + name)
		if len(prs) != 1 {
			t.Fatalf("%s has %d pull requests, want 1", name, len(prs))
		}
		pr := prs[0]
		if pr.Title != "Replace foo with bar" || pr.Head != ch.Branch || pr.Base != "main" || !strings.Contains(pr.Body, "We prefer bar.") || !strings.Contains(pr.Body, "http://lookout.test/campaigns/") {
			t.Fatalf("%s pull request %+v", name, pr)
		}
		if head := e.branchHead(t, name, ch.Branch); head == "" || head != pr.HeadSHA || head != ch.PushedCommit {
			t.Fatalf("%s branch %s at %q, pull request head %s, pushed %s", name, ch.Branch, head, pr.HeadSHA, ch.PushedCommit)
		}
		readme, _ := gitOutput(e.work[name].Dir, "show", ch.Branch+":README.md")
		if !strings.Contains(readme, "It uses bar.") {
			t.Fatalf("%s README on the branch: %q", name, readme)
		}
		msg, _ := gitOutput(e.work[name].Dir, "log", "-1", "--format=%s|%an|%cn", ch.Branch)
		if msg != "Replace foo with bar|Lookout|Lookout" {
			t.Fatalf("%s commit: %q", name, msg)
		}
	}
	if branches["app"] != "campaigns/foo-to-bar" || branches["web"] != "campaigns/foo-to-bar" || branches["lib"] != "campaigns/foo-to-bar-1" {
		t.Fatalf("branches %v", branches)
	}
	if e.branchHead(t, "lib", "campaigns/foo-to-bar") != taken {
		t.Fatal("the existing branch of lib was overwritten")
	}

	// The fake merges app's pull request and delivers the webhook.
	if err := e.gh.MergePullRequest("acme/app", 1); err != nil {
		t.Fatal(err)
	}
	d, err := e.gh.PullRequestDelivery("acme/app", 1, "closed")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := codehost.ParseWebhook(codehost.KindGitHub, d.Header, d.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := campaigns.HandleWebhook(ctx, e.st, e.svc, ev, time.Now()); err != nil {
		t.Fatal(err)
	}
	counts, err := svc.CountsOverTime(ctx, store.InternalViewer, c.ID, time.Now().Add(-48*time.Hour), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	last := counts[len(counts)-1]
	if last.Total != 3 || last.Merged != 1 || last.Open != 2 || last.OpenPending != 2 {
		t.Fatalf("counts now: %+v", last)
	}
	if first := counts[0]; first.Total != 0 {
		t.Fatalf("counts two days ago: %+v", first)
	}

	// A review asking for changes and a failing check of web's pull request arrive by
	// webhook: both show at once, and count as an open pull request with changes
	// requested.
	if err := e.gh.AddReview("acme/web", 1, "dave", fakehost.ReviewChangesRequested); err != nil {
		t.Fatal(err)
	}
	if err := e.gh.SetChecks("acme/web", 1, fakehost.StatusFailure); err != nil {
		t.Fatal(err)
	}
	for _, deliver := range []func() (fakehost.Delivery, error){
		func() (fakehost.Delivery, error) { return e.gh.ReviewDelivery("acme/web", 1) },
		func() (fakehost.Delivery, error) { return e.gh.StatusDelivery("acme/web", 1, "ci/fake") },
	} {
		d, err := deliver()
		if err != nil {
			t.Fatal(err)
		}
		ev, err := codehost.ParseWebhook(codehost.KindGitHub, d.Header, d.Body)
		if err != nil {
			t.Fatal(err)
		}
		if err := campaigns.HandleWebhook(ctx, e.st, e.svc, ev, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	web, err := e.st.Campaigns().GetChangesetByExternalID(ctx, e.repos["web"].ID, "1")
	if err != nil {
		t.Fatal(err)
	}
	if web.ReviewState != "CHANGES_REQUESTED" || web.CheckState != "FAILED" || web.NextSyncAt == nil || time.Until(*web.NextSyncAt) > time.Second {
		t.Fatalf("web after the review and status webhooks: review %s, checks %s, next sync %v", web.ReviewState, web.CheckState, web.NextSyncAt)
	}
	counts, err = svc.CountsOverTime(ctx, store.InternalViewer, c.ID, c.CreatedAt, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if last := counts[len(counts)-1]; last.Open != 2 || last.OpenChangesRequested != 1 || last.OpenPending != 1 {
		t.Fatalf("counts after the review: %+v", last)
	}
}
