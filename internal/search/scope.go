package search

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp/syntax"
	"strings"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

// The repository scope of a query, and the default branch, are decided here for every
// caller (the executor, code monitors, code insights), so that a repository is in or out
// of a query's scope, and searched at the same commit, whoever asks.

// ScopeAdmits reports whether the repository scope of one Basic query admits r:
//
//   - every repo: regexp matches its name and no -repo: one does;
//   - fork: and archived: (yes, no, only); without them forks and archived repositories
//     are left out unless a repo: filter names r exactly (^name$), as in Sourcegraph;
//   - visibility: (any, public, private);
//   - the search context the query names (context:NAME): contextPlan is that context's
//     plan (LoadSearchContext), one Basic query of which must admit r too. A context's
//     fork: or archived: applies when the query has none, and a context that names r
//     exactly lets a fork or archived repository through as the query's own repo: would.
//     A nil contextPlan leaves the context out: for a caller that cannot load it and
//     leaves it to the search, which applies it again.
//
// It says nothing about whether a viewer may see r: callers list repositories through
// the store (RepoStore.List), which applies permissions.
func ScopeAdmits(b query.Basic, contextPlan query.Plan, r *store.Repo) bool {
	return admits(b, contextPlan, r, false)
}

// ScopeMayAdmit is ScopeAdmits for a caller that does not load b's search context: the
// context may name a fork or an archived repository exactly, so with a context those
// pass (the search applies the context later).
func ScopeMayAdmit(b query.Basic, r *store.Repo) bool {
	return admits(b, nil, r, b.Context() != "")
}

// admits is ScopeAdmits; explicit says the caller chose the repositories itself
// (Request.RepoIDs), which then count as named exactly.
func admits(b query.Basic, contextPlan query.Plan, r *store.Repo, explicit bool) bool {
	if !repoNameMatches(b, r.Name) {
		return false
	}
	// Being named only matters to forks and archived repositories (which are left out
	// unless named), and finding out parses the repo: patterns: only for those.
	flagged := r.Fork || r.Archived
	named := explicit || flagged && namesRepo(b, r.Name)
	if contextPlan == nil {
		return flagsMatch(b, nil, r, named)
	}
	for _, cb := range contextPlan {
		if repoNameMatches(cb, r.Name) && flagsMatch(b, &cb, r, named || flagged && namesRepo(cb, r.Name)) {
			return true
		}
	}
	return false
}

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

// namesRepo reports whether one of b's repo: filters names the repository exactly.
func namesRepo(b query.Basic, name string) bool {
	include, _ := b.Repos()
	for _, f := range include {
		if namesExactly(f.Pattern, name) {
			return true
		}
	}
	return false
}

// namesExactly reports whether a repo: pattern names exactly this repository
// (^name$, with the dots escaped or not).
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
	var sb strings.Builder
	for _, s := range re.Sub[1 : len(re.Sub)-1] {
		switch s.Op {
		case syntax.OpLiteral:
			sb.WriteString(string(s.Rune))
		case syntax.OpAnyCharNotNL, syntax.OpAnyChar:
			sb.WriteByte('.') // an unescaped dot matches the dot of the name
		default:
			return false
		}
	}
	return strings.EqualFold(sb.String(), name)
}

// flagsMatch applies fork:, archived: and visibility: of b and of the context's
// query cb (nil without a context); b's fork: and archived: take precedence.
func flagsMatch(b query.Basic, cb *query.Basic, r *store.Repo, named bool) bool {
	fork, forkSet := b.Fork()
	archived, archivedSet := b.Archived()
	if cb != nil {
		if !forkSet {
			fork, forkSet = cb.Fork()
		}
		if !archivedSet {
			archived, archivedSet = cb.Archived()
		}
	}
	if !yesNoOnly(fork, forkSet, r.Fork, named) || !yesNoOnly(archived, archivedSet, r.Archived, named) {
		return false
	}
	if !visibilityMatches(b.Visibility(), r.Private) {
		return false
	}
	return cb == nil || visibilityMatches(cb.Visibility(), r.Private)
}

// yesNoOnly applies fork: or archived:. Without the filter such repositories are left
// out unless named.
func yesNoOnly(v query.YesNoOnly, set, flag, named bool) bool {
	if !set {
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

func visibilityMatches(v query.Visibility, private bool) bool {
	switch v {
	case query.VisibilityPublic:
		return !private
	case query.VisibilityPrivate:
		return private
	}
	return true
}

// repoScope is the repository side of a Basic query, with its search context.
type repoScope struct {
	basic   query.Basic
	context query.Plan // the context's own queries; nil without a context
	// explicit: the caller chose the repositories (Request.RepoIDs), which then count
	// as named, so forks and archived ones are searched without fork:yes.
	explicit bool
}

func (sc *repoScope) matches(r *store.Repo) bool {
	return admits(sc.basic, sc.context, r, sc.explicit)
}

// LoadSearchContext returns the plan of the search context name ("" and "global" have
// none: nil). A context that does not exist is a *query.Error; a stored query that no
// longer parses is an error that names the context.
func LoadSearchContext(ctx context.Context, st *store.Store, name string, opts query.Options) (query.Plan, error) {
	if name == "" || strings.EqualFold(name, "global") {
		return nil, nil
	}
	if st == nil {
		return nil, &query.Error{Pos: -1, Token: "context:" + name, Msg: "search contexts are not available here"}
	}
	sc, err := st.Search().SearchContextByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &query.Error{Pos: -1, Token: "context:" + name, Msg: "no search context named " + name}
	}
	if err != nil {
		return nil, fmt.Errorf("loading search context %s: %w", name, err)
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

// RecordedDefaultHead returns the commit of r's default branch as the last fetch
// recorded it (repo.head_oids): the default branch's head, or the only recorded head
// when the default branch is not known; "" when neither is recorded. It runs no git
// command, so every process that reads the row agrees on it.
func RecordedDefaultHead(r *store.Repo) string {
	if r.DefaultBranch != "" {
		// A default branch without a recorded head (HEAD names a missing branch) is
		// not another branch's: git's HEAD decides.
		return r.HeadOIDs["refs/heads/"+r.DefaultBranch]
	}
	if len(r.HeadOIDs) == 1 {
		for _, oid := range r.HeadOIDs {
			return oid
		}
	}
	return ""
}

// DefaultHead returns the commit a search of r's default branch reads: the recorded
// head (RecordedDefaultHead), else the mirror's HEAD; "" and no error for an empty
// repository, or when nothing is recorded and m is nil.
func DefaultHead(ctx context.Context, r *store.Repo, m *vcs.Mirror) (string, error) {
	if oid := RecordedDefaultHead(r); oid != "" {
		return oid, nil
	}
	if m == nil {
		return "", nil
	}
	oid, err := m.ResolveRevision(ctx, "HEAD")
	if errors.Is(err, vcs.ErrRevisionNotFound) {
		return "", nil // empty repository
	}
	if err != nil {
		return "", fmt.Errorf("resolving the default branch of %s: %w", r.Name, err)
	}
	return oid, nil
}

// resolveRev resolves a revision ("" for the default branch) to a commit id; "" and no
// error for an empty repository.
func resolveRev(ctx context.Context, r *store.Repo, m *vcs.Mirror, rev string) (string, error) {
	if rev == "" {
		return DefaultHead(ctx, r, m)
	}
	return m.ResolveRevision(ctx, rev)
}

// RefGlobMatch matches a ref name against globs as Sourcegraph's *refs/heads/* does: a
// glob without wildcards matches the ref and everything below it.
func RefGlobMatch(globs []string, ref string) bool {
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
