package insights

import (
	"context"
	"errors"
	"fmt"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// RepoMatcher decides whether a repository is in a query's repository scope: its repo:,
// -repo:, fork:, archived:, visibility: and context: filters (any Basic query of the
// plan may admit it).
//
// It follows the search executor's rules, except that a fork or archived repository is
// admitted by default only when the scope is an explicit list (the executor also admits
// one that a repo:^name$ filter names exactly).
type RepoMatcher struct {
	plan     query.Plan
	contexts map[string]query.Plan
}

// ContextLoader returns the plan of a search context's query.
type ContextLoader func(ctx context.Context, name string) (query.Plan, error)

// StoreContexts loads search contexts from the main store.
func StoreContexts(st *store.Store) ContextLoader {
	return func(ctx context.Context, name string) (query.Plan, error) {
		sc, err := st.Search().SearchContextByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			return nil, invalid("no search context named %q", name)
		}
		if err != nil {
			return nil, err
		}
		plan, err := query.Parse(sc.Query)
		if err != nil {
			return nil, fmt.Errorf("search context %s has an invalid query: %w", name, err)
		}
		return plan, nil
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

// Match reports whether the repository is in scope.
func (m *RepoMatcher) Match(name string, fork, archived, private bool) bool {
	for _, b := range m.plan {
		if !basicAdmits(b, name, fork, archived, private) {
			continue
		}
		if c := b.Context(); c != "" {
			ok := false
			for _, cb := range m.contexts[c] {
				ok = ok || basicAdmits(cb, name, fork, archived, private)
			}
			if !ok {
				continue
			}
		}
		return true
	}
	return false
}

// MatchRepo is Match for a repository row.
func (m *RepoMatcher) MatchRepo(r *store.Repo) bool {
	return m.Match(r.Name, r.Fork, r.Archived, r.Private)
}

func basicAdmits(b query.Basic, name string, fork, archived, private bool) bool {
	include, exclude := b.Repos()
	for _, f := range include {
		if !f.Regexp.MatchString(name) {
			return false
		}
	}
	for _, re := range exclude {
		if re.MatchString(name) {
			return false
		}
	}
	if !yesNoOnly(b.Fork, fork) || !yesNoOnly(b.Archived, archived) {
		return false
	}
	switch b.Visibility() {
	case query.VisibilityPublic:
		return !private
	case query.VisibilityPrivate:
		return private
	}
	return true
}

func yesNoOnly(get func() (query.YesNoOnly, bool), flag bool) bool {
	v, ok := get()
	if !ok {
		return !flag
	}
	switch v {
	case query.Only:
		return flag
	case query.No:
		return !flag
	}
	return true
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
