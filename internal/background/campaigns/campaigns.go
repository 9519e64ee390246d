// Package campaigns runs campaigns in the worker: the campaign job queue (per repository
// of a plan: check an uploaded patch applies, or run the spec's steps through
// internal/executor and store the diff, with the log written while the steps run), the
// changeset reconciler queue (push, open, update, undraft and close pull requests,
// idempotently, under a per-host publish rate limit), the changeset syncer (loads pull
// requests from their hosts with a backoff, sooner after webhooks) and their resetters.
//
// Every handler may run again after its worker died at any point: a plan job rewrites
// its own result, and the reconciler stores the branch name before pushing, makes the
// same commit again (fixed dates), and adopts a pull request that already exists for the
// branch, so a retry never duplicates a pull request.
package campaigns

import (
	"context"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/executor"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// Defaults of Options.
const (
	DefaultPollInterval     = 5 * time.Second
	DefaultSyncInterval     = 30 * time.Second
	DefaultLogFlushInterval = 2 * time.Second
	DefaultSyncBatch        = 100
)

// Options configure the campaign routines. Zero values take defaults.
type Options struct {
	Store *store.Store
	// Repos gives mirrors (and their fetches) of this worker.
	Repos *reposvc.Service
	// Runner runs spec steps.
	Runner *executor.Runner
	// HTTPClient talks to code host APIs (nil: a default client).
	HTTPClient *http.Client
	// ExternalURL is where users reach Lookout, for the link back in pull request bodies.
	ExternalURL string
	// Bot is the commit author and committer when a spec names none.
	Bot campaigns.Author
	// Rates limit publishing per code host (nil: campaigns.DefaultPublishRate).
	Rates *campaigns.Rates
	// PollInterval is how often idle queue workers look for jobs without a NOTIFY.
	PollInterval time.Duration
	// SyncInterval is how often due changesets are synced.
	SyncInterval time.Duration
	// SyncBatch is how many changesets one sync round takes at most.
	SyncBatch int
	// LogFlushInterval is how often a running step's log is written to its job.
	LogFlushInterval time.Duration
	// StalledMaxAge and ResetInterval tune the resetters (tests shorten them).
	StalledMaxAge time.Duration
	ResetInterval time.Duration
	// JobConcurrency and ChangesetConcurrency are handlers per queue (overridden by
	// WORKER_CAMPAIGN_JOBS_CONCURRENCY and WORKER_CHANGESETS_CONCURRENCY).
	JobConcurrency       int
	ChangesetConcurrency int
	// MaxJobRuntime bounds a plan job (workspace setup, steps, diff); it must exceed the
	// executor's MaxTimeLimit. Default 3 hours.
	MaxJobRuntime time.Duration
	Logger        log.Logger
	// Now defaults to time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.SyncBatch <= 0 {
		o.SyncBatch = DefaultSyncBatch
	}
	if o.LogFlushInterval <= 0 {
		o.LogFlushInterval = DefaultLogFlushInterval
	}
	if o.StalledMaxAge <= 0 {
		o.StalledMaxAge = workerutil.DefaultStalledMaxAge
	}
	if o.Bot.Name == "" || o.Bot.Email == "" {
		o.Bot = campaigns.DefaultBot
	}
	if o.Rates == nil {
		r, _ := campaigns.ParseRates("")
		o.Rates = &r
	}
	if o.JobConcurrency <= 0 {
		o.JobConcurrency = 2
	}
	if o.ChangesetConcurrency <= 0 {
		o.ChangesetConcurrency = 4
	}
	if o.MaxJobRuntime <= 0 {
		o.MaxJobRuntime = 3 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = log.Scoped("campaigns")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Queues are the package's job queues, with the handler counts opts gives them.
func Queues(opts Options) []routine.QueueInfo {
	opts.defaults()
	return []routine.QueueInfo{
		{Name: jobQueue, Handlers: opts.JobConcurrency, Description: "runs a campaign plan's steps in one repository (a workspace, local processes or containers)"},
		{Name: changesetQueue, Handlers: opts.ChangesetConcurrency, Description: "pushes a changeset's branch and opens, updates or closes its pull request"},
	}
}

const (
	jobQueue       = "campaign_jobs"
	changesetQueue = "changesets"
)

// JobStoreOptions describe the campaign job queue: stalled after StalledMaxAge, errored
// jobs (setup failures) retried after 30 s, at most 3 attempts.
func JobStoreOptions(stalled time.Duration) workerutil.StoreOptions[*store.CampaignJob] {
	return workerutil.StoreOptions[*store.CampaignJob]{
		Name: jobQueue, TableName: "campaign_jobs", Columns: store.CampaignJobColumns,
		Scan:          func(r pgx.CollectableRow) (*store.CampaignJob, error) { return store.ScanCampaignJob(r) },
		StalledMaxAge: stalled, MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 30 * time.Second,
	}
}

// ChangesetStoreOptions describe the reconciler queue (the changesets table): errored
// changesets (network, server errors) are retried after 30 s, at most 5 attempts.
func ChangesetStoreOptions(stalled time.Duration) workerutil.StoreOptions[*store.Changeset] {
	return workerutil.StoreOptions[*store.Changeset]{
		Name: changesetQueue, TableName: "changesets", Alias: "c", Columns: store.ChangesetColumns,
		Scan:          func(r pgx.CollectableRow) (*store.Changeset, error) { return store.ScanChangeset(r) },
		StalledMaxAge: stalled, MaxNumResets: 5, MaxNumRetries: 5, RetryAfter: 30 * time.Second,
	}
}

// Needs is what Routines(env, opts) may hold at once on the main database (see
// routine.Need).
func Needs(opts Options) []routine.Need {
	var needs []routine.Need
	for _, q := range Queues(opts) {
		needs = append(needs, routine.QueueNeed(q, false))
	}
	return append(needs, routine.PeriodicNeed("campaign-changeset-syncer", false))
}

// Routines builds the campaign routines of the worker.
func Routines(env routine.Env, opts Options) ([]routine.Routine, error) {
	opts.defaults()
	logger := env.Logger.Scoped("campaigns")
	opts.Logger = logger
	jobs := NewJobHandler(opts)
	jobStore, jobRoutines, err := routine.NewQueue(env, routine.QueueSpec[*store.CampaignJob]{
		Store: JobStoreOptions(opts.StalledMaxAge),
		Worker: workerutil.WorkerOptions{NumHandlers: opts.JobConcurrency, Interval: opts.PollInterval, HeartbeatInterval: heartbeat(opts.StalledMaxAge),
			MaximumRuntimePerJob: opts.MaxJobRuntime},
		Handler:       jobs,
		ResetInterval: opts.ResetInterval,
	})
	if err != nil {
		return nil, err
	}
	jobs.SetQueue(jobStore)
	_, changesetRoutines, err := routine.NewQueue(env, routine.QueueSpec[*store.Changeset]{
		Store: ChangesetStoreOptions(opts.StalledMaxAge),
		Worker: workerutil.WorkerOptions{NumHandlers: opts.ChangesetConcurrency, Interval: opts.PollInterval, HeartbeatInterval: heartbeat(opts.StalledMaxAge),
			MaximumRuntimePerJob: 30 * time.Minute},
		Handler:       NewReconciler(opts),
		ResetInterval: opts.ResetInterval,
	})
	if err != nil {
		return nil, err
	}
	syncer := NewSyncer(opts)
	rs := append(jobRoutines, changesetRoutines...)
	return append(rs, routine.NewPeriodic(logger, "campaign-changeset-syncer", func(ctx context.Context) error {
		// A changeset whose campaign changed while the reconciler finished it may have
		// been marked completed after its last check: queue it again.
		if _, err := opts.Store.Campaigns().RequeueDrifted(ctx); err != nil {
			return err
		}
		_, err := syncer.SyncDue(ctx)
		return err
	}, routine.PeriodicOptions{Interval: opts.SyncInterval, Metrics: env.Metrics, RunAtStart: true})), nil
}

// heartbeat is frequent enough that a live job never looks stalled.
func heartbeat(stalled time.Duration) time.Duration {
	return max(stalled/4, 100*time.Millisecond)
}
