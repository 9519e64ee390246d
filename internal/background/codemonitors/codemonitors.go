// Package codemonitors runs code monitors in the worker: the trigger enqueuer (a full
// run of each monitor every poll interval), the trigger worker (runs a monitor's query as
// its owner over the commits it has not searched yet, records the results as an event
// and queues a notification per action), the action worker (email, signed webhook,
// Slack), their resetters, the retention routine, and the push listener that queues runs
// as soon as a fetch brings new commits.
//
// Every run that finds results queues one notification per enabled action, even while a
// notification of an earlier run through the same action is still pending. Sourcegraph
// skips an action that has a pending job; Lookout does not, on purpose: each run reports
// only the commits it searched, so a skipped notification would be results never sent.
// A slow receiver therefore gets one message per run.
//
// Both queues deliver jobs at least once, so both handlers are idempotent: a trigger run
// records everything in one transaction guarded by cm_trigger_jobs.recorded_at, and an
// action job records each delivery (cm_action_deliveries) right after sending it, so a
// job retried after its worker died skips what was already sent.
package codemonitors

import (
	"context"
	"time"

	"github.com/graph-gophers/graphql-go/relay"
	"github.com/jackc/pgx/v5"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// Searcher runs searches (*search.Service).
type Searcher interface {
	Search(ctx context.Context, req search.Request) (*search.Results, error)
}

// Defaults of Options.
const (
	DefaultPollInterval       = 5 * time.Minute
	DefaultEnqueueInterval    = time.Minute
	DefaultWorkerPollInterval = 5 * time.Second
	DefaultRetention          = 30 * 24 * time.Hour
	// EmptyRunRetention is how long completed runs without results are kept: no event
	// list shows them.
	EmptyRunRetention = time.Hour
	// MaxStoredResults bounds the results kept on a run (and sent in a webhook); the
	// run's count includes the rest.
	MaxStoredResults = 100
)

// Options configure the code monitor routines. Zero durations take the defaults.
type Options struct {
	Store    *store.Store
	Search   Searcher
	Mirrors  search.MirrorSource
	Notifier *notify.Notifier
	// ExternalURL is the URL users reach Lookout at, for links in notifications.
	ExternalURL string
	// PollInterval is the time between two full runs of a monitor
	// (CODE_MONITORS_POLL_INTERVAL).
	PollInterval time.Duration
	// EnqueueInterval is how often due monitors are queued.
	EnqueueInterval time.Duration
	// WorkerPollInterval is how often idle queue workers look for jobs when no NOTIFY
	// woke them.
	WorkerPollInterval time.Duration
	// ResetInterval is how often stalled jobs are reset (default
	// workerutil.DefaultResetInterval).
	ResetInterval time.Duration
	// Retention is how long finished runs and their notifications are kept.
	Retention time.Duration
}

func (o *Options) defaults() {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.EnqueueInterval <= 0 {
		o.EnqueueInterval = DefaultEnqueueInterval
	}
	if o.WorkerPollInterval <= 0 {
		o.WorkerPollInterval = DefaultWorkerPollInterval
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
}

// The package's job queues.
var (
	TriggerQueue = routine.QueueInfo{Name: "codemonitor_triggers", Handlers: 4, Description: "runs a code monitor's search (on its schedule or after a push) and queues its notifications"}
	ActionQueue  = routine.QueueInfo{Name: "codemonitor_actions", Handlers: 1, Description: "sends a code monitor notification (email, webhook, Slack)"}
)

// Needs is what Routines may hold at once on the main database (see routine.Need).
func Needs() []routine.Need {
	return []routine.Need{
		routine.QueueNeed(TriggerQueue, false),
		routine.QueueNeed(ActionQueue, false),
		routine.PeriodicNeed("codemonitor-trigger-enqueuer", false),
		routine.PeriodicNeed("codemonitor-retention", false),
	}
}

// TriggerStoreOptions describe the trigger queue (cm_trigger_jobs): stalled after
// workerutil.DefaultStalledMaxAge without a heartbeat, errored runs retried after 10 s,
// at most 3 attempts.
func TriggerStoreOptions() workerutil.StoreOptions[*store.TriggerJob] {
	return workerutil.StoreOptions[*store.TriggerJob]{
		Name: TriggerQueue.Name, TableName: "cm_trigger_jobs", Columns: store.TriggerJobColumns,
		Scan:         func(r pgx.CollectableRow) (*store.TriggerJob, error) { return store.ScanTriggerJob(r) },
		MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 10 * time.Second,
	}
}

// ActionStoreOptions describe the action queue (cm_action_jobs), with the same policy.
func ActionStoreOptions() workerutil.StoreOptions[*store.ActionJob] {
	return workerutil.StoreOptions[*store.ActionJob]{
		Name: ActionQueue.Name, TableName: "cm_action_jobs", Columns: store.ActionJobColumns,
		Scan:         func(r pgx.CollectableRow) (*store.ActionJob, error) { return store.ScanActionJob(r) },
		MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 10 * time.Second,
	}
}

// Routines builds the code monitor routines of the worker.
func Routines(env routine.Env, opts Options) ([]routine.Routine, error) {
	opts.defaults()
	logger := env.Logger.Scoped("codemonitors")
	_, triggers, err := routine.NewQueue(env, routine.QueueSpec[*store.TriggerJob]{
		Store:         TriggerStoreOptions(),
		Worker:        workerutil.WorkerOptions{NumHandlers: TriggerQueue.Handlers, Interval: opts.WorkerPollInterval, MaximumRuntimePerJob: time.Minute},
		Handler:       NewTriggerHandler(opts),
		ResetInterval: opts.ResetInterval,
	})
	if err != nil {
		return nil, err
	}
	_, actions, err := routine.NewQueue(env, routine.QueueSpec[*store.ActionJob]{
		Store:         ActionStoreOptions(),
		Worker:        workerutil.WorkerOptions{NumHandlers: ActionQueue.Handlers, Interval: opts.WorkerPollInterval, MaximumRuntimePerJob: time.Minute},
		Handler:       NewActionHandler(opts),
		ResetInterval: opts.ResetInterval,
	})
	if err != nil {
		return nil, err
	}
	periodic := routine.PeriodicOptions{Singleton: env.DB, Hostname: env.Hostname, Metrics: env.Metrics, RunAtStart: true}
	enqueue, retention := periodic, periodic
	enqueue.Interval = opts.EnqueueInterval
	retention.Interval = time.Hour
	rs := append(triggers, actions...)
	return append(rs,
		routine.NewPeriodic(logger, "codemonitor-trigger-enqueuer", func(ctx context.Context) error {
			n, err := opts.Store.CodeMonitors().EnqueueDueTriggers(ctx)
			if n > 0 {
				logger.Debug("queued code monitor runs", log.Int64("count", n))
			}
			return err
		}, enqueue),
		routine.NewPeriodic(logger, "codemonitor-retention", func(ctx context.Context) error {
			_, err := opts.Store.CodeMonitors().DeleteOldTriggerJobs(ctx, opts.Retention, EmptyRunRetention)
			return err
		}, retention),
	), nil
}

// MonitorID is a monitor's GraphQL ID, which its page in the web app is named by.
func MonitorID(id int64) string { return string(relay.MarshalID("CodeMonitor", id)) }
