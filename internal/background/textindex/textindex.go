// Package textindex runs the worker's index routines: the queue of shard builds
// (text_index_jobs) and the janitor of this process's index directory. Builds are queued
// by ChangeListener when a fetch moves a repository's default branch or a branch its
// connections list for indexing ("indexedBranches"; so a push is searchable from the
// index within seconds), when a connection's list changes, and, with ZOEKT_ENDPOINTS, by
// searches that find no current shard. A build makes the shard hold exactly the branches
// search.BranchesToIndex names: a branch no longer listed, or deleted, is dropped. The worker that takes a job builds the shard in its own
// INDEX_DIR: on one machine the frontend and the workers share that directory (as they
// share REPOS_DIR), with ZOEKT_ENDPOINTS it is the shard directory of the zoekt-webserver
// beside the worker. Processes whose directory no job writes (a frontend on a machine of
// its own) build the shards their searches miss themselves (textindex.OnDemand).
package textindex

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/background/routine"
	reposvc "github.com/lookout/lookout/internal/repos"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/workerutil"
)

// Options configure the index routines.
type Options struct {
	Store   *store.Store
	Mirrors textindex.MirrorSource
	Indexer *textindex.Indexer
	// PollInterval is how often idle handlers look for jobs when no notification woke
	// them (default 5s); JanitorInterval how often deleted repositories' shards are
	// removed (default 1h).
	PollInterval    time.Duration
	JanitorInterval time.Duration
}

// Queue is the build queue.
var Queue = routine.QueueInfo{Name: "text_index", Handlers: 1, Description: "builds a repository's zoekt shard in this worker's INDEX_DIR"}

// janitorName is the janitor's routine.
const janitorName = "text-index-janitor"

// Needs is what Routines may hold at once on the main database (see routine.Need).
func Needs() []routine.Need {
	return []routine.Need{routine.QueueNeed(Queue, false), routine.PeriodicNeed(janitorName, false)}
}

// Routines builds the build queue and the janitor.
func Routines(env routine.Env, opts Options) ([]routine.Routine, error) {
	if opts.PollInterval == 0 {
		opts.PollInterval = 5 * time.Second
	}
	if opts.JanitorInterval == 0 {
		opts.JanitorInterval = time.Hour
	}
	logger := env.Logger.Scoped("textindex")
	_, queue, err := routine.NewQueue(env, routine.QueueSpec[*store.RepoJob]{
		Store: workerutil.StoreOptions[*store.RepoJob]{
			Name: Queue.Name, TableName: "text_index_jobs", Columns: store.RepoJobColumns,
			Scan:         func(r pgx.CollectableRow) (*store.RepoJob, error) { return store.ScanRepoJob(r) },
			MaxNumResets: 3, MaxNumRetries: 3, RetryAfter: 30 * time.Second,
		},
		// One build at a time by default: a build keeps a core busy and holds up to a
		// shard's worth of content (100 MiB) in memory.
		Worker:  workerutil.WorkerOptions{NumHandlers: Queue.Handlers, Interval: opts.PollInterval, MaximumRuntimePerJob: time.Hour},
		Handler: &handler{opts: opts},
	})
	if err != nil {
		return nil, err
	}
	// The janitor runs in every worker: each has its own directory.
	janitor := routine.NewPeriodic(logger, janitorName, func(ctx context.Context) error {
		removed, err := opts.Indexer.Prune(ctx, existing(opts.Store))
		if removed > 0 {
			logger.Info("removed the shards of deleted repositories", log.Int("repositories", removed))
		}
		return err
	}, routine.PeriodicOptions{Interval: opts.JanitorInterval, Metrics: env.Metrics, RunAtStart: true})
	return append(queue, janitor), nil
}

// existing keeps the repositories that are not deleted (for Indexer.Prune).
func existing(st *store.Store) func(ctx context.Context, ids []int64) (map[int64]bool, error) {
	return func(ctx context.Context, ids []int64) (map[int64]bool, error) {
		repos, err := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{IDs: ids})
		if err != nil {
			return nil, err
		}
		out := make(map[int64]bool, len(repos))
		for _, r := range repos {
			out[r.ID] = true
		}
		return out, nil
	}
}

type handler struct {
	opts Options
}

func (h *handler) Handle(ctx context.Context, logger log.Logger, job *store.RepoJob) error {
	repo, err := h.opts.Store.Repos().GetByID(ctx, store.InternalViewer, job.RepoID)
	if errors.Is(err, store.ErrNotFound) {
		return workerutil.NonRetryable(fmt.Errorf("repository %d was deleted", job.RepoID))
	}
	if err != nil {
		return err
	}
	// The heads the last fetch recorded, which searches compare the shard with.
	branches, err := search.BranchesToIndex(ctx, h.opts.Store, repo)
	if err != nil {
		return err
	}
	out := store.TextIndexOutcome{}
	if len(branches) > 0 {
		head := branches[0].Commit
		out.Commit = head
		ixRepo := textindex.Repo{ID: repo.ID, Name: repo.Name}
		if h.opts.Indexer.Holds(ixRepo, branches) {
			return h.opts.Store.Repos().RecordTextIndexJobResult(ctx, job.ID, out)
		}
		m, err := h.opts.Mirrors.Mirror(ctx, repo)
		if err != nil {
			return fmt.Errorf("mirror of %s: %w", repo.Name, err)
		}
		res, err := h.opts.Indexer.IndexBranches(ctx, ixRepo, m, branches)
		if err != nil {
			return err
		}
		out.Built, out.ContentBytes, out.IndexBytes, out.Duration = res.Built, res.ContentBytes, res.IndexBytes, res.Duration
		if res.Built {
			logger.Debug("built shard", log.String("repo", repo.Name), log.String("commit", head), log.Int("branches", len(branches)),
				log.Int64("contentBytes", res.ContentBytes), log.Duration("duration", res.Duration))
		}
	}
	return h.opts.Store.Repos().RecordTextIndexJobResult(ctx, job.ID, out)
}

// ChangeListener queues a build of the repository's shard, in the transaction that
// records the fetch, when the fetch moved its default branch or a branch its connections
// list for indexing, created or deleted included (reposvc.ChangeListener).
func ChangeListener(ctx context.Context, tx *store.Store, report *reposvc.FetchReport) error {
	ref := "refs/heads/" + report.Repo.DefaultBranch
	moved := report.Repo.DefaultBranch == "" || report.OldHeads[ref] != report.NewHeads[ref]
	if !moved {
		listed, err := textindex.ListedBranches(ctx, tx, report.Repo)
		if err != nil {
			return err
		}
		for _, b := range listed {
			if report.OldHeads["refs/heads/"+b] != report.NewHeads["refs/heads/"+b] {
				moved = true
				break
			}
		}
	}
	if !moved {
		return nil // branches not indexed moved
	}
	return tx.Repos().EnqueueTextIndex(ctx, []int64{report.Repo.ID}, store.TextIndexReasonPush)
}
