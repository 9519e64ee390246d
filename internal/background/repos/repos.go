// Package repos runs the repository routines of the worker: syncing each code host
// connection's repository list (and, where the host allows, who may read private ones),
// scheduling fetches, and fetching mirrors — telling listeners when a fetch brings new
// commits, which is how monitors run on push.
package repos

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/codehost"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// ChangeListener is told about fetches that changed a repository's branches, in the
// transaction that records them (see reposvc.ChangeListener).
type ChangeListener = reposvc.ChangeListener

// Options configure the repository routines.
type Options struct {
	Store   *store.Store
	Service *reposvc.Service
	// HTTPClient talks to code host APIs (nil: a default with a timeout).
	HTTPClient *http.Client
	// Listeners run when a fetch job changed a repository, in the transaction that
	// records the change.
	Listeners []ChangeListener
	// Intervals; zero values take the defaults below.
	SyncEnqueueInterval   time.Duration // 1m
	FetchScheduleInterval time.Duration // 10s
	PollInterval          time.Duration // 1s (dequeue poll when NOTIFY is missed)
}

// The package's job queues.
var (
	SyncQueue  = routine.QueueInfo{Name: "repo_sync", Handlers: 2, Description: "lists the repositories of a code host connection (a sync)"}
	FetchQueue = routine.QueueInfo{Name: "repo_fetch", Handlers: 4, Description: "clones or fetches a repository into this worker's mirror cache"}
)

// Needs is what Routines may hold at once on the main database (see routine.Need).
func Needs() []routine.Need {
	return []routine.Need{
		routine.QueueNeed(SyncQueue, false),
		routine.QueueNeed(FetchQueue, false),
		routine.PeriodicNeed("repo-sync-enqueuer", false),
		routine.PeriodicNeed("repo-fetch-scheduler", false),
	}
}

// Routines builds the sync and fetch queues and their periodic enqueuers.
func Routines(env routine.Env, opts Options) ([]routine.Routine, error) {
	if opts.SyncEnqueueInterval == 0 {
		opts.SyncEnqueueInterval = time.Minute
	}
	if opts.FetchScheduleInterval == 0 {
		opts.FetchScheduleInterval = 10 * time.Second
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	logger := env.Logger.Scoped("repos")

	_, syncRoutines, err := routine.NewQueue(env, routine.QueueSpec[*store.SyncJob]{
		Store: workerutil.StoreOptions[*store.SyncJob]{
			Name: SyncQueue.Name, TableName: "external_service_sync_jobs", Columns: store.SyncJobColumns, Scan: func(r pgx.CollectableRow) (*store.SyncJob, error) { return store.ScanSyncJob(r) },
			MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: time.Minute,
		},
		Worker:  workerutil.WorkerOptions{NumHandlers: SyncQueue.Handlers, Interval: opts.PollInterval, MaximumRuntimePerJob: 30 * time.Minute},
		Handler: &syncHandler{store: opts.Store, http: opts.HTTPClient},
	})
	if err != nil {
		return nil, err
	}
	_, fetchRoutines, err := routine.NewQueue(env, routine.QueueSpec[*store.RepoJob]{
		Store: workerutil.StoreOptions[*store.RepoJob]{
			Name: FetchQueue.Name, TableName: "repo_fetch_jobs", Columns: store.RepoJobColumns, Scan: func(r pgx.CollectableRow) (*store.RepoJob, error) { return store.ScanRepoJob(r) },
			OrderBy:      "priority DESC, queued_at, id",
			MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 30 * time.Second,
		},
		Worker:  workerutil.WorkerOptions{NumHandlers: FetchQueue.Handlers, Interval: opts.PollInterval, MaximumRuntimePerJob: 30 * time.Minute},
		Handler: &fetchHandler{store: opts.Store, service: opts.Service, listeners: opts.Listeners},
	})
	if err != nil {
		return nil, err
	}
	periodic := routine.PeriodicOptions{Singleton: env.DB, Hostname: env.Hostname, Metrics: env.Metrics, RunAtStart: true}
	syncEnqueuer := periodic
	syncEnqueuer.Interval = opts.SyncEnqueueInterval
	fetchScheduler := periodic
	fetchScheduler.Interval = opts.FetchScheduleInterval
	rs := append(syncRoutines, fetchRoutines...)
	rs = append(rs,
		routine.NewPeriodic(logger, "repo-sync-enqueuer", func(ctx context.Context) error {
			_, err := opts.Store.ExternalServices().EnqueueDueSyncs(ctx)
			return err
		}, syncEnqueuer),
		routine.NewPeriodic(logger, "repo-fetch-scheduler", func(ctx context.Context) error {
			_, err := opts.Store.Repos().EnqueueDueFetches(ctx, 500)
			return err
		}, fetchScheduler),
	)
	return rs, nil
}

type syncHandler struct {
	store *store.Store
	http  *http.Client
}

func (h *syncHandler) Handle(ctx context.Context, logger log.Logger, job *store.SyncJob) error {
	svc, err := h.store.ExternalServices().GetByID(ctx, job.ExternalServiceID)
	if errors.Is(err, store.ErrNotFound) {
		return workerutil.NonRetryable(fmt.Errorf("code host connection %d was deleted", job.ExternalServiceID))
	}
	if err != nil {
		return err
	}
	count, err := h.sync(ctx, logger, job, svc)
	var rateLimited *codehost.RateLimitError
	if errors.As(err, &rateLimited) {
		_ = h.store.ExternalServices().RecordSync(ctx, svc.ID, count, err)
		return workerutil.RequeueAfter(max(rateLimited.RetryAfter, time.Second))
	}
	if recErr := h.store.ExternalServices().RecordSync(ctx, svc.ID, count, err); recErr != nil {
		return errors.Join(err, recErr)
	}
	if errors.Is(err, codehost.ErrUnauthorized) || errors.Is(err, codehost.ErrForbidden) {
		return workerutil.NonRetryable(err) // retrying with the same token will not help
	}
	return err
}

func (h *syncHandler) sync(ctx context.Context, logger log.Logger, job *store.SyncJob, svc *store.ExternalService) (int, error) {
	kind := codehost.Kind(svc.Kind)
	cfg, err := codehost.ParseConfig(kind, []byte(svc.Config))
	if err != nil {
		return 0, workerutil.NonRetryable(err)
	}
	src, err := codehost.NewSource(kind, cfg, h.http)
	if err != nil {
		return 0, workerutil.NonRetryable(err)
	}
	listed, listErr := src.ListRepos(ctx)
	partial := false
	if listErr != nil {
		// Explicitly listed repositories that are missing: keep what was found, remove
		// nothing, and report the error.
		if !errors.Is(listErr, codehost.ErrNotFound) || len(listed) == 0 {
			return 0, listErr
		}
		partial = true
	}
	sourced := make([]store.SourcedRepo, len(listed))
	for i, r := range listed {
		sourced[i] = store.SourcedRepo{Name: r.Name, URI: r.URI, Description: r.Description, CloneURL: r.CloneURL, ExternalID: r.ExternalID,
			DefaultBranch: r.DefaultBranch, Fork: r.Fork, Archived: r.Archived, Private: r.Private}
	}
	res, err := h.store.Repos().SyncFromService(ctx, svc.ID, sourced, partial)
	if err != nil {
		return 0, err
	}
	if err := h.store.ExternalServices().RecordSyncJobResult(ctx, job.ID, res.Added, res.Removed); err != nil {
		return 0, err
	}
	logger.Info("synced code host connection", log.String("connection", svc.DisplayName), log.Int("repos", len(listed)),
		log.Int("added", res.Added), log.Int("removed", res.Removed))
	h.syncPermissions(ctx, logger, kind, cfg, src, listed)
	return len(listed), listErr
}

// syncPermissions grants the users the code host says may read each private repository.
// It is best-effort: a host that cannot list permissions leaves the admin's grants alone.
func (h *syncHandler) syncPermissions(ctx context.Context, logger log.Logger, kind codehost.Kind, cfg codehost.Config, src codehost.Source, listed []codehost.Repo) {
	for _, r := range listed {
		if !r.Private {
			continue
		}
		identities, err := src.ListRepoPermissions(ctx, r)
		if errors.Is(err, codehost.ErrUnsupported) {
			return
		}
		if err != nil {
			logger.Warn("listing repository permissions", log.String("repo", r.Name), log.Error(err))
			continue
		}
		var logins, emails []string
		for _, id := range identities {
			if strings.Contains(id, "@") {
				emails = append(emails, id)
			} else {
				logins = append(logins, id)
			}
		}
		userIDs, err := h.store.UserIDsForCodeHostIdentities(ctx, string(kind), cfg.ServiceURL(), logins, emails)
		if err != nil {
			logger.Warn("mapping code host users", log.Error(err))
			continue
		}
		repo, err := h.store.Repos().GetByName(ctx, store.InternalViewer, r.Name)
		if err != nil {
			continue
		}
		if err := h.store.Repos().SetRepoPermissions(ctx, repo.ID, userIDs, store.PermissionSourceSync); err != nil {
			logger.Warn("storing repository permissions", log.String("repo", r.Name), log.Error(err))
		}
	}
}

type fetchHandler struct {
	store     *store.Store
	service   *reposvc.Service
	listeners []ChangeListener
}

func (h *fetchHandler) Handle(ctx context.Context, logger log.Logger, job *store.RepoJob) error {
	report, err := h.service.Fetch(ctx, job.RepoID, h.onChange(logger, job))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return workerutil.NonRetryable(fmt.Errorf("repository %d was deleted", job.RepoID))
	case errors.Is(err, reposvc.ErrNoSource):
		return workerutil.NonRetryable(err)
	case err != nil:
		return err
	}
	if err := h.store.Repos().RecordFetchJobResult(ctx, job.ID, report.Changed); err != nil {
		return err
	}
	return nil
}

// onChange runs every listener in the transaction that records a change. A listener that
// fails rolls the record back and fails the fetch, so the change is reported again by its
// retry (push-driven monitor runs are never lost to a database that went away between the
// record and the queueing, or to a worker killed there).
func (h *fetchHandler) onChange(logger log.Logger, job *store.RepoJob) reposvc.ChangeListener {
	if len(h.listeners) == 0 {
		return nil
	}
	return func(ctx context.Context, tx *store.Store, report *reposvc.FetchReport) error {
		logger.Debug("repository changed", log.String("repo", report.Repo.Name), log.String("reason", job.Reason))
		var errs []error
		for _, l := range h.listeners {
			if err := l(ctx, tx, report); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("repository change listener of %s: %w", report.Repo.Name, err)
		}
		return nil
	}
}
