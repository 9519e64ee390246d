package insights

import (
	"regexp"
	"strings"
	"time"

	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// The queries a point links to, so a user can see the results behind a value: the diff
// since the previous point, and the results at the point's time.

// scoped returns the series' query limited to its repository scope.
func scoped(def SeriesDef) string {
	q := def.Query
	if strings.Contains(strings.ToUpper(q), " OR ") {
		q = "(" + q + ")"
	}
	switch {
	case len(def.Scope.Repositories) > 0:
		names := make([]string, len(def.Scope.Repositories))
		for i, n := range def.Scope.Repositories {
			names[i] = regexp.QuoteMeta(n)
		}
		return "repo:^(" + strings.Join(names, "|") + ")$ " + q
	case def.Scope.Criteria != "":
		return "(" + def.Scope.Criteria + ") " + q
	}
	return q
}

// DiffQuery is a diff search for what changed between the previous point and this one:
// type:diff after:prev before:t and the series' scoped query (commit and diff queries
// keep their type). Empty for the first point and for language series.
func DiffQuery(def SeriesDef, prev, t time.Time) string {
	if prev.IsZero() || def.Languages {
		return ""
	}
	q := "after:" + prev.UTC().Format(time.RFC3339) + " before:" + t.UTC().Format(time.RFC3339) + " " + scoped(def)
	if plan, err := query.Parse(def.Query); err == nil && plan.CheckCommitOrDiff() == nil {
		return q
	}
	return "type:diff " + q
}

// MaxPinnedRepos bounds the repositories a point-in-time query pins to their commits.
const MaxPinnedRepos = 25

// PointInTimeQuery is a search for the results behind a point: the series' query in each
// repository that has a value at the point, pinned to the commit it was counted at
// (repo:^name$@commit). Empty when the point has no such repository, more than
// MaxPinnedRepos of them, or values without a known commit.
func PointInTimeQuery(def SeriesDef, parts []store.RepoValue) string {
	if def.Languages {
		return ""
	}
	seen := map[string]bool{}
	var filters []string
	for _, p := range parts {
		if p.Commit == "" {
			return ""
		}
		f := "repo:^" + regexp.QuoteMeta(p.RepoName) + "$@" + p.Commit
		if !seen[f] {
			seen[f] = true
			filters = append(filters, f)
		}
	}
	if len(filters) == 0 || len(filters) > MaxPinnedRepos {
		return ""
	}
	q := def.Query
	if strings.Contains(strings.ToUpper(q), " OR ") {
		q = "(" + q + ")"
	}
	if len(filters) == 1 {
		return filters[0] + " " + q
	}
	return "(" + strings.Join(filters, " OR ") + ") " + q
}

// RepoPointQuery is PointInTimeQuery for one repository's part of a point.
func RepoPointQuery(def SeriesDef, part store.RepoValue) string {
	return PointInTimeQuery(def, []store.RepoValue{part})
}
