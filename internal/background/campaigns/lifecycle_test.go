package campaigns_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
)

func specFor(e *hostEnv, replacement string, names ...string) string {
	var b strings.Builder
	b.WriteString("on:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  - repository: %s\n", e.repos[n].Name)
	}
	fmt.Fprintf(&b, "steps:\n  - run: sed -i 's/foo/%s/g' README.md src/main.txt\nchangesetTemplate:\n  branch: campaigns/foo\n", replacement)
	return b.String()
}

// finishedPlan creates a plan from a spec and waits for its jobs.
func finishedPlan(t *testing.T, ctx context.Context, svc *campaigns.Service, e *hostEnv, spec string) *store.CampaignPlan {
	t.Helper()
	plan, err := svc.CreatePlanFromSpec(ctx, store.Viewer{UserID: e.user.ID}, e.user.ID, spec)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "plan finished", 60*time.Second, func() bool {
		st, err := svc.PlanStatus(ctx, plan)
		return err == nil && st.State != "PROCESSING"
	})
	return plan
}

// changesetsBy waits until cond holds for the campaign's changesets, by repository name
// on the fake.
func changesetsBy(t *testing.T, ctx context.Context, e *hostEnv, opts store.ChangesetListOptions, what string, cond func(map[string]*store.Changeset) bool) map[string]*store.Changeset {
	t.Helper()
	opts.Viewer = store.InternalViewer
	var out map[string]*store.Changeset
	waitFor(t, what, 60*time.Second, func() bool {
		list, err := e.st.Campaigns().ListChangesets(ctx, opts)
		if err != nil {
			return false
		}
		out = map[string]*store.Changeset{}
		for n, r := range e.repos {
			for _, ch := range list {
				if ch.RepoID == r.ID {
					out[n] = ch
				}
			}
		}
		return cond(out)
	})
	return out
}

func allOpen(names ...string) func(map[string]*store.Changeset) bool {
	return func(m map[string]*store.Changeset) bool {
		for _, n := range names {
			if ch := m[n]; ch == nil || ch.ExternalState != "OPEN" || ch.State != "completed" {
				return false
			}
		}
		return len(m) == len(names)
	}
}

// TestUpdatePlanThenClose replaces a campaign's plan: the repository that left the plan
// has its pull request closed and is detached, a changed diff is pushed to the same pull
// request, a merged one is left alone, a new repository gets a pull request. Closing the
// campaign with closeChangesets closes the open ones on the host.
func TestUpdatePlanThenClose(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "lib", "web", "doc")
	startWorker(t, e.db, workerConfig{})
	svc := newService(t, e)
	plan1 := finishedPlan(t, ctx, svc, e, specFor(e, "bar", "app", "lib", "web"))
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Foo", PlanID: plan1.ID})
	if err != nil {
		t.Fatal(err)
	}
	before := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "three open", allOpen("app", "lib", "web"))
	if err := e.gh.MergePullRequest("acme/web", 1); err != nil {
		t.Fatal(err)
	}
	if err := campaigns.ApplyExternal(ctx, e.st, before["web"].ID, time.Now(), func(cur *store.Changeset) (store.ExternalState, bool) {
		next := campaigns.ExternalOf(cur)
		next.State = "MERGED"
		return next, true
	}); err != nil {
		t.Fatal(err)
	}
	webHead := e.gh.PullRequests("acme/web")[0].HeadSHA

	plan2 := finishedPlan(t, ctx, svc, e, specFor(e, "baz", "lib", "web", "doc"))
	if _, err := svc.UpdateCampaign(ctx, campaigns.UpdateCampaignInput{ID: c.ID, PlanID: &plan2.ID}); err != nil {
		t.Fatal(err)
	}
	after := changesetsBy(t, ctx, e, store.ChangesetListOptions{OwnedByCampaignID: c.ID}, "the new plan applied", func(m map[string]*store.Changeset) bool {
		lib, doc, app := m["lib"], m["doc"], m["app"]
		return app != nil && app.ExternalState == "CLOSED" && lib != nil && lib.State == "completed" && lib.PushedCommit != before["lib"].PushedCommit &&
			doc != nil && doc.ExternalState == "OPEN" && doc.State == "completed"
	})
	if readme, _ := gitOutput(e.work["lib"].Dir, "show", after["lib"].Branch+":README.md"); !strings.Contains(readme, "It uses baz.") {
		t.Fatalf("lib's branch after the update: %q", readme)
	}
	// The same pull request carries the new commit (the fake keeps the head SHA it saw
	// when the pull request was opened, so the branch is checked instead).
	if prs := e.gh.PullRequests("acme/lib"); len(prs) != 1 || prs[0].State != "open" || e.branchHead(t, "lib", prs[0].Head) != after["lib"].PushedCommit {
		t.Fatalf("lib's pull requests %+v", prs)
	}
	if prs := e.gh.PullRequests("acme/app"); len(prs) != 1 || prs[0].State != "closed" || prs[0].Merged {
		t.Fatalf("app's pull requests %+v", prs)
	}
	if prs := e.gh.PullRequests("acme/web"); len(prs) != 1 || !prs[0].Merged || prs[0].HeadSHA != webHead || after["web"].PushedCommit != before["web"].PushedCommit {
		t.Fatalf("the merged pull request was touched: %+v", prs)
	}
	attached := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "attached changesets", func(m map[string]*store.Changeset) bool { return true })
	if _, ok := attached["app"]; ok || len(attached) != 3 {
		t.Fatalf("attached after the update: %v", attached)
	}

	if _, err := svc.CloseCampaign(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "open changesets closed", func(m map[string]*store.Changeset) bool {
		return m["lib"].ExternalState == "CLOSED" && m["doc"].ExternalState == "CLOSED" && m["web"].ExternalState == "MERGED"
	})
	for _, n := range []string{"lib", "doc"} {
		if prs := e.gh.PullRequests("acme/" + n); len(prs) != 1 || prs[0].State != "closed" {
			t.Fatalf("%s's pull requests after closing the campaign: %+v", n, prs)
		}
	}
}

// TestPublishRateLimitSchedules: with one publish an hour per host, one pull request is
// opened and the others show as SCHEDULED with their estimated times.
func TestPublishRateLimitSchedules(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "lib", "web")
	api := apitest.New(t, apitest.Options{DB: e.db})
	_, token := api.CreateUser(t, "bob", false)
	rates, err := campaigns.ParseRates("unlimited, 127.0.0.1=1/hour")
	if err != nil {
		t.Fatal(err)
	}
	startWorker(t, e.db, workerConfig{rates: &rates})
	svc := newService(t, e)
	plan := finishedPlan(t, ctx, svc, e, specFor(e, "bar", "app", "lib", "web"))
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Foo", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	id := string(relay.MarshalID("Campaign", c.ID))
	var got apiCampaign
	waitFor(t, "one open, two scheduled", 30*time.Second, func() bool {
		got = e.campaign(t, api, token, id)
		open, scheduled := 0, 0
		for _, ch := range got.Changesets.Nodes {
			switch {
			case ch.State == "OPEN" && ch.ReconcilerState == "COMPLETED":
				open++
			case ch.State == "UNPUBLISHED" && ch.ReconcilerState == "SCHEDULED" && ch.ScheduleEstimateAt != nil:
				scheduled++
			}
		}
		return open == 1 && scheduled == 2
	})
	var estimates []time.Time
	for _, ch := range got.Changesets.Nodes {
		if ch.ScheduleEstimateAt != nil {
			at, _ := time.Parse(time.RFC3339, *ch.ScheduleEstimateAt)
			estimates = append(estimates, at)
		}
	}
	for _, at := range estimates {
		if wait := time.Until(at); wait < 50*time.Minute || wait > 121*time.Minute {
			t.Fatalf("scheduled at %s (in %s); want one and two hours from now", at, wait)
		}
	}
	if d := estimates[0].Sub(estimates[1]).Abs(); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("scheduled times %v are not an hour apart", estimates)
	}
	if got.Status.State != "PROCESSING" {
		t.Fatalf("campaign status %s while changesets wait", got.Status.State)
	}
	pushed := 0
	for n := range e.repos {
		if e.branchHead(t, n, "campaigns/foo") != "" {
			pushed++
		}
	}
	if pushed != 1 {
		t.Fatalf("%d branches pushed; scheduled changesets must not push before their turn", pushed)
	}
	// Scheduled changesets do not block closing: closing stops their publication.
	if _, err := svc.CloseCampaign(ctx, c.ID, false); err != nil {
		t.Fatal(err)
	}
	got = e.campaign(t, api, token, id)
	if got.Changesets.TotalCount != 1 {
		t.Fatalf("after closing, %d changesets are listed, want the published one", got.Changesets.TotalCount)
	}
}

// TestHostRateLimitAnswerRequeues: a code host answering "rate limited" makes the
// changeset wait and try again, without counting a failure.
func TestHostRateLimitAnswerRequeues(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app")
	svc := newService(t, e)
	plan := finishedPlanWithWorker(t, ctx, svc, e, specFor(e, "bar", "app"))
	e.gh.RateLimitSecondaryNext(1, time.Second)
	startWorker(t, e.db, workerConfig{})
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Foo", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "the pull request opened after the rate limit", allOpen("app"))
	if got["app"].NumFailures != 0 {
		t.Fatalf("a rate limit counted as a failure: %+v", got["app"])
	}
	if prs := e.gh.PullRequests("acme/app"); len(prs) != 1 {
		t.Fatalf("%d pull requests", len(prs))
	}
}

// finishedPlanWithWorker runs a plan's jobs with a worker of its own, stopped after.
func finishedPlanWithWorker(t *testing.T, ctx context.Context, svc *campaigns.Service, e *hostEnv, spec string) *store.CampaignPlan {
	t.Helper()
	stop := startWorker(t, e.db, workerConfig{})
	defer stop()
	return finishedPlan(t, ctx, svc, e, spec)
}

// TestUserCredentialAndTrackedChangesets: a campaign whose author (not a site admin)
// has no campaigns credential fails with a clear error; with the author's credential
// (the connection's token is rejected by the host), the retry opens the pull request.
// A pull request opened by someone else is tracked: imported, added to the campaign, and
// synced with its review and checks.
func TestUserCredentialAndTrackedChangesets(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "web")
	svc := newService(t, e)
	plan := finishedPlanWithWorker(t, ctx, svc, e, specFor(e, "bar", "app"))
	carl, err := e.st.Users().Create(ctx, store.NewUser{Username: "carl", Email: "carl@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	e.gh.SetToken("carl-token") // the connection's token no longer works
	startWorker(t, e.db, workerConfig{})
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: carl.ID, AuthorID: carl.ID, Name: "Foo", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	failed := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "no credential", func(m map[string]*store.Changeset) bool {
		return m["app"] != nil && m["app"].State == "failed"
	})
	if msg := failed["app"].FailureMessage; !strings.Contains(msg, "no campaigns credential") || !strings.Contains(msg, "createCampaignsCredential") {
		t.Fatalf("failure without a credential: %q", msg)
	}
	if e.branchHead(t, "app", "campaigns/foo") != "" {
		t.Fatal("pushed without a credential")
	}
	if _, err := e.st.Campaigns().PutCredential(ctx, store.CampaignsCredential{UserID: carl.ID, ExternalServiceKind: "GITHUB",
		ExternalServiceURL: campaigns.NormalizeHostURL(e.gh.URL()), Secret: "carl-token"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.RetryChangesets(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "the pull request opened with carl's credential", allOpen("app"))

	// Someone opens a pull request in web; the campaign tracks it. Tracked changesets
	// are read with the site credential or the connection's token: give the site one.
	if _, err := e.st.Campaigns().PutCredential(ctx, store.CampaignsCredential{ExternalServiceKind: "GITHUB",
		ExternalServiceURL: campaigns.NormalizeHostURL(e.gh.URL()), Secret: "carl-token"}); err != nil {
		t.Fatal(err)
	}
	pr, err := e.gh.AddPullRequest("acme/web", fakehost.PullRequest{Title: "Handmade", Head: "feature", Author: "carol"})
	if err != nil {
		t.Fatal(err)
	}
	tracked, err := svc.CreateChangesets(ctx, store.Viewer{UserID: carl.ID}, []campaigns.TrackInput{{RepoID: e.repos["web"].ID, ExternalID: fmt.Sprint(pr.Number)}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := svc.CreateChangesets(ctx, store.Viewer{UserID: carl.ID}, []campaigns.TrackInput{{RepoID: e.repos["web"].ID, ExternalID: fmt.Sprint(pr.Number)}})
	if err != nil || again[0].ID != tracked[0].ID {
		t.Fatalf("tracking it again: %+v %v", again, err)
	}
	if _, err := svc.AddChangesetsToCampaign(ctx, c.ID, []int64{tracked[0].ID}); err != nil {
		t.Fatal(err)
	}
	changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "the tracked pull request imported", func(m map[string]*store.Changeset) bool {
		return m["web"] != nil && m["web"].ExternalState == "OPEN" && m["web"].Title == "Handmade"
	})
	if err := e.gh.AddReview("acme/web", pr.Number, "dave", fakehost.ReviewApproved); err != nil {
		t.Fatal(err)
	}
	if err := e.gh.SetChecks("acme/web", pr.Number, fakehost.StatusSuccess); err != nil {
		t.Fatal(err)
	}
	if err := svc.SyncChangeset(ctx, tracked[0].ID); err != nil {
		t.Fatal(err)
	}
	// The sync's fields are written before its job is marked done: wait for both, since
	// a campaign refuses to close while its changesets are being processed.
	synced := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "review and checks synced", func(m map[string]*store.Changeset) bool {
		return m["web"].ReviewState == string(codehost.ReviewApproved) && m["web"].CheckState == string(codehost.CheckPassed) &&
			m["web"].State == "completed" && m["app"].State == "completed"
	})
	if next := synced["web"].NextSyncAt; next == nil || time.Until(*next) < time.Minute {
		t.Fatalf("next sync at %v: want the backoff (at least two minutes)", next)
	}
	events, err := e.st.Campaigns().ListEvents(ctx, tracked[0].ID, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	if strings.Join(kinds, ",") != "OPENED,REVIEW_APPROVED,CHECKS_PASSED" {
		t.Fatalf("events %v", kinds)
	}
	// A campaign closes only its own pull requests, never tracked ones.
	if _, err := svc.CloseCampaign(ctx, c.ID, true); err != nil {
		t.Fatal(err)
	}
	changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "the campaign's own pull request closed", func(m map[string]*store.Changeset) bool {
		return m["app"].ExternalState == "CLOSED"
	})
	if prs := e.gh.PullRequests("acme/web"); prs[0].State != "open" {
		t.Fatal("closing the campaign closed a tracked pull request")
	}
}

// TestPatchPlan: of two uploaded patches, the one that does not apply fails only its
// repository (without retries), and the campaign publishes the other.
func TestPatchPlan(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	e := newHostEnv(t, "app", "lib")
	startWorker(t, e.db, workerConfig{})
	svc := newService(t, e)
	base := e.repos["app"].HeadOIDs["refs/heads/main"]
	good := "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,2 @@\n This is app.\n-It uses foo.\n+It uses qux.\n"
	bad := "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,2 @@\n This is something else.\n-It uses foo.\n+It uses qux.\n"
	plan, err := svc.CreatePlanFromPatches(ctx, store.Viewer{UserID: e.user.ID}, e.user.ID, []campaigns.PatchInput{
		{RepoID: e.repos["app"].ID, BaseRevision: base, BaseRef: "refs/heads/main", Patch: good},
		{RepoID: e.repos["lib"].ID, BaseRevision: e.repos["lib"].HeadOIDs["refs/heads/main"], BaseRef: "main", Patch: bad},
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "patch plan checked", 30*time.Second, func() bool {
		st, err := svc.PlanStatus(ctx, plan)
		return err == nil && st.State != "PROCESSING"
	})
	st, _ := svc.PlanStatus(ctx, plan)
	if st.State != "ERRORED" || len(st.Errors) != 1 || !strings.Contains(st.Errors[0], "lib: patch does not apply") {
		t.Fatalf("status %+v", st)
	}
	jobs, _ := e.st.Campaigns().ListJobs(ctx, store.CampaignJobListOptions{PlanID: plan.ID})
	for _, j := range jobs {
		if j.RepoID == e.repos["lib"].ID && (j.State != "failed" || j.NumFailures != 1) {
			t.Fatalf("a patch that does not apply was retried: %+v", j)
		}
	}
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: e.user.ID, AuthorID: e.user.ID, Name: "Qux", Branch: "qux", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "app's pull request", allOpen("app"))
	if readme, _ := gitOutput(e.work["app"].Dir, "show", got["app"].Branch+":README.md"); readme != "This is app.\nIt uses qux." {
		t.Fatalf("README on the branch: %q", readme)
	}
}

// TestPlainGitRemoteChangesetIsPushed: a repository of a GIT connection has no pull
// requests; its changeset is the pushed branch, in state PUSHED.
func TestPlainGitRemoteChangesetIsPushed(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	db, _ := dbtestNew(t)
	st := store.New(db)
	w := gittest.NewRepo(t)
	w.Commit(t0, "", "initial", map[string]string{"README.md": "It uses foo.\n", "src/main.txt": "foo()\n"})
	bare := filepath.Join(t.TempDir(), "plain.git")
	gittest.Run(t, w.Dir, gittest.Env(), "clone", "-q", "--bare", w.Dir, bare)
	cfg, _ := json.Marshal(map[string]any{"repos": []string{bare}})
	if _, err := st.ExternalServices().Create(ctx, "GIT", "plain", string(cfg), time.Hour); err != nil {
		t.Fatal(err)
	}
	repostest.Start(t, db)
	var repo *store.Repo
	waitFor(t, "the repository cloned", 30*time.Second, func() bool {
		list, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		if len(list) == 1 && list[0].CloneStatus == store.CloneStatusCloned {
			repo = list[0]
		}
		return repo != nil
	})
	user, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true, SiteAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &hostEnv{db: db, st: st, repos: map[string]*store.Repo{"plain": repo}, user: user}
	startWorker(t, db, workerConfig{})
	svc := newService(t, e)
	plan := finishedPlan(t, ctx, svc, e, specFor(e, "bar", "plain"))
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: user.ID, AuthorID: user.ID, Name: "Foo", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := changesetsBy(t, ctx, e, store.ChangesetListOptions{CampaignID: c.ID}, "the branch pushed", func(m map[string]*store.Changeset) bool {
		return m["plain"] != nil && m["plain"].ExternalState == "PUSHED" && m["plain"].State == "completed"
	})
	head, err := gitOutput(bare, "rev-parse", "refs/heads/campaigns/foo")
	if err != nil || head != got["plain"].PushedCommit || head != got["plain"].HeadSHA || got["plain"].ExternalID != "refs/heads/campaigns/foo" {
		t.Fatalf("branch at %q (%v), changeset %+v", head, err, got["plain"])
	}
	if readme, _ := gitOutput(bare, "show", "campaigns/foo:README.md"); readme != "It uses bar." {
		t.Fatalf("README on the branch: %q", readme)
	}
}

// TestStepLogIsReadableWhileItRunsAndCancel: a running step's output shows in its job's
// log before the step ends, and cancelCampaignPlan stops it.
func TestStepLogIsReadableWhileItRunsAndCancel(t *testing.T) {
	t.Parallel()
	e := newHostEnv(t, "app")
	api := apitest.New(t, apitest.Options{DB: e.db})
	token := api.AdminToken
	startWorker(t, e.db, workerConfig{})
	var created struct{ CreateCampaignPlanFromSpec struct{ ID string } }
	api.MustDo(t, token, `mutation($s: String!) { createCampaignPlanFromSpec(spec: $s) { id } }`,
		map[string]any{"s": "on: [{repository: " + e.repos["app"].Name + "}]\nsteps: [{run: 'echo started; sleep 60'}]"}, &created)
	id := created.CreateCampaignPlanFromSpec.ID
	query := `query($id: ID!) { node(id: $id) { ... on CampaignPlan { status { state } jobs { nodes { state log { out exitCode } } } } } }`
	type view struct {
		Node struct {
			Status struct{ State string }
			Jobs   struct {
				Nodes []struct {
					State string
					Log   []struct {
						Out      string
						ExitCode *int
					}
				}
			}
		}
	}
	var v view
	waitFor(t, "the running step's output in its log", 30*time.Second, func() bool {
		api.MustDo(t, token, query, map[string]any{"id": id}, &v)
		j := v.Node.Jobs.Nodes[0]
		return j.State == "PROCESSING" && len(j.Log) == 1 && strings.Contains(j.Log[0].Out, "stdout: started") && j.Log[0].ExitCode == nil
	})
	start := time.Now()
	api.MustDo(t, token, `mutation($p: ID!) { cancelCampaignPlan(plan: $p) { alwaysNil } }`, map[string]any{"p": id}, nil)
	// The plan's status and its jobs are read apart (GraphQL resolves them
	// concurrently): one response may show the job canceled and the plan still
	// processing; both must get there.
	waitFor(t, "the job and the plan canceled", 20*time.Second, func() bool {
		api.MustDo(t, token, query, map[string]any{"id": id}, &v)
		return v.Node.Jobs.Nodes[0].State == "CANCELED" && v.Node.Status.State == "CANCELED"
	})
	t.Logf("canceled a running step in %s", time.Since(start))
}
