package store_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
)

// TestPublishSlotsAreSharedAcrossWorkers: concurrent reservations on one host get slots
// one interval apart (the first now), other hosts are not delayed, and a host's rate
// limit answer pushes every later slot back.
func TestPublishSlotsAreSharedAcrossWorkers(t *testing.T) {
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))
	start := time.Now()
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slot, err := st.Campaigns().ReservePublishSlot(ctx, "github.example.com", time.Minute)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			slots = append(slots, slot)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(slots, func(i, j int) bool { return slots[i].Before(slots[j]) })
	if len(slots) != 6 || slots[0].Sub(start).Abs() > 5*time.Second {
		t.Fatalf("slots %v", slots)
	}
	for i := 1; i < len(slots); i++ {
		if d := slots[i].Sub(slots[i-1]); d != time.Minute {
			t.Fatalf("slots %d and %d are %s apart", i-1, i, d)
		}
	}
	other, err := st.Campaigns().ReservePublishSlot(ctx, "gitlab.example.com", time.Minute)
	if err != nil || other.Sub(start).Abs() > 5*time.Second {
		t.Fatalf("another host's first slot %v %v", other, err)
	}
	until := time.Now().Add(time.Hour)
	if err := st.Campaigns().DelayHost(ctx, "gitlab.example.com", until); err != nil {
		t.Fatal(err)
	}
	next, err := st.Campaigns().ReservePublishSlot(ctx, "gitlab.example.com", time.Minute)
	if err != nil || next.Sub(until).Abs() > time.Second {
		t.Fatalf("after a rate limit answer, next slot %v (want %v) %v", next, until, err)
	}
}

// newChangeset makes a database with one repository and one changeset in it.
func newChangeset(t *testing.T) (*pgxpool.Pool, *store.Store, *store.Changeset) {
	t.Helper()
	ctx := context.Background()
	db := dbtest.NewDB(t)
	st := store.New(db)
	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "local/a", CloneURL: "/tmp/a"}}, false); err != nil {
		t.Fatal(err)
	}
	repo, _ := st.Repos().GetByName(ctx, store.InternalViewer, "local/a")
	ch, err := st.Campaigns().InsertChangeset(ctx, 0, store.NewChangeset{RepoID: repo.ID, ExternalServiceID: svc.ID, ExternalID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	return db, st, ch
}

// TestChangesetQueueing: the branch is stored once, a changeset being processed is not
// queued again by a change (the reconciler or the drift sweep requeues it), and a
// completed changeset whose desired version moved on is swept back into the queue.
func TestChangesetQueueing(t *testing.T) {
	ctx := context.Background()
	db, st, ch := newChangeset(t)
	if b, err := st.Campaigns().SetBranch(ctx, ch.ID, "campaign"); err != nil || b != "campaign" {
		t.Fatalf("first branch %q %v", b, err)
	}
	if b, err := st.Campaigns().SetBranch(ctx, ch.ID, "campaign-1"); err != nil || b != "campaign" {
		t.Fatalf("a second choice replaced the stored branch: %q %v", b, err)
	}
	if _, err := db.Exec(ctx, "UPDATE changesets SET state = 'processing' WHERE id = $1", ch.ID); err != nil {
		t.Fatal(err)
	}
	closing := true
	if err := st.Campaigns().SetDesired(ctx, []int64{ch.ID}, store.ChangesetDesire{Closing: &closing}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Campaigns().GetChangeset(ctx, ch.ID)
	if got.State != "processing" || got.DesiredVersion != 2 || !got.Closing {
		t.Fatalf("a processing changeset after a change: %+v", got)
	}
	// The run that was processing finishes version 1 and marks it completed.
	if err := st.Campaigns().SetReconciled(ctx, ch.ID, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "UPDATE changesets SET state = 'completed' WHERE id = $1", ch.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Campaigns().RequeueDrifted(ctx); err != nil || n != 1 {
		t.Fatalf("drift sweep requeued %d: %v", n, err)
	}
	got, _ = st.Campaigns().GetChangeset(ctx, ch.ID)
	if got.State != "queued" {
		t.Fatalf("after the sweep: %s", got.State)
	}
	if err := st.Campaigns().SetReconciled(ctx, ch.ID, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, "UPDATE changesets SET state = 'completed' WHERE id = $1", ch.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := st.Campaigns().RequeueDrifted(ctx); n != 0 {
		t.Fatalf("an up-to-date changeset was requeued")
	}
}

// TestChangesetEventsPageInTimeOrder: events are listed oldest first, and pages follow
// that order even when an older event was stored after a newer one.
func TestChangesetEventsPageInTimeOrder(t *testing.T) {
	ctx := context.Background()
	_, st, ch := newChangeset(t)
	day := func(d int) time.Time { return time.Date(2025, 1, d, 0, 0, 0, 0, time.UTC) }
	// Stored in the order 3, 1, 4, 2 (by day), each insert separately.
	for _, ev := range []store.ChangesetEvent{{Kind: "MERGED", Key: "merged", CreatedAt: day(3)}, {Kind: "OPENED", Key: "opened", CreatedAt: day(1)},
		{Kind: "DELETED", Key: "deleted", CreatedAt: day(4)}, {Kind: "REVIEW_APPROVED", Key: "r", CreatedAt: day(2)}} {
		ev.ChangesetID = ch.ID
		if err := st.Campaigns().AddEvents(ctx, []store.ChangesetEvent{ev}); err != nil {
			t.Fatal(err)
		}
	}
	var kinds []string
	page := store.Page{Limit: 2}
	for range 5 {
		list, err := st.Campaigns().ListEvents(ctx, ch.ID, page)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		for _, e := range list {
			kinds = append(kinds, e.Kind)
		}
		page.After = list[len(list)-1].ID
	}
	want := []string{"OPENED", "REVIEW_APPROVED", "MERGED", "DELETED"}
	if len(kinds) != len(want) {
		t.Fatalf("paged events %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("paged events %v, want %v", kinds, want)
		}
	}
}
