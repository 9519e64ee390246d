package webhooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	// Listeners hear of a change in the transaction that records it: the heads are
	// recorded as it commits.
	var recorded map[string]string
	repostest.WaitFor(t, "the new heads to be recorded", 5*time.Second, func() bool {
		repos, err := e.Store.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		if err != nil || len(repos) != 1 {
			t.Fatalf("repos: %d %v", len(repos), err)
		}
		recorded = repos[0].HeadOIDs
		return recorded["refs/heads/main"] == after
	})

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

// TestLookoutPushHook runs the hook users install in their git repositories
// (dev/git-hooks/lookout-push): as a bare server repository's post-receive hook, a push
// to it is fetched at once; as a working repository's post-commit hook, a commit is.
func TestLookoutPushHook(t *testing.T) {
	hook, err := filepath.Abs("../../dev/git-hooks/lookout-push")
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{})
	changed := make(chan *reposvc.FetchReport, 10)
	repostest.Start(t, e.DB, func(ctx context.Context, _ *store.Store, r *reposvc.FetchReport) error { changed <- r; return nil })
	t0 := time.Date(2025, 5, 1, 9, 0, 0, 0, time.UTC)

	work := gittest.NewRepo(t)
	work.Commit(t0, "", "initial", map[string]string{"a.txt": "a\n"})
	bare := gittest.NewBare(t)
	work.Git("push", "-q", bare, "main")
	local := gittest.NewRepo(t)
	local.Commit(t0, "", "initial", map[string]string{"b.txt": "b\n"})

	cfg, _ := json.Marshal(map[string]any{"repos": []string{bare, local.Dir}, "webhookSecret": "s3cret"})
	e.MustDo(t, e.AdminToken, `mutation($c: String!) { addExternalService(input: {kind: GIT, displayName: "local", config: $c}) { id } }`, map[string]any{"c": string(cfg)}, nil)
	for range 2 {
		select {
		case <-changed:
		case <-time.After(20 * time.Second):
			t.Fatal("not cloned within 20s")
		}
	}
	install := func(dir, as string) {
		data, err := os.ReadFile(hook)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "hooks", as), data, 0o755); err != nil {
			t.Fatal(err)
		}
		gittest.Run(t, dir, gittest.Env(), "config", "lookout.url", e.Server.URL)
		gittest.Run(t, dir, gittest.Env(), "config", "lookout.webhookSecret", "s3cret")
	}
	waitFetch := func(what, want string) {
		t.Helper()
		select {
		case r := <-changed:
			if r.NewHeads["refs/heads/main"] != want {
				t.Fatalf("%s: heads %v, want main at %s", what, r.NewHeads, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not fetched within 10s", what)
		}
	}

	install(bare, "post-receive")
	pushed := work.Commit(t0.Add(time.Minute), "", "second", map[string]string{"a.txt": "b\n"})
	work.Git("push", "-q", bare, "main")
	waitFetch("a push to the bare repository", pushed)

	install(filepath.Join(local.Dir, ".git"), "post-commit")
	committed := local.Commit(t0.Add(time.Minute), "", "second", map[string]string{"b.txt": "c\n"})
	waitFetch("a commit in the working repository", committed)

	// A wrong secret is refused, and the push still succeeds.
	gittest.Run(t, bare, gittest.Env(), "config", "lookout.webhookSecret", "wrong")
	work.Commit(t0.Add(2*time.Minute), "", "third", map[string]string{"a.txt": "c\n"})
	cmd := exec.Command("git", "push", "-q", bare, "main")
	cmd.Dir, cmd.Env = work.Dir, gittest.Env()
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "announcing refs/heads/main to "+e.Server.URL+" failed (401)") {
		t.Fatalf("push with a wrong secret: %v\n%s", err, out)
	}
	select {
	case r := <-changed:
		t.Fatalf("fetched after a delivery with a wrong secret: %v", r.NewHeads)
	case <-time.After(500 * time.Millisecond):
	}
}
