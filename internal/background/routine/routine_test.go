package routine_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/database/dbtest"
)

func TestSingletonRunsOncePerIntervalAcrossReplicas(t *testing.T) {
	db := dbtest.NewDB(t)
	logger := logtest.Scoped(t)
	var runs atomic.Int32
	fn := func(ctx context.Context) error { runs.Add(1); return nil }
	interval := 300 * time.Millisecond
	var rs []routine.Routine
	for _, host := range []string{"worker-a", "worker-b", "worker-c"} {
		rs = append(rs, routine.NewPeriodic(logger, "enqueuer", fn, routine.PeriodicOptions{Interval: interval, Singleton: db, Hostname: host, RunAtStart: true}))
	}
	for _, r := range rs {
		r.Start()
	}
	time.Sleep(5*interval + interval/2)
	for _, r := range rs {
		if err := r.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	// Six ticks fit in the window (one at start plus five); three replicas without the
	// claim would run about eighteen times.
	if n := runs.Load(); n < 4 || n > 7 {
		t.Fatalf("three replicas ran the singleton %d times in about six intervals, want about six", n)
	}
}

func TestRunStopsRoutinesOnCancel(t *testing.T) {
	logger := logtest.Scoped(t)
	var runs atomic.Int32
	p := routine.NewPeriodic(logger, "tick", func(ctx context.Context) error { runs.Add(1); return nil }, routine.PeriodicOptions{Interval: 10 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := routine.Run(ctx, logger, []routine.Routine{p}, time.Second); err != nil {
		t.Fatal(err)
	}
	if runs.Load() < 5 {
		t.Fatalf("ran %d times in 200ms at a 10ms interval", runs.Load())
	}
	after := runs.Load()
	time.Sleep(50 * time.Millisecond)
	if runs.Load() != after {
		t.Fatal("routine kept running after Run returned")
	}
}

func TestKickAndPanicRecovery(t *testing.T) {
	logger := logtest.Scoped(t)
	var runs atomic.Int32
	p := routine.NewPeriodic(logger, "kicked", func(ctx context.Context) error {
		if runs.Add(1) == 1 {
			panic("boom")
		}
		return nil
	}, routine.PeriodicOptions{Interval: time.Hour})
	p.Start()
	defer p.Stop(context.Background())
	p.Kick()
	deadline := time.Now().Add(2 * time.Second)
	for runs.Load() < 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.Kick()
	for runs.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if runs.Load() != 2 {
		t.Fatalf("after a panic and two kicks the routine ran %d times, want 2", runs.Load())
	}
}

// TestSingletonsDueTogetherOnOneConnection starts more singletons than the pool has
// connections, all due at once, each using the database in its run. A claim that pinned
// a connection for the run (the advisory lock it replaced) left each run waiting for a
// second connection forever; every run must finish.
func TestSingletonsDueTogetherOnOneConnection(t *testing.T) {
	_, url := dbtest.New(t, dbtest.Main)
	db, err := database.Open(context.Background(), url, database.Options{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logger := logtest.Scoped(t)
	var done atomic.Int32
	var rs []routine.Routine
	for i := range 6 {
		rs = append(rs, routine.NewPeriodic(logger, fmt.Sprintf("singleton-%d", i), func(ctx context.Context) error {
			var n int
			if err := db.QueryRow(ctx, "SELECT count(*) FROM routine_runs").Scan(&n); err != nil {
				return err
			}
			done.Add(1)
			return nil
		}, routine.PeriodicOptions{Interval: time.Hour, Singleton: db, Hostname: "worker", RunAtStart: true}))
	}
	for _, r := range rs {
		r.Start()
	}
	defer func() {
		for _, r := range rs {
			_ = r.Stop(context.Background())
		}
	}()
	deadline := time.Now().Add(10 * time.Second)
	for done.Load() < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := done.Load(); n != 6 {
		t.Fatalf("%d of 6 singleton runs finished on a one-connection pool", n)
	}
	var unfinished int
	if err := db.QueryRow(context.Background(), "SELECT count(*) FROM routine_runs WHERE last_finished_at IS NULL OR lease_owner IS NOT NULL").Scan(&unfinished); err != nil {
		t.Fatal(err)
	}
	if unfinished != 0 {
		t.Fatalf("%d runs were not released", unfinished)
	}
}

// TestSingletonKeepsItsLeaseWhileRunning runs a singleton longer than its lease on one
// replica while another keeps trying: renewals keep the claim, so the runs never overlap.
func TestSingletonKeepsItsLeaseWhileRunning(t *testing.T) {
	db := dbtest.NewDB(t)
	logger := logtest.Scoped(t)
	var running, overlaps, runs atomic.Int32
	fn := func(ctx context.Context) error {
		if running.Add(1) > 1 {
			overlaps.Add(1)
		}
		defer running.Add(-1)
		runs.Add(1)
		select {
		case <-time.After(1500 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	}
	opts := routine.PeriodicOptions{Interval: 50 * time.Millisecond, Lease: 400 * time.Millisecond, Singleton: db, RunAtStart: true}
	a, b := opts, opts
	a.Hostname, b.Hostname = "worker-a", "worker-b"
	ra := routine.NewPeriodic(logger, "slow", fn, a)
	rb := routine.NewPeriodic(logger, "slow", fn, b)
	ra.Start()
	rb.Start()
	time.Sleep(3200 * time.Millisecond)
	_ = ra.Stop(context.Background())
	_ = rb.Stop(context.Background())
	if overlaps.Load() != 0 {
		t.Fatalf("runs overlapped %d times although each renewed its lease", overlaps.Load())
	}
	if n := runs.Load(); n < 2 {
		t.Fatalf("%d runs in 3.2s of 1.5s runs, want at least 2", n)
	}
}
