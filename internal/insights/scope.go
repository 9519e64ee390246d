package insights

import (
	"context"
	"errors"
	"fmt"

	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// RepoMatcher decides whether a repository is in a query's repository scope: its repo:,
// -repo:, fork:, archived:, visibility: and context: filters (any Basic query of the
// plan may admit it).
//
// Its rules are the search executor's (search.ScopeAdmits): a fork or archived
// repository is admitted without fork:/archived: when a repo:^name$ filter names it.
type RepoMatcher struct {
	plan     query.Plan
	contexts map[string]query.Plan
}

// ContextLoader returns the plan of a search context's query.
type ContextLoader func(ctx context.Context, name string) (query.Plan, error)

// StoreContexts loads search contexts from the main store, as the search does
// (search.LoadSearchContext); an unknown context is bad input.
func StoreContexts(st *store.Store) ContextLoader {
	return func(ctx context.Context, name string) (query.Plan, error) {
		plan, err := search.LoadSearchContext(ctx, st, name, query.Options{})
		var qe *query.Error
		if errors.As(err, &qe) {
			return nil, invalid("%s", qe.Error())
		}
		return plan, err
	}
}

// NewRepoMatcher prepares the repository side of a query, loading its search contexts.
func NewRepoMatcher(ctx context.Context, q string, contexts ContextLoader) (*RepoMatcher, error) {
	plan, err := query.Parse(q)
	if err != nil {
		return nil, invalid("invalid query: %v", err)
	}
	m := &RepoMatcher{plan: plan, contexts: map[string]query.Plan{}}
	for _, b := range plan {
		name := b.Context()
		if name == "" || m.contexts[name] != nil {
			continue
		}
		if contexts == nil {
			return nil, invalid("search contexts are not available here")
		}
		cp, err := contexts(ctx, name)
		if err != nil {
			return nil, err
		}
		m.contexts[name] = cp
	}
	return m, nil
}

// MatchRepo reports whether the repository is in scope.
func (m *RepoMatcher) MatchRepo(r *store.Repo) bool {
	for _, b := range m.plan {
		if search.ScopeAdmits(b, m.contexts[b.Context()], r) {
			return true
		}
	}
	return false
}

// basicAdmits applies one Basic query's repository scope, without its context.
func basicAdmits(b query.Basic, name string, fork, archived, private bool) bool {
	return search.ScopeAdmits(b, nil, &store.Repo{Name: name, Fork: fork, Archived: archived, Private: private})
}

// ResolveRepos returns the repositories of a series' scope that viewer may see, by id:
// the listed ones, the ones its criteria query admits, or — for all repositories —
// every repository the series' own query admits. Repositories that are not cloned yet
// are included (counting them fetches them).
func ResolveRepos(ctx context.Context, st *store.Store, viewer store.Viewer, def SeriesDef) ([]*store.Repo, error) {
	if len(def.Scope.Repositories) > 0 {
		repos, err := st.Repos().List(ctx, viewer, store.RepoListOptions{Names: def.Scope.Repositories, OrderBy: store.RepoOrderCreatedAt})
		if err != nil {
			return nil, fmt.Errorf("listing the series' repositories: %w", err)
		}
		return repos, nil
	}
	q := def.Scope.Criteria
	if q == "" {
		q = def.Query
	}
	m, err := NewRepoMatcher(ctx, q, StoreContexts(st))
	if err != nil {
		return nil, err
	}
	all, err := st.Repos().List(ctx, viewer, store.RepoListOptions{OrderBy: store.RepoOrderCreatedAt})
	if err != nil {
		return nil, fmt.Errorf("listing repositories: %w", err)
	}
	var out []*store.Repo
	for _, r := range all {
		if m.MatchRepo(r) {
			out = append(out, r)
		}
	}
	return out, nil
}
