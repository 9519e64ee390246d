// Package insights runs the code insights routines of the worker: the backfill queue
// (new → processing → completed | failed, cheapest first, interrupted so that cheaper
// work can run), the recording enqueuer, the query runner that records and snapshots
// series, and retention. The domain logic is internal/insights; this package schedules
// it.
package insights

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/sourcegraph/log"
	"golang.org/x/time/rate"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/env"
	ins "github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// Options configure the insights routines. Zero values take the defaults of
// OptionsFromEnv.
type Options struct {
	Main       *store.Store  // the main database
	InsightsDB *pgxpool.Pool // the insights database
	Source     ins.Source
	// Limiter is the rate limit on counts shared by backfills and the query runner
	// (nil: RateLimit per second).
	Limiter   ins.Limiter
	RateLimit float64
	// BackfillHandlers run backfills at once; InterruptAfter ends a backfill's turn so
	// that cheaper ones can run; RepoConcurrency repositories are counted at once per
	// backfill page.
	BackfillHandlers int
	InterruptAfter   time.Duration
	RepoConcurrency  int
	// QueryHandlers run recordings at once.
	QueryHandlers int
	// EnqueueInterval is how often due recordings and snapshots are queued;
	// RetentionInterval how often old recordings are archived, keeping MaxSamples.
	EnqueueInterval   time.Duration
	RetentionInterval time.Duration
	MaxSamples        int
	// PollInterval is the dequeue poll when no NOTIFY arrives.
	PollInterval time.Duration
	// StalledMaxAge is how long a job may go without a heartbeat before it is reset;
	// ResetInterval how often stalled jobs are looked for (defaults
	// workerutil.DefaultStalledMaxAge and DefaultResetInterval).
	StalledMaxAge time.Duration
	ResetInterval time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// OptionsFromEnv reads the tunables from the environment.
func OptionsFromEnv() Options {
	return Options{
		RateLimit:         float64(env.Int("INSIGHTS_QUERY_WORKER_RATE_LIMIT", 20, "Counts per second shared by insights backfills and recordings (0: unlimited).")),
		BackfillHandlers:  env.Int("INSIGHTS_BACKFILL_CONCURRENCY", 2, "Insight backfills run at once by one worker."),
		InterruptAfter:    env.Duration("INSIGHTS_BACKFILL_INTERRUPT_AFTER", time.Minute, "How long a backfill runs before it yields so that cheaper backfills can run."),
		RepoConcurrency:   env.Int("INSIGHTS_BACKFILL_REPOSITORY_CONCURRENCY", 4, "Repositories one backfill counts at once."),
		QueryHandlers:     env.Int("INSIGHTS_QUERY_WORKER_CONCURRENCY", 5, "Insight recordings (query runner jobs) run at once by one worker."),
		EnqueueInterval:   env.Duration("INSIGHTS_ENQUEUER_INTERVAL", time.Hour, "How often due insight recordings and snapshots are queued."),
		RetentionInterval: env.Duration("INSIGHTS_RETENTION_INTERVAL", time.Hour, "How often old insight recordings are archived."),
		MaxSamples:        env.Int("INSIGHTS_MAXIMUM_SAMPLE_SIZE", 30, "Recording times kept per insight series (at most 90); older ones are archived."),
	}
}

// Queues are the package's job queues, with the handler counts opts gives them.
func Queues(opts Options) []routine.QueueInfo {
	opts.defaults()
	return []routine.QueueInfo{
		{Name: backfillQueue, Handlers: opts.BackfillHandlers, Description: "backfills an insight series over the history of its repositories"},
		{Name: queryRunnerQueue, Handlers: opts.QueryHandlers, Description: "records an insight series' point (or daily snapshot) now"},
	}
}

const (
	backfillQueue    = "insights_backfill"
	queryRunnerQueue = "insights_query_runner"
)

func (o *Options) defaults() {
	if o.BackfillHandlers <= 0 {
		o.BackfillHandlers = 2
	}
	if o.InterruptAfter <= 0 {
		o.InterruptAfter = time.Minute
	}
	if o.RepoConcurrency <= 0 {
		o.RepoConcurrency = 4
	}
	if o.QueryHandlers <= 0 {
		o.QueryHandlers = 5
	}
	if o.EnqueueInterval <= 0 {
		o.EnqueueInterval = time.Hour
	}
	if o.RetentionInterval <= 0 {
		o.RetentionInterval = time.Hour
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = 30
	}
	o.MaxSamples = min(o.MaxSamples, ins.MaxNumSamples)
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.StalledMaxAge <= 0 {
		o.StalledMaxAge = workerutil.DefaultStalledMaxAge
	}
	if o.Limiter == nil && o.RateLimit > 0 {
		o.Limiter = rate.NewLimiter(rate.Limit(o.RateLimit), max(1, int(o.RateLimit)))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Query runner retry policy, as the reference system's.
const (
	QueryRunnerMaxRetries = 10
	BackfillMaxRetries    = 3
)

// Needs is what Routines(env, opts) may hold at once on each database (see routine.Need).
// Backfills read repositories and persist blob counts in the main database, recordings
// write points to the insights one, and the periodic routines use both.
func Needs(opts Options) []routine.Need {
	var needs []routine.Need
	for _, q := range Queues(opts) {
		needs = append(needs, routine.QueueNeed(q, false), routine.QueueNeed(q, true))
	}
	return append(needs,
		routine.PeriodicNeed("insights-enqueuer", false),
		routine.PeriodicNeed("insights-enqueuer", true),
		routine.PeriodicNeed("insights-retention", false),
		routine.PeriodicNeed("insights-retention", true),
	)
}

// Routines builds the insights routines: the backfill queue (on the insights database),
// the query runner queue (on the main database), the enqueuer and retention.
func Routines(env routine.Env, opts Options) ([]routine.Routine, error) {
	opts.defaults()
	if opts.Main == nil || opts.InsightsDB == nil || opts.Source == nil {
		return nil, errors.New("insights routines need the main store, the insights database and a count source")
	}
	logger := env.Logger.Scoped("insights")
	istore := store.New(opts.InsightsDB).Insights()

	// The backfill queue lives in the insights database, with its own NOTIFY listener.
	ienv := env
	ienv.DB = opts.InsightsDB
	ienv.Listener = workerutil.NewListener(opts.InsightsDB, logger.Scoped("listener"))
	backfiller := &ins.Backfiller{Main: opts.Main, Insights: istore, Source: opts.Source, Logger: logger.Scoped("backfill"),
		Limiter: opts.Limiter, RepoConcurrency: opts.RepoConcurrency}
	_, backfillRoutines, err := routine.NewQueue(ienv, routine.QueueSpec[*store.InsightBackfill]{
		Store: workerutil.StoreOptions[*store.InsightBackfill]{
			Name: backfillQueue, TableName: "insight_series_backfill", Alias: "b",
			Columns: store.BackfillColumns, Scan: store.ScanBackfill, OrderBy: store.BackfillOrder,
			StalledMaxAge: opts.StalledMaxAge, MaxNumResets: 10, MaxNumRetries: BackfillMaxRetries, RetryAfter: 30 * time.Second,
		},
		Worker:        workerutil.WorkerOptions{NumHandlers: opts.BackfillHandlers, Interval: opts.PollInterval},
		Handler:       &BackfillHandler{Backfiller: backfiller, Insights: istore, InterruptAfter: opts.InterruptAfter},
		ResetInterval: opts.ResetInterval,
		Insights:      true,
	})
	if err != nil {
		return nil, fmt.Errorf("backfill queue: %w", err)
	}

	recorder := &ins.Recorder{Main: opts.Main, Insights: istore, Source: opts.Source, Logger: logger.Scoped("recorder"), Limiter: opts.Limiter}
	_, queryRoutines, err := routine.NewQueue(env, routine.QueueSpec[*store.InsightsQueryJob]{
		Store:         QueryRunnerStoreOptions(opts.StalledMaxAge),
		Worker:        workerutil.WorkerOptions{NumHandlers: opts.QueryHandlers, Interval: opts.PollInterval, MaximumRuntimePerJob: 30 * time.Minute},
		Handler:       &QueryRunner{Recorder: recorder, Insights: istore, MaxRetries: QueryRunnerMaxRetries},
		ResetInterval: opts.ResetInterval,
	})
	if err != nil {
		return nil, fmt.Errorf("query runner queue: %w", err)
	}

	periodic := routine.PeriodicOptions{Singleton: env.DB, Hostname: env.Hostname, Metrics: env.Metrics, RunAtStart: true}
	enq := periodic
	enq.Interval = opts.EnqueueInterval
	ret := periodic
	ret.Interval = opts.RetentionInterval
	enqueuer := &Enqueuer{Main: opts.Main, Insights: istore, Now: opts.Now, Logger: logger.Scoped("enqueuer")}
	rs := []routine.Routine{routine.Adapt("insights-listener", ienv.Listener)}
	rs = append(rs, backfillRoutines...)
	rs = append(rs, queryRoutines...)
	rs = append(rs,
		routine.NewPeriodic(logger, "insights-enqueuer", func(ctx context.Context) error {
			_, err := enqueuer.Run(ctx)
			return err
		}, enq),
		routine.NewPeriodic(logger, "insights-retention", func(ctx context.Context) error {
			return Retain(ctx, opts.Main, istore, opts.MaxSamples)
		}, ret),
	)
	return rs, nil
}

// QueryRunnerStoreOptions is the query runner's queue: lowest priority first (snapshots,
// 0, before recordings, 1), then oldest; a job stalled for stalledMaxAge is reset, and
// fails after QueryRunnerMaxRetries failures or resets.
func QueryRunnerStoreOptions(stalledMaxAge time.Duration) workerutil.StoreOptions[*store.InsightsQueryJob] {
	return workerutil.StoreOptions[*store.InsightsQueryJob]{
		Name: queryRunnerQueue, TableName: "insights_query_runner_jobs",
		Columns: store.InsightsQueryJobColumns, Scan: store.ScanInsightsQueryJob, OrderBy: "priority, id",
		StalledMaxAge: stalledMaxAge, MaxNumResets: QueryRunnerMaxRetries, MaxNumRetries: QueryRunnerMaxRetries, RetryAfter: 10 * time.Second,
	}
}

// BackfillHandler runs one turn of a backfill: planning a new one, or working through a
// processing one until it is done or its turn ends.
type BackfillHandler struct {
	Backfiller     *ins.Backfiller
	Insights       *store.InsightsStore
	InterruptAfter time.Duration
}

// Handle implements workerutil.Handler.
func (h *BackfillHandler) Handle(ctx context.Context, logger log.Logger, bf *store.InsightBackfill) error {
	switch bf.BackfillState {
	case store.BackfillNew:
		err := h.Backfiller.Plan(ctx, bf)
		if errors.Is(err, store.ErrNotFound) || ins.IsInvalid(err) {
			_ = h.Insights.FinishBackfill(context.WithoutCancel(ctx), bf.ID, store.BackfillFailed)
			return workerutil.NonRetryable(err)
		}
		if err != nil {
			return err
		}
		// Back into the queue, now ordered by its cost.
		return workerutil.RequeueAfter(0)
	case store.BackfillProcessing:
		done, err := h.Backfiller.Process(ctx, bf, time.Now().Add(h.InterruptAfter))
		if errors.Is(err, ins.ErrBackfillFailed) {
			return workerutil.NonRetryable(err)
		}
		if err != nil {
			return err
		}
		if !done {
			logger.Debug("backfill interrupted; yielding to cheaper work", log.Int("backfill", bf.ID))
			return workerutil.RequeueAfter(0)
		}
		return nil
	}
	return nil // completed or failed: nothing to do
}

// QueryRunner records or snapshots a series.
type QueryRunner struct {
	Recorder   *ins.Recorder
	Insights   *store.InsightsStore
	MaxRetries int
}

// Handle implements workerutil.Handler. A job that fails for the last time leaves an
// incomplete point for its time, so the gap is shown rather than silent.
func (q *QueryRunner) Handle(ctx context.Context, logger log.Logger, job *store.InsightsQueryJob) error {
	s, err := q.Insights.GetSeriesBySeriesID(ctx, job.SeriesID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if s.DeletedAt != nil || !s.Enabled {
		return nil
	}
	out, err := q.Recorder.Record(ctx, s, job.RecordTime, job.PersistMode == store.PersistSnapshot)
	if err != nil {
		last := job.NumFailures+1 >= q.MaxRetries || ins.IsInvalid(err)
		// A job that ran out of time fails like any other (its context ended with a
		// deadline); one whose context was canceled (shutdown, cancel) did not fail.
		timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded)
		if last && (ctx.Err() == nil || timedOut) {
			reason := store.IncompleteGeneric
			if timedOut {
				reason = store.IncompleteTimeout
			}
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := q.Insights.AddIncompletePoints(wctx, []store.IncompletePoint{{SeriesID: s.ID, Reason: reason, Time: job.RecordTime, Message: err.Error()}}); err != nil {
				logger.Error("recording an incomplete point failed", log.String("series", s.SeriesID), log.Error(err))
			}
			cancel()
		}
		if ins.IsInvalid(err) {
			return workerutil.NonRetryable(err)
		}
		return err
	}
	logger.Debug("recorded series", log.String("series", s.SeriesID), log.String("mode", job.PersistMode), log.Int("repos", out.Repos), log.Int("points", out.Points))
	return nil
}

// Enqueuer queues the recordings and snapshots that are due.
type Enqueuer struct {
	Main     *store.Store
	Insights *store.InsightsStore
	Now      func() time.Time
	Logger   log.Logger
}

// Run queues one job per due recording and snapshot, and stamps each series' next time
// only after its job was queued (the queue is in the other database, so a crash in
// between queues the job again at worst; points are idempotent).
func (e *Enqueuer) Run(ctx context.Context) (int, error) {
	now := e.Now().UTC()
	n := 0
	due, err := e.Insights.ListSeries(ctx, store.SeriesListOptions{RecordingDue: now})
	if err != nil {
		return 0, err
	}
	for _, s := range due {
		iv := ins.Interval{Unit: s.IntervalUnit, Value: s.IntervalValue}
		next := ins.NextAfter(s.CreatedAt, now, iv)
		at := iv.Step(next, -1) // the newest grid time not after now
		if err := e.Main.EnqueueInsightsQueryJob(ctx, &store.InsightsQueryJob{SeriesID: s.SeriesID, SearchQuery: s.Query, RecordTime: at, PersistMode: store.PersistRecord, Priority: 1}); err != nil {
			return n, err
		}
		if err := e.Insights.StampRecording(ctx, s.ID, at, next); err != nil {
			return n, fmt.Errorf("stamping series %s: %w", s.SeriesID, err)
		}
		n++
	}
	due, err = e.Insights.ListSeries(ctx, store.SeriesListOptions{SnapshotDue: now})
	if err != nil {
		return n, err
	}
	for _, s := range due {
		if err := ins.EnqueueSnapshot(ctx, e.Main, e.Insights, s, now); err != nil {
			return n, err
		}
		n++
	}
	if n > 0 && e.Logger != nil {
		e.Logger.Info("queued insight recordings", log.Int("jobs", n))
	}
	return n, nil
}

// Retain marks the recordings that failed for good as incomplete points, archives the
// recordings of every live series beyond the newest keep, and deletes query runner jobs
// finished more than a week ago.
func Retain(ctx context.Context, main *store.Store, is *store.InsightsStore, keep int) error {
	if err := MarkFailedRecordings(ctx, main, is, time.Now().Add(-FailedRecordingWindow)); err != nil {
		return err
	}
	series, err := is.ListSeries(ctx, store.SeriesListOptions{})
	if err != nil {
		return err
	}
	for _, s := range series {
		if _, err := is.ArchiveOldRecordings(ctx, s.ID, keep); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("archiving series %s: %w", s.SeriesID, err)
		}
	}
	_, err = main.DeleteOldInsightsQueryJobs(ctx, 7*24*time.Hour)
	return err
}

// FailedRecordingWindow is how far back MarkFailedRecordings looks for failed jobs (it
// runs with retention, hourly by default).
const FailedRecordingWindow = 24 * time.Hour

// MarkFailedRecordings leaves an incomplete point for every recording or snapshot job
// that failed for good since the given time — also those the query runner never saw
// fail, such as a job whose worker died too many times (the resetter fails it) — so a
// gap is shown rather than silent. It is idempotent.
func MarkFailedRecordings(ctx context.Context, main *store.Store, is *store.InsightsStore, since time.Time) error {
	jobs, err := main.FailedInsightsQueryJobs(ctx, since)
	if err != nil {
		return err
	}
	series := map[string]*store.InsightSeries{}
	var pts []store.IncompletePoint
	for _, j := range jobs {
		s, ok := series[j.SeriesID]
		if !ok {
			s, err = is.GetSeriesBySeriesID(ctx, j.SeriesID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			series[j.SeriesID] = s
		}
		if s == nil || s.DeletedAt != nil {
			continue
		}
		reason := store.IncompleteGeneric
		if strings.Contains(j.Message, "maximum runtime") || strings.Contains(j.Message, context.DeadlineExceeded.Error()) {
			reason = store.IncompleteTimeout
		}
		pts = append(pts, store.IncompletePoint{SeriesID: s.ID, Reason: reason, Time: j.RecordTime, Message: j.Message})
	}
	if err := is.AddIncompletePoints(ctx, pts); err != nil {
		return fmt.Errorf("marking failed recordings: %w", err)
	}
	return nil
}
