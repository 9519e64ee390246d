package insights

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/store"
)

// Error codes of live previews, as the reference API raises them.
const (
	CodeRepoLimitExceeded = "RepoLimitExceeded"
	CodeNoData            = "NoData"
	CodeInvalidArgs       = "InvalidArgs"
)

// MaxPreviewRepos bounds the repositories a live preview counts in.
const MaxPreviewRepos = 20

// PreviewSamples is the number of points a live preview computes.
const PreviewSamples = 7

// PreviewSeries is one series of a live preview.
type PreviewSeries struct {
	Def   SeriesDef
	Label string
}

// PreviewResult is a previewed series (one per captured value for dynamic series).
type PreviewResult struct {
	Label  string
	Points []Point
}

// Preview computes a few points of series now, without storing anything, counting only
// in repositories viewer may see (at most MaxPreviewRepos of them).
func Preview(ctx context.Context, main *store.Store, src Source, viewer store.Viewer, series []PreviewSeries, now time.Time, opts CountOptions) ([]PreviewResult, error) {
	var out []PreviewResult
	for _, ps := range series {
		if err := ps.Def.Validate(); err != nil {
			return nil, errcode.New(CodeInvalidArgs, "%s", errMessage(err))
		}
		repos, err := ResolveRepos(ctx, main, viewer, ps.Def)
		if err != nil {
			if errcode.Is(err, errcode.BadInput) {
				return nil, errcode.New(CodeInvalidArgs, "%s", errMessage(err))
			}
			return nil, err
		}
		if len(repos) == 0 {
			return nil, errcode.New(CodeNoData, "the preview found no data: no repository you can see is in this scope")
		}
		if len(repos) > MaxPreviewRepos {
			return nil, errcode.New(CodeRepoLimitExceeded, "live preview is limited to %d repositories; this scope has %d", MaxPreviewRepos, len(repos))
		}
		times := SampleTimes(now, ps.Def.Interval, PreviewSamples)
		if ps.Def.SnapshotOnly() {
			times = times[len(times)-1:]
		}
		var (
			mu   sync.Mutex
			sums = map[string]map[time.Time]float64{}
			wg   sync.WaitGroup
			errs []error
		)
		for _, repo := range repos {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := CountRepo(ctx, src, ps.Def, 0, repo, times, opts)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				for _, p := range res.Points {
					if sums[p.Capture] == nil {
						sums[p.Capture] = map[time.Time]float64{}
					}
					sums[p.Capture][p.Time] += p.Value
				}
			}()
		}
		wg.Wait()
		if len(errs) > 0 {
			return nil, errors.Join(errs...)
		}
		caps := make([]string, 0, len(sums))
		for c := range sums {
			caps = append(caps, c)
		}
		sort.Strings(caps)
		dyn := ps.Def.Captures || ps.Def.GroupBy != "" || ps.Def.Languages
		if !dyn {
			out = append(out, PreviewResult{Label: ps.Label, Points: fill(times, sums[""])})
			continue
		}
		for _, c := range caps {
			out = append(out, PreviewResult{Label: c, Points: fill(times, sums[c])})
		}
	}
	if len(out) == 0 {
		return nil, errcode.New(CodeNoData, "the preview found no data: no repository in scope has a match")
	}
	return out, nil
}

func errMessage(err error) string {
	var e *errcode.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
