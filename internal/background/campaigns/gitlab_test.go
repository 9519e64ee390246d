package campaigns_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
)

// TestGitLabDraftThenReady opens a draft merge request on a fake GitLab (the spec says
// published: draft), marks it ready when a new plan says published: true, and records
// the merge GitLab's webhook reports.
func TestGitLabDraftThenReady(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	db, _ := dbtestNew(t)
	st := store.New(db)
	gl := fakehost.NewGitLab(t)
	w := gittest.NewRepo(t)
	w.Commit(t0, "", "initial", map[string]string{"README.md": "It uses foo.\n", "src/main.txt": "foo()\n"})
	bare := filepath.Join(t.TempDir(), "app.git")
	gittest.Run(t, w.Dir, gittest.Env(), "clone", "-q", "--bare", w.Dir, bare)
	gl.AddRepo(fakehost.Repo{Owner: "acme/tools", Name: "app", GitDir: bare})
	cfg, _ := json.Marshal(map[string]any{"url": gl.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": []string{"acme/tools/app"}})
	svcRow, err := st.ExternalServices().Create(ctx, "GITLAB", "GitLab", string(cfg), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	repostest.Start(t, db)
	var repo *store.Repo
	waitFor(t, "the project cloned", 30*time.Second, func() bool {
		list, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		if len(list) == 1 && list[0].CloneStatus == store.CloneStatusCloned {
			repo = list[0]
		}
		return repo != nil
	})
	user, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Campaigns().PutCredential(ctx, store.CampaignsCredential{UserID: user.ID, ExternalServiceKind: "GITLAB",
		ExternalServiceURL: campaigns.NormalizeHostURL(gl.URL()), Secret: fakehost.DefaultToken}); err != nil {
		t.Fatal(err)
	}
	// Plans with local steps are a site admin's; the campaign is alice's.
	root, err := st.Users().Create(ctx, store.NewUser{Username: "root", Email: "root@example.com", EmailVerified: true, SiteAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	e := &hostEnv{db: db, st: st, repos: map[string]*store.Repo{"app": repo}, user: root}
	startWorker(t, db, workerConfig{})
	svc := newService(t, e)
	spec := func(published string) string {
		return "on: [{repository: " + repo.Name + "}]\nsteps: [{run: \"sed -i 's/foo/bar/' README.md\"}]\n" +
			"changesetTemplate: {title: Use bar, branch: campaigns/bar, published: " + published + "}"
	}
	plan := finishedPlan(t, ctx, svc, e, spec("draft"))
	c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: user.ID, AuthorID: user.ID, Name: "Bar", PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	state := func(want string) *store.Changeset {
		t.Helper()
		var ch *store.Changeset
		waitFor(t, "changeset "+want, 60*time.Second, func() bool {
			list, err := st.Campaigns().ListChangesets(ctx, store.ChangesetListOptions{CampaignID: c.ID, Viewer: store.InternalViewer})
			if err != nil || len(list) != 1 {
				return false
			}
			ch = list[0]
			return ch.ExternalState == want && ch.State == "completed"
		})
		return ch
	}
	draft := state("DRAFT")
	mrs := gl.PullRequests("acme/tools/app")
	if len(mrs) != 1 || !mrs[0].Draft || draft.ExternalID != "1" || draft.Title != "Draft: Use bar" {
		t.Fatalf("draft merge request %+v, changeset %+v", mrs, draft)
	}

	plan2 := finishedPlan(t, ctx, svc, e, spec("true"))
	if _, err := svc.UpdateCampaign(ctx, campaigns.UpdateCampaignInput{ID: c.ID, PlanID: &plan2.ID}); err != nil {
		t.Fatal(err)
	}
	state("OPEN")
	if mrs := gl.PullRequests("acme/tools/app"); len(mrs) != 1 || mrs[0].Draft {
		t.Fatalf("merge requests after the plan said published: true: %+v", mrs)
	}

	if err := gl.MergePullRequest("acme/tools/app", 1); err != nil {
		t.Fatal(err)
	}
	d, err := gl.MergeRequestDelivery("acme/tools/app", 1, "merge")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := codehost.ParseWebhook(codehost.KindGitLab, d.Header, d.Body)
	if err != nil {
		t.Fatal(err)
	}
	if err := campaigns.HandleWebhook(context.Background(), st, svcRow, ev, time.Now()); err != nil {
		t.Fatal(err)
	}
	merged := state("MERGED")
	events, _ := st.Campaigns().ListEvents(ctx, merged.ID, store.Page{})
	var kinds []string
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	if len(kinds) != 3 || kinds[0] != "OPENED" || kinds[1] != "READY_FOR_REVIEW" || kinds[2] != "MERGED" {
		t.Fatalf("events %v", kinds)
	}
}
