package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/encryption"
	"github.com/lookout/lookout/internal/store"
)

func names(repos []*store.Repo) []string {
	out := []string{}
	for _, r := range repos {
		out = append(out, r.Name)
	}
	return out
}

func TestRepoSyncVisibilityAndFetchScheduling(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))
	alice, err := st.Users().Create(ctx, store.NewUser{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := st.Users().Create(ctx, store.NewUser{Username: "bob"})

	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{
		{Name: "local/public", CloneURL: "file:///a"},
		{Name: "local/secret", CloneURL: "file:///b", Private: true},
	}, false)
	if err != nil || res.Added != 2 || len(res.NewRepoIDs) != 2 {
		t.Fatalf("first sync: %+v %v", res, err)
	}

	// Visibility: public for every user, private only for granted users and admins.
	secret, err := st.Repos().GetByName(ctx, store.InternalViewer, "LOCAL/SECRET")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Repos().SetRepoPermissions(ctx, secret.ID, []int64{alice.ID}, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		viewer store.Viewer
		want   []string
	}{
		{store.Viewer{UserID: alice.ID}, []string{"local/public", "local/secret"}},
		{store.Viewer{UserID: bob.ID}, []string{"local/public"}},
		{store.Viewer{}, []string{}},
		{store.InternalViewer, []string{"local/public", "local/secret"}},
	} {
		got, err := st.Repos().List(ctx, tc.viewer, store.RepoListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, names(got)); diff != "" {
			t.Errorf("viewer %+v (-want +got):\n%s", tc.viewer, diff)
		}
	}
	if _, err := st.Repos().GetByID(ctx, store.Viewer{UserID: bob.ID}, secret.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reading the private repo by id: %v", err)
	}
	// A code host sync replaces synced grants but keeps the admin's.
	if err := st.Repos().SetRepoPermissions(ctx, secret.ID, []int64{bob.ID}, store.PermissionSourceSync); err != nil {
		t.Fatal(err)
	}
	if err := st.Repos().SetRepoPermissions(ctx, secret.ID, nil, store.PermissionSourceSync); err != nil {
		t.Fatal(err)
	}
	users, _ := st.Repos().RepoPermissionUsers(ctx, secret.ID)
	if len(users) != 1 || users[0].ID != alice.ID {
		t.Fatalf("grants after sync: %+v", users)
	}

	// The sync queued clones; recording a fetch schedules the next one.
	jobs, err := st.Repos().EnqueueDueFetches(ctx, 100)
	if err != nil || jobs != 0 {
		t.Fatalf("due fetches while clones are queued: %d %v", jobs, err)
	}
	old, err := st.Repos().RecordFetch(ctx, secret.ID, store.FetchOutcome{Changed: true, Heads: map[string]string{"refs/heads/main": "abc"}, DefaultBranch: "main"})
	if err != nil || len(old) != 0 {
		t.Fatalf("record fetch: %v %v", old, err)
	}
	// A mirror past 2 GiB (the size does not fit a 32-bit integer).
	old, err = st.Repos().RecordFetch(ctx, secret.ID, store.FetchOutcome{Heads: map[string]string{"refs/heads/main": "def"}, SizeBytes: 3 << 30})
	if err != nil || old["refs/heads/main"] != "abc" {
		t.Fatalf("second fetch returns the old heads: %v %v", old, err)
	}
	secret, _ = st.Repos().GetByID(ctx, store.InternalViewer, secret.ID)
	if secret.CloneStatus != store.CloneStatusCloned || secret.DefaultBranch != "main" || secret.HeadOIDs["refs/heads/main"] != "def" || secret.SizeBytes != 3<<30 {
		t.Fatalf("after fetch: %+v", secret)
	}
	if wait := time.Until(secret.NextFetchAt); wait < store.MinFetchInterval-5*time.Second || wait > store.MinFetchInterval+5*time.Second {
		t.Fatalf("a repo that just changed is fetched again in %s, want about %s", wait, store.MinFetchInterval)
	}
	if _, err := st.Repos().RecordFetch(ctx, secret.ID, store.FetchOutcome{Err: errors.New("remote hung up")}); err != nil {
		t.Fatal(err)
	}
	secret, _ = st.Repos().GetByID(ctx, store.InternalViewer, secret.ID)
	if secret.CloneStatus != store.CloneStatusCloned || secret.LastError != "remote hung up" {
		t.Fatalf("a failed fetch of a cloned repo: %+v", secret)
	}

	// Webhooks find repositories by clone URL or name.
	found, err := st.Repos().FindForWebhook(ctx, []int64{svc.ID}, nil, []string{"file:///a"}, nil)
	if err != nil || len(found) != 1 || found[0].Name != "local/public" {
		t.Fatalf("webhook lookup: %v %v", names(found), err)
	}

	if found, _ := st.Repos().FindForWebhook(ctx, []int64{svc.ID + 1}, []string{"local/public"}, []string{"file:///a"}, nil); len(found) != 0 {
		t.Fatalf("webhook lookup must be limited to the verified connections: %v", names(found))
	}

	// A second sync without the private repo removes it.
	res, err = st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "local/public", CloneURL: "file:///a"}}, true)
	if err != nil || res.Removed != 0 {
		t.Fatalf("a partial sync must not remove: %+v %v", res, err)
	}
	res, err = st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "local/public", CloneURL: "file:///a"}}, false)
	if err != nil || res.Removed != 1 || res.Updated != 1 {
		t.Fatalf("second sync: %+v %v", res, err)
	}
	if _, err := st.Repos().GetByID(ctx, store.InternalViewer, secret.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("removed repo still live: %v", err)
	}
	// Deleting the connection removes its repositories.
	if err := st.ExternalServices().Delete(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Repos().Count(ctx, store.InternalViewer, store.RepoListOptions{}); n != 0 {
		t.Fatalf("%d repos left after deleting their connection", n)
	}
}

func TestExternalServiceConfigEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	key, _ := encryption.NewKey("0123456789abcdef-test-key")
	st := store.New(db).WithEncryptionKey(key)
	svc, err := st.ExternalServices().Create(ctx, "GITHUB", "gh", `{"token":"ghp_secret"}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := db.QueryRow(ctx, "SELECT config FROM external_services WHERE id = $1", svc.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if raw == svc.Config || len(raw) < 20 {
		t.Fatalf("config stored in plain text: %q", raw)
	}
	got, err := st.ExternalServices().GetByID(ctx, svc.ID)
	if err != nil || got.Config != `{"token":"ghp_secret"}` {
		t.Fatalf("reading back: %+v %v", got, err)
	}
	if _, err := store.New(db).ExternalServices().GetByID(ctx, svc.ID); err == nil {
		t.Fatal("read an encrypted config without the key")
	}
}

func TestFetchQueueDedupesWithoutBlockingResets(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	svc, _ := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, time.Hour)
	res, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "local/a", CloneURL: "/a"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	repoID := res.NewRepoIDs[0]
	queued := func() (n int, priority int) {
		_ = db.QueryRow(ctx, "SELECT count(*), coalesce(max(priority), -1) FROM repo_fetch_jobs WHERE repo_id = $1 AND state = 'queued'", repoID).Scan(&n, &priority)
		return n, priority
	}
	// The sync queued the clone; a webhook reuses that job and raises its priority.
	if err := st.Repos().EnqueueFetch(ctx, repoID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	if n, p := queued(); n != 1 || p != 10 {
		t.Fatalf("after a webhook: %d queued, priority %d; want 1 at 10", n, p)
	}
	// A worker takes it; a push arrives meanwhile and queues another; the worker dies and
	// its job is reset to queued: both must be able to wait in the queue.
	if _, err := db.Exec(ctx, "UPDATE repo_fetch_jobs SET state = 'processing' WHERE repo_id = $1", repoID); err != nil {
		t.Fatal(err)
	}
	if err := st.Repos().EnqueueFetch(ctx, repoID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "UPDATE repo_fetch_jobs SET state = 'queued' WHERE repo_id = $1 AND state = 'processing'", repoID); err != nil {
		t.Fatalf("resetting a job while another is queued: %v", err)
	}
	if n, _ := queued(); n != 2 {
		t.Fatalf("%d queued after the reset, want 2", n)
	}
	if err := st.ExternalServices().EnqueueSync(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	var syncs int
	_ = db.QueryRow(ctx, "SELECT count(*) FROM external_service_sync_jobs WHERE external_service_id = $1 AND state = 'queued'", svc.ID).Scan(&syncs)
	if syncs != 1 {
		t.Fatalf("%d queued syncs after enqueueing while one is queued, want 1", syncs)
	}
}
