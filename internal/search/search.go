package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/textindex"
	"github.com/lookout/lookout/internal/vcs"
)

// Request is a search.
type Request struct {
	// Query is the query text, read with PatternType (the API's patternType argument;
	// "" is standard). Plan, when set, is used instead: a caller that parsed and
	// modified a query (AddFilter) passes it.
	Query       string
	PatternType query.PatternType
	Plan        query.Plan
	// Viewer is who searches: only repositories it may see are searched. The zero
	// Viewer sees nothing.
	Viewer store.Viewer
	// RepoIDs, when not nil, limits the search to these repositories (an issue
	// monitor re-running its query in one repository).
	RepoIDs []int64
	// Revisions, per repository id, replace the revisions the query names: content is
	// searched at each Include revision, commits and diffs over the history of Include
	// without that of Exclude (a code monitor's new heads without the ones it saw).
	Revisions map[int64]Revisions
	// Languages computes Results.Languages.
	Languages bool
	// Limit and Timeout override the query's count: and timeout: when not zero.
	Limit   int
	Timeout time.Duration
	// Now is the time relative dates are read from (zero: now).
	Now time.Time
}

// Parse parses a request's query (or returns its Plan) and checks that the executor
// can run it. Errors are *query.Error values: the caller reports them as invalid queries.
func (req *Request) Parse() (query.Plan, error) {
	return req.ParseContext(context.Background())
}

// ParseContext is Parse, giving up with ctx's error when ctx is done while the query is
// planned.
func (req *Request) ParseContext(ctx context.Context) (query.Plan, error) {
	plan := req.Plan
	if plan == nil {
		var err error
		plan, err = query.ParseContext(ctx, req.Query, query.Options{PatternType: req.PatternType, Now: req.Now})
		if err != nil {
			return nil, err
		}
	}
	for _, b := range plan {
		if slices.Contains(b.Types(), query.TypeSymbol) {
			return nil, &query.Error{Pos: -1, Token: "type:symbol", Msg: "symbol search is not supported"}
		}
	}
	return plan, nil
}

// Search runs a search. It returns an error only for an invalid query (*query.Error)
// or a failure to read the store; a repository that cannot be searched is reported in
// the results, and a timeout or a cancelled ctx returns what was found so far with
// Partial set.
func (s *Service) Search(ctx context.Context, req Request) (*Results, error) {
	start := time.Now()
	plan, err := req.ParseContext(ctx)
	if err != nil {
		return nil, err
	}
	timeout, limit := planBounds(plan, req)
	opts := store.RepoListOptions{IDs: req.RepoIDs}
	if req.RepoIDs != nil && len(req.RepoIDs) == 0 {
		opts.IDs = []int64{-1}
	}
	visible, err := s.store.Repos().List(ctx, req.Viewer, opts)
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	e := s.newExecution(plan, limit, req.Languages)
	var jobs []job
	for bi, b := range plan {
		ctxQueries, err := LoadSearchContext(ctx, s.store, b.Context(), query.Options{Now: req.Now})
		if err != nil {
			return nil, err
		}
		sc := &repoScope{basic: b, context: ctxQueries, explicit: req.RepoIDs != nil}
		for _, r := range visible {
			if sc.matches(r) {
				j := job{basic: bi, repo: r}
				if rv, ok := req.Revisions[r.ID]; ok {
					j.revs = &rv
				}
				jobs = append(jobs, j)
			}
		}
	}
	if err := e.prepare(s); err != nil {
		return nil, err
	}
	// The timeout covers the search itself; resolving repositories above is a query
	// of the store, which the caller's context bounds.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e.runIndexed(ctx, s, jobs)
	// A job the index answered has nothing left (a Basic query searching content
	// searches nothing else).
	jobs = slices.DeleteFunc(jobs, func(j job) bool { return j.indexed })
	e.run(ctx, s, jobs, func(ctx context.Context, r *store.Repo) (*vcs.Mirror, error) {
		if s.mirrors == nil {
			return nil, errors.New("the search service has no mirror source")
		}
		return s.mirrors.Mirror(ctx, r)
	})
	res := e.finish(ctx, s)
	res.Elapsed = time.Since(start)
	textindex.CountSearches(res.IndexedRepos, res.UnindexedRepos)
	return res, nil
}

// SearchMirror runs a parsed query in one mirror, for callers that have decided
// themselves that the actor may read it (tools, benchmarks): the repo: filters are
// ignored, revs (when not empty) replace the revisions the query names.
func (s *Service) SearchMirror(ctx context.Context, m *vcs.Mirror, plan query.Plan, revs Revisions) (*Results, error) {
	start := time.Now()
	req := Request{Plan: plan}
	plan, err := req.Parse()
	if err != nil {
		return nil, err
	}
	timeout, limit := planBounds(plan, req)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	e := s.newExecution(plan, limit, false)
	repo := &store.Repo{Name: m.Name(), CloneStatus: store.CloneStatusCloned}
	var jobs []job
	for bi := range plan {
		j := job{basic: bi, repo: repo}
		if len(revs.Include) > 0 {
			j.revs = &revs
		}
		jobs = append(jobs, j)
	}
	if err := e.prepare(s); err != nil {
		return nil, err
	}
	e.run(ctx, s, jobs, func(context.Context, *store.Repo) (*vcs.Mirror, error) { return m, nil })
	res := e.finish(ctx, s)
	res.Elapsed = time.Since(start)
	return res, nil
}

// planBounds returns the search's timeout (the smallest of the query's) and limit (the
// largest; 0 for count:all).
func planBounds(plan query.Plan, req Request) (time.Duration, int) {
	timeout, limit := time.Duration(0), 0
	unlimited := false
	for _, b := range plan {
		if t := b.Timeout(); timeout == 0 || t < timeout {
			timeout = t
		}
		n, all := b.Limit()
		unlimited = unlimited || all
		limit = max(limit, n)
	}
	if unlimited {
		limit = 0
	}
	if req.Timeout > 0 {
		timeout = req.Timeout
	}
	if req.Limit > 0 {
		limit = req.Limit
	}
	if timeout <= 0 {
		timeout = query.DefaultTimeout
	}
	return timeout, limit
}

// job is one Basic query in one repository.
type job struct {
	basic int
	repo  *store.Repo
	revs  *Revisions
	// doneRevs are the revisions whose content the index answered (runIndexed);
	// indexed: it answered them all.
	doneRevs map[string]bool
	indexed  bool
}

type skipKey struct {
	repo   int64
	commit string
}

// execution is one search's state.
type execution struct {
	plan      query.Plan
	limit     *limiter
	languages bool
	content   []*scanSpec   // per basic; nil without file/path types
	commits   []*commitSpec // per basic; nil without commit/diff types
	repoTree  []*Matcher    // per basic; nil without type:repo

	mu       sync.Mutex
	files    []*FileMatch
	commitMs []*CommitMatch
	repos    []*RepoMatch
	captures map[string]int
	// skipped are the files not read per repository and commit: the most any Basic
	// query skipped there, so that an OR of filters that scans one tree twice does
	// not count its binary files twice.
	skipped  map[skipKey]Skipped
	cloning  map[int64]*store.Repo
	missing  map[int64]*store.Repo
	timedout map[int64]*store.Repo
	errs     []RepoError
	limitHit bool
	stopped  bool // the limit stopped the search
	// indexedRepos had their content searched in the index, unindexedRepos over
	// their mirrors.
	indexedRepos, unindexedRepos map[int64]bool
}

func (s *Service) newExecution(plan query.Plan, limit int, languages bool) *execution {
	return &execution{plan: plan, limit: &limiter{limit: limit}, languages: languages,
		cloning: map[int64]*store.Repo{}, missing: map[int64]*store.Repo{}, timedout: map[int64]*store.Repo{}, skipped: map[skipKey]Skipped{},
		indexedRepos: map[int64]bool{}, unindexedRepos: map[int64]bool{}}
}

func (e *execution) prepare(s *Service) error {
	e.content = make([]*scanSpec, len(e.plan))
	e.commits = make([]*commitSpec, len(e.plan))
	e.repoTree = make([]*Matcher, len(e.plan))
	for i, b := range e.plan {
		types := b.Types()
		if slices.Contains(types, query.TypeFile) || slices.Contains(types, query.TypePath) {
			sp, err := s.contentSpec(b)
			if err != nil {
				return err
			}
			sp.limit, sp.languages = e.limit, e.languages
			e.content[i] = sp
		}
		diff := slices.Contains(types, query.TypeDiff)
		if diff || slices.Contains(types, query.TypeCommit) {
			// type:commit and type:diff are exclusive (type: is single-valued).
			sp, err := newCommitSpec(b, diff)
			if err != nil {
				return err
			}
			sp.limit = e.limit
			e.commits[i] = sp
		}
		if slices.Contains(types, query.TypeRepo) {
			m, err := NewMatcher(b.Pattern)
			if err != nil {
				return err
			}
			e.repoTree[i] = m
		}
	}
	return nil
}

// run runs the jobs, RepoConcurrency at a time, until done, the limit or ctx.
func (e *execution) run(ctx context.Context, s *Service, jobs []job, mirror func(context.Context, *store.Repo) (*vcs.Mirror, error)) {
	sem := make(chan struct{}, s.opts.RepoConcurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		if e.limit.full() {
			e.mu.Lock()
			e.stopped = true
			e.mu.Unlock()
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			e.mu.Lock()
			e.timedout[j.repo.ID] = j.repo
			e.mu.Unlock()
			continue
		}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			e.runJob(ctx, s, j, mirror)
		}()
	}
	wg.Wait()
}

func (e *execution) runJob(ctx context.Context, s *Service, j job, mirror func(context.Context, *store.Repo) (*vcs.Mirror, error)) {
	b := e.plan[j.basic]
	repo := j.repo
	if m := e.repoTree[j.basic]; m != nil {
		name := []byte(repo.Name)
		if m.Matches(name) {
			e.mu.Lock()
			e.repos = append(e.repos, &RepoMatch{Repo: repo, NameRanges: m.Ranges(name)})
			e.mu.Unlock()
			e.limit.add(1)
		}
	}
	if e.content[j.basic] == nil && e.commits[j.basic] == nil {
		return
	}
	switch repo.CloneStatus {
	case store.CloneStatusCloned:
	case store.CloneStatusFailed:
		e.fail(repo, fmt.Errorf("%s could not be cloned: %s", repo.Name, repo.LastError), false)
		return
	default:
		e.mu.Lock()
		e.cloning[repo.ID] = repo
		e.mu.Unlock()
		return
	}
	m, err := mirror(ctx, repo)
	if err != nil {
		e.fail(repo, fmt.Errorf("mirror of %s: %w", repo.Name, err), ctx.Err() != nil)
		return
	}
	var revs revSet
	if j.revs != nil {
		revs = revSet{revs: j.revs.Include, exclude: j.revs.Exclude}
	} else if revs, err = revisionsFor(ctx, b, repo, m); err != nil {
		e.fail(repo, err, ctx.Err() != nil)
		return
	}
	if sp := e.content[j.basic]; sp != nil && !j.indexed {
		sc := newScanner(ctx, m, s.cache, s.opts.Readers)
		defer sc.close()
		e.mu.Lock()
		e.unindexedRepos[repo.ID] = true
		e.mu.Unlock()
		for _, rev := range revs.revs {
			if j.doneRevs[rev] {
				continue
			}
			if e.limit.full() {
				e.markStopped()
				break
			}
			commit, err := resolveRev(ctx, repo, m, rev)
			if err != nil {
				e.fail(repo, err, ctx.Err() != nil)
				return
			}
			if commit == "" {
				continue // empty repository
			}
			out, err := sc.scan(ctx, sp, commit)
			if !e.addScan(repo, rev, commit, out, err, ctx.Err() != nil) {
				return
			}
		}
	}
	if sp := e.commits[j.basic]; sp != nil {
		var include []string
		for _, rev := range revs.revs {
			commit, err := resolveRev(ctx, repo, m, rev)
			if err != nil {
				e.fail(repo, err, ctx.Err() != nil)
				return
			}
			if commit != "" {
				include = append(include, commit)
			}
		}
		if len(include) == 0 {
			return
		}
		cms, err := searchCommits(ctx, sp, repo, m, include, revs.exclude, s.opts.Readers)
		e.mu.Lock()
		e.commitMs = append(e.commitMs, cms...)
		// The walk stops at the limit without looking further: more may exist.
		e.stopped = e.stopped || e.limit.full()
		e.mu.Unlock()
		if err != nil {
			e.fail(repo, err, ctx.Err() != nil)
		}
	}
}

// addScan records what a content scan of repo at commit found, and its error; false
// when it failed.
func (e *execution) addScan(repo *store.Repo, rev, commit string, out *scanOutput, err error, timedOut bool) bool {
	if out != nil {
		for _, f := range out.files {
			f.Repo, f.Rev, f.Commit = repo, rev, commit
		}
		e.mu.Lock()
		e.files = append(e.files, out.files...)
		k := skipKey{repo.ID, commit}
		e.skipped[k] = Skipped{Binary: max(e.skipped[k].Binary, out.skipped.Binary), Large: max(e.skipped[k].Large, out.skipped.Large)}
		for k, v := range out.total.Captures {
			if e.captures == nil {
				e.captures = map[string]int{}
			}
			e.captures[k] += v
		}
		e.limitHit = e.limitHit || out.limitHit
		e.mu.Unlock()
	}
	if err != nil {
		e.fail(repo, err, timedOut)
		return false
	}
	return true
}

func (e *execution) markStopped() {
	e.mu.Lock()
	e.stopped = true
	e.mu.Unlock()
}

// fail records a repository that could not be (fully) searched: timed out when ctx
// ended, missing otherwise.
func (e *execution) fail(repo *store.Repo, err error, timedOut bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if timedOut {
		e.timedout[repo.ID] = repo
		return
	}
	e.missing[repo.ID] = repo
	e.errs = append(e.errs, RepoError{Repo: repo, Err: err})
}

// finish dedupes, projects (select:), sorts and limits the results.
func (e *execution) finish(ctx context.Context, s *Service) *Results {
	res := &Results{Plan: e.plan, RepoCounts: map[int64]int{}, Captures: e.captures, Errors: e.errs}
	for _, sk := range e.skipped {
		res.Skipped.add(sk)
	}
	e.files = mergeFiles(e.files)
	e.commitMs = mergeCommits(e.commitMs)
	e.repos = mergeRepos(e.repos)

	var all []Match
	for _, r := range e.repos {
		all = append(all, r)
	}
	for _, f := range e.files {
		all = append(all, f)
	}
	for _, c := range e.commitMs {
		all = append(all, c)
	}
	sel := query.SelectPath("")
	if len(e.plan) > 0 {
		sel = e.plan[0].Select()
	}
	seen := map[string]bool{}
	langs := langTotals{}
	limit := e.limit.limit
	for _, m := range all {
		if sel != "" {
			if m = m.Select(sel); m == nil {
				continue
			}
		}
		key := m.Key()
		if fm, ok := m.(*FileMatch); ok {
			key += "@" + fm.Commit
			if sel == query.SelectFileDirectory {
				key = fmt.Sprintf("dir:%d:%s@%s", fm.Repo.ID, fm.Path, fm.Commit)
			}
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		n := m.ResultCount()
		if limit > 0 && res.MatchCount+n > limit {
			res.LimitHit = true
			fm, ok := m.(*FileMatch)
			room := limit - res.MatchCount
			if !ok || room <= 0 || len(fm.LineMatches) == 0 {
				break
			}
			m, n = truncateFile(fm, room), room
		}
		res.Matches = append(res.Matches, m)
		res.MatchCount += n
		res.RepoCounts[m.Repository().ID] += n
		if fm, ok := m.(*FileMatch); ok && e.languages {
			langs.add(fm.Language, fm.Size, fm.Lines)
		}
		if limit > 0 && res.MatchCount >= limit && (len(res.Matches) < len(all)) {
			res.LimitHit = true
			break
		}
	}
	if e.limitHit || e.stopped {
		res.LimitHit = true
	}
	if e.languages {
		e.repoLanguages(ctx, s, res, langs)
		res.Languages = langs.sorted()
	}
	res.IndexedRepos, res.UnindexedRepos = len(e.indexedRepos), len(e.unindexedRepos)
	res.Cloning = sortedRepos(e.cloning)
	res.Missing = sortedRepos(e.missing)
	res.TimedOut = sortedRepos(e.timedout)
	res.Partial = len(res.TimedOut) > 0 || len(res.Missing) > 0 || len(res.Cloning) > 0 || ctx.Err() != nil
	return res
}

// truncateFile keeps the first n matches of a file match.
func truncateFile(fm *FileMatch, n int) *FileMatch {
	c := *fm
	c.LineMatches = nil
	left := n
	for _, lm := range fm.LineMatches {
		if left <= 0 {
			break
		}
		if len(lm.Ranges) > left {
			lm.Ranges = lm.Ranges[:left]
		}
		left -= len(lm.Ranges)
		c.LineMatches = append(c.LineMatches, lm)
	}
	c.MatchCount = n
	c.LimitHit = true
	return &c
}

// maxInventoryRepos bounds the repositories whose files are all read for the language
// statistics of a type:repo search.
const maxInventoryRepos = 50

// repoLanguages adds the language statistics of repository matches (type:repo) at
// their default branch, for the first maxInventoryRepos of them.
func (e *execution) repoLanguages(ctx context.Context, s *Service, res *Results, langs langTotals) {
	n := 0
	for _, m := range res.Matches {
		rm, ok := m.(*RepoMatch)
		if !ok || rm.Repo.CloneStatus != store.CloneStatusCloned || s.mirrors == nil || ctx.Err() != nil {
			continue
		}
		if n++; n > maxInventoryRepos {
			break
		}
		mr, err := s.mirrors.Mirror(ctx, rm.Repo)
		if err != nil {
			continue
		}
		commit, err := resolveRev(ctx, rm.Repo, mr, rm.Rev)
		if err != nil || commit == "" {
			continue
		}
		sc := newScanner(ctx, mr, s.cache, s.opts.Readers)
		spec := &scanSpec{matcher: &Matcher{}, inventory: true, readContent: true, maxFileSize: s.opts.MaxFileSize}
		out, err := sc.scan(ctx, spec, commit)
		sc.close()
		if err == nil {
			langs.merge(out.langs)
		}
	}
}

func sortedRepos(m map[int64]*store.Repo) []*store.Repo {
	out := make([]*store.Repo, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
