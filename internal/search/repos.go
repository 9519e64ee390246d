package search

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// repoNameMatches applies a Basic query's repo: and -repo: filters to a name.
func repoNameMatches(b query.Basic, name string) bool {
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
	return true
}

// namesExactly reports whether a repo: pattern names exactly this repository
// (^name$, with the dots escaped or not), which lets forks and archived repositories
// through without fork:yes, as in Sourcegraph.
func namesExactly(pattern, name string) bool {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) < 3 {
		return false
	}
	first, last := re.Sub[0], re.Sub[len(re.Sub)-1]
	if first.Op != syntax.OpBeginText && first.Op != syntax.OpBeginLine || last.Op != syntax.OpEndText && last.Op != syntax.OpEndLine {
		return false
	}
	var b strings.Builder
	for _, s := range re.Sub[1 : len(re.Sub)-1] {
		switch s.Op {
		case syntax.OpLiteral:
			b.WriteString(string(s.Rune))
		case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
			b.WriteByte('.') // an unescaped dot matches the dot of the name
		default:
			return false
		}
	}
	return strings.EqualFold(b.String(), name)
}

// repoScope is the repository side of a Basic query, with its search context.
type repoScope struct {
	basic   query.Basic
	context []query.Basic // the context's own queries; a repository must match one
	// explicit: the caller chose the repositories (Request.RepoIDs), which then count
	// as named, so forks and archived ones are searched without fork:yes.
	explicit bool
}

// matches applies the scope to a repository: repo filters, fork, archived,
// visibility and the search context.
func (sc *repoScope) matches(r *store.Repo) bool {
	if !repoNameMatches(sc.basic, r.Name) || !flagsMatch(sc.basic, r, sc.explicit) {
		return false
	}
	if sc.context == nil {
		return true
	}
	for _, cb := range sc.context {
		if repoNameMatches(cb, r.Name) && flagsMatch(cb, r, sc.explicit) {
			return true
		}
	}
	return false
}

func flagsMatch(b query.Basic, r *store.Repo, named bool) bool {
	if !named && (r.Fork || r.Archived) {
		include, _ := b.Repos()
		for _, f := range include {
			if namesExactly(f.Pattern, r.Name) {
				named = true
			}
		}
	}
	if !yesNoOnly(b.Fork, r.Fork, named) || !yesNoOnly(b.Archived, r.Archived, named) {
		return false
	}
	switch b.Visibility() {
	case query.VisibilityPublic:
		return !r.Private
	case query.VisibilityPrivate:
		return r.Private
	}
	return true
}

// yesNoOnly applies fork: or archived:. Without the filter such repositories are left
// out unless a repo: filter names them exactly.
func yesNoOnly(get func() (query.YesNoOnly, bool), flag, named bool) bool {
	v, ok := get()
	if !ok {
		return !flag || named
	}
	switch v {
	case query.Only:
		return flag
	case query.No:
		return !flag
	}
	return true
}

// contextScope loads the search context of a Basic query.
func (s *Service) contextScope(ctx context.Context, b query.Basic, opts query.Options) ([]query.Basic, error) {
	name := b.Context()
	if name == "" {
		return nil, nil
	}
	sc, err := s.store.Search().SearchContextByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &query.Error{Pos: -1, Token: "context:" + name, Msg: "no search context named " + name}
	}
	if err != nil {
		return nil, err
	}
	plan, err := contextPlan(sc.Query, opts)
	if err != nil {
		return nil, fmt.Errorf("search context %s has an invalid query: %w", name, err)
	}
	return plan, nil
}

// contextPlan parses a search context's query: repository filters only, and no
// context: of its own.
func contextPlan(q string, opts query.Options) (query.Plan, error) {
	if err := query.OnlyRepoFilters(q); err != nil {
		return nil, err
	}
	plan, err := query.ParseWith(q, opts)
	if err != nil {
		return nil, err
	}
	for _, b := range plan {
		if b.Context() != "" {
			return nil, &query.Error{Pos: -1, Token: "context:" + b.Context(), Msg: "a search context cannot use another one"}
		}
	}
	return plan, nil
}

// CreateSearchContext checks a context's query (repository filters only) and stores
// it, so that queries can use context:NAME. A bad query is a *query.Error.
func (s *Service) CreateSearchContext(ctx context.Context, name, description, q string) (*store.SearchContext, error) {
	if _, err := contextPlan(q, query.Options{}); err != nil {
		return nil, err
	}
	if _, err := query.Parse("context:" + name + " x"); err != nil {
		return nil, &query.Error{Pos: -1, Token: name, Msg: "invalid search context name"}
	}
	return s.store.Search().CreateSearchContext(ctx, name, description, q)
}

// revSet is what to search in one repository: the revisions of a content search, or
// the include/exclude sets of a commit search.
type revSet struct {
	// revs are the revisions as named ("" is the default branch).
	revs    []string
	exclude []string
}

// Revisions are what a caller asks to search in one repository: Include revisions
// (each searched for content; their history for commits and diffs) without the history
// of Exclude (commits and diffs only): a code monitor's "new1 new2 ^old1 ^old2".
type Revisions struct {
	Include, Exclude []string
}

// revisionsFor returns the revisions of a repository a Basic query asks for.
func revisionsFor(ctx context.Context, b query.Basic, r *store.Repo, m *vcs.Mirror) (revSet, error) {
	include, _ := b.Repos()
	var specs []query.RevSpec
	for _, f := range include {
		specs = append(specs, f.Revs...)
	}
	if len(specs) == 0 {
		return revSet{revs: []string{""}}, nil
	}
	var rs revSet
	var globs, notGlobs []string
	for _, sp := range specs {
		switch {
		case sp.RefGlob != "" && sp.Exclude:
			notGlobs = append(notGlobs, sp.RefGlob)
		case sp.RefGlob != "":
			globs = append(globs, sp.RefGlob)
		case sp.Exclude:
			rs.exclude = append(rs.exclude, sp.Rev)
		default:
			rs.revs = append(rs.revs, sp.Rev)
		}
	}
	if len(globs) > 0 {
		refs, err := m.ListRefs(ctx)
		if err != nil {
			return revSet{}, err
		}
		for _, ref := range refs {
			if globMatch(globs, ref.Name) && !globMatch(notGlobs, ref.Name) {
				rs.revs = append(rs.revs, ref.Name)
			}
		}
		sort.Strings(rs.revs)
	}
	if len(rs.revs) == 0 && len(globs) == 0 {
		rs.revs = []string{""} // only exclusions: the default branch without them
	}
	rs.revs = slices.Compact(rs.revs)
	return rs, nil
}

// globMatch matches a ref name against globs as Sourcegraph's *refs/heads/* does: a
// glob without wildcards matches the ref and everything below it.
func globMatch(globs []string, ref string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, ref); ok {
			return true
		}
		if !strings.ContainsAny(g, "*?[") && strings.HasPrefix(ref, strings.TrimSuffix(g, "/")+"/") {
			return true
		}
	}
	return false
}

// defaultHead returns the commit of the default branch as the last fetch recorded it,
// or "" when it recorded none (the mirror's HEAD is used then).
func defaultHead(r *store.Repo) string {
	if r.DefaultBranch == "" {
		return ""
	}
	return r.HeadOIDs["refs/heads/"+r.DefaultBranch]
}

// resolveRev resolves a revision ("" for the default branch) to a commit id; "" and no
// error for an empty repository.
func resolveRev(ctx context.Context, r *store.Repo, m *vcs.Mirror, rev string) (string, error) {
	if rev == "" {
		if oid := defaultHead(r); oid != "" {
			return oid, nil
		}
		oid, err := m.ResolveRevision(ctx, "HEAD")
		if errors.Is(err, vcs.ErrRevisionNotFound) {
			return "", nil // empty repository
		}
		return oid, err
	}
	return m.ResolveRevision(ctx, rev)
}
