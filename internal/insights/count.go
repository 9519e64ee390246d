package insights

import (
	"context"
	"fmt"
	"slices"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// Count is a series' query counted in one repository at one commit.
type Count struct {
	// Value is the match count (lines of code for language statistics).
	Value int
	// Values are the counts per captured value, group (repository, language, path,
	// author, date) or language; nil for plain series.
	Values map[string]int
}

// Counter counts one series' query in one repository at commits. It is not safe for
// concurrent use; Close it when done.
type Counter interface {
	CountAt(ctx context.Context, commit string) (Count, error)
	Close()
}

// ManyCounter is a Counter that counts several commits in one pass, cheaper than one
// at a time (the search executor reads the union of their uncached blobs once).
type ManyCounter interface {
	Counter
	// CountMany counts at commits, given in history order (oldest first).
	CountMany(ctx context.Context, commits []string) ([]Count, error)
}

// Source gives what counting needs: this process's mirrors and counters. SearchSource
// is the real one, on the search executor.
type Source interface {
	Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error)
	NewCounter(ctx context.Context, def SeriesDef, repo *store.Repo, m *vcs.Mirror) (Counter, error)
}

// MirrorSource is what SearchSource needs to reach mirrors (*repos.Service).
type MirrorSource interface {
	Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error)
}

// SearchSource counts with the search executor. Content queries use its Counter, which
// keeps git readers open across commits and memoizes per-blob counts (persisted when
// Persist is set, so a resumed backfill or another worker reuses them); other queries
// (commits, diffs, select:, type:repo) run a search pinned to the commit.
type SearchSource struct {
	Search  *search.Service
	Mirrors MirrorSource
	// Persist stores per-blob counts in Postgres (backfills and recordings).
	Persist bool
	// OneByOne counts commits one at a time even where the executor can count several
	// in one pass (benchmarks compare the two).
	OneByOne bool
}

// Mirror returns the repository's mirror.
func (s *SearchSource) Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error) {
	return s.Mirrors.Mirror(ctx, repo)
}

// NewCounter prepares counting def in one repository.
func (s *SearchSource) NewCounter(ctx context.Context, def SeriesDef, repo *store.Repo, m *vcs.Mirror) (Counter, error) {
	if def.Languages {
		c, err := s.Search.NewMirrorCounter(ctx, m, nil, search.CountOptions{Persist: s.Persist})
		if err != nil {
			return nil, err
		}
		return &languageCounter{c: c}, nil
	}
	plan, err := query.Parse(def.Query)
	if err != nil {
		return nil, invalid("invalid query: %v", err)
	}
	if contentOnly(plan) && def.GroupBy != GroupByAuthor && def.GroupBy != GroupByDate {
		// A count at the head (a recording) reads the index when the shard holds it.
		c, err := s.Search.NewRepoCounter(ctx, repo, m, plan, search.CountOptions{Persist: s.Persist, Languages: def.GroupBy == GroupByLang})
		if err != nil {
			return nil, err
		}
		cc := &contentCounter{c: c, def: def, repo: repo.Name}
		if s.OneByOne {
			return oneByOne{cc}, nil
		}
		return cc, nil
	}
	return &searchCounter{svc: s.Search, m: m, plan: plan, def: def, repo: repo.Name}, nil
}

// contentOnly reports whether every Basic query searches file content or paths only,
// without select: — what the executor's Counter counts.
func contentOnly(plan query.Plan) bool {
	for _, b := range plan {
		if b.Select() != "" {
			return false
		}
		for _, t := range b.Types() {
			if t != query.TypeFile && t != query.TypePath {
				return false
			}
		}
	}
	return true
}

type contentCounter struct {
	c    *search.Counter
	def  SeriesDef
	repo string
}

func (c *contentCounter) CountAt(ctx context.Context, commit string) (Count, error) {
	res, err := c.c.At(ctx, commit)
	if err != nil {
		return Count{}, err
	}
	return c.convert(res), nil
}

func (c *contentCounter) CountMany(ctx context.Context, commits []string) ([]Count, error) {
	res, err := c.c.AtMany(ctx, commits)
	if err != nil {
		return nil, err
	}
	out := make([]Count, len(res))
	for i, r := range res {
		out[i] = c.convert(r)
	}
	return out, nil
}

func (c *contentCounter) convert(res *search.Counts) Count {
	out := Count{Value: res.Matches}
	switch {
	case c.def.Captures:
		out.Values = res.Captures
	case c.def.GroupBy == GroupByRepo:
		if res.Matches > 0 {
			out.Values = map[string]int{c.repo: res.Matches}
		}
	case c.def.GroupBy == GroupByLang:
		out.Values = map[string]int{}
		for _, g := range res.ByLanguage() {
			out.Values[g.Value] = g.Count
		}
	case c.def.GroupBy == GroupByPath:
		out.Values = map[string]int{}
		for _, f := range res.ByFile {
			out.Values[f.Path] += f.Matches
		}
	}
	return out
}

func (c *contentCounter) Close() { c.c.Close() }

// oneByOne hides CountMany.
type oneByOne struct{ c *contentCounter }

func (o oneByOne) CountAt(ctx context.Context, commit string) (Count, error) {
	return o.c.CountAt(ctx, commit)
}
func (o oneByOne) Close() { o.c.Close() }

type languageCounter struct{ c *search.Counter }

func (c *languageCounter) CountAt(ctx context.Context, commit string) (Count, error) {
	stats, _, err := c.c.Languages(ctx, commit)
	if err != nil {
		return Count{}, err
	}
	out := Count{Values: map[string]int{}}
	for _, s := range stats {
		out.Values[s.Name] = s.Lines
		out.Value += s.Lines
	}
	return out, nil
}

func (c *languageCounter) Close() { c.c.Close() }

// searchCounter runs the whole search pinned to a commit: content at the commit, or
// the commits reachable from it for commit and diff searches.
type searchCounter struct {
	svc  *search.Service
	m    *vcs.Mirror
	plan query.Plan
	def  SeriesDef
	repo string
}

func (c *searchCounter) CountAt(ctx context.Context, commit string) (Count, error) {
	plan, err := c.plan.ReplaceFilter(query.FieldCount, "all")
	if err != nil {
		return Count{}, fmt.Errorf("lifting the result limit: %w", err)
	}
	res, err := c.svc.SearchMirror(ctx, c.m, plan, search.Revisions{Include: []string{commit}})
	if err != nil {
		return Count{}, err
	}
	if res.Partial {
		if ctx.Err() != nil {
			return Count{}, ctx.Err()
		}
		var msgs []string
		for _, e := range res.Errors {
			msgs = append(msgs, e.Err.Error())
		}
		return Count{}, fmt.Errorf("search in %s was incomplete: %v", c.repo, msgs)
	}
	out := Count{Value: res.MatchCount}
	switch {
	case c.def.Captures:
		out.Values = res.Captures
	case c.def.GroupBy == GroupByDate:
		out.Values = map[string]int{}
		for _, m := range res.Matches {
			if cm, ok := m.(*search.CommitMatch); ok {
				out.Values[cm.Commit.Committer.Date.UTC().Format("2006-01-02")] += m.ResultCount()
			}
		}
	case c.def.GroupBy != "":
		out.Values = map[string]int{}
		by := map[string]search.GroupBy{GroupByRepo: search.GroupByRepo, GroupByLang: search.GroupByLanguage, GroupByPath: search.GroupByPath, GroupByAuthor: search.GroupByAuthor}[c.def.GroupBy]
		for _, g := range search.GroupMatches(res.Matches, by) {
			if c.def.GroupBy == GroupByRepo {
				g.Value = c.repo // SearchMirror's repository carries no id or canonical name
			}
			out.Values[g.Value] += g.Count
		}
	}
	return out, nil
}

func (c *searchCounter) Close() {}

// captureKeys returns a count's values in a stable order.
func captureKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
