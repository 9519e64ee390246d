package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
)

// TestRoutineLease pins the singleton claim: one live claim at a time, one run per
// interval, a dead worker's claim taken over only once its lease expired, and the old
// holder told so when it renews.
func TestRoutineLease(t *testing.T) {
	ctx := context.Background()
	db := dbtest.NewDB(t)
	const interval, lease = time.Hour, 2 * time.Second

	a, ok, err := store.ClaimRoutineRun(ctx, db, "enqueuer", "worker-a", interval, lease)
	if err != nil || !ok {
		t.Fatalf("first claim: ok=%v err=%v", ok, err)
	}
	if _, ok, err := store.ClaimRoutineRun(ctx, db, "enqueuer", "worker-b", 0, lease); err != nil || ok {
		t.Fatalf("a second claim while the first lease is live succeeded (ok=%v err=%v); even with a zero interval it must wait", ok, err)
	}
	if held, err := a.Renew(ctx, lease); err != nil || !held {
		t.Fatalf("renewing a live claim: held=%v err=%v", held, err)
	}
	if err := a.Release(ctx, errors.New("boom")); err != nil {
		t.Fatal(err)
	}
	var lastErr string
	var owner *string
	if err := db.QueryRow(ctx, "SELECT coalesce(last_error, ''), lease_owner FROM routine_runs WHERE name = 'enqueuer'").Scan(&lastErr, &owner); err != nil {
		t.Fatal(err)
	}
	if lastErr != "boom" || owner != nil {
		t.Fatalf("after release: last_error %q, lease owner %v; want the run's error and no owner", lastErr, owner)
	}
	if _, ok, _ := store.ClaimRoutineRun(ctx, db, "enqueuer", "worker-b", interval, lease); ok {
		t.Fatal("a claim within the interval of the last run succeeded")
	}

	// A worker claims, then dies without releasing: nobody may run until the lease
	// expires, then another worker takes over and the dead one's renewal fails.
	dead, ok, err := store.ClaimRoutineRun(ctx, db, "retention", "worker-a", 0, lease)
	if err != nil || !ok {
		t.Fatalf("claim: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := store.ClaimRoutineRun(ctx, db, "retention", "worker-b", 0, lease); ok {
		t.Fatal("took over a live lease")
	}
	time.Sleep(lease + 200*time.Millisecond)
	b, ok, err := store.ClaimRoutineRun(ctx, db, "retention", "worker-b", 0, lease)
	if err != nil || !ok {
		t.Fatalf("claim after the lease expired: ok=%v err=%v", ok, err)
	}
	if held, err := dead.Renew(ctx, lease); err != nil || held {
		t.Fatalf("the old holder renewed a lease another worker took over: held=%v err=%v", held, err)
	}
	if err := dead.Release(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if held, err := b.Renew(ctx, lease); err != nil || !held {
		t.Fatalf("the old holder's release ended the new holder's lease: held=%v err=%v", held, err)
	}
}
