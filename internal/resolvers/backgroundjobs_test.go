package resolvers_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

var errJanitor = errors.New("janitor: disk full")

const backgroundJobsQuery = `{ backgroundJobs {
  queues { name table queued oldestQueuedAgeSeconds processing failedLastHour erroredLastHour handlers { hostname handlers } }
  workers { hostname jobs queues { queue handlers } startedAt lastHeartbeatAt }
  routines { name durationMilliseconds lastError workerHostname } } }`

type backgroundJobs struct {
	BackgroundJobs struct {
		Queues []struct {
			Name                   string
			Queued, Processing     int
			OldestQueuedAgeSeconds *int
			FailedLastHour         int
			Handlers               []struct {
				Hostname string
				Handlers int
			}
		}
		Workers []struct {
			Hostname string
			Jobs     []string
			Queues   []struct {
				Queue    string
				Handlers int
			}
		}
		Routines []struct {
			Name                 string
			DurationMilliseconds *int
			LastError            *string
		}
	}
}

// The background jobs API shows each queue's depth, the workers that are alive (a worker
// that stops heartbeating drops out), and the periodic routines' last runs; only site
// admins may read it.
func TestBackgroundJobs(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	ctx := context.Background()
	_, userToken := e.CreateUser(t, "bob", false)
	if r := e.Do(t, userToken, backgroundJobsQuery, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("a non-admin read the background jobs: %+v", r.Errors)
	}

	// A worker running the fetch queue with 3 handlers, heartbeating.
	logger := logtest.Scoped(t)
	env := routine.Env{Logger: logger, DB: e.DB, Registry: prometheus.NewRegistry(), Hostname: "worker-a-42", Metrics: routine.NewMetrics(prometheus.NewRegistry())}
	env.Registration = routine.NewRegistration(env.Hostname, []string{"repos"})
	t.Setenv("WORKER_REPO_FETCH_CONCURRENCY", "3")
	fetchStore := workerutil.StoreOptions[*store.FetchJob]{Name: "repo_fetch", TableName: "repo_fetch_jobs", Columns: store.FetchJobColumns,
		Scan: func(r pgx.CollectableRow) (*store.FetchJob, error) { return store.ScanFetchJob(r) }}
	if _, _, err := routine.NewQueue(env, routine.QueueSpec[*store.FetchJob]{Store: fetchStore}); err != nil {
		t.Fatal(err)
	}
	hb := routine.NewHeartbeat(env, time.Hour)
	hb.Start()
	var got backgroundJobs
	deadline := time.Now().Add(10 * time.Second)
	for len(got.BackgroundJobs.Workers) == 0 && time.Now().Before(deadline) {
		e.MustDo(t, e.AdminToken, backgroundJobsQuery, nil, &got)
		time.Sleep(20 * time.Millisecond)
	}
	w := got.BackgroundJobs.Workers
	if len(w) != 1 || w[0].Hostname != "worker-a-42" || len(w[0].Queues) != 1 || w[0].Queues[0].Queue != "repo_fetch" || w[0].Queues[0].Handlers != 3 {
		t.Fatalf("workers: %+v", w)
	}

	// Two queued fetches: the fetch queue shows depth 2, its handlers per worker, an age.
	for _, name := range []string{"git.example.com/a", "git.example.com/b"} {
		if _, err := e.DB.Exec(ctx, `WITH r AS (INSERT INTO repo (name) VALUES ($1) RETURNING id)
INSERT INTO repo_fetch_jobs (repo_id, queued_at) SELECT id, now() - interval '2 minutes' FROM r`, name); err != nil {
			t.Fatal(err)
		}
	}
	e.MustDo(t, e.AdminToken, backgroundJobsQuery, nil, &got)
	found := false
	for _, q := range got.BackgroundJobs.Queues {
		if q.Name != "repo_fetch" {
			continue
		}
		found = true
		if q.Queued != 2 || q.OldestQueuedAgeSeconds == nil || *q.OldestQueuedAgeSeconds < 110 || len(q.Handlers) != 1 || q.Handlers[0].Handlers != 3 {
			t.Errorf("repo_fetch queue: %+v", q)
		}
	}
	if !found || len(got.BackgroundJobs.Queues) < 8 {
		t.Errorf("queues: %+v", got.BackgroundJobs.Queues)
	}

	// A worker whose last heartbeat is older than 45 s is gone (it crashed: no Stop).
	if _, err := e.DB.Exec(ctx, "UPDATE worker_instances SET last_heartbeat_at = now() - interval '50 seconds'"); err != nil {
		t.Fatal(err)
	}
	e.MustDo(t, e.AdminToken, backgroundJobsQuery, nil, &got)
	if len(got.BackgroundJobs.Workers) != 0 {
		t.Errorf("a worker silent for 50 s is still listed: %+v", got.BackgroundJobs.Workers)
	}
	// A clean stop removes the row at once.
	if err := hb.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := e.DB.QueryRow(ctx, "SELECT count(*) FROM worker_instances").Scan(&rows); err != nil || rows != 0 {
		t.Errorf("after Stop: %d rows (%v)", rows, err)
	}

	// A periodic singleton routine's run is listed with its duration and error.
	fail := routine.NewPeriodic(logger, "janitor", func(context.Context) error { return errJanitor }, routine.PeriodicOptions{Interval: time.Hour, Singleton: e.DB, Hostname: "worker-a-42", RunAtStart: true})
	fail.Start()
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.MustDo(t, e.AdminToken, backgroundJobsQuery, nil, &got)
		if r := got.BackgroundJobs.Routines; len(r) == 1 && r[0].DurationMilliseconds != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = fail.Stop(ctx)
	if r := got.BackgroundJobs.Routines; len(r) != 1 || r[0].Name != "janitor" || r[0].LastError == nil || *r[0].LastError != errJanitor.Error() {
		t.Errorf("routines: %+v", r)
	}
}

// Every queue the page lists is a table with the job columns.
func TestQueuesHaveJobColumns(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	for _, q := range store.Queues {
		if q.Insights {
			continue
		}
		if _, err := e.Store.QueueStats(context.Background(), q); err != nil {
			t.Errorf("queue %s (%s): %v", q.Name, q.Table, err)
		}
	}
}
