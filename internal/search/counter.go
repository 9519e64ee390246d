package search

import (
	"context"
	"fmt"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// CountOptions tune a Counter.
type CountOptions struct {
	// Languages fills FileCount.Language (and so Counts.ByLanguage).
	Languages bool
	// Persist stores per-blob counts in Postgres (when the service's cache has a
	// store), for backfills that may be resumed or run by another worker.
	Persist bool
}

// Counter counts a query's content matches in one repository at many commits, for
// insights: it keeps its git object readers across commits, and the service's blob
// cache makes each commit cost only the blobs not counted before. It is not safe for
// concurrent use; Close it when done.
type Counter struct {
	svc   *Service
	repo  *store.Repo
	specs []*scanSpec
	sc    *scanner
}

// Counts are a query's matches at one commit.
type Counts struct {
	Commit string
	// Matches counts matches as a search's MatchCount would (a path-only match
	// counts 1); Lines counts lines holding a content match; Files counts files with
	// a match.
	Matches, Lines, Files int
	// Captures are the first capture group's values with their counts.
	Captures map[string]int
	// ByFile are the files with matches, in path order.
	ByFile  []FileCount
	Skipped Skipped
	// BlobsRead is the number of blobs read (not answered by the cache).
	BlobsRead int
}

// ByLanguage sums the matches by language (with CountOptions.Languages).
func (c *Counts) ByLanguage() []Group {
	m := map[string]int{}
	for _, f := range c.ByFile {
		if f.Language != "" {
			m[f.Language] += f.Matches
		}
	}
	return sortedGroups(m)
}

// NewCounter returns a counter of plan's content matches in repo, which viewer must be
// able to see. Basic queries whose repo: filters exclude the repository count nothing.
func (s *Service) NewCounter(ctx context.Context, viewer store.Viewer, repoID int64, plan query.Plan, opts CountOptions) (*Counter, error) {
	repo, err := s.store.Repos().GetByID(ctx, viewer, repoID)
	if err != nil {
		return nil, err
	}
	m, err := s.mirrors.Mirror(ctx, repo)
	if err != nil {
		return nil, fmt.Errorf("mirror of %s: %w", repo.Name, err)
	}
	return s.newCounter(ctx, repo, m, plan, opts)
}

// NewMirrorCounter is NewCounter for a caller that holds a mirror and has decided
// itself that the actor may read it (benchmarks, tools).
func (s *Service) NewMirrorCounter(ctx context.Context, m *vcs.Mirror, plan query.Plan, opts CountOptions) (*Counter, error) {
	return s.newCounter(ctx, &store.Repo{Name: m.Name()}, m, plan, opts)
}

func (s *Service) newCounter(ctx context.Context, repo *store.Repo, m *vcs.Mirror, plan query.Plan, opts CountOptions) (*Counter, error) {
	c := &Counter{svc: s, repo: repo, sc: newScanner(ctx, m, s.cache, s.opts.Readers)}
	for _, b := range plan {
		if !repoNameMatches(b, repo.Name) {
			continue
		}
		spec, err := s.contentSpec(b)
		if err != nil {
			return nil, err
		}
		spec.countOnly, spec.languages, spec.persist = true, opts.Languages, opts.Persist
		c.specs = append(c.specs, spec)
	}
	return c, nil
}

// At counts at one commit (any revision git resolves; a commit id avoids a lookup).
func (c *Counter) At(ctx context.Context, commit string) (*Counts, error) {
	out := &Counts{Commit: commit}
	byPath := map[string]int{}
	for _, spec := range c.specs {
		so, err := c.sc.scan(ctx, spec, commit)
		if err != nil {
			return nil, err
		}
		out.Skipped.add(so.skipped)
		out.BlobsRead += so.read
		for _, fc := range so.counts {
			// A file found by two basic queries counts once, with its larger count.
			if i, ok := byPath[fc.Path]; ok {
				if fc.Matches > out.ByFile[i].Matches {
					out.ByFile[i] = fc
				}
				continue
			}
			byPath[fc.Path] = len(out.ByFile)
			out.ByFile = append(out.ByFile, fc)
		}
	}
	for _, fc := range out.ByFile {
		out.Matches += fc.Matches
		out.Lines += fc.Lines
		out.Files++
		for k, v := range fc.Captures {
			if out.Captures == nil {
				out.Captures = map[string]int{}
			}
			out.Captures[k] += v
		}
	}
	sortFileCounts(out.ByFile)
	if err := c.svc.cache.Flush(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

// Languages returns the language statistics (lines and bytes per language) of the
// repository at a commit; lines are memoized per blob.
func (c *Counter) Languages(ctx context.Context, commit string) ([]LanguageStat, Skipped, error) {
	spec := &scanSpec{matcher: &Matcher{}, inventory: true, readContent: true, maxFileSize: c.svc.opts.MaxFileSize}
	so, err := c.sc.scan(ctx, spec, commit)
	if err != nil {
		return nil, Skipped{}, err
	}
	return so.langs.sorted(), so.skipped, nil
}

// Close stops the counter's git processes.
func (c *Counter) Close() { c.sc.close() }
