package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/codehost"
	"github.com/lookout/lookout/internal/codehost/fakehost"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
)

// TestGitHubPushWebhookFetchesWithinSeconds runs the frontend's webhook endpoint and the
// worker's repository routines against a fake GitHub that serves the repository over
// git's smart HTTP protocol.
func TestGitHubPushWebhookFetchesWithinSeconds(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})

	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	before := work.Commit(t0, "", "initial", map[string]string{"a.txt": "a\n"})
	gh := fakehost.NewGitHub(t)
	gh.AddRepo(fakehost.Repo{Owner: "acme", Name: "app", GitDir: work.Dir})

	// The worker: sync, clone and fetch, with its own mirror cache.
	changed := make(chan *reposvc.FetchReport, 10)
	repostest.Start(t, e.DB, func(ctx context.Context, _ *store.Store, r *reposvc.FetchReport) error { changed <- r; return nil })

	cfg, _ := json.Marshal(map[string]any{"url": gh.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": []string{"acme/app"}})
	var added struct{ AddExternalService struct{ ID string } }
	e.MustDo(t, e.AdminToken, `mutation($c: String!) { addExternalService(input: {kind: GITHUB, displayName: "GitHub", config: $c}) { id } }`, map[string]any{"c": string(cfg)}, &added)

	select {
	case r := <-changed:
		if r.NewHeads["refs/heads/main"] != before {
			t.Fatalf("first clone heads %v, want main at %s", r.NewHeads, before)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the repository was not synced and cloned within 20s")
	}

	send := func(d fakehost.Delivery) int {
		resp, err := http.DefaultClient.Do(d.Request(e.Server.URL + "/.api/webhooks/github"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	after := work.Commit(t0.Add(time.Minute), "", "pushed", map[string]string{"a.txt": "b\n"})
	d, err := gh.PushDelivery("acme/app", "refs/heads/main", before, after)
	if err != nil {
		t.Fatal(err)
	}
	forged := fakehost.Delivery{Header: d.Header.Clone(), Body: append([]byte(nil), d.Body...)}
	forged.Header.Set("X-Hub-Signature-256", "sha256=0000000000000000000000000000000000000000000000000000000000000000")
	if code := send(forged); code != http.StatusUnauthorized {
		t.Fatalf("a delivery with a wrong signature got %d, want 401", code)
	}
	unsigned := fakehost.Delivery{Header: d.Header.Clone(), Body: d.Body}
	unsigned.Header.Del("X-Hub-Signature-256")
	if code := send(unsigned); code != http.StatusUnauthorized {
		t.Fatalf("an unsigned delivery got %d, want 401", code)
	}
	select {
	case r := <-changed:
		t.Fatalf("a rejected delivery caused a fetch: %+v", r.NewHeads)
	case <-time.After(300 * time.Millisecond):
	}

	start := time.Now()
	if code := send(d); code != http.StatusAccepted {
		t.Fatalf("a valid push delivery got %d, want 202", code)
	}
	select {
	case r := <-changed:
		if r.NewHeads["refs/heads/main"] != after {
			t.Fatalf("after the push, heads %v, want main at %s", r.NewHeads, after)
		}
		t.Logf("webhook to fetched change: %s", time.Since(start))
		if time.Since(start) > 5*time.Second {
			t.Fatalf("the push was fetched only after %s", time.Since(start))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a valid push was not fetched within 5s")
	}
	repo, err := e.Store.Repos().GetByName(ctx, store.InternalViewer, "127.0.0.1/acme/app")
	if err != nil {
		repos, _ := e.Store.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		if len(repos) != 1 {
			t.Fatalf("repos: %v", err)
		}
		repo = repos[0]
	}
	if repo.HeadOIDs["refs/heads/main"] != after {
		t.Fatalf("recorded heads %v", repo.HeadOIDs)
	}

	// Events Lookout does not act on are acknowledged with 204.
	ping := fakehost.Delivery{Header: d.Header.Clone(), Body: d.Body}
	ping.Header.Set("X-GitHub-Event", "ping")
	if code := send(ping); code != http.StatusNoContent {
		t.Fatalf("a ping got %d, want 204", code)
	}
	// Unknown host paths are 404.
	resp, err := http.Post(e.Server.URL+"/.api/webhooks/sourceforge", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown host: %d", resp.StatusCode)
	}
}

// TestGitPushWebhook covers plain git remotes: a post-receive hook posts a signed
// {"repository", "ref", "before", "after"}.
func TestGitPushWebhook(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)
	before := work.Commit(t0, "", "initial", map[string]string{"a.txt": "a\n"})
	changed := make(chan *reposvc.FetchReport, 10)
	repostest.Start(t, e.DB, func(ctx context.Context, _ *store.Store, r *reposvc.FetchReport) error { changed <- r; return nil })

	cfg, _ := json.Marshal(map[string]any{"repos": []string{work.Dir}, "webhookSecret": "hook-secret"})
	e.MustDo(t, e.AdminToken, `mutation($c: String!) { addExternalService(input: {kind: GIT, displayName: "local", config: $c}) { id } }`, map[string]any{"c": string(cfg)}, nil)
	select {
	case <-changed:
	case <-time.After(20 * time.Second):
		t.Fatal("not cloned within 20s")
	}

	after := work.Commit(t0.Add(time.Minute), "", "second", map[string]string{"a.txt": "b\n"})
	body, _ := json.Marshal(codehost.GitPushPayload{Repository: work.Dir, Ref: "refs/heads/main", Before: before, After: after})
	post := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, e.Server.URL+"/.api/webhooks/git", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", notify.Sign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong-secret"); code != http.StatusUnauthorized {
		t.Fatalf("wrong secret: %d", code)
	}
	if code := post("hook-secret"); code != http.StatusAccepted {
		t.Fatalf("valid push: %d", code)
	}
	select {
	case r := <-changed:
		if r.NewHeads["refs/heads/main"] != after {
			t.Fatalf("heads %v", r.NewHeads)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the push was not fetched within 5s")
	}
}

// TestPushWebhooksOfEveryHost delivers each host's real push payload, signed as that host
// signs it, and checks a webhook fetch is queued for the repository the connection brings
// (and that a wrong secret is refused).
func TestPushWebhooksOfEveryHost(t *testing.T) {
	type host interface {
		URL() string
		AddRepo(fakehost.Repo) fakehost.Repo
		Client() *http.Client
	}
	const before, after = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	for _, tc := range []struct {
		kind, path string
		start      func(t *testing.T) host
		delivery   func(h host) (fakehost.Delivery, error)
	}{
		{"GITLAB", "gitlab", func(t *testing.T) host { return fakehost.NewGitLab(t) },
			func(h host) (fakehost.Delivery, error) {
				return h.(*fakehost.GitLab).PushDelivery("acme/app", "refs/heads/main", before, after)
			}},
		{"GITEA", "gitea", func(t *testing.T) host { return fakehost.NewGitea(t) },
			func(h host) (fakehost.Delivery, error) {
				return h.(*fakehost.Gitea).PushDelivery("acme/app", "refs/heads/main", before, after)
			}},
		{"BITBUCKETSERVER", "bitbucket-server", func(t *testing.T) host { return fakehost.NewBitbucketServer(t) },
			func(h host) (fakehost.Delivery, error) {
				return h.(*fakehost.BitbucketServer).PushDelivery("ACME/app", fakehost.RefUpdate{Ref: "refs/heads/main", Before: before, After: after})
			}},
		{"GITHUB", "github", func(t *testing.T) host { return fakehost.NewGitHub(t) },
			func(h host) (fakehost.Delivery, error) {
				return h.(*fakehost.GitHub).PushDelivery("acme/app", "refs/heads/main", before, after)
			}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			ctx := context.Background()
			e := apitest.New(t, apitest.Options{})
			h := tc.start(t)
			owner := "acme"
			if tc.kind == "BITBUCKETSERVER" {
				owner = "ACME"
			}
			h.AddRepo(fakehost.Repo{Owner: owner, Name: "app"})
			raw, _ := json.Marshal(map[string]any{"url": h.URL(), "token": fakehost.DefaultToken, "webhookSecret": fakehost.DefaultWebhookSecret, "repos": []string{owner + "/app"}})
			// What the sync routine would store, without running it.
			cfg, err := codehost.ParseConfig(codehost.Kind(tc.kind), raw)
			if err != nil {
				t.Fatal(err)
			}
			src, _ := codehost.NewSource(codehost.Kind(tc.kind), cfg, h.Client())
			listed, err := src.ListRepos(ctx)
			if err != nil || len(listed) != 1 {
				t.Fatalf("listing: %v %v", listed, err)
			}
			svc, err := e.Store.ExternalServices().Create(ctx, tc.kind, tc.kind, string(raw), time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			r := listed[0]
			res, err := e.Store.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: r.Name, URI: r.URI, CloneURL: r.CloneURL, ExternalID: r.ExternalID}}, false)
			if err != nil {
				t.Fatal(err)
			}
			repoID := res.NewRepoIDs[0]
			if _, err := e.DB.Exec(ctx, "DELETE FROM repo_fetch_jobs"); err != nil { // the clone the sync queued
				t.Fatal(err)
			}

			d, err := tc.delivery(h)
			if err != nil {
				t.Fatal(err)
			}
			send := func(d fakehost.Delivery) int {
				resp, err := http.DefaultClient.Do(d.Request(e.Server.URL + "/.api/webhooks/" + tc.path))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			// GitLab sends the secret itself; the others sign the body.
			wrong := fakehost.Delivery{Header: d.Header.Clone(), Body: append(append([]byte(nil), d.Body...), ' ')}
			if tc.kind == "GITLAB" {
				wrong = fakehost.Delivery{Header: d.Header.Clone(), Body: d.Body}
				wrong.Header.Set("X-Gitlab-Token", "not-the-secret")
			}
			if code := send(wrong); code != http.StatusUnauthorized {
				t.Fatalf("a delivery with a wrong signature or token got %d, want 401", code)
			}
			if code := send(d); code != http.StatusAccepted {
				t.Fatalf("push delivery got %d, want 202", code)
			}
			var n int
			if err := e.DB.QueryRow(ctx, "SELECT count(*) FROM repo_fetch_jobs WHERE repo_id = $1 AND reason = 'webhook' AND state = 'queued'", repoID).Scan(&n); err != nil || n != 1 {
				t.Fatalf("queued webhook fetches of the repository: %d (%v), want 1", n, err)
			}
		})
	}
}
