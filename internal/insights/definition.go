package insights

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

// Group-by fields of a series.
const (
	GroupByRepo   = "REPO"
	GroupByLang   = "LANG"
	GroupByPath   = "PATH"
	GroupByAuthor = "AUTHOR"
	GroupByDate   = "DATE"
)

// Scope is the repositories a series counts in: a list of names, a scope query, or
// neither for all repositories.
type Scope struct {
	Repositories []string
	Criteria     string
}

// All reports whether the scope is every repository.
func (s Scope) All() bool { return len(s.Repositories) == 0 && s.Criteria == "" }

// ScopeOf returns a stored series' scope.
func ScopeOf(s *store.InsightSeries) Scope {
	return Scope{Repositories: s.Repositories, Criteria: s.RepositoryCriteria}
}

// SeriesDef is a series as a user defines it.
type SeriesDef struct {
	Query    string
	Scope    Scope
	Interval Interval
	// Captures makes one series per value of the query's first capture group.
	Captures bool
	// GroupBy makes one series per repository, language, path, author or date (a
	// daily snapshot, over a repository list).
	GroupBy string
	// Languages makes a language statistics series (lines per language: pie charts).
	Languages bool
}

func invalid(format string, args ...any) error { return errcode.New(errcode.BadInput, format, args...) }

// Validate checks a definition against the rules of insights: a valid query (with a
// capture group for capture series), exclusive list and criteria scopes, a criteria
// query of repository filters only, group-by over a repository list, and a valid
// interval.
func (d SeriesDef) Validate() error {
	if err := d.Interval.Validate(); err != nil {
		return invalid("%v", err)
	}
	if len(d.Scope.Repositories) > 0 && d.Scope.Criteria != "" {
		return invalid("a series' repository scope is either a list of repositories or a criteria query, not both")
	}
	for _, r := range d.Scope.Repositories {
		if strings.TrimSpace(r) == "" {
			return invalid("a repository scope holds an empty repository name")
		}
	}
	if d.Scope.Criteria != "" {
		if err := query.OnlyRepoFilters(d.Scope.Criteria); err != nil {
			return invalid("invalid repository criteria: %v", err)
		}
	}
	if d.Languages {
		if len(d.Scope.Repositories) == 0 {
			return invalid("a language statistics insight needs a list of repositories")
		}
		return nil
	}
	if strings.TrimSpace(d.Query) == "" {
		return invalid("a series needs a query")
	}
	plan, err := query.Parse(d.Query)
	if err != nil {
		return invalid("invalid query: %v", err)
	}
	req := search.Request{Plan: plan}
	if _, err := req.Parse(); err != nil {
		return invalid("invalid query: %v", err)
	}
	if d.Captures {
		if d.GroupBy != "" {
			return invalid("a series cannot both use capture groups and group by a field")
		}
		has := false
		for _, b := range plan {
			if b.IsCommitOrDiff() {
				return invalid("capture groups work on file content, not on commit or diff searches")
			}
			m, err := search.NewMatcher(b.Pattern)
			if err != nil {
				return invalid("invalid query: %v", err)
			}
			has = has || m.HasCaptures()
		}
		if !has {
			return invalid("a capture group series needs a regular expression with a capture group, such as /version: (\\d+)/")
		}
	}
	if d.GroupBy != "" {
		switch d.GroupBy {
		case GroupByRepo, GroupByLang, GroupByPath:
		case GroupByAuthor, GroupByDate:
			for _, b := range plan {
				if !b.IsCommitOrDiff() {
					return invalid("grouping by %s needs a commit or diff search (type:commit or type:diff)", strings.ToLower(d.GroupBy))
				}
			}
		default:
			return invalid("invalid group-by field %q", d.GroupBy)
		}
		if len(d.Scope.Repositories) == 0 {
			return invalid("a group-by series needs a list of repositories")
		}
	}
	return nil
}

// GenerationMethod is how the series' values are produced.
func (d SeriesDef) GenerationMethod() string {
	switch {
	case d.Languages:
		return store.GenerationLanguageStats
	case d.GroupBy != "":
		return store.GenerationMappingCompute
	case d.Captures:
		return store.GenerationSearchCompute
	}
	return store.GenerationSearch
}

// SnapshotOnly reports whether the series has no history: group-by and language
// series are a daily snapshot of the present.
func (d SeriesDef) SnapshotOnly() bool { return d.Languages || d.GroupBy != "" }

// Shareable reports whether views with the same definition share one series: series
// over all repositories do.
func (d SeriesDef) Shareable() bool { return d.Scope.All() && !d.Languages }

// DefOf returns a stored series' definition.
func DefOf(s *store.InsightSeries) SeriesDef {
	return SeriesDef{Query: s.Query, Scope: ScopeOf(s), Interval: Interval{Unit: s.IntervalUnit, Value: s.IntervalValue},
		Captures: s.GeneratedFromCaptureGroups, GroupBy: s.GroupBy, Languages: s.GenerationMethod == store.GenerationLanguageStats}
}

// SameData reports whether two definitions produce the same points: a series whose
// query, interval, scope or kind changes becomes a new series.
func (d SeriesDef) SameData(o SeriesDef) bool {
	return d.Query == o.Query && d.Interval == o.Interval && d.Captures == o.Captures && d.GroupBy == o.GroupBy &&
		d.Languages == o.Languages && d.Scope.Criteria == o.Scope.Criteria && slices.Equal(d.Scope.Repositories, o.Scope.Repositories)
}

// NewSeriesID returns a random series id.
func NewSeriesID() string { return randomID() }

// NewUniqueID returns a random view id.
func NewUniqueID() string { return randomID() }

func randomID() string {
	b := make([]byte, 15)
	_, _ = rand.Read(b)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// NewSeries returns the row of a new series defined by d, created at now: its first
// recording is one interval after now (the backfill covers now and before), its first
// snapshot right away for snapshot-only series and a day later otherwise.
func NewSeries(d SeriesDef, now time.Time) *store.InsightSeries {
	now = now.UTC().Truncate(time.Minute)
	s := &store.InsightSeries{
		SeriesID: NewSeriesID(), Query: d.Query, RepositoryCriteria: d.Scope.Criteria,
		IntervalUnit: d.Interval.Unit, IntervalValue: d.Interval.Value, GenerationMethod: d.GenerationMethod(),
		GeneratedFromCaptureGroups: d.Captures, GroupBy: d.GroupBy, CreatedAt: now,
		NextRecordingAfter: d.Interval.Step(now, 1), NextSnapshotAfter: now.Add(24 * time.Hour),
	}
	if len(d.Scope.Repositories) > 0 {
		s.Repositories = slices.Clone(d.Scope.Repositories)
	}
	if d.SnapshotOnly() {
		s.NextSnapshotAfter = now
		// Snapshot-only series are not recorded on an interval.
		s.NextRecordingAfter = farFuture
	}
	return s
}

// farFuture is "never" for timestamp columns that must hold a time.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// SnapshotInterval is how often series take their snapshot of the present.
const SnapshotInterval = 24 * time.Hour

// String describes a definition for logs.
func (d SeriesDef) String() string {
	return fmt.Sprintf("%q every %s", d.Query, d.Interval)
}
