package repos_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

func TestSyncCloneFetchOnPushAndAPI(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)

	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	first := work.Commit(t0, "Alice <alice@example.com>", "first commit", map[string]string{"README.md": "hello\n"})
	second := work.Commit(t0.Add(time.Hour), "Bob <bob@example.com>", "second commit\n\nwith a body", map[string]string{"main.go": "package main\n"})

	var mu sync.Mutex
	var changes []*reposvc.FetchReport
	repostest.Start(t, db, func(ctx context.Context, _ *store.Store, r *reposvc.FetchReport) error {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, r)
		return nil
	})

	cfg, _ := json.Marshal(map[string]any{"repos": []string{work.Dir}})
	if _, err := st.ExternalServices().Create(ctx, "GIT", "local", string(cfg), time.Hour); err != nil {
		t.Fatal(err)
	}
	var repo *store.Repo
	repostest.WaitFor(t, "the repository to be synced and cloned", 20*time.Second, func() bool {
		repos, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{})
		if len(repos) == 1 && repos[0].CloneStatus == store.CloneStatusCloned {
			repo = repos[0]
			return true
		}
		return false
	})
	if repo.HeadOIDs["refs/heads/main"] != second || repo.DefaultBranch != "main" {
		t.Fatalf("after clone: heads %v default %q", repo.HeadOIDs, repo.DefaultBranch)
	}

	// A push: the webhook path queues a fetch; the worker fetches and reports the change.
	third := work.Commit(t0.Add(2*time.Hour), "", "third commit", map[string]string{"main.go": "package main\n\nfunc main() {}\n"})
	pushed := time.Now()
	if err := st.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	repostest.WaitFor(t, "the push to be fetched", 10*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range changes {
			if c.NewHeads["refs/heads/main"] == third {
				return true
			}
		}
		return false
	})
	t.Logf("push to change notification: %s", time.Since(pushed))
	mu.Lock()
	last := changes[len(changes)-1]
	mu.Unlock()
	if last.OldHeads["refs/heads/main"] != second {
		t.Fatalf("change report old heads %v, want main at %s", last.OldHeads, second)
	}

	// The API reads the same repository through its own mirror.
	e := apitest.New(t, apitest.Options{DB: db})
	var res struct {
		Repository struct {
			Name          string
			DefaultBranch struct {
				DisplayName string
				Target      struct{ Oid string }
			}
			Commit struct {
				Oid     string
				Subject string
				Author  struct{ Name, Email, Date string }
				Parents []struct{ Oid string }
			}
			Missing    *struct{ Oid string }
			MirrorInfo struct {
				Cloned    bool
				LastError *string
				ByteSize  string
			}
		}
	}
	e.MustDo(t, e.AdminToken, `query($name: String!) { repository(name: $name) {
		name defaultBranch { displayName target { oid } }
		commit(rev: "HEAD~1") { oid subject author { name email date } parents { oid } }
		missing: commit(rev: "no-such-branch") { oid }
		mirrorInfo { cloned lastError byteSize } } }`, map[string]any{"name": repo.Name}, &res)
	r := res.Repository
	if r.DefaultBranch.Target.Oid != third || r.DefaultBranch.DisplayName != "main" {
		t.Errorf("defaultBranch = %+v, want main at %s", r.DefaultBranch, third)
	}
	if r.Commit.Oid != second || r.Commit.Subject != "second commit" || r.Commit.Author.Email != "bob@example.com" ||
		r.Commit.Author.Date != "2025-03-01T13:00:00Z" || len(r.Commit.Parents) != 1 || r.Commit.Parents[0].Oid != first {
		t.Errorf("commit(HEAD~1) = %+v", r.Commit)
	}
	// The fetch measured the mirror: git counts in KiB, so at least one.
	if size, err := strconv.ParseInt(r.MirrorInfo.ByteSize, 10, 64); err != nil || size < 1024 {
		t.Errorf("mirrorInfo.byteSize = %q", r.MirrorInfo.ByteSize)
	}
	if r.Missing != nil || !r.MirrorInfo.Cloned || r.MirrorInfo.LastError != nil {
		t.Errorf("missing=%v mirrorInfo=%+v", r.Missing, r.MirrorInfo)
	}
	if resp := e.Do(t, e.AdminToken, `query($name: String!) { repository(name: $name) { commit(rev: "--output=/tmp/x") { oid } } }`, map[string]any{"name": repo.Name}); resp.Code() != "BAD_USER_INPUT" {
		t.Errorf("option-like revision: %+v", resp.Errors)
	}
}

func TestFetchErrorIsRecordedAndShown(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	repostest.Start(t, db)
	cfg := fmt.Sprintf(`{"repos": [{"url": %q, "name": "local/gone"}]}`, t.TempDir()+"/does-not-exist")
	if _, err := st.ExternalServices().Create(ctx, "GIT", "broken", cfg, time.Hour); err != nil {
		t.Fatal(err)
	}
	var repo *store.Repo
	repostest.WaitFor(t, "the failed clone to be recorded", 20*time.Second, func() bool {
		repos, _ := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{FailedFetch: true})
		if len(repos) == 1 {
			repo = repos[0]
			return true
		}
		return false
	})
	if repo.CloneStatus != store.CloneStatusFailed || repo.LastError == "" {
		t.Fatalf("failed clone: status %q error %q", repo.CloneStatus, repo.LastError)
	}
	e := apitest.New(t, apitest.Options{DB: db})
	var res struct {
		Repositories struct {
			Nodes []struct {
				Name       string
				MirrorInfo struct {
					Cloned    bool
					LastError *string
				}
			}
		}
	}
	e.MustDo(t, e.AdminToken, `{ repositories(failedFetch: true) { nodes { name mirrorInfo { cloned lastError } } } }`, nil, &res)
	if len(res.Repositories.Nodes) != 1 || res.Repositories.Nodes[0].MirrorInfo.LastError == nil || res.Repositories.Nodes[0].MirrorInfo.Cloned {
		t.Fatalf("failedFetch listing: %+v", res)
	}
}

// TestFailedChangeListenerLeavesTheChangeToReport: a change listener runs in the
// transaction that records a fetch's new heads, so when it fails (its database went away,
// its worker died) neither the heads nor what it wrote are recorded, and the next fetch
// reports the same change again; once reported, the change is not reported twice.
func TestFailedChangeListenerLeavesTheChangeToReport(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	first := work.Commit(t0, "", "first", map[string]string{"a": "1\n"})
	es, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Repos().SyncFromService(ctx, es.ID, []store.SourcedRepo{{Name: "local/r", CloneURL: work.Dir}}, false); err != nil {
		t.Fatal(err)
	}
	repo, err := st.Repos().GetByName(ctx, store.InternalViewer, "local/r")
	if err != nil {
		t.Fatal(err)
	}
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	svc := &reposvc.Service{Store: st, VCS: cache, Logger: logtest.Scoped(t)}
	var reports []*reposvc.FetchReport
	listener := func(fail bool) reposvc.ChangeListener {
		return func(ctx context.Context, tx *store.Store, r *reposvc.FetchReport) error {
			reports = append(reports, r)
			if err := tx.Repos().EnqueueFetch(ctx, repo.ID, store.FetchReasonManual); err != nil {
				return err
			}
			if fail {
				return errors.New("the database went away")
			}
			return nil
		}
	}
	heads := func() string {
		r, err := st.Repos().GetByID(ctx, store.InternalViewer, repo.ID)
		if err != nil {
			t.Fatal(err)
		}
		return r.HeadOIDs["refs/heads/main"]
	}
	queued := func() int {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM repo_fetch_jobs WHERE reason = 'manual'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	if _, err := svc.Fetch(ctx, repo.ID, listener(false)); err != nil {
		t.Fatal(err)
	}
	if heads() != first || len(reports) != 1 || queued() != 1 {
		t.Fatalf("after the clone: heads %s, %d reports, %d queued; want %s, 1, 1", heads(), len(reports), queued(), first)
	}
	if _, err := db.Exec(ctx, "DELETE FROM repo_fetch_jobs"); err != nil {
		t.Fatal(err)
	}

	second := work.Commit(t0.Add(time.Hour), "", "second", map[string]string{"a": "2\n"})
	if _, err := svc.Fetch(ctx, repo.ID, listener(true)); err == nil {
		t.Fatal("a fetch whose change listener failed succeeded")
	}
	if heads() != first || queued() != 0 {
		t.Fatalf("after a failed listener: heads %s and %d queued, want the old heads and nothing queued", heads(), queued())
	}
	// The retry's mirror already has the commit; the change is reported again all the same.
	report, err := svc.Fetch(ctx, repo.ID, listener(false))
	if err != nil {
		t.Fatal(err)
	}
	if !report.Changed || report.OldHeads["refs/heads/main"] != first || report.NewHeads["refs/heads/main"] != second || len(reports) != 3 {
		t.Fatalf("retry: %+v after %d reports, want first → second reported a third time", report, len(reports))
	}
	if heads() != second || queued() != 1 {
		t.Fatalf("after the retry: heads %s and %d queued, want %s and 1", heads(), queued(), second)
	}
	if report, err := svc.Fetch(ctx, repo.ID, listener(false)); err != nil || report.Changed || len(reports) != 3 {
		t.Fatalf("a fetch without news: %+v %v, %d reports", report, err, len(reports))
	}
}
