package issuemonitors

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/auth"
	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/workerutil"
)

// ErrTimeout is the failure of a run that did not finish its searches within the
// monitor's execution timeout. Nothing of such a run is applied.
var ErrTimeout = errors.New("the run exceeded the monitor's execution timeout; no issue was changed")

// RunHandler runs one issue monitor run.
type RunHandler struct {
	opts Options
}

// NewRunHandler returns the run queue's handler.
func NewRunHandler(opts Options) *RunHandler {
	opts.defaults()
	return &RunHandler{opts: opts}
}

// Handle runs the job: its searches as the monitor's owner within the execution
// timeout, then, in one transaction, the engine's passes over the monitor's state.
func (h *RunHandler) Handle(ctx context.Context, logger log.Logger, run *store.IssueRun) error {
	if run.RecordedAt != nil {
		return nil // applied by an earlier attempt whose worker died before marking it done
	}
	ims := h.opts.Store.IssueMonitors()
	cfg, err := ims.Config(ctx, run.MonitorID)
	if errors.Is(err, store.ErrNotFound) {
		return workerutil.NonRetryable(err)
	}
	if err != nil {
		return err
	}
	// A monitor never runs twice at once: a manual run queued while another runs waits.
	if busy, err := ims.OlderRunProcessing(ctx, run.MonitorID, run.ID); err != nil {
		return err
	} else if busy {
		return workerutil.RequeueAfter(2 * time.Second)
	}
	m, err := h.opts.Store.CodeMonitors().GetMonitor(ctx, run.MonitorID)
	if err != nil {
		return err
	}
	if !m.Enabled {
		return nil
	}
	fail := func(outcome, queryString string, err error) error {
		if serr := ims.SetRunOutcome(context.WithoutCancel(ctx), run.ID, outcome, queryString); serr != nil {
			logger.Warn("recording the outcome of a run", log.Error(serr))
		}
		return err
	}
	if m.NamespaceUserID == 0 {
		return fail("failed", "", workerutil.NonRetryable(fmt.Errorf("issue monitor %d is not owned by a user; it cannot search", m.ID)))
	}
	actor, err := auth.ActorForUser(ctx, h.opts.Store, m.NamespaceUserID)
	if errors.Is(err, store.ErrNotFound) {
		return fail("failed", "", workerutil.NonRetryable(fmt.Errorf("the owner of issue monitor %d was deleted", m.ID)))
	}
	if err != nil {
		return err
	}
	now := h.opts.Now()
	plan, err := domain.ParseQuery(cfg.Query, now)
	if err != nil {
		return fail("failed", "", workerutil.NonRetryable(err))
	}

	// Every search of the run shares the execution timeout.
	runCtx, cancel := context.WithTimeout(ctx, cfg.ExecutionTimeout)
	defer cancel()
	r := &runner{h: h, ctx: runCtx, viewer: actor.Viewer(), plan: plan, now: now, limit: h.searchLimit(plan)}
	in := domain.RunInput{Update: run.Update, Search: run.Search}
	if run.Update {
		active, err := ims.ListIssues(ctx, store.IssueListOptions{MonitorID: m.ID, State: store.IssueActive})
		if err != nil {
			return err
		}
		if in.Observations, err = r.observe(active); err != nil {
			return fail(r.outcome(err), plan.String(), r.wrap(err))
		}
	}
	var numResults int
	if run.Search {
		res, err := r.search(plan, nil, nil)
		if err != nil {
			return fail(r.outcome(err), plan.String(), r.wrap(err))
		}
		numResults = len(res.Matches)
		in.Candidates = domain.Candidates(res.Matches, cfg.Identity)
	}
	if err := runCtx.Err(); err != nil {
		return fail(r.outcome(err), plan.String(), r.wrap(err))
	}

	var stats domain.RunStats
	err = h.opts.Store.Transact(ctx, func(tx *store.Store) error {
		tims := tx.IssueMonitors()
		st, err := tims.LoadState(ctx, m.ID)
		if err != nil {
			return err
		}
		if run.Search && cfg.Unique {
			var keys []string
			for _, c := range in.Candidates {
				if c.Key != "" {
					keys = append(keys, c.Key)
				}
			}
			if in.KeysSeen, err = tims.KeysSeen(ctx, m.ID, keys); err != nil {
				return err
			}
		}
		e := domain.NewEngine(st, now, 0)
		e.Run(in)
		w, err := e.Finish(func(kind string, n int) ([]int64, error) { return tims.AllocateIDs(ctx, kind, n) })
		if err != nil {
			return err
		}
		stats = e.Stats()
		w.Run = &store.IssueRunRecord{RunID: run.ID, QueryString: plan.String(), NumResults: numResults, NumCreated: stats.Created, NumSolved: stats.Solved}
		w.Variables = map[string]string{}
		stamp := now.UTC().Format(time.RFC3339)
		if run.Search {
			w.Variables["lastSearchAt"], w.Variables["lastSearchResultCount"] = stamp, strconv.Itoa(numResults)
		}
		if run.Update {
			w.Variables["lastUpdateAt"], w.Variables["lastUpdateIssueCount"] = stamp, strconv.Itoa(len(in.Observations))
		}
		return tims.Apply(ctx, w)
	})
	if errors.Is(err, store.ErrIssueRunAlreadyRecorded) {
		return nil
	}
	if err != nil {
		return err
	}
	logger.Debug("issue monitor run", log.Int64("monitor", m.ID), log.Int("results", numResults),
		log.Int("created", stats.Created), log.Int("updated", stats.Updated), log.Int("solved", stats.Solved))
	return nil
}

// searchLimit is the result limit of the monitor's searches: the query's count: when it
// has one, the configured limit otherwise.
func (h *RunHandler) searchLimit(plan query.Plan) int {
	for _, b := range plan {
		if len(b.Filters("count")) > 0 {
			return 0
		}
	}
	return h.opts.SearchLimit
}

// runner runs the searches of one run.
type runner struct {
	h      *RunHandler
	ctx    context.Context
	viewer store.Viewer
	plan   query.Plan
	now    time.Time
	limit  int
}

// errSearchTimedOut marks a search that timed out in some repository.
var errSearchTimedOut = errors.New("a search timed out")

func (r *runner) outcome(err error) string {
	if errors.Is(err, errSearchTimedOut) || errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "failed"
}

// wrap returns the job failure for a run that applies nothing: a timeout or an invalid
// query fails at once (the next scheduled run tries again), other errors are retried.
func (r *runner) wrap(err error) error {
	var qe *query.Error
	switch {
	case r.outcome(err) == "timeout":
		return workerutil.NonRetryable(fmt.Errorf("%w: %w", ErrTimeout, err))
	case errors.As(err, &qe):
		return workerutil.NonRetryable(fmt.Errorf("the monitor's query is invalid: %w", err))
	}
	return fmt.Errorf("searching: %w", err)
}

// search runs plan (restricted to repoIDs when not nil) within the run's remaining time.
// A search cut short by the time left fails: its answer is incomplete everywhere.
func (r *runner) search(plan query.Plan, repoIDs []int64, revs map[int64]search.Revisions) (*search.Results, error) {
	deadline, _ := r.ctx.Deadline()
	left := time.Until(deadline)
	if left <= 0 || r.ctx.Err() != nil {
		return nil, context.DeadlineExceeded
	}
	res, err := r.h.opts.Search.Search(r.ctx, search.Request{Plan: plan, Viewer: r.viewer, RepoIDs: repoIDs, Revisions: revs, Limit: r.limit, Timeout: left, Now: r.now})
	if err != nil {
		return nil, err
	}
	if r.ctx.Err() != nil {
		return nil, r.ctx.Err()
	}
	if len(res.TimedOut) > 0 {
		return nil, fmt.Errorf("%w in %d repositories", errSearchTimedOut, len(res.TimedOut))
	}
	return res, nil
}

// incomplete returns the repositories a search did not answer for in full.
func incomplete(res *search.Results) map[int64]bool {
	out := map[int64]bool{}
	for _, rs := range [][]*store.Repo{res.Cloning, res.Missing, res.TimedOut} {
		for _, r := range rs {
			out[r.ID] = true
		}
	}
	for _, e := range res.Errors {
		if e.Repo != nil {
			out[e.Repo.ID] = true
		}
	}
	return out
}

// Bounds of the searches of an update.
const (
	maxPathsPerSearch   = 200
	maxPatternPerSearch = 32 << 10
)

// observe runs the update task's searches: each active issue's result is looked for
// again at the repository's current head, restricted to its repository and path (files
// and lines), its commit (commits) or its repository. An issue is Found when its key is
// among the results, NotFound when the search answered for its repository in full
// (cloned, searched, no limit hit) without it, and unknown otherwise.
func (r *runner) observe(active []*store.MonitorIssue) (map[string]domain.Observation, error) {
	obs := map[string]domain.Observation{}
	var repoIDs []int64
	for _, is := range active {
		if is.RepoID != 0 && !slices.Contains(repoIDs, is.RepoID) {
			repoIDs = append(repoIDs, is.RepoID)
		}
	}
	if len(repoIDs) == 0 {
		return obs, nil
	}
	// Repositories the owner can no longer see (or deleted) are not searched: their
	// issues stay as they were.
	visible, err := r.h.opts.Store.Repos().List(r.ctx, r.viewer, store.RepoListOptions{IDs: repoIDs})
	if err != nil {
		return nil, fmt.Errorf("listing the owner's repositories: %w", err)
	}
	canSee := map[int64]bool{}
	for _, repo := range visible {
		canSee[repo.ID] = true
	}

	// Group the issues by what re-finds them.
	var files, commits, repos []*store.MonitorIssue
	for _, is := range active {
		if !canSee[is.RepoID] {
			continue
		}
		switch domain.KeyKind(is.Key) {
		case domain.KindFile, domain.KindLine:
			files = append(files, is)
		case domain.KindCommit:
			commits = append(commits, is)
		case domain.KindRepository:
			repos = append(repos, is)
		}
	}
	record := func(issues []*store.MonitorIssue, res *search.Results, identity string) {
		cands := domain.Candidates(res.Matches, identity)
		byKey := map[string]*domain.Candidate{}
		for i := range cands {
			if c := &cands[i]; c.Key != "" && byKey[c.Key] == nil {
				byKey[c.Key] = c
			}
		}
		partial := incomplete(res)
		for _, is := range issues {
			if c := byKey[is.Key]; c != nil {
				obs[is.Key] = domain.Observation{State: domain.Found, Candidate: c}
			} else if !partial[is.RepoID] && !res.LimitHit {
				obs[is.Key] = domain.Observation{State: domain.NotFound}
			}
		}
	}

	// Files and lines: the query with a file: filter of their paths, over their
	// repositories (a path of one repository matching in another is ignored).
	for _, chunk := range chunkByPaths(files) {
		var paths []string
		var ids []int64
		for _, is := range chunk {
			if !slices.Contains(paths, is.Path) {
				paths = append(paths, is.Path)
			}
			if !slices.Contains(ids, is.RepoID) {
				ids = append(ids, is.RepoID)
			}
		}
		plan, err := r.plan.AddFilter("file", pathsPattern(paths))
		if err != nil {
			return nil, err
		}
		res, err := r.search(plan, ids, nil)
		if err != nil {
			return nil, err
		}
		for _, identity := range []string{domain.IdentityFile, domain.IdentityLine} {
			kind := map[string]string{domain.IdentityFile: domain.KindFile, domain.IdentityLine: domain.KindLine}[identity]
			var of []*store.MonitorIssue
			for _, is := range chunk {
				if domain.KeyKind(is.Key) == kind {
					of = append(of, is)
				}
			}
			if len(of) > 0 {
				record(of, res, identity)
			}
		}
	}

	// Commits: each commit alone (its history without its parents'), one commit per
	// repository in each search.
	pending := slices.Clone(commits)
	for len(pending) > 0 {
		var round, rest []*store.MonitorIssue
		revs := map[int64]search.Revisions{}
		for _, is := range pending {
			if _, taken := revs[is.RepoID]; taken || is.Commit == "" {
				if is.Commit != "" {
					rest = append(rest, is)
				}
				continue
			}
			revs[is.RepoID] = search.Revisions{Include: []string{is.Commit}, Exclude: []string{is.Commit + "^@"}}
			round = append(round, is)
		}
		var ids []int64
		for id := range revs {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		res, err := r.search(r.plan, ids, revs)
		if err != nil {
			return nil, err
		}
		record(round, res, domain.IdentityCommit)
		pending = rest
	}

	// Repositories: the query in their repositories.
	if len(repos) > 0 {
		var ids []int64
		for _, is := range repos {
			ids = append(ids, is.RepoID)
		}
		res, err := r.search(r.plan, ids, nil)
		if err != nil {
			return nil, err
		}
		record(repos, res, domain.IdentityRepository)
	}
	return obs, nil
}

// chunkByPaths splits issues into groups whose distinct paths fit one file: pattern.
func chunkByPaths(issues []*store.MonitorIssue) [][]*store.MonitorIssue {
	var out [][]*store.MonitorIssue
	var cur []*store.MonitorIssue
	paths := map[string]bool{}
	size := 0
	for _, is := range issues {
		if !paths[is.Path] && len(cur) > 0 && (len(paths) >= maxPathsPerSearch || size+len(is.Path) > maxPatternPerSearch) {
			out = append(out, cur)
			cur, paths, size = nil, map[string]bool{}, 0
		}
		if !paths[is.Path] {
			paths[is.Path] = true
			size += len(is.Path) + 8
		}
		cur = append(cur, is)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// pathsPattern is a file: regexp matching exactly the given paths (a path ending in "/",
// from select:file.directory, matches the files below it).
func pathsPattern(paths []string) string {
	parts := make([]string, len(paths))
	for i, p := range paths {
		parts[i] = regexp.QuoteMeta(p)
		if !strings.HasSuffix(p, "/") {
			parts[i] += "$"
		}
	}
	return "^(?:" + strings.Join(parts, "|") + ")"
}
