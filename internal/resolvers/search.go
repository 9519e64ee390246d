package resolvers

import (
	"context"
	"errors"
	"path"
	"strconv"
	"strings"
	"sync"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// invalidQuery gives query errors (from the parser or the executor) the InvalidQuery
// code, as Sourcegraph's validateSearchQuery does; other errors pass through.
func invalidQuery(err error) error {
	var qe *query.Error
	if errors.As(err, &qe) {
		return errcode.Wrap(InvalidQuery, err)
	}
	return err
}

type searchVersion struct{}

func (searchVersion) enumName() string { return "SearchVersion" }

// Search parses the query at once (so that an invalid one fails the field) and runs it
// when results or stats are first asked for.
func (r *Resolver) Search(ctx context.Context, args struct {
	Query       string
	PatternType *string
	// Version is accepted for Sourcegraph's clients and means nothing here (null as V3).
	Version NullEnum[searchVersion]
}) (*SearchResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	if r.Deps.Search == nil {
		return nil, errcode.New(errcode.Internal, "search is not configured")
	}
	req := search.Request{Query: args.Query, Viewer: auth.FromContext(ctx).Viewer()}
	if args.PatternType != nil {
		req.PatternType = query.PatternType(*args.PatternType)
	}
	plan, err := req.ParseContext(ctx)
	if err != nil {
		return nil, invalidQuery(err)
	}
	req.Plan = plan
	// Language statistics cost little next to the search (the language of matched
	// files), so the one run serves both results and stats.
	req.Languages = true
	return &SearchResolver{r: r, req: req}, nil
}

// SearchResolver resolves Search.
type SearchResolver struct {
	r    *Resolver
	req  search.Request
	once sync.Once
	res  *search.Results
	err  error
}

func (s *SearchResolver) run(ctx context.Context) (*search.Results, error) {
	s.once.Do(func() {
		release, err := s.r.expensive(ctx)
		if err != nil {
			s.err = err
			return
		}
		defer release()
		s.res, s.err = s.r.Deps.Search.Search(ctx, s.req)
		s.err = invalidQuery(s.err)
	})
	return s.res, s.err
}

func (s *SearchResolver) Results(ctx context.Context) (*SearchResultsResolver, error) {
	res, err := s.run(ctx)
	if err != nil {
		return nil, err
	}
	return &SearchResultsResolver{r: s.r, res: res, req: s.req}, nil
}

func (s *SearchResolver) Stats(ctx context.Context) (*searchStatsResolver, error) {
	res, err := s.run(ctx)
	if err != nil {
		return nil, err
	}
	return &searchStatsResolver{res}, nil
}

// SearchResultsResolver resolves SearchResults.
type SearchResultsResolver struct {
	r   *Resolver
	res *search.Results
	req search.Request // what was searched, for the alert
	// repos shares one RepositoryResolver per repository among the results.
	repos map[int64]*RepositoryResolver
	mu    sync.Mutex
	// contents reads the files of the results (GitBlob.content), per repository.
	contents map[int64]*blobBatch
	// alert is computed once, when asked for.
	alertOnce sync.Once
	alert     *search.Alert
	alertErr  error
}

func (s *SearchResultsResolver) repo(repo *store.Repo) *RepositoryResolver {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.repos == nil {
		s.repos = map[int64]*RepositoryResolver{}
	}
	rr := s.repos[repo.ID]
	if rr == nil {
		rr = s.r.newRepository(repo)
		s.repos[repo.ID] = rr
	}
	return rr
}

func (s *SearchResultsResolver) Results() []*searchResultResolver {
	out := make([]*searchResultResolver, 0, len(s.res.Matches))
	for _, m := range s.res.Matches {
		rr := s.repo(m.Repository())
		switch m := m.(type) {
		case *search.FileMatch:
			out = append(out, &searchResultResolver{file: &fileMatchResolver{repo: rr, m: m, results: s}})
		case *search.CommitMatch:
			out = append(out, &searchResultResolver{commit: &commitSearchResultResolver{repo: rr, m: m}})
		case *search.RepoMatch:
			out = append(out, &searchResultResolver{repo: rr})
		}
	}
	return out
}

func (s *SearchResultsResolver) MatchCount() int32  { return int32(s.res.MatchCount) }
func (s *SearchResultsResolver) ResultCount() int32 { return int32(s.res.MatchCount) }
func (s *SearchResultsResolver) LimitHit() bool     { return s.res.LimitHit }
func (s *SearchResultsResolver) Incomplete() bool   { return s.res.Partial }
func (s *SearchResultsResolver) IndexedRepositories() int32 {
	return int32(s.res.IndexedRepos)
}
func (s *SearchResultsResolver) UnindexedRepositories() int32 {
	return int32(s.res.UnindexedRepos)
}
func (s *SearchResultsResolver) ElapsedMilliseconds() int32 {
	return int32(s.res.Elapsed.Milliseconds())
}
func (s *SearchResultsResolver) Cloning() []*RepositoryResolver {
	return s.repoList(s.res.Cloning)
}
func (s *SearchResultsResolver) Missing() []*RepositoryResolver { return s.repoList(s.res.Missing) }
func (s *SearchResultsResolver) Timedout() []*RepositoryResolver {
	return s.repoList(s.res.TimedOut)
}

func (s *SearchResultsResolver) repoList(repos []*store.Repo) []*RepositoryResolver {
	out := make([]*RepositoryResolver, len(repos))
	for i, r := range repos {
		out[i] = s.repo(r)
	}
	return out
}

func (s *SearchResultsResolver) Skipped() *searchSkipped { return &searchSkipped{s.res.Skipped} }

type searchSkipped struct{ s search.Skipped }

func (s *searchSkipped) Binary() int32 { return int32(s.s.Binary) }
func (s *searchSkipped) Large() int32  { return int32(s.s.Large) }

// RepositoryCounts lists repositories in result order.
func (s *SearchResultsResolver) RepositoryCounts() []*repoMatchCount {
	repos := s.Repositories()
	out := make([]*repoMatchCount, len(repos))
	for i, rr := range repos {
		out[i] = &repoMatchCount{repo: rr, n: s.res.RepoCounts[rr.repo.ID]}
	}
	return out
}

// Repositories lists the repositories with matches in result order.
func (s *SearchResultsResolver) Repositories() []*RepositoryResolver {
	out := []*RepositoryResolver{}
	seen := map[int64]bool{}
	for _, m := range s.res.Matches {
		repo := m.Repository()
		if !seen[repo.ID] {
			seen[repo.ID] = true
			out = append(out, s.repo(repo))
		}
	}
	return out
}

type repoMatchCount struct {
	repo *RepositoryResolver
	n    int
}

func (c *repoMatchCount) Repository() *RepositoryResolver { return c.repo }
func (c *repoMatchCount) MatchCount() int32               { return int32(c.n) }

// searchResultResolver resolves the SearchResult union.
type searchResultResolver struct {
	file   *fileMatchResolver
	commit *commitSearchResultResolver
	repo   *RepositoryResolver
}

func (s *searchResultResolver) ToFileMatch() (*fileMatchResolver, bool) { return s.file, s.file != nil }
func (s *searchResultResolver) ToCommitSearchResult() (*commitSearchResultResolver, bool) {
	return s.commit, s.commit != nil
}
func (s *searchResultResolver) ToRepository() (*RepositoryResolver, bool) {
	return s.repo, s.repo != nil
}

type fileMatchResolver struct {
	repo    *RepositoryResolver
	m       *search.FileMatch
	results *SearchResultsResolver
}

func (f *fileMatchResolver) Repository() *RepositoryResolver { return f.repo }
func (f *fileMatchResolver) File() *gitBlobResolver          { return &gitBlobResolver{f} }
func (f *fileMatchResolver) LimitHit() bool                  { return f.m.LimitHit }
func (f *fileMatchResolver) RevSpec() *string {
	if f.m.Rev == "" {
		return nil
	}
	return &f.m.Rev
}

func (f *fileMatchResolver) LineMatches() []*lineMatchResolver {
	out := make([]*lineMatchResolver, len(f.m.LineMatches))
	for i := range f.m.LineMatches {
		out[i] = &lineMatchResolver{m: &f.m.LineMatches[i], limitHit: f.m.LimitHit && i == len(out)-1}
	}
	return out
}

type gitBlobResolver struct{ f *fileMatchResolver }

func (g *gitBlobResolver) Path() string { return g.f.m.Path }
func (g *gitBlobResolver) Name() string { return path.Base(g.f.m.Path) }
func (g *gitBlobResolver) URL() string {
	u := g.f.repo.URL()
	if g.f.m.Rev != "" {
		u += "@" + g.f.m.Rev
	}
	return u + "/-/blob/" + g.f.m.Path
}
func (g *gitBlobResolver) Language() *string {
	if g.f.m.Language == "" {
		return nil
	}
	return &g.f.m.Language
}

// Commit loads the file's commit from the mirror.
func (g *gitBlobResolver) Commit(ctx context.Context) (*GitCommitResolver, error) {
	c, err := g.f.repo.commit(ctx, g.f.m.Commit)
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errcode.New(errcode.NotFound, "commit %s of %s is gone", g.f.m.Commit, g.f.repo.repo.Name)
	}
	return c, nil
}

type lineMatchResolver struct {
	m        *search.LineMatch
	limitHit bool // the limit cut the file's matches after this line
}

func (l *lineMatchResolver) Preview() string   { return l.m.Preview }
func (l *lineMatchResolver) LimitHit() bool    { return l.limitHit }
func (l *lineMatchResolver) LineNumber() int32 { return int32(l.m.LineNumber) }
func (l *lineMatchResolver) OffsetAndLengths() [][]int32 {
	rr := l.m.RuneRanges()
	out := make([][]int32, len(rr))
	for i, r := range rr {
		out[i] = []int32{int32(r[0]), int32(r[1])}
	}
	return out
}

type commitSearchResultResolver struct {
	repo *RepositoryResolver
	m    *search.CommitMatch
}

func (c *commitSearchResultResolver) Commit() *GitCommitResolver {
	return &GitCommitResolver{repo: c.repo, commit: c.m.Commit}
}
func (c *commitSearchResultResolver) URL() string { return c.Commit().URL() }

func (c *commitSearchResultResolver) MessagePreview() *highlightedString {
	v, hs := c.m.MessagePreview()
	return &highlightedString{v, hs}
}

func (c *commitSearchResultResolver) DiffPreview() *highlightedString {
	if !c.m.Diff {
		return nil
	}
	v, hs := c.m.DiffPreview()
	return &highlightedString{v, hs}
}

type highlightedString struct {
	value string
	hs    []search.Highlight
}

func (h *highlightedString) Value() string { return h.value }
func (h *highlightedString) Highlights() []*highlight {
	out := make([]*highlight, len(h.hs))
	for i := range h.hs {
		out[i] = &highlight{h.hs[i]}
	}
	return out
}

type highlight struct{ h search.Highlight }

func (h *highlight) Line() int32      { return int32(h.h.Line) }
func (h *highlight) Character() int32 { return int32(h.h.Character) }
func (h *highlight) Length() int32    { return int32(h.h.Length) }

type searchStatsResolver struct{ res *search.Results }

func (s *searchStatsResolver) ApproximateResultCount() string {
	n := strconv.Itoa(s.res.MatchCount)
	if s.res.LimitHit {
		n += "+"
	}
	return n
}

func (s *searchStatsResolver) Languages() []*languageStatistics {
	out := make([]*languageStatistics, len(s.res.Languages))
	for i := range s.res.Languages {
		out[i] = &languageStatistics{s.res.Languages[i]}
	}
	return out
}

type languageStatistics struct{ s search.LanguageStat }

func (l *languageStatistics) Name() string        { return l.s.Name }
func (l *languageStatistics) TotalBytes() float64 { return float64(l.s.Bytes) }
func (l *languageStatistics) TotalLines() int32   { return int32(l.s.Lines) }

// searchContextKind is the kind of a search context's opaque ID.
const searchContextKind = "SearchContext"

// SearchContextResolver resolves SearchContext.
type SearchContextResolver struct {
	c *store.SearchContext
}

func (c *SearchContextResolver) ID() graphql.ID      { return marshalID(searchContextKind, c.c.ID) }
func (c *SearchContextResolver) Name() string        { return c.c.Name }
func (c *SearchContextResolver) Spec() string        { return c.c.Name }
func (c *SearchContextResolver) Description() string { return c.c.Description }
func (c *SearchContextResolver) Query() string       { return c.c.Query }
func (c *SearchContextResolver) Public() bool        { return true }
func (c *SearchContextResolver) AutoDefined() bool   { return false }
func (c *SearchContextResolver) CreatedAt() DateTime { return newDateTime(c.c.CreatedAt) }
func (c *SearchContextResolver) UpdatedAt() DateTime { return newDateTime(c.c.UpdatedAt) }
func (c *SearchContextResolver) ViewerCanManage(ctx context.Context) bool {
	return auth.FromContext(ctx).HasAllAccess()
}

// SearchContexts lists search contexts by name, to any signed-in user: they hold
// repository filters, not repositories, so they reveal nothing a user may not see.
func (r *Resolver) SearchContexts(ctx context.Context, args struct {
	ConnectionArgs
	Query *string
}) (*connection[*SearchContextResolver], error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	page, err := ConnectionArgs{First: args.First}.page() // the cursor is a name, decoded below
	if err != nil {
		return nil, err
	}
	opts := store.SearchContextListOptions{Limit: page.Limit}
	if args.Query != nil {
		opts.Query = *args.Query
	}
	if args.After != nil && *args.After != "" {
		if opts.After, err = decodeStringCursor(*args.After); err != nil {
			return nil, err
		}
	}
	cs, err := r.Store.Search().ListSearchContexts(ctx, opts)
	if err != nil {
		return nil, err
	}
	opts.After, opts.Limit = "", 0
	return newConnectionWithCursor(cs, page,
		func(c *store.SearchContext) string { return encodeStringCursor(c.Name) },
		func(c *store.SearchContext) *SearchContextResolver { return &SearchContextResolver{c} },
		func(ctx context.Context) (int, error) { return r.Store.Search().CountSearchContexts(ctx, opts) }), nil
}

// SearchContextBySpec returns a context by name (null for none and for global).
func (r *Resolver) SearchContextBySpec(ctx context.Context, args struct{ Spec string }) (*SearchContextResolver, error) {
	if err := auth.CheckAuthenticated(ctx); err != nil {
		return nil, err
	}
	name := strings.TrimPrefix(strings.TrimSpace(args.Spec), "@")
	if name == "" || strings.EqualFold(name, "global") {
		return nil, nil
	}
	c, err := r.Store.Search().SearchContextByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &SearchContextResolver{c}, nil
}

// SearchContextInput is the input of createSearchContext.
type SearchContextInput struct {
	Name        string
	Description graphql.NullString // null is ""
	Query       string
	Public      graphql.NullBool // null is true
	Namespace   *graphql.ID
}

// CreateSearchContext stores a search context; site admins only. A bad name or
// description is BAD_USER_INPUT, a bad query InvalidQuery, a taken name ALREADY_EXISTS.
func (r *Resolver) CreateSearchContext(ctx context.Context, args struct{ SearchContext SearchContextInput }) (*SearchContextResolver, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	in := args.SearchContext
	if !boolOr(in.Public, true) {
		return nil, errcode.New(errcode.BadInput, "search contexts are site-wide: public must be true")
	}
	if in.Namespace != nil {
		return nil, errcode.New(errcode.BadInput, "search contexts belong to no namespace: namespace must be null")
	}
	c, err := search.CreateSearchContext(ctx, r.Store, in.Name, stringOr(in.Description, ""), in.Query)
	var ce *search.ContextError
	switch {
	case errors.As(err, &ce):
		return nil, errcode.Wrap(errcode.BadInput, err)
	case errors.Is(err, store.ErrSearchContextExists):
		return nil, errcode.New(errcode.AlreadyExists, "a search context named %q already exists", in.Name)
	case err != nil:
		return nil, invalidQuery(err)
	}
	return &SearchContextResolver{c}, nil
}

// DeleteSearchContext deletes a search context; site admins only.
func (r *Resolver) DeleteSearchContext(ctx context.Context, args struct{ ID graphql.ID }) (*EmptyResponse, error) {
	if err := auth.CheckSiteAdmin(ctx); err != nil {
		return nil, err
	}
	id, err := unmarshalID(args.ID, searchContextKind)
	if err != nil {
		return nil, err
	}
	sc, err := r.Store.Search().SearchContextByID(ctx, id)
	if err != nil {
		return nil, storeErr(err)
	}
	if r.Insights != nil {
		// Views keep a context as a default filter; deleting it would break their reads.
		views, err := r.insightsStore().ViewsUsingSearchContext(ctx, sc.Name)
		if err != nil {
			return nil, err
		}
		if len(views) > 0 {
			return nil, errcode.New(errcode.Conflict, "search context %q is the default filter of insight views %s; change their filters first", sc.Name, strings.Join(views, ", "))
		}
	}
	if err := r.Store.Search().DeleteSearchContextByID(ctx, id); err != nil {
		return nil, storeErr(err)
	}
	return &EmptyResponse{}, nil
}
