package insights

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Limiter is a shared rate limit on counts (golang.org/x/time/rate.Limiter is one).
type Limiter interface {
	Wait(ctx context.Context) error
}

// RepoOutcome is what counting a series in one repository at some times produced.
type RepoOutcome struct {
	Points []store.SeriesPoint
	// Searches is the number of counts run; Reused the times answered by the count of
	// another time at the same commit (compression); Skipped the times before the
	// repository's history.
	Searches, Reused, Skipped int
}

// CountOptions tune CountRepo.
type CountOptions struct {
	Limiter Limiter
	// Timeout bounds one count (0: none).
	Timeout time.Duration
	// Naive counts every time with its own counter, without compression: the plan that
	// compression is measured against (benchmarks).
	Naive bool
}

// CountRepo counts a series in one repository at the given times: it finds each time's
// commit, skips times before the history, and counts each distinct commit once.
func CountRepo(ctx context.Context, src Source, def SeriesDef, seriesID int, repo *store.Repo, times []time.Time, opts CountOptions) (RepoOutcome, error) {
	var out RepoOutcome
	m, err := src.Mirror(ctx, repo)
	if err != nil {
		return out, fmt.Errorf("mirror of %s: %w", repo.Name, err)
	}
	head, err := DefaultHead(ctx, repo, m)
	if err != nil {
		return out, err
	}
	commits, err := SampleCommits(ctx, m, head, times)
	if err != nil {
		return out, fmt.Errorf("finding sample commits of %s: %w", repo.Name, err)
	}
	var counter Counter
	defer func() {
		if counter != nil {
			counter.Close()
		}
	}()
	counted := map[string]Count{}
	if !opts.Naive {
		// Count every distinct commit, in history order, in one pass when the counter
		// can: sample times sharing a commit share its count.
		var distinct []string
		for _, t := range times {
			if c := commits[t]; c != "" && !slices.Contains(distinct, c) {
				distinct = append(distinct, c)
			}
		}
		if len(distinct) > 0 {
			if counter, err = src.NewCounter(ctx, def, repo, m); err != nil {
				return out, err
			}
			counts, err := countAll(ctx, counter, distinct, opts)
			if err != nil {
				return out, fmt.Errorf("counting in %s: %w", repo.Name, err)
			}
			for i, c := range distinct {
				counted[c] = counts[i]
			}
			out.Searches = len(distinct)
		}
	}
	for _, t := range times {
		commit := commits[t]
		if commit == "" {
			out.Skipped++
			continue
		}
		c, ok := counted[commit]
		if ok {
			if !opts.Naive {
				out.Reused++
			}
		}
		if opts.Naive {
			// A new counter (and, without a memo, a full read) per sample time.
			if counter != nil {
				counter.Close()
			}
			if counter, err = src.NewCounter(ctx, def, repo, m); err != nil {
				return out, err
			}
			if c, err = countOnce(ctx, counter, commit, opts); err != nil {
				return out, fmt.Errorf("counting in %s at %.12s: %w", repo.Name, commit, err)
			}
			out.Searches++
		}
		out.Points = append(out.Points, pointsOf(seriesID, repo, t, commit, c)...)
	}
	// The first time of each commit was its count, not a reuse.
	if !opts.Naive {
		out.Reused -= out.Searches
	}
	return out, nil
}

// countAll counts at several commits: in one pass when the counter can.
func countAll(ctx context.Context, counter Counter, commits []string, opts CountOptions) ([]Count, error) {
	mc, ok := counter.(ManyCounter)
	if !ok {
		out := make([]Count, len(commits))
		for i, c := range commits {
			var err error
			if out[i], err = countOnce(ctx, counter, c, opts); err != nil {
				return nil, fmt.Errorf("at %.12s: %w", c, err)
			}
		}
		return out, nil
	}
	if opts.Limiter != nil {
		for range commits {
			if err := opts.Limiter.Wait(ctx); err != nil {
				return nil, err
			}
		}
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout*time.Duration(len(commits)))
		defer cancel()
	}
	return mc.CountMany(ctx, commits)
}

func countOnce(ctx context.Context, counter Counter, commit string, opts CountOptions) (Count, error) {
	if opts.Limiter != nil {
		if err := opts.Limiter.Wait(ctx); err != nil {
			return Count{}, err
		}
	}
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	return counter.CountAt(ctx, commit)
}

// pointsOf turns a count into the points to store: the non-zero values.
func pointsOf(seriesID int, repo *store.Repo, t time.Time, commit string, c Count) []store.SeriesPoint {
	base := store.SeriesPoint{SeriesID: seriesID, Time: t, RepoID: repo.ID, RepoName: repo.Name, Commit: commit}
	if c.Values == nil {
		if c.Value == 0 {
			return nil
		}
		base.Value = float64(c.Value)
		return []store.SeriesPoint{base}
	}
	var out []store.SeriesPoint
	for _, k := range captureKeys(c.Values) {
		if v := c.Values[k]; v > 0 {
			p := base
			p.Capture, p.Value = k, float64(v)
			out = append(out, p)
		}
	}
	return out
}

// EstimateCost orders backfills, cheapest first: the counts to make (sample times ×
// repositories, each weighed by its size) weighted by the query's shape (a commit or
// diff search walks history, a regexp reads more than a literal, capture groups keep
// every match). A repository costs one unit plus one per costUnitBytes of its objects,
// so that a count's fixed cost (starting git, listing a tree) still orders many small
// repositories after a few of them; one not measured yet counts as empty.
func EstimateCost(def SeriesDef, repoSizes []int64, samples int) float64 {
	w := 1.0
	if plan, err := query.Parse(def.Query); err == nil {
		for _, b := range plan {
			if b.IsCommitOrDiff() {
				w = max(w, 10)
			} else if hasRegexp(b.Pattern) {
				w = max(w, 3)
			}
		}
	}
	if def.Captures {
		w *= 2
	}
	var repos float64
	for _, size := range repoSizes {
		repos += 1 + float64(max(size, 0))/costUnitBytes
	}
	return w * repos * float64(samples)
}

// costUnitBytes is the repository size that costs as much as a count's fixed part.
const costUnitBytes = 16 << 20

func hasRegexp(n *query.PatternNode) bool {
	if n == nil {
		return false
	}
	if n.Op == query.PatternLeaf {
		return n.Pattern.Kind == query.Regexp
	}
	for _, o := range n.Operands {
		if hasRegexp(o) {
			return true
		}
	}
	return false
}

// Backfiller runs backfills: Plan turns a new backfill into a plan of repositories with
// a cost, Process works through the plan a page at a time.
type Backfiller struct {
	Main     *store.Store // the main database: repositories
	Insights *store.InsightsStore
	Source   Source
	Logger   log.Logger
	Limiter  Limiter
	// Samples is the number of sample times (DefaultSamples when 0).
	Samples int
	// RepoConcurrency repositories are counted at once, a page (default 4).
	RepoConcurrency int
	// RepoAttempts bounds the attempts at one repository (default 3).
	RepoAttempts int
	// CountTimeout bounds one count (default 2 minutes).
	CountTimeout time.Duration
	// MinErrors and ErrorFraction: a backfill fails when more than max(MinErrors,
	// ErrorFraction × repositories) repositories could not be counted (50, 5%).
	MinErrors     int
	ErrorFraction float64
	// Naive turns compression off (a count per sample time, each with its own
	// counter): the plan benchmarks measure compression against.
	Naive bool
}

func (b *Backfiller) defaults() {
	if b.Samples <= 0 {
		b.Samples = DefaultSamples
	}
	if b.RepoConcurrency <= 0 {
		b.RepoConcurrency = 4
	}
	if b.RepoAttempts <= 0 {
		b.RepoAttempts = 3
	}
	if b.CountTimeout <= 0 {
		b.CountTimeout = 2 * time.Minute
	}
	if b.MinErrors <= 0 {
		b.MinErrors = 50
	}
	if b.ErrorFraction <= 0 {
		b.ErrorFraction = 0.05
	}
	if b.Logger == nil {
		b.Logger = log.NoOp()
	}
}

// SampleTimesOf returns the backfill's sample times of a series: DefaultSamples
// intervals ending at its creation.
func (b *Backfiller) SampleTimesOf(s *store.InsightSeries) []time.Time {
	b.defaults()
	return SampleTimes(s.CreatedAt, Interval{Unit: s.IntervalUnit, Value: s.IntervalValue}, b.Samples)
}

// Plan resolves a new backfill's repositories, records its sample times as the
// series' recording times, estimates its cost and moves it to processing.
func (b *Backfiller) Plan(ctx context.Context, bf *store.InsightBackfill) error {
	b.defaults()
	s, err := b.Insights.GetSeries(ctx, bf.SeriesID)
	if err != nil {
		return err
	}
	def := DefOf(s)
	repos, err := ResolveRepos(ctx, b.Main, store.InternalViewer, def)
	if err != nil {
		return err
	}
	ids := make([]int64, len(repos))
	sizes := make([]int64, len(repos))
	for i, r := range repos {
		ids[i], sizes[i] = r.ID, r.SizeBytes
	}
	times := b.SampleTimesOf(s)
	if err := b.Insights.AddRecordingTimes(ctx, s.ID, times); err != nil {
		return err
	}
	cost := EstimateCost(def, sizes, len(times))
	if _, err := b.Insights.StartBackfill(ctx, bf.ID, ids, cost); err != nil {
		return err
	}
	b.Logger.Info("planned backfill", log.Int("backfill", bf.ID), log.String("series", s.SeriesID), log.Int("repos", len(ids)), log.Float64("cost", cost))
	return nil
}

// ErrBackfillFailed is returned by Process when too many repositories failed.
var ErrBackfillFailed = errors.New("backfill failed")

// Process works through a processing backfill until it is done (true) or until passes
// (false: it was interrupted so that cheaper work can run, and continues from where it
// stopped). Each page of repositories is committed with the progress in one
// transaction, so a killed worker loses at most the page in flight and counts nothing
// twice.
func (b *Backfiller) Process(ctx context.Context, bf *store.InsightBackfill, until time.Time) (bool, error) {
	b.defaults()
	if bf.RepoIteratorID == nil {
		return false, fmt.Errorf("backfill %d has no plan", bf.ID)
	}
	s, err := b.Insights.GetSeries(ctx, bf.SeriesID)
	if err != nil {
		return false, err
	}
	if s.DeletedAt != nil {
		return true, b.Insights.FinishBackfill(ctx, bf.ID, store.BackfillCompleted)
	}
	def := DefOf(s)
	times := b.SampleTimesOf(s)
	it, err := b.Insights.GetIterator(ctx, *bf.RepoIteratorID)
	if err != nil {
		return false, err
	}
	limit := max(b.MinErrors, int(b.ErrorFraction*float64(it.TotalCount)))
	for first := true; it.Cursor < len(it.Repos); first = false {
		// Every turn makes progress: the deadline is checked after the first page.
		if !first && time.Now().After(until) {
			return false, nil
		}
		end := min(len(it.Repos), it.Cursor+b.RepoConcurrency)
		page, err := b.runPage(ctx, s, def, times, it.Repos[it.Cursor:end])
		if err != nil {
			return false, err
		}
		page.IteratorID, page.SeriesID, page.FromCursor, page.ToCursor, page.Times = it.ID, s.ID, it.Cursor, end, times
		if err := b.Insights.CommitBackfillPage(ctx, page); err != nil {
			return false, err
		}
		it.Cursor = end
		if len(page.Errors) > 0 {
			n, err := b.Insights.TerminalErrorCount(ctx, it.ID)
			if err != nil {
				return false, err
			}
			if n > limit {
				if err := b.Insights.FinishBackfill(ctx, bf.ID, store.BackfillFailed); err != nil {
					return false, err
				}
				return true, fmt.Errorf("%w: %d repositories could not be counted (at most %d may fail)", ErrBackfillFailed, n, limit)
			}
		}
	}
	return true, b.Insights.FinishBackfill(ctx, bf.ID, store.BackfillCompleted)
}

// runPage counts a page of repositories at once.
func (b *Backfiller) runPage(ctx context.Context, s *store.InsightSeries, def SeriesDef, times []time.Time, ids []int64) (store.BackfillPage, error) {
	start := time.Now()
	type result struct {
		out  RepoOutcome
		errs []string
		err  error // last error; nil on success
		skip bool  // the repository is gone
	}
	results := make([]result, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo, err := b.Main.Repos().GetByID(ctx, store.InternalViewer, id)
			if errors.Is(err, store.ErrNotFound) {
				results[i].skip = true
				return
			}
			if err != nil {
				results[i].err = err
				return
			}
			for attempt := 0; attempt < b.RepoAttempts; attempt++ {
				out, err := CountRepo(ctx, b.Source, def, s.ID, repo, times, CountOptions{Limiter: b.Limiter, Timeout: b.CountTimeout, Naive: b.Naive})
				if err == nil {
					results[i] = result{out: out}
					return
				}
				results[i].err = err
				results[i].errs = append(results[i].errs, err.Error())
				if ctx.Err() != nil || IsInvalid(err) {
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return store.BackfillPage{}, err
	}
	var page store.BackfillPage
	for i, r := range results {
		id := ids[i]
		switch {
		case r.skip:
			page.Succeeded = append(page.Succeeded, id)
		case r.err == nil:
			page.Succeeded = append(page.Succeeded, id)
			page.Points = append(page.Points, r.out.Points...)
			page.Searches += r.out.Searches
			page.Reused += r.out.Reused
			page.Skipped += r.out.Skipped
		case len(r.errs) == 0:
			// Not a counting error (reading the repository's row): retry the page.
			return store.BackfillPage{}, r.err
		default:
			b.Logger.Warn("repository could not be counted", log.String("series", s.SeriesID), log.Int64("repo", id), log.Error(r.err))
			page.Errors = append(page.Errors, store.RepoIteratorError{RepoID: id, Messages: r.errs, FailureCount: len(r.errs), Terminal: true})
			reason := store.IncompleteGeneric
			if errors.Is(r.err, context.DeadlineExceeded) {
				reason = store.IncompleteTimeout
			}
			for _, t := range times {
				page.Incomplete = append(page.Incomplete, store.IncompletePoint{SeriesID: s.ID, Reason: reason, Time: t, RepoID: &id, Message: r.err.Error()})
			}
		}
	}
	page.Elapsed = time.Since(start)
	return page, nil
}

// IsInvalid reports whether err is bad input no retry can fix (an invalid query).
func IsInvalid(err error) bool {
	var qe *query.Error
	return errors.As(err, &qe) || errcode.Is(err, errcode.BadInput)
}
