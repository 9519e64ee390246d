package campaigns_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
)

// forge is what the host test needs of a fake code host.
type forge interface {
	AddRepo(fakehost.Repo) fakehost.Repo
	URL() string
	PullRequests(repoPath string) []fakehost.PullRequest
	MergePullRequest(repoPath string, number int64) error
	Requests() []string
}

// TestCampaignOnEveryHost runs a campaign on a fake Gitea and a fake Bitbucket Server (GitHub,
// GitLab and plain git remotes have their own tests), as a user with a campaigns
// credential: branches pushed and pull requests opened on the host; a pull request
// opened but never recorded (the worker died) is adopted, not duplicated; a merge
// webhook is recorded and counted; closing the campaign closes the other pull request.
func TestCampaignOnEveryHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		kind   codehost.Kind
		owner  string
		new    func(t *testing.T) forge
		merged func(f forge, path string, n int64) (fakehost.Delivery, error)
	}{
		{codehost.KindGitea, "acme", func(t *testing.T) forge { return fakehost.NewGitea(t) }, func(f forge, path string, n int64) (fakehost.Delivery, error) {
			return f.(*fakehost.Gitea).PullRequestDelivery(path, n, "closed")
		}},
		{codehost.KindBitbucketServer, "ACME", func(t *testing.T) forge { return fakehost.NewBitbucketServer(t) }, func(f forge, path string, n int64) (fakehost.Delivery, error) {
			return f.(*fakehost.BitbucketServer).PullRequestDelivery(path, n, "pr:merged")
		}},
	} {
		t.Run(string(tc.kind), func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			db, _ := dbtestNew(t)
			st := store.New(db)
			host := tc.new(t)
			var paths []string
			bares := map[string]string{}
			for _, n := range []string{"app", "lib"} {
				w := gittest.NewRepo(t)
				w.Commit(t0, "", "initial", map[string]string{"README.md": "This is " + n + ".\nIt uses foo.\n", "src/main.txt": "foo()\n"})
				bare := filepath.Join(t.TempDir(), n+".git")
				gittest.Run(t, w.Dir, gittest.Env(), "clone", "-q", "--bare", w.Dir, bare)
				host.AddRepo(fakehost.Repo{Owner: tc.owner, Name: n, GitDir: bare})
				bares[n] = bare
				paths = append(paths, tc.owner+"/"+n)
			}
			cfg, _ := json.Marshal(map[string]any{"url": host.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": paths})
			svcRow, err := st.ExternalServices().Create(ctx, string(tc.kind), string(tc.kind), string(cfg), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			repostest.Start(t, db)
			e := &hostEnv{db: db, st: st, repos: map[string]*store.Repo{}}
			waitFor(t, "the repositories cloned", 30*time.Second, func() bool {
				list, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
				for _, r := range list {
					if r.CloneStatus == store.CloneStatusCloned {
						e.repos[filepath.Base(r.Name)] = r
					}
				}
				return len(e.repos) == 2
			})
			// The plan (local steps) is a site admin's. The campaign is alice's, who is
			// not one: the connection's token is not hers to write with, so her own
			// credential is used.
			if e.user, err = st.Users().Create(ctx, store.NewUser{Username: "root", Email: "root@example.com", EmailVerified: true, SiteAdmin: true}); err != nil {
				t.Fatal(err)
			}
			alice, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Campaigns().PutCredential(ctx, store.CampaignsCredential{UserID: alice.ID, ExternalServiceKind: string(tc.kind),
				ExternalServiceURL: campaigns.NormalizeHostURL(host.URL()), Secret: fakehost.DefaultToken}); err != nil {
				t.Fatal(err)
			}
			startWorker(t, db, workerConfig{})
			svc := newService(t, e)
			plan := finishedPlan(t, ctx, svc, e, specFor(e, "bar", "app", "lib"))
			c, err := svc.CreateCampaign(ctx, campaigns.CreateCampaignInput{NamespaceUserID: alice.ID, AuthorID: alice.ID, Name: "Foo to bar", Description: "We prefer bar.", PlanID: plan.ID})
			if err != nil {
				t.Fatal(err)
			}
			opts := store.ChangesetListOptions{CampaignID: c.ID}
			open := changesetsBy(t, ctx, e, opts, "two open pull requests", allOpen("app", "lib"))
			for _, n := range []string{"app", "lib"} {
				prs := host.PullRequests(tc.owner + "/" + n)
				if len(prs) != 1 || prs[0].Title != "Foo to bar" || prs[0].Head != "campaigns/foo" || prs[0].Base != "main" ||
					!strings.HasPrefix(prs[0].Body, "We prefer bar.") || !strings.Contains(prs[0].Body, "http://lookout.test/campaigns/") {
					t.Fatalf("%s: pull requests %+v", n, prs)
				}
				if readme, _ := gitOutput(bares[n], "show", "campaigns/foo:README.md"); !strings.Contains(readme, "It uses bar.") {
					t.Fatalf("%s: README on the branch: %q", n, readme)
				}
			}

			// The worker died after the host opened lib's pull request, before it was
			// recorded: the retry adopts it.
			lib := open["lib"]
			if _, err := db.Exec(ctx, "UPDATE changesets SET external_id = NULL, external_state = NULL WHERE id = $1", lib.ID); err != nil {
				t.Fatal(err)
			}
			if err := st.Campaigns().Enqueue(ctx, []int64{lib.ID}); err != nil {
				t.Fatal(err)
			}
			adopted := changesetsBy(t, ctx, e, opts, "lib's pull request adopted", func(m map[string]*store.Changeset) bool {
				return m["lib"] != nil && m["lib"].ExternalID == lib.ExternalID && m["lib"].State == "completed"
			})
			if prs := host.PullRequests(tc.owner + "/lib"); len(prs) != 1 || adopted["lib"].PushedCommit != lib.PushedCommit || adopted["lib"].Branch != lib.Branch {
				t.Fatalf("after the retry: pull requests %+v, changeset %+v", prs, adopted["lib"])
			}
			creates := 0
			for _, r := range host.Requests() {
				if strings.HasPrefix(r, "POST ") && (strings.HasSuffix(r, "/lib/pulls") || strings.HasSuffix(r, "/lib/pull-requests")) {
					creates++
				}
			}
			if creates != 2 {
				t.Fatalf("%d requests to open lib's pull request, want 2 (the second answered that it exists)", creates)
			}

			// The host merges app's pull request and says so by webhook.
			if err := host.MergePullRequest(tc.owner+"/app", 1); err != nil {
				t.Fatal(err)
			}
			d, err := tc.merged(host, tc.owner+"/app", 1)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := codehost.ParseWebhook(tc.kind, d.Header, d.Body)
			if err != nil {
				t.Fatal(err)
			}
			if err := campaigns.HandleWebhook(ctx, st, svcRow, ev, time.Now()); err != nil {
				t.Fatal(err)
			}
			if ch, _ := st.Campaigns().GetChangeset(ctx, open["app"].ID); ch.ExternalState != "MERGED" {
				t.Fatalf("after the merge webhook app's changeset is %s", ch.ExternalState)
			}
			counts, err := svc.CountsOverTime(ctx, store.InternalViewer, c.ID, c.CreatedAt, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if last := counts[len(counts)-1]; last.Total != 2 || last.Merged != 1 || last.Open != 1 {
				t.Fatalf("counts after the merge: %+v", last)
			}

			if _, err := svc.CloseCampaign(ctx, c.ID, true); err != nil {
				t.Fatal(err)
			}
			changesetsBy(t, ctx, e, opts, "lib's pull request closed", func(m map[string]*store.Changeset) bool {
				return m["lib"] != nil && m["lib"].ExternalState == "CLOSED" && m["lib"].State == "completed" && m["app"].ExternalState == "MERGED"
			})
			if prs := host.PullRequests(tc.owner + "/lib"); len(prs) != 1 || prs[0].State != "closed" || prs[0].Merged {
				t.Fatalf("lib's pull requests after closing the campaign: %+v", prs)
			}
			if prs := host.PullRequests(tc.owner + "/app"); len(prs) != 1 || !prs[0].Merged {
				t.Fatalf("app's pull requests after closing the campaign: %+v", prs)
			}
		})
	}
}
