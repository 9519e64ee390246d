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

// grouped parenthesises a query holding OR, so that filters written before it apply to
// all of it.
func grouped(q string) string {
	if strings.Contains(strings.ToUpper(q), " OR ") {
		return "(" + q + ")"
	}
	return q
}

// scoped returns the series' query limited to its repository scope.
func scoped(def SeriesDef) string {
	q := grouped(def.Query)
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

// PointInTimeQuery is a search for the results behind a point at time t: the series'
// query in each repository that has a value at the point, pinned to the commit it was
// counted at (repo:^name$@commit). A point over more than MaxPinnedRepos repositories,
// or with values of unknown commits, gets the series' scoped query at the newest
// commits at or before t instead (rev:at.time(t), as the backfill samples them). Empty
// for language series and points without repositories.
func PointInTimeQuery(def SeriesDef, t time.Time, parts []store.RepoValue) string {
	if def.Languages || len(parts) == 0 {
		return ""
	}
	seen := map[string]bool{}
	var filters []string
	for _, p := range parts {
		if p.Commit == "" {
			return atTimeQuery(scoped(def), t)
		}
		f := "repo:^" + regexp.QuoteMeta(p.RepoName) + "$@" + p.Commit
		if !seen[f] {
			seen[f] = true
			filters = append(filters, f)
		}
	}
	if len(filters) > MaxPinnedRepos {
		return atTimeQuery(scoped(def), t)
	}
	q := grouped(def.Query)
	if len(filters) == 1 {
		return filters[0] + " " + q
	}
	return "(" + strings.Join(filters, " OR ") + ") " + q
}

// RepoPointQuery is PointInTimeQuery for one repository's part of a point.
func RepoPointQuery(def SeriesDef, t time.Time, part store.RepoValue) string {
	if part.Commit == "" && !def.Languages {
		return atTimeQuery("repo:^"+regexp.QuoteMeta(part.RepoName)+"$ "+grouped(def.Query), t)
	}
	return PointInTimeQuery(def, t, []store.RepoValue{part})
}

// atTimeQuery adds rev:at.time(t) to a query, or returns "" when the query cannot take
// it (it names revisions of its own).
func atTimeQuery(q string, t time.Time) string {
	q += " rev:at.time(" + t.UTC().Format(time.RFC3339) + ")"
	if _, err := query.Parse(q); err == nil {
		return q
	}
	// A series over every repository has no repo: filter for rev: to apply to.
	q = "repo:. " + q
	if _, err := query.Parse(q); err == nil {
		return q
	}
	return ""
}
