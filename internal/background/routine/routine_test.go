package routine_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/background/routine"
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
