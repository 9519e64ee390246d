package workerutil

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/database/dbtest"
)

func TestMain(m *testing.M) {
	logtest.Init(m)
	os.Exit(m.Run())
}

// testJob is the record of the test queue: the standard columns plus a payload.
type testJob struct {
	ID          int64
	Payload     string
	NumFailures int
	NumResets   int
}

func (j testJob) RecordID() int64 { return j.ID }

var testColumns = []string{"id", "payload", "num_failures", "num_resets"}

func scanTestJob(row pgx.CollectableRow) (testJob, error) {
	var j testJob
	err := row.Scan(&j.ID, &j.Payload, &j.NumFailures, &j.NumResets)
	return j, err
}

const testTableDDL = `
CREATE TABLE test_jobs (
    id                bigserial PRIMARY KEY,
    payload           text NOT NULL DEFAULT '',
    state             text NOT NULL DEFAULT 'queued',
    failure_message   text,
    queued_at         timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    process_after     timestamptz,
    num_resets        integer NOT NULL DEFAULT 0,
    num_failures      integer NOT NULL DEFAULT 0,
    last_heartbeat_at timestamptz,
    execution_logs    jsonb[],
    worker_hostname   text NOT NULL DEFAULT '',
    cancel            boolean NOT NULL DEFAULT false
);
CREATE INDEX test_jobs_dequeue ON test_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE TRIGGER test_jobs_notify AFTER INSERT ON test_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();
`

// newTestDB returns a fresh database with the test queue table.
func newTestDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	db := dbtest.NewDB(t)
	if _, err := db.Exec(context.Background(), testTableDDL); err != nil {
		t.Fatalf("creating test queue: %v", err)
	}
	return db
}

// newTestStore returns a store over test_jobs with test-friendly defaults; edit adjusts it.
func newTestStore(t *testing.T, db *pgxpool.Pool, edit func(*StoreOptions[testJob])) *Store[testJob] {
	t.Helper()
	opts := StoreOptions[testJob]{
		TableName:     "test_jobs",
		Columns:       testColumns,
		Scan:          scanTestJob,
		StalledMaxAge: time.Minute,
		MaxNumResets:  3,
		MaxNumRetries: 3,
		RetryAfter:    10 * time.Millisecond,
	}
	if edit != nil {
		edit(&opts)
	}
	s, err := NewStore(db, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// startWorker starts a worker that is stopped (gracefully, with a short deadline) when the
// test ends, so no goroutine logs after the test.
func startWorker(t *testing.T, store *Store[testJob], h Handler[testJob], opts WorkerOptions) (*Worker[testJob], context.CancelFunc) {
	t.Helper()
	if opts.Interval == 0 {
		opts.Interval = 50 * time.Millisecond
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 50 * time.Millisecond
	}
	if opts.CompletionFlushInterval == 0 {
		opts.CompletionFlushInterval = 10 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = logtest.Scoped(t)
	}
	w := NewWorker(store, h, opts)
	ctx, kill := context.WithCancel(context.Background())
	w.Start(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = w.Stop(ctx)
		kill()
	})
	return w, kill
}

func insertJobs(t *testing.T, db *pgxpool.Pool, n int) []int64 {
	t.Helper()
	rows, err := db.Query(context.Background(),
		`INSERT INTO test_jobs (payload) SELECT 'job ' || g FROM generate_series(1, $1) g RETURNING id`, n)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// jobRow is a job as the tests inspect it.
type jobRow struct {
	State          State
	FailureMessage string
	NumFailures    int
	NumResets      int
	WorkerHostname string
	Cancel         bool
}

func getJob(t *testing.T, db *pgxpool.Pool, id int64) jobRow {
	t.Helper()
	var r jobRow
	err := db.QueryRow(context.Background(), `SELECT state, coalesce(failure_message, ''), num_failures,
		num_resets, worker_hostname, cancel FROM test_jobs WHERE id = $1`, id).
		Scan(&r.State, &r.FailureMessage, &r.NumFailures, &r.NumResets, &r.WorkerHostname, &r.Cancel)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitForState(t *testing.T, db *pgxpool.Pool, id int64, want State) jobRow {
	t.Helper()
	var last jobRow
	waitFor(t, 5*time.Second, fmt.Sprintf("job %d to be %s", id, want), func() bool {
		last = getJob(t, db, id)
		return last.State == want
	})
	return last
}

// blockingHandler blocks every job until its context ends and reports started jobs.
type blockingHandler struct {
	started chan int64
}

func newBlockingHandler() *blockingHandler {
	return &blockingHandler{started: make(chan int64, 100)}
}

func (h *blockingHandler) Handle(ctx context.Context, _ log.Logger, j testJob) error {
	h.started <- j.ID
	<-ctx.Done()
	return ctx.Err()
}

func (h *blockingHandler) waitStarted(t *testing.T) int64 {
	t.Helper()
	select {
	case id := <-h.started:
		return id
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting for a job to start")
		return 0
	}
}

// attemptLog records when each job was handled.
type attemptLog struct {
	mu       sync.Mutex
	attempts map[int64][]time.Time
}

func (a *attemptLog) record(id int64) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.attempts == nil {
		a.attempts = map[int64][]time.Time{}
	}
	a.attempts[id] = append(a.attempts[id], time.Now())
	return len(a.attempts[id])
}

func (a *attemptLog) get(id int64) []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.attempts[id]...)
}
