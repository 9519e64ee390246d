// Package issuemonitors runs issue monitors in the worker: the enqueuer (a run of each
// monitor whose search or update schedule is due), the run worker (the update and search
// searches as the monitor's owner within its execution timeout, then the engine's passes
// applied in one transaction), the message worker (email, signed webhook and Slack
// through the code monitor senders), their resetters, and the retention routine.
//
// A run applies all or nothing: its searches come first, and a run that times out, or
// whose searches fail, writes no issue, alert or event (its job records why). Both queues
// deliver jobs at least once, so both handlers are idempotent: a run is applied in the
// transaction that sets im_runs.recorded_at, and a message job records each delivery
// (im_action_deliveries) right after sending it.
package issuemonitors

import (
	"context"
	"time"

	"github.com/graph-gophers/graphql-go/relay"
	"github.com/jackc/pgx/v5"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/env"
	domain "github.com/lookout/lookout/internal/issuemonitors"
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
	DefaultEnqueueInterval    = 10 * time.Second
	DefaultWorkerPollInterval = 5 * time.Second
	DefaultRetention          = 30 * 24 * time.Hour
	// DefaultSearchLimit is the result limit of a monitor's searches when its query has
	// no count: (the interactive default of 500 would leave problems untracked).
	DefaultSearchLimit = 10000
)

// Options configure the issue monitor routines. Zero values take the defaults.
type Options struct {
	Store    *store.Store
	Search   Searcher
	Notifier *notify.Notifier
	// ExternalURL is the URL users reach Lookout at, for links in messages.
	ExternalURL string
	// EnqueueInterval is how often due monitors are queued (ISSUE_MONITORS_ENQUEUE_INTERVAL).
	EnqueueInterval time.Duration
	// WorkerPollInterval is how often idle queue workers look for jobs when no NOTIFY
	// woke them.
	WorkerPollInterval time.Duration
	// ResetInterval is how often stalled jobs are reset (default
	// workerutil.DefaultResetInterval).
	ResetInterval time.Duration
	// Retention is how long finished runs and events are kept.
	Retention time.Duration
	// SearchLimit bounds the results of one search whose query has no count:.
	SearchLimit int
	// Now is the clock of runs (issue ages, timestamps); nil is time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.EnqueueInterval <= 0 {
		o.EnqueueInterval = DefaultEnqueueInterval
	}
	if o.WorkerPollInterval <= 0 {
		o.WorkerPollInterval = DefaultWorkerPollInterval
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.SearchLimit <= 0 {
		o.SearchLimit = DefaultSearchLimit
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// OptionsFromEnv reads the settings of the worker's issuemonitors job.
func OptionsFromEnv() Options {
	return Options{
		EnqueueInterval:    env.Duration("ISSUE_MONITORS_ENQUEUE_INTERVAL", DefaultEnqueueInterval, "How often issue monitors whose search or update is due are queued."),
		WorkerPollInterval: env.Duration("ISSUE_MONITORS_WORKER_POLL_INTERVAL", DefaultWorkerPollInterval, "How often idle issue monitor workers look for jobs when no notification woke them."),
		Retention:          env.Duration("ISSUE_MONITORS_RETENTION", DefaultRetention, "How long issue monitor runs and events are kept."),
		SearchLimit:        env.Int("ISSUE_MONITORS_SEARCH_LIMIT", DefaultSearchLimit, "Result limit of an issue monitor's searches when its query has no count:."),
	}
}

// The package's job queues.
var (
	RunQueue    = routine.QueueInfo{Name: "issuemonitor_runs", Handlers: 2, Description: "runs an issue monitor's search or update and records its issues, alerts and events"}
	ActionQueue = routine.QueueInfo{Name: "issuemonitor_actions", Handlers: 2, Description: "sends an issue monitor message (email, webhook, Slack)"}
)

// Needs is what Routines may hold at once on the main database (see routine.Need).
func Needs() []routine.Need {
	return []routine.Need{
		routine.QueueNeed(RunQueue, false),
		routine.QueueNeed(ActionQueue, false),
		routine.PeriodicNeed("issuemonitor-enqueuer", false),
		routine.PeriodicNeed("issuemonitor-retention", false),
	}
}

// RunStoreOptions describe the run queue (im_runs): stalled after
// workerutil.DefaultStalledMaxAge without a heartbeat, errored runs retried after 10 s,
// at most 3 attempts.
func RunStoreOptions() workerutil.StoreOptions[*store.IssueRun] {
	return workerutil.StoreOptions[*store.IssueRun]{
		Name: RunQueue.Name, TableName: "im_runs", Columns: store.IssueRunColumns,
		Scan:         func(r pgx.CollectableRow) (*store.IssueRun, error) { return store.ScanIssueRun(r) },
		MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 10 * time.Second,
	}
}

// ActionStoreOptions describe the message queue (im_action_jobs), with the same policy.
func ActionStoreOptions() workerutil.StoreOptions[*store.IssueActionJob] {
	return workerutil.StoreOptions[*store.IssueActionJob]{
		Name: ActionQueue.Name, TableName: "im_action_jobs", Columns: store.IssueActionJobColumns,
		Scan:         func(r pgx.CollectableRow) (*store.IssueActionJob, error) { return store.ScanIssueActionJob(r) },
		MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 10 * time.Second,
	}
}

// maxRunTime bounds one run's handler: the longest execution timeout and time to apply.
const maxRunTime = domain.MaxExecutionTimeout + 2*time.Minute

// Routines builds the issue monitor routines of the worker.
func Routines(env routine.Env, opts Options) ([]routine.Routine, error) {
	opts.defaults()
	logger := env.Logger.Scoped("issuemonitors")
	_, runs, err := routine.NewQueue(env, routine.QueueSpec[*store.IssueRun]{
		Store:         RunStoreOptions(),
		Worker:        workerutil.WorkerOptions{NumHandlers: RunQueue.Handlers, Interval: opts.WorkerPollInterval, MaximumRuntimePerJob: maxRunTime},
		Handler:       NewRunHandler(opts),
		ResetInterval: opts.ResetInterval,
	})
	if err != nil {
		return nil, err
	}
	_, actions, err := routine.NewQueue(env, routine.QueueSpec[*store.IssueActionJob]{
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
	rs := append(runs, actions...)
	return append(rs,
		routine.NewPeriodic(logger, "issuemonitor-enqueuer", func(ctx context.Context) error {
			n, err := EnqueueDue(ctx, opts.Store)
			if n > 0 {
				logger.Debug("queued issue monitor runs", log.Int("count", n))
			}
			return err
		}, enqueue),
		routine.NewPeriodic(logger, "issuemonitor-retention", func(ctx context.Context) error {
			_, err := opts.Store.IssueMonitors().DeleteOldHistory(ctx, opts.Retention)
			return err
		}, retention),
	), nil
}

// EnqueueDue queues a run of every monitor whose search or update is due, and moves each
// due task to the next time its cron schedule fires.
func EnqueueDue(ctx context.Context, st *store.Store) (int, error) {
	return st.IssueMonitors().EnqueueDueRuns(ctx, func(m store.DueIssueMonitor, now time.Time) (time.Time, time.Time) {
		return domain.NextRun(m.SearchSchedule, now), domain.NextRun(m.UpdateSchedule, now)
	})
}

// MonitorID is a monitor's GraphQL ID, which its page in the web app is named by.
func MonitorID(id int64) string { return string(relay.MarshalID("CodeMonitor", id)) }

// AlertID is an alert's GraphQL ID.
func AlertID(id int64) string { return string(relay.MarshalID("IssueMonitorAlert", id)) }
