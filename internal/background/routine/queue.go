package routine

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/workerutil"
)

// Env is what the worker gives every job when building its routines.
type Env struct {
	Logger   log.Logger
	DB       *pgxpool.Pool
	Registry prometheus.Registerer
	Listener *workerutil.Listener
	Hostname string
	Metrics  *Metrics
	// Registration, when set, records each queue's handlers for the worker's heartbeat
	// (the background jobs page).
	Registration *Registration
}

// Concurrency returns WORKER_<QUEUE>_CONCURRENCY (queue upper-cased, non-alphanumerics as
// underscores), or def when unset or invalid.
func Concurrency(queue string, def int) int {
	name := "WORKER_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, queue) + "_CONCURRENCY"
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// QueueSpec describes one job queue's worker.
type QueueSpec[T workerutil.Record] struct {
	Store   workerutil.StoreOptions[T]
	Worker  workerutil.WorkerOptions
	Handler workerutil.Handler[T]
	// ResetInterval is how often the resetter looks for stalled jobs (default 1 minute).
	ResetInterval time.Duration
}

// NewQueue builds the store, worker and resetter of a queue, with metrics and NOTIFY
// wake-ups. The worker's handler count comes from WORKER_<QUEUE>_CONCURRENCY when set.
func NewQueue[T workerutil.Record](env Env, spec QueueSpec[T]) (*workerutil.Store[T], []Routine, error) {
	if spec.Store.WorkerHostname == "" && env.Hostname != "" {
		spec.Store.WorkerHostname = env.Hostname + "/" + spec.Store.TableName
	}
	store, err := workerutil.NewStore(env.DB, spec.Store)
	if err != nil {
		return nil, nil, err
	}
	metrics, err := workerutil.NewMetrics(env.Registry, store.Name(), store.QueueStats)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics of queue %s: %w", store.Name(), err)
	}
	opts := spec.Worker
	opts.NumHandlers = Concurrency(store.Name(), max(opts.NumHandlers, 1))
	env.Registration.addQueue(store.Name(), opts.NumHandlers)
	opts.Listener = env.Listener
	opts.Metrics = metrics
	opts.Logger = env.Logger.Scoped(store.Name())
	worker := workerutil.NewWorker(store, spec.Handler, opts)
	resetter := workerutil.NewResetter(store, workerutil.ResetterOptions{Interval: spec.ResetInterval, Metrics: metrics, Logger: env.Logger.Scoped(store.Name())})
	return store, []Routine{
		Adapt(store.Name()+"-worker", worker),
		Adapt(store.Name()+"-resetter", resetter),
	}, nil
}

// StartStopper is what workerutil's workers, resetters and listener look like.
type StartStopper interface {
	Start(ctx context.Context)
	Stop(ctx context.Context) error
}

// Adapt makes a StartStopper a Routine.
func Adapt(name string, s StartStopper) Routine { return adapted{name, s} }

type adapted struct {
	name string
	s    StartStopper
}

func (a adapted) Name() string                   { return a.name }
func (a adapted) Start()                         { a.s.Start(context.Background()) }
func (a adapted) Stop(ctx context.Context) error { return a.s.Stop(ctx) }
