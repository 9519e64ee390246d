package workerutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/sourcegraph/log"
	"github.com/sourcegraph/log/logtest"
)

func countState(t *testing.T, db *pgxpool.Pool, state State) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT count(*) FROM test_jobs WHERE state = $1`, state).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func startListener(t *testing.T, db *pgxpool.Pool) *Listener {
	l := NewListener(db, logtest.Scoped(t))
	l.Start(context.Background())
	t.Cleanup(func() { _ = l.Stop(context.Background()) })
	return l
}

// Several workers, each with several handlers, over thousands of jobs: every job runs
// exactly once, and no worker ever runs more jobs at once than it has handlers.
func TestConcurrentWorkersProcessEachJobOnce(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	listener := startListener(t, db)
	const numJobs, numWorkers, numHandlers = 3000, 3, 4
	ids := insertJobs(t, db, numJobs)

	var seen sync.Map
	var dup atomic.Int64
	hosts := make([]string, numWorkers)
	for i := range numWorkers {
		var inFlight, maxInFlight atomic.Int64
		store := newTestStore(t, db, nil)
		hosts[i] = store.WorkerHostname()
		h := HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			if _, loaded := seen.LoadOrStore(j.ID, store.WorkerHostname()); loaded {
				dup.Add(1)
			}
			if j.ID%7 == 0 {
				time.Sleep(time.Millisecond) // let handlers overlap
			}
			return nil
		})
		startWorker(t, store, h, WorkerOptions{NumHandlers: numHandlers, Listener: listener})
		t.Cleanup(func() {
			if m := maxInFlight.Load(); m > numHandlers {
				t.Errorf("worker %d ran %d jobs at once with %d handlers", i, m, numHandlers)
			}
		})
	}

	waitFor(t, 30*time.Second, "all jobs to complete", func() bool {
		return countState(t, db, StateCompleted) == numJobs
	})
	if n := dup.Load(); n > 0 {
		t.Errorf("%d jobs were processed more than once", n)
	}
	perHost := map[string]int{}
	for _, id := range ids {
		host, ok := seen.Load(id)
		if !ok {
			t.Fatalf("job %d completed without being handled", id)
		}
		perHost[host.(string)]++
	}
	var rows []string
	r, err := db.Query(context.Background(), `SELECT DISTINCT worker_hostname FROM test_jobs`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var h string
		_ = r.Scan(&h)
		rows = append(rows, h)
	}
	t.Logf("jobs per worker: %v (hosts in table: %v)", perHost, rows)
}

// A worker that dies mid-job (its context cancelled, nothing written) leaves the job
// processing; the resetter returns it to the queue and another worker finishes it.
func TestKilledWorkerJobIsResetAndFinishedElsewhere(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	listener := startListener(t, db)
	id := insertJobs(t, db, 1)[0]
	stalled := func(o *StoreOptions[testJob]) { o.StalledMaxAge = 300 * time.Millisecond }

	storeA := newTestStore(t, db, stalled)
	blocking := newBlockingHandler()
	workerA, killA := startWorker(t, storeA, blocking, WorkerOptions{Listener: listener})
	if got := blocking.waitStarted(t); got != id {
		t.Fatalf("worker A started job %d, want %d", got, id)
	}
	killA()
	stopCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := workerA.Stop(stopCtx); err != nil {
		t.Fatalf("stopping killed worker: %v", err)
	}
	if row := getJob(t, db, id); row.State != StateProcessing || row.WorkerHostname != storeA.WorkerHostname() {
		t.Fatalf("after kill the job should still be processing under A: %+v", row)
	}

	storeB := newTestStore(t, db, stalled)
	var handledByB atomic.Int64
	startWorker(t, storeB, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		handledByB.Add(1)
		if j.NumResets != 1 {
			return NonRetryable(fmt.Errorf("record says num_resets=%d, want 1", j.NumResets))
		}
		return nil
	}), WorkerOptions{Listener: listener})
	resetter := NewResetter(storeB, ResetterOptions{Interval: 50 * time.Millisecond, Logger: logtest.Scoped(t)})
	resetter.Start(context.Background())
	t.Cleanup(func() { _ = resetter.Stop(context.Background()) })

	row := waitForState(t, db, id, StateCompleted)
	if row.WorkerHostname != storeB.WorkerHostname() || row.NumResets != 1 || row.NumFailures != 0 {
		t.Errorf("job after recovery: %+v", row)
	}
	if n := handledByB.Load(); n != 1 {
		t.Errorf("worker B handled the job %d times", n)
	}
}

func TestHandlerErrorsRetryAfterDelayUntilLimit(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	const retryAfter = 150 * time.Millisecond
	store := newTestStore(t, db, func(o *StoreOptions[testJob]) {
		o.MaxNumRetries = 3
		o.RetryAfter = retryAfter
	})
	ids := insertJobs(t, db, 2)
	alwaysFails, flaky := ids[0], ids[1]
	var attempts attemptLog
	startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		n := attempts.record(j.ID)
		if j.NumFailures != n-1 {
			return NonRetryable(fmt.Errorf("attempt %d sees num_failures=%d", n, j.NumFailures))
		}
		if j.ID == flaky && n == 3 {
			return nil
		}
		return fmt.Errorf("attempt %d failed", n)
	}), WorkerOptions{NumHandlers: 2, Interval: 20 * time.Millisecond})

	row := waitForState(t, db, alwaysFails, StateFailed)
	if row.NumFailures != 3 || row.FailureMessage != "attempt 3 failed" {
		t.Errorf("job that always fails: %+v", row)
	}
	row = waitForState(t, db, flaky, StateCompleted)
	if row.NumFailures != 2 {
		t.Errorf("flaky job: %+v", row)
	}
	for _, id := range ids {
		times := attempts.get(id)
		if len(times) != 3 {
			t.Errorf("job %d ran %d times, want 3", id, len(times))
		}
		for i := 1; i < len(times); i++ {
			if gap := times[i].Sub(times[i-1]); gap < retryAfter {
				t.Errorf("job %d retried after %s, before RetryAfter %s", id, gap, retryAfter)
			}
		}
	}
}

func TestNonRetryableErrorFailsAtOnce(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.MaxNumRetries = 5 })
	id := insertJobs(t, db, 1)[0]
	var attempts atomic.Int64
	startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		attempts.Add(1)
		return fmt.Errorf("validating: %w", NonRetryable(errors.New("bad query")))
	}), WorkerOptions{})
	row := waitForState(t, db, id, StateFailed)
	if row.NumFailures != 1 || row.FailureMessage != "validating: bad query" {
		t.Errorf("job: %+v", row)
	}
	time.Sleep(100 * time.Millisecond)
	if n := attempts.Load(); n != 1 {
		t.Errorf("handled %d times, want 1", n)
	}
}

func TestMaximumRuntimePerJob(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.RetryAfter = time.Hour })
	id := insertJobs(t, db, 1)[0]
	startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return nil
		}
	}), WorkerOptions{MaximumRuntimePerJob: 100 * time.Millisecond})
	row := waitForState(t, db, id, StateErrored)
	if want := "job exceeded its maximum runtime of 100ms: context deadline exceeded"; row.FailureMessage != want {
		t.Errorf("failure message = %q, want %q", row.FailureMessage, want)
	}
}

func TestCancelRequestedWhileRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newTestDB(t)
	store := newTestStore(t, db, nil)
	id := insertJobs(t, db, 1)[0]
	blocking := newBlockingHandler()
	startWorker(t, store, blocking, WorkerOptions{})
	blocking.waitStarted(t)
	if ok, err := store.RequestCancel(ctx, id); err != nil || !ok {
		t.Fatalf("RequestCancel = %v, %v", ok, err)
	}
	row := waitForState(t, db, id, StateCanceled)
	if row.NumFailures != 0 {
		t.Errorf("canceled job: %+v", row)
	}
}

func TestStopReleasesRunningJobs(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ids := insertJobs(t, db, 2)
	store := newTestStore(t, db, nil)
	blocking := newBlockingHandler()
	w, _ := startWorker(t, store, blocking, WorkerOptions{NumHandlers: 2})
	blocking.waitStarted(t)
	blocking.waitStarted(t)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	resetter := NewResetter(store, ResetterOptions{Logger: logtest.Scoped(t)})
	resetter.Start(context.Background())
	if err := StopAll(ctx, w, resetter); err != nil {
		t.Fatalf("StopAll: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Stop took %s", took)
	}
	for _, id := range ids {
		if row := getJob(t, db, id); row.State != StateQueued || row.NumFailures != 0 || row.NumResets != 0 {
			t.Errorf("job %d after Stop: %+v, want queued without a failure or reset", id, row)
		}
	}
	// Another worker takes them at once.
	other := newTestStore(t, db, nil)
	startWorker(t, other, HandlerFunc[testJob](func(context.Context, log.Logger, testJob) error { return nil }), WorkerOptions{NumHandlers: 2})
	for _, id := range ids {
		waitForState(t, db, id, StateCompleted)
	}
}

func TestStopLetsRunningJobsFinish(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	ids := insertJobs(t, db, 3)
	store := newTestStore(t, db, nil)
	started := make(chan int64, 3)
	w, _ := startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		started <- j.ID
		time.Sleep(150 * time.Millisecond)
		return nil
	}), WorkerOptions{NumHandlers: 1, CompletionFlushInterval: time.Hour})
	first := <-started
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// The running job finished and its buffered completion was written; no new job started.
	if row := getJob(t, db, first); row.State != StateCompleted {
		t.Errorf("running job after Stop: %+v", row)
	}
	if n := countState(t, db, StateQueued); n != len(ids)-1 {
		t.Errorf("%d jobs queued after Stop, want %d", n, len(ids)-1)
	}
}

func TestRequeueAfterDoesNotCountAFailure(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newTestStore(t, db, nil)
	id := insertJobs(t, db, 1)[0]
	var attempts attemptLog
	startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		if attempts.record(j.ID) == 1 {
			return RequeueAfter(150 * time.Millisecond)
		}
		return nil
	}), WorkerOptions{Interval: 20 * time.Millisecond})
	row := waitForState(t, db, id, StateCompleted)
	if row.NumFailures != 0 {
		t.Errorf("requeued job: %+v", row)
	}
	if times := attempts.get(id); len(times) != 2 || times[1].Sub(times[0]) < 150*time.Millisecond {
		t.Errorf("attempts at %v, want two 150ms apart", times)
	}
}

func TestHandlerPanicIsAnError(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.MaxNumRetries = 1 })
	id := insertJobs(t, db, 1)[0]
	startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		var m map[string]int
		m["x"]++ // nil map write
		return nil
	}), WorkerOptions{})
	row := waitForState(t, db, id, StateFailed)
	if !strings.HasPrefix(row.FailureMessage, "handler panicked: assignment to entry in nil map") {
		t.Errorf("failure message = %q", row.FailureMessage)
	}
}

// With a poll interval of an hour, only the insert trigger's NOTIFY can wake the worker.
func TestListenerWakesIdleWorker(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	listener := startListener(t, db)
	store := newTestStore(t, db, nil)
	startWorker(t, store, HandlerFunc[testJob](func(context.Context, log.Logger, testJob) error { return nil }),
		WorkerOptions{Interval: time.Hour, Listener: listener})
	time.Sleep(200 * time.Millisecond) // the first (empty) dequeue has run; the worker sleeps
	id := insertJobs(t, db, 1)[0]
	waitForState(t, db, id, StateCompleted)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	db := newTestDB(t)
	store := newTestStore(t, db, func(o *StoreOptions[testJob]) { o.Name = "tests" })
	reg := prometheus.NewPedanticRegistry()
	m, err := NewMetrics(reg, store.Name(), store.QueueStats)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg, store.Name(), nil); err == nil {
		t.Error("registering the same queue twice succeeded")
	}
	ids := insertJobs(t, db, 6)
	startWorker(t, store, HandlerFunc[testJob](func(ctx context.Context, _ log.Logger, j testJob) error {
		if j.ID == ids[0] {
			return NonRetryable(errors.New("bad"))
		}
		return nil
	}), WorkerOptions{NumHandlers: 3, Metrics: m})
	waitFor(t, 5*time.Second, "jobs to finish", func() bool {
		return countState(t, db, StateCompleted) == 5 && countState(t, db, StateFailed) == 1
	})
	waitFor(t, time.Second, "metrics", func() bool {
		return testutil.ToFloat64(m.jobs.WithLabelValues(outcomeCompleted)) == 5
	})
	if got := testutil.ToFloat64(m.jobs.WithLabelValues(outcomeFailed)); got != 1 {
		t.Errorf("failed jobs = %v, want 1", got)
	}
	if _, err := db.Exec(context.Background(), `INSERT INTO test_jobs (payload, process_after) VALUES ('later', now() + interval '1 hour')`); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP lookout_workerutil_queue_depth Jobs ready to run now.
# TYPE lookout_workerutil_queue_depth gauge
lookout_workerutil_queue_depth{queue="tests"} 0
# HELP lookout_workerutil_queue_waiting Queued and errored jobs, including those scheduled for later.
# TYPE lookout_workerutil_queue_waiting gauge
lookout_workerutil_queue_waiting{queue="tests"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"lookout_workerutil_queue_depth", "lookout_workerutil_queue_waiting"); err != nil {
		t.Error(err)
	}
}
