// Command queue burns down the same number of no-op jobs through River and through
// Lookout's workerutil queue on one scratch database, and prints jobs/s for each and their
// ratio. It is its own module so River stays out of Lookout's go.mod.
//
//	cd dev/bench/queue && go run . [-jobs 100000] [-handlers 2000] [-rounds 5]
//
// The server comes from LOOKOUT_TEST_DATABASE_URL or DATABASE_URL; with neither set, the
// project's private cluster is started with dev/postgres.sh. A scratch database is created
// for the run and dropped afterwards.
//
// Both queues are measured the way `river bench` measures River: all jobs are inserted in
// batches of 5,000 first (then VACUUM ANALYZE, so neither run pays for statistics the other
// did not), the clock starts when the workers start and stops when the last completion is
// recorded in the database. The two queues alternate which runs first, round after round
// (5 by default: a single round ranged 1.88–3.09× when repeated), and the report gives
// min / median / max jobs/s of each and the ratio of the medians (dev/bench/rounds).
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	sglog "github.com/sourcegraph/log"

	"github.com/lookout/lookout/dev/bench/benchdb"
	"github.com/lookout/lookout/dev/bench/rounds"
	"github.com/lookout/lookout/internal/database"
	"github.com/lookout/lookout/internal/workerutil"
	"github.com/lookout/lookout/migrations"
)

const insertBatch = 5000

func main() {
	numJobs := flag.Int("jobs", 100_000, "jobs to burn down per queue and round")
	handlers := flag.Int("handlers", 2000, "concurrent handlers (River MaxWorkers, Lookout NumHandlers), as `river bench` sizes them")
	nrounds := flag.Int("rounds", rounds.MinRounds, "alternate River and Lookout this many times (at least 5 with both)")
	only := flag.String("only", "", "run only one queue: river or lookout")
	flag.Parse()
	if *numJobs <= 0 || *handlers <= 0 || *nrounds <= 0 {
		fatal(errors.New("-jobs, -handlers and -rounds must be positive"))
	}
	if *only != "" && *only != "river" && *only != "lookout" {
		fatal(fmt.Errorf("-only must be river or lookout, not %q", *only))
	}

	ctx := context.Background()
	serverURL, err := benchdb.FindServer()
	if err != nil {
		fatal(err)
	}
	pool, drop, err := scratchDatabase(ctx, serverURL.String())
	if err != nil {
		fatal(err)
	}
	defer drop()
	if err := setup(ctx, pool); err != nil {
		drop()
		fatal(err)
	}

	n := *nrounds
	if *only == "" {
		n = max(n, rounds.MinRounds)
	}
	fmt.Printf("queue bench: %d no-op jobs per queue, %d handlers, %d round(s)\n", *numJobs, *handlers, n)
	var riverRates, lookoutRates []float64
	type queue struct {
		name  string
		bench func(context.Context, *pgxpool.Pool, int, int) (float64, error)
		rates *[]float64
	}
	var queues []queue
	if *only != "lookout" {
		queues = append(queues, queue{"river", benchRiver, &riverRates})
	}
	if *only != "river" {
		queues = append(queues, queue{"lookout", benchLookout, &lookoutRates})
	}
	for r := range n {
		// Alternate which queue goes first, so neither always inherits the other's
		// dead tuples and warm caches.
		for k := range queues {
			q := queues[(k+r)%len(queues)]
			rate, err := q.bench(ctx, pool, *numJobs, *handlers)
			if err != nil {
				drop()
				fatal(fmt.Errorf("%s: %w", q.name, err))
			}
			*q.rates = append(*q.rates, rate)
		}
	}
	fmt.Println()
	if len(riverRates) > 0 && len(lookoutRates) > 0 {
		rounds.Record("queue", fmt.Sprintf("%d no-op jobs, %d handlers", *numJobs, *handlers), "jobs/s", true,
			[]string{"lookout workerutil", "river"}, [][]float64{lookoutRates, riverRates}).Report(os.Stdout)
		return
	}
	for name, rates := range map[string][]float64{"river": riverRates, "lookout": lookoutRates} {
		if len(rates) > 0 {
			st := rounds.StatsOf(rates)
			fmt.Printf("%s: min / median / max %.0f / %.0f / %.0f jobs/s\n", name, st.Min, st.Median, st.Max)
		}
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "queue bench:", err)
	os.Exit(1)
}

// scratchDatabase creates a database for this run and returns a pool on it and a function
// that drops it.
func scratchDatabase(ctx context.Context, serverURL string) (*pgxpool.Pool, func(), error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing database URL: %w", err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "lookout_bench_queue_" + hex.EncodeToString(b)
	admin := *u
	admin.Path = "/postgres"
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return nil, nil, fmt.Errorf("connecting to %s: %w", admin.Redacted(), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, nil, fmt.Errorf("creating scratch database: %w", err)
	}
	u.Path = "/" + name
	// pgxpool's default size (max(4, CPUs) connections), as `river bench` uses.
	pool, err := database.Open(ctx, u.String(), database.Options{ApplicationName: "queue-bench"})
	if err != nil {
		return nil, nil, err
	}
	dropped := false
	return pool, func() {
		if dropped {
			return
		}
		dropped = true
		pool.Close()
		c, err := pgx.Connect(context.Background(), admin.String())
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}, nil
}

// benchTableDDL is a Lookout queue table as a domain migration would create it.
const benchTableDDL = `
CREATE TABLE bench_jobs (
    id                bigserial PRIMARY KEY,
    args              jsonb NOT NULL,
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
CREATE INDEX bench_jobs_dequeue ON bench_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE TRIGGER bench_jobs_notify AFTER INSERT ON bench_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();
`

func setup(ctx context.Context, pool *pgxpool.Pool) error {
	migs, err := database.LoadMigrations(migrations.Main())
	if err != nil {
		return err
	}
	if _, err := (&database.Migrator{Pool: pool, Migrations: migs}).Up(ctx); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	if _, err := pool.Exec(ctx, benchTableDDL); err != nil {
		return fmt.Errorf("creating bench_jobs: %w", err)
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrating River: %w", err)
	}
	return nil
}

// prepare empties a queue table, lets insert fill it, and vacuums and analyzes it.
func prepare(ctx context.Context, pool *pgxpool.Pool, table string, insert func() error) error {
	if _, err := pool.Exec(ctx, "TRUNCATE "+table); err != nil {
		return err
	}
	if err := insert(); err != nil {
		return err
	}
	_, err := pool.Exec(ctx, "VACUUM ANALYZE "+table)
	return err
}

func report(name string, n int, took time.Duration) float64 {
	rate := float64(n) / took.Seconds()
	fmt.Printf("%-8s %d jobs in %s: %8.0f jobs/s\n", name+":", n, took.Round(time.Millisecond), rate)
	return rate
}

// River

type benchArgs struct {
	Num int `json:"num"`
}

func (benchArgs) Kind() string { return "benchmark" }

type riverWorker struct {
	river.WorkerDefaults[benchArgs]
}

func (riverWorker) Work(context.Context, *river.Job[benchArgs]) error { return nil }

func benchRiver(ctx context.Context, pool *pgxpool.Pool, n, handlers int) (float64, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, riverWorker{})
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		// The settings of `river bench`.
		FetchCooldown:     2 * time.Millisecond,
		FetchPollInterval: 20 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: handlers}},
		Workers:           workers,
	})
	if err != nil {
		return 0, err
	}
	err = prepare(ctx, pool, "river_job", func() error {
		params := make([]river.InsertManyParams, 0, insertBatch)
		for i := 0; i < n; i += insertBatch {
			params = params[:0]
			for j := i; j < min(n, i+insertBatch); j++ {
				params = append(params, river.InsertManyParams{Args: benchArgs{Num: j}})
			}
			if _, err := client.InsertMany(ctx, params); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}

	events, unsubscribe := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: n,
		Kinds:    []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled},
	})
	defer unsubscribe()
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		return 0, err
	}
	var last time.Time
	var bad int
	timeout := time.After(10 * time.Minute)
	for done := 0; done < n; done++ {
		select {
		case ev := <-events:
			if ev.Kind != river.EventKindJobCompleted {
				bad++
			}
			last = time.Now()
		case <-timeout:
			return 0, fmt.Errorf("only %d of %d jobs finished in 10 minutes", done, n)
		}
	}
	stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := client.Stop(stopCtx); err != nil {
		return 0, err
	}
	if bad > 0 {
		return 0, fmt.Errorf("%d jobs did not complete", bad)
	}
	var completed int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state = 'completed'").Scan(&completed); err != nil {
		return 0, err
	}
	if completed != n {
		return 0, fmt.Errorf("%d of %d jobs completed in river_job", completed, n)
	}
	return report("river", n, last.Sub(start)), nil
}

// Lookout

type benchJob struct {
	ID   int64
	Args []byte
}

func (j benchJob) RecordID() int64 { return j.ID }

func benchLookout(ctx context.Context, pool *pgxpool.Pool, n, handlers int) (float64, error) {
	err := prepare(ctx, pool, "bench_jobs", func() error {
		for i := 0; i < n; i += insertBatch {
			args := make([]string, 0, insertBatch)
			for j := i; j < min(n, i+insertBatch); j++ {
				args = append(args, fmt.Sprintf(`{"num": %d}`, j))
			}
			if _, err := pool.Exec(ctx, "INSERT INTO bench_jobs (args) SELECT unnest($1::jsonb[])", args); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}

	logger := sglog.NoOp()
	store, err := workerutil.NewStore(pool, workerutil.StoreOptions[benchJob]{
		TableName:     "bench_jobs",
		Columns:       []string{"id", "args"},
		Scan:          func(row pgx.CollectableRow) (j benchJob, err error) { err = row.Scan(&j.ID, &j.Args); return j, err },
		MaxNumRetries: 3,
		RetryAfter:    10 * time.Second,
	})
	if err != nil {
		return 0, err
	}
	// Completions are counted through the worker's own metrics, like River's events.
	reg := prometheus.NewRegistry()
	metrics, err := workerutil.NewMetrics(reg, store.Name(), nil)
	if err != nil {
		return 0, err
	}
	listener := workerutil.NewListener(pool, logger)
	listener.Start(ctx)
	defer func() { _ = listener.Stop(ctx) }()
	var handled atomic.Int64
	worker := workerutil.NewWorker(store, workerutil.HandlerFunc[benchJob](func(_ context.Context, _ sglog.Logger, j benchJob) error {
		var args benchArgs // decode the arguments as River's worker does
		if err := json.Unmarshal(j.Args, &args); err != nil {
			return workerutil.NonRetryable(err)
		}
		handled.Add(1)
		return nil
	}), workerutil.WorkerOptions{
		NumHandlers: handlers,
		Listener:    listener,
		Metrics:     metrics,
		Logger:      logger,
	})

	start := time.Now()
	worker.Start(ctx)
	deadline := start.Add(10 * time.Minute)
	var last time.Time
	for {
		done, err := completedJobs(reg)
		if err != nil {
			return 0, err
		}
		if done >= n {
			last = time.Now()
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("only %d of %d jobs finished in 10 minutes", done, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := worker.Stop(stopCtx); err != nil {
		return 0, err
	}
	var completed int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM bench_jobs WHERE state = 'completed'").Scan(&completed); err != nil {
		return 0, err
	}
	if completed != n || handled.Load() != int64(n) {
		return 0, fmt.Errorf("%d of %d jobs completed, %d handled", completed, n, handled.Load())
	}
	return report("lookout", n, last.Sub(start)), nil
}

func completedJobs(reg *prometheus.Registry) (int, error) {
	families, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, f := range families {
		if f.GetName() != "lookout_workerutil_jobs_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" && l.GetValue() == "completed" {
					return int(m.GetCounter().GetValue()), nil
				}
			}
		}
	}
	return 0, nil
}
