package insights

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sourcegraph/log"

	"github.com/lookout/lookout/internal/store"
)

// Recorder takes a series' recordings (its value at the head on every interval) and
// snapshots (the same, replaced daily), for the query runner.
type Recorder struct {
	Main     *store.Store
	Insights *store.InsightsStore
	Source   Source
	Logger   log.Logger
	Limiter  Limiter
	// RepoConcurrency repositories are counted at once (default 4).
	RepoConcurrency int
	// RepoAttempts bounds the attempts at one repository (default 3).
	RepoAttempts int
	// CountTimeout bounds one count (default 2 minutes).
	CountTimeout time.Duration
}

// RecordOutcome says what a recording found.
type RecordOutcome struct {
	Repos    int
	Points   int
	Failed   int // repositories that could not be counted (recorded as incomplete)
	Searches int
}

// Record counts a series in every repository of its scope at the default branch's head
// and stores the points at t: as a recording (snapshot false) or as the series'
// snapshot, replacing the previous one. Repositories that cannot be counted are
// recorded as incomplete points; an error means nothing was stored.
func (r *Recorder) Record(ctx context.Context, s *store.InsightSeries, t time.Time, snapshot bool) (RecordOutcome, error) {
	if r.RepoConcurrency <= 0 {
		r.RepoConcurrency = 4
	}
	if r.RepoAttempts <= 0 {
		r.RepoAttempts = 3
	}
	if r.CountTimeout <= 0 {
		r.CountTimeout = 2 * time.Minute
	}
	if r.Logger == nil {
		r.Logger = log.NoOp()
	}
	def := DefOf(s)
	repos, err := ResolveRepos(ctx, r.Main, store.InternalViewer, def)
	if err != nil {
		return RecordOutcome{}, err
	}
	out := RecordOutcome{Repos: len(repos)}
	var (
		mu         sync.Mutex
		points     []store.SeriesPoint
		incomplete []store.IncompletePoint
		counted    []int64
		wg         sync.WaitGroup
	)
	sem := make(chan struct{}, r.RepoConcurrency)
	for _, repo := range repos {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			var res RepoOutcome
			var err error
			for attempt := 0; attempt < r.RepoAttempts; attempt++ {
				res, err = r.countHead(ctx, def, s.ID, repo, t)
				if err == nil || ctx.Err() != nil || IsInvalid(err) {
					break
				}
			}
			mu.Lock()
			defer mu.Unlock()
			out.Searches += res.Searches
			if err != nil {
				out.Failed++
				r.Logger.Warn("repository could not be counted", log.String("series", s.SeriesID), log.String("repo", repo.Name), log.Error(err))
				reason := store.IncompleteGeneric
				if errors.Is(err, context.DeadlineExceeded) {
					reason = store.IncompleteTimeout
				}
				id := repo.ID
				incomplete = append(incomplete, store.IncompletePoint{SeriesID: s.ID, Reason: reason, Time: t, RepoID: &id, Message: err.Error()})
				return
			}
			points = append(points, res.Points...)
			counted = append(counted, repo.ID)
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return out, err
	}
	out.Points = len(points)
	// The points, and the incomplete points of this time as this run found them: an
	// earlier run of the same recording (at-least-once delivery) may have failed where
	// this one counted.
	err = r.Insights.Transact(ctx, func(is *store.InsightsStore) error {
		if snapshot {
			if err := is.ReplaceSnapshot(ctx, s.ID, t, points); err != nil {
				return err
			}
		} else {
			if err := is.WritePoints(ctx, points); err != nil {
				return err
			}
			if err := is.AddRecordingTimes(ctx, s.ID, []time.Time{t}); err != nil {
				return err
			}
		}
		if err := is.ClearIncompletePoints(ctx, s.ID, []time.Time{t}, counted, true); err != nil {
			return err
		}
		return is.AddIncompletePoints(ctx, incomplete)
	})
	if err != nil {
		return out, fmt.Errorf("storing the points of series %s: %w", s.SeriesID, err)
	}
	return out, nil
}

// countHead counts at the head, stamping the points with the recording time.
func (r *Recorder) countHead(ctx context.Context, def SeriesDef, seriesID int, repo *store.Repo, t time.Time) (RepoOutcome, error) {
	m, err := r.Source.Mirror(ctx, repo)
	if err != nil {
		return RepoOutcome{}, fmt.Errorf("mirror of %s: %w", repo.Name, err)
	}
	head, err := DefaultHead(ctx, repo, m)
	if err != nil || head == "" {
		return RepoOutcome{}, err
	}
	counter, err := r.Source.NewCounter(ctx, def, repo, m)
	if err != nil {
		return RepoOutcome{}, err
	}
	defer counter.Close()
	c, err := countOnce(ctx, counter, head, CountOptions{Limiter: r.Limiter, Timeout: r.CountTimeout})
	if err != nil {
		return RepoOutcome{}, fmt.Errorf("counting in %s: %w", repo.Name, err)
	}
	return RepoOutcome{Points: pointsOf(seriesID, repo, t, head, c), Searches: 1}, nil
}

// EnqueueSnapshot queues a snapshot of a series now (in the main database's query runner
// queue) and stamps the next one a day later.
func EnqueueSnapshot(ctx context.Context, main *store.Store, is *store.InsightsStore, s *store.InsightSeries, now time.Time) error {
	now = now.UTC().Truncate(time.Minute)
	if err := main.EnqueueInsightsQueryJob(ctx, &store.InsightsQueryJob{SeriesID: s.SeriesID, SearchQuery: s.Query, RecordTime: now, PersistMode: store.PersistSnapshot, Priority: 0}); err != nil {
		return err
	}
	if err := is.StampSnapshot(ctx, s.ID, now, now.Add(SnapshotInterval)); err != nil {
		return fmt.Errorf("stamping series %s: %w", s.SeriesID, err)
	}
	return nil
}
