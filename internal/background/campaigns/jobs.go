package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
	"github.com/lookout/lookout/internal/workerutil"
)

// JobHandler computes one repository's diff of a plan: it checks that an uploaded patch
// applies to its base revision, or runs the spec's steps in a fresh workspace and stores
// what they changed. A failing step, a patch that does not apply and a step stopped at
// its limits fail only this repository, at once (no retry).
type JobHandler struct {
	opts  Options
	queue *workerutil.Store[*store.CampaignJob]
}

// NewJobHandler returns the campaign job handler; SetQueue must be called before it runs
// spec steps (it writes their logs through the queue store).
func NewJobHandler(opts Options) *JobHandler {
	opts.defaults()
	return &JobHandler{opts: opts}
}

// SetQueue gives the handler its queue's store, which writes execution logs.
func (h *JobHandler) SetQueue(q *workerutil.Store[*store.CampaignJob]) { h.queue = q }

// Handle implements workerutil.Handler.
func (h *JobHandler) Handle(ctx context.Context, logger log.Logger, rec *store.CampaignJob) error {
	st := h.opts.Store
	job, err := st.Campaigns().GetJob(ctx, rec.ID)
	if err != nil {
		return err
	}
	plan, err := st.Campaigns().GetPlan(ctx, job.PlanID)
	if err != nil {
		return err
	}
	if plan.CanceledAt != nil {
		return workerutil.NonRetryable(errors.New("the campaign plan was canceled"))
	}
	repo, err := st.Repos().GetByID(ctx, store.InternalViewer, job.RepoID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return workerutil.NonRetryable(fmt.Errorf("repository %d no longer exists", job.RepoID))
		}
		return err
	}
	mirror, err := h.opts.Repos.Mirror(ctx, repo)
	if err != nil {
		return fmt.Errorf("mirror of %s: %w", repo.Name, err)
	}
	switch plan.Source {
	case store.PlanSourcePatches:
		return h.checkPatch(ctx, repo, mirror, job)
	case store.PlanSourceSpec:
		return h.runSteps(ctx, logger, repo, mirror, plan, job)
	}
	return workerutil.NonRetryable(fmt.Errorf("unknown plan source %q", plan.Source))
}

// resolve resolves a revision, fetching the mirror once when it does not have it yet.
func (h *JobHandler) resolve(ctx context.Context, repo *store.Repo, mirror *vcs.Mirror, rev string) (string, error) {
	oid, err := mirror.ResolveRevision(ctx, rev)
	if errors.Is(err, vcs.ErrRevisionNotFound) {
		if _, ferr := h.opts.Repos.Fetch(ctx, repo.ID, nil); ferr != nil {
			return "", fmt.Errorf("fetching %s: %w", repo.Name, ferr)
		}
		oid, err = mirror.ResolveRevision(ctx, rev)
	}
	if errors.Is(err, vcs.ErrRevisionNotFound) || errors.Is(err, vcs.ErrInvalidArgument) {
		return "", workerutil.NonRetryable(err)
	}
	return oid, err
}

func (h *JobHandler) checkPatch(ctx context.Context, repo *store.Repo, mirror *vcs.Mirror, job *store.CampaignJob) error {
	base, err := h.resolve(ctx, repo, mirror, job.BaseRevision)
	if err != nil {
		return err
	}
	if job.Diff == nil {
		return workerutil.NonRetryable(errors.New("the job has no patch"))
	}
	_, err = mirror.CreateCommitFromPatch(ctx, vcs.PatchCommit{Base: base, Patch: []byte(*job.Diff), Message: "check",
		Author: vcs.Signature{Name: h.opts.Bot.Name, Email: h.opts.Bot.Email}})
	if errors.Is(err, vcs.ErrPatchDoesNotApply) || errors.Is(err, vcs.ErrInvalidArgument) {
		return workerutil.NonRetryable(err)
	}
	if err != nil {
		return err
	}
	if base != job.BaseRevision {
		return h.opts.Store.Campaigns().SetJobBase(ctx, job.ID, job.BaseRef, base)
	}
	return nil
}

func (h *JobHandler) runSteps(ctx context.Context, logger log.Logger, repo *store.Repo, mirror *vcs.Mirror, plan *store.CampaignPlan, job *store.CampaignJob) error {
	if h.opts.Runner == nil {
		return errors.New("this worker cannot run campaign steps (no executor)")
	}
	spec, err := campaigns.ParseSpec(plan.Spec)
	if err != nil {
		return workerutil.NonRetryable(err)
	}
	// Local processes run as the worker's own user: only site admins' steps may run as
	// them. The API refuses others' specs with local steps; this holds whatever stored
	// the plan, and keeps a container step from falling back to a local process.
	admin, err := h.creatorIsSiteAdmin(ctx, plan)
	if err != nil {
		return err
	}
	if !admin && campaigns.HasLocalSteps(plan.Spec) {
		return workerutil.NonRetryable(errors.New("steps without a container image run as local processes on the worker; only a site admin's plan may have them"))
	}
	es := spec.ExecutorSpec()
	es.RequireContainer = !admin
	baseRef := job.BaseRef
	if baseRef == "" {
		baseRef = repo.DefaultBranch
	}
	if baseRef == "" {
		if baseRef, _, err = mirror.DefaultBranch(ctx); err != nil {
			return fmt.Errorf("default branch of %s: %w", repo.Name, err)
		}
	}
	if baseRef == "" {
		return workerutil.NonRetryable(fmt.Errorf("%s has no default branch (is it empty?)", repo.Name))
	}
	base, err := h.resolve(ctx, repo, mirror, baseRef)
	if err != nil {
		return err
	}
	if err := h.opts.Store.Campaigns().SetJobBase(ctx, job.ID, baseRef, base); err != nil {
		return err
	}

	var t executor.Transcript
	logs := &logWriter{queue: h.queue, jobID: job.ID, t: &t, logger: logger}
	// The live flushes stop between writes, never by cancelling one: a log entry added
	// by a statement whose context was cancelled may exist without its index being
	// known, and the final flush would then add the step's entry again.
	stopFlush := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(h.opts.LogFlushInterval)
		defer tick.Stop()
		for {
			select {
			case <-stopFlush:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				logs.flush(ctx)
			}
		}
	}()
	res, runErr := h.opts.Runner.Run(ctx, executor.Source{GitDir: mirror.Dir(), Revision: base}, es, &t)
	close(stopFlush)
	wg.Wait()
	logs.flush(ctx)
	if runErr != nil {
		if executor.Retryable(runErr) || ctx.Err() != nil {
			return runErr
		}
		return workerutil.NonRetryable(runErr)
	}
	diff := ""
	if res != nil {
		diff = string(res.Diff)
	}
	return h.opts.Store.Campaigns().SetJobDiff(ctx, job.ID, diff)
}

// creatorIsSiteAdmin reports whether the plan's creator is a site admin (a deleted
// creator is not).
func (h *JobHandler) creatorIsSiteAdmin(ctx context.Context, plan *store.CampaignPlan) (bool, error) {
	if plan.UserID == 0 {
		return false, nil
	}
	u, err := h.opts.Store.Users().GetByID(ctx, plan.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return u.SiteAdmin, nil
}

// logWriter copies a Transcript into the job's execution log: one entry per step,
// updated while it runs.
type logWriter struct {
	queue   *workerutil.Store[*store.CampaignJob]
	jobID   int64
	t       *executor.Transcript
	logger  log.Logger
	mu      sync.Mutex
	version uint64
	entries map[int]int // step → entry index
}

func (w *logWriter) flush(ctx context.Context) {
	if w.queue == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	steps, version := w.t.Snapshot()
	if version == w.version {
		return
	}
	if w.entries == nil {
		w.entries = map[int]int{}
	}
	for _, s := range steps {
		e := workerutil.ExecutionLogEntry{Key: "step." + strconv.Itoa(s.Step), Command: s.Command, StartTime: s.StartTime, Out: s.Out}
		if s.Finished {
			code, ms := s.ExitCode, int(s.Duration.Milliseconds())
			e.ExitCode, e.DurationMs = &code, &ms
		}
		idx, ok := w.entries[s.Step]
		var err error
		if !ok {
			idx, err = w.queue.AddExecutionLogEntry(ctx, w.jobID, e)
			if err == nil {
				w.entries[s.Step] = idx
			}
		} else {
			err = w.queue.UpdateExecutionLogEntry(ctx, w.jobID, idx, e)
		}
		if err != nil {
			if ctx.Err() == nil {
				w.logger.Warn("writing a campaign step's log", log.Error(err))
			}
			return
		}
	}
	w.version = version
}
