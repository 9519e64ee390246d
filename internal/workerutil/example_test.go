package workerutil_test

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/workerutil"
)

// triggerJob is a row of a domain queue table, cm_trigger_jobs.
type triggerJob struct {
	ID        int64
	MonitorID int64
}

func (j *triggerJob) RecordID() int64 { return j.ID }

// How a worker binary runs one queue and shuts it down on SIGTERM.
func Example() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return
	}
	store, err := workerutil.NewStore(pool, workerutil.StoreOptions[*triggerJob]{
		TableName: "cm_trigger_jobs",
		Columns:   []string{"id", "monitor_id"},
		Scan: func(row pgx.CollectableRow) (*triggerJob, error) {
			var j triggerJob
			return &j, row.Scan(&j.ID, &j.MonitorID)
		},
		StalledMaxAge: time.Minute,
		MaxNumResets:  3,
		MaxNumRetries: 3,
		RetryAfter:    10 * time.Second,
	})
	if err != nil {
		return
	}
	metrics, err := workerutil.NewMetrics(prometheus.DefaultRegisterer, store.Name(), store.QueueStats)
	if err != nil {
		return
	}
	listener := workerutil.NewListener(pool, log.Scoped("queue-listener"))
	worker := workerutil.NewWorker(store, workerutil.HandlerFunc[*triggerJob](
		func(ctx context.Context, logger log.Logger, job *triggerJob) error {
			// Run the monitor's query; return workerutil.NonRetryable(err) for a bad query.
			return nil
		}), workerutil.WorkerOptions{
		NumHandlers:          4,
		Interval:             5 * time.Second,
		HeartbeatInterval:    15 * time.Second,
		MaximumRuntimePerJob: time.Minute,
		Listener:             listener,
		Metrics:              metrics,
	})
	resetter := workerutil.NewResetter(store, workerutil.ResetterOptions{Metrics: metrics})

	routines := []workerutil.Routine{listener, worker, resetter}
	for _, r := range routines {
		r.Start(ctx)
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	// Running jobs get 30 seconds to finish; the rest go back to the queue.
	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_ = workerutil.StopAll(stopCtx, routines...)
}
