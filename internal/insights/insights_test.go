package insights_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/errcode"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/vcs"
)

func TestSampleTimesAndNextAfter(t *testing.T) {
	anchor := time.Date(2025, 3, 31, 10, 30, 59, 0, time.UTC)
	got := insights.SampleTimes(anchor, insights.Interval{Unit: insights.Month, Value: 1}, 3)
	want := []time.Time{
		time.Date(2025, 1, 31, 10, 30, 0, 0, time.UTC).AddDate(0, 0, 0),
		time.Date(2025, 3, 3, 10, 30, 0, 0, time.UTC), // 31 Feb normalises, as AddDate does
		time.Date(2025, 3, 31, 10, 30, 0, 0, time.UTC),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("monthly samples (-want +got):\n%s", diff)
	}
	iv := insights.Interval{Unit: insights.Day, Value: 2}
	next := insights.NextAfter(anchor, anchor.Add(5*24*time.Hour), iv)
	if want := time.Date(2025, 4, 6, 10, 30, 0, 0, time.UTC); !next.Equal(want) {
		t.Errorf("NextAfter: %s, want %s", next, want)
	}
	for _, iv := range []insights.Interval{{"HOUR", 0}, {"FORTNIGHT", 1}} {
		if iv.Validate() == nil {
			t.Errorf("%v validates", iv)
		}
	}
}

func TestDefinitionValidation(t *testing.T) {
	month := insights.Interval{Unit: insights.Month, Value: 1}
	for _, tc := range []struct {
		name string
		def  insights.SeriesDef
		ok   bool
	}{
		{"plain", insights.SeriesDef{Query: "TODO", Interval: month}, true},
		{"no query", insights.SeriesDef{Interval: month}, false},
		{"bad query", insights.SeriesDef{Query: "/(/", Interval: month}, false},
		{"capture", insights.SeriesDef{Query: `/v(\d+)/`, Interval: month, Captures: true}, true},
		{"capture without group", insights.SeriesDef{Query: `/v\d+/`, Interval: month, Captures: true}, false},
		{"list and criteria", insights.SeriesDef{Query: "x", Interval: month, Scope: insights.Scope{Repositories: []string{"a"}, Criteria: "repo:a"}}, false},
		{"criteria with a pattern", insights.SeriesDef{Query: "x", Interval: month, Scope: insights.Scope{Criteria: "repo:a b"}}, false},
		{"criteria", insights.SeriesDef{Query: "x", Interval: month, Scope: insights.Scope{Criteria: "repo:a OR repo:b"}}, true},
		{"group by over all", insights.SeriesDef{Query: "x", Interval: month, GroupBy: insights.GroupByRepo}, false},
		{"group by repo", insights.SeriesDef{Query: "x", Interval: month, GroupBy: insights.GroupByRepo, Scope: insights.Scope{Repositories: []string{"a"}}}, true},
		{"group by author of content", insights.SeriesDef{Query: "x", Interval: month, GroupBy: insights.GroupByAuthor, Scope: insights.Scope{Repositories: []string{"a"}}}, false},
		{"group by author of commits", insights.SeriesDef{Query: "type:commit fix", Interval: month, GroupBy: insights.GroupByAuthor, Scope: insights.Scope{Repositories: []string{"a"}}}, true},
		{"languages without a list", insights.SeriesDef{Languages: true, Interval: month}, false},
		{"bad interval", insights.SeriesDef{Query: "x", Interval: insights.Interval{Unit: "MONTH"}}, false},
	} {
		err := tc.def.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
		if err != nil && !errcode.Is(err, errcode.BadInput) {
			t.Errorf("%s: error without BadInput code: %v", tc.name, err)
		}
	}
}

// cacheMirrors serves mirrors of local repositories from a vcs cache.
type cacheMirrors struct {
	cache *vcs.Cache
	urls  map[string]string
}

func (c *cacheMirrors) Mirror(ctx context.Context, repo *store.Repo) (*vcs.Mirror, error) {
	return c.cache.EnsureCloned(ctx, vcs.Repo{Name: repo.Name, URL: c.urls[repo.Name]})
}

func newSource(t *testing.T, urls map[string]string) *insights.SearchSource {
	cache, err := vcs.NewCache(t.TempDir(), vcs.Options{AllowLocal: true})
	if err != nil {
		t.Fatal(err)
	}
	return &insights.SearchSource{Search: search.NewService(nil, nil, search.NewBlobCache(0, nil), nil, search.Options{}), Mirrors: &cacheMirrors{cache, urls}}
}

func revList(t *testing.T, dir string, at time.Time) string {
	return gittest.Run(t, dir, gittest.Env(), "rev-list", "-1", "--before="+strconv.FormatInt(at.Unix(), 10), "main")
}

// Compression: a commit shared by several sample times is counted once, times before
// the history are skipped, and the values equal the naive plan's (a count per time).
func TestCountRepoCompression(t *testing.T) {
	ctx := context.Background()
	w := gittest.NewRepo(t)
	base := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	w.Commit(base.AddDate(0, 2, 0), "", "one", map[string]string{"a.txt": "foo foo\n"})
	w.Commit(base.AddDate(0, 2, 3), "", "two", map[string]string{"b.txt": "foo\n"})
	w.Commit(base.AddDate(0, 6, 0), "", "three", map[string]string{"a.txt": "bar\n"})
	src := newSource(t, map[string]string{"local/w": w.Dir})
	repo := &store.Repo{ID: 1, Name: "local/w"}
	times := insights.SampleTimes(base.AddDate(0, 8, 0), insights.Interval{Unit: insights.Month, Value: 1}, 9)
	def := insights.SeriesDef{Query: "foo", Interval: insights.Interval{Unit: insights.Month, Value: 1}}

	m, err := src.Mirror(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	head, _ := insights.DefaultHead(ctx, repo, m)
	commits, err := insights.SampleCommits(ctx, m, head, times)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range times {
		if got, want := commits[tm], revList(t, w.Dir, tm); got != want {
			t.Errorf("commit at %s: %q, git rev-list says %q", tm.Format(time.DateOnly), got, want)
		}
	}

	out, err := insights.CountRepo(ctx, src, def, 7, repo, times, insights.CountOptions{})
	if err != nil {
		t.Fatal(err)
	}
	naive, err := insights.CountRepo(ctx, src, def, 7, repo, times, insights.CountOptions{Naive: true})
	if err != nil {
		t.Fatal(err)
	}
	// Samples: Jan..Sep 15th; the history starts Mar 15th (commit one), so Jan and Feb
	// are skipped; Mar holds commit one, Apr–Jun commit two, Jul–Sep commit three (a
	// commit dated exactly at a sample time belongs to it).
	if out.Skipped != 2 || out.Searches != 3 || out.Reused != 4 {
		t.Errorf("compressed: %d searches, %d reused, %d skipped; want 3, 4, 2", out.Searches, out.Reused, out.Skipped)
	}
	if naive.Searches != 7 {
		t.Errorf("naive: %d searches, want 7", naive.Searches)
	}
	if diff := cmp.Diff(naive.Points, out.Points); diff != "" {
		t.Errorf("compressed points differ from naive (-naive +compressed):\n%s", diff)
	}
	values := map[string]float64{}
	for _, p := range out.Points {
		values[p.Time.Format("01")] = p.Value
	}
	if diff := cmp.Diff(map[string]float64{"03": 2, "04": 3, "05": 3, "06": 3, "07": 1, "08": 1, "09": 1}, values); diff != "" {
		t.Errorf("values by month (-want +got):\n%s", diff)
	}
	for _, p := range out.Points {
		if p.Commit == "" || p.RepoID != 1 || p.SeriesID != 7 {
			t.Errorf("point without its commit or ids: %+v", p)
		}
	}
}

// pinnedParts are n repositories' values at known commits.
func pinnedParts(n int) []store.RepoValue {
	parts := make([]store.RepoValue, n)
	for i := range parts {
		parts[i] = store.RepoValue{RepoName: fmt.Sprintf("github.com/o/r%d", i), Commit: strings.Repeat("ab", 20)}
	}
	return parts
}

func TestPointQueriesParse(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, def := range []insights.SeriesDef{
		{Query: "TODO lang:go"},
		{Query: "a OR b", Scope: insights.Scope{Repositories: []string{"github.com/a/b", "c.d/e"}}},
		{Query: "type:commit fix", Scope: insights.Scope{Criteria: "repo:x OR repo:y"}},
	} {
		dq := insights.DiffQuery(def, t0, t0.AddDate(0, 1, 0))
		pq := insights.PointInTimeQuery(def, t0, []store.RepoValue{{RepoName: "github.com/a/b", Commit: strings.Repeat("ab", 20)}, {RepoName: "c.d/e", Commit: strings.Repeat("cd", 20)}})
		if !strings.Contains(pq, "$@abab") {
			t.Errorf("a point over two repositories is not pinned to their commits: %q", pq)
		}
		// Over more repositories than a query can pin, or with a commit unknown: the
		// series at the newest commits at or before the point's time.
		many := insights.PointInTimeQuery(def, t0, pinnedParts(insights.MaxPinnedRepos+1))
		unknown := insights.RepoPointQuery(def, t0, store.RepoValue{RepoName: "c.d/e"})
		for _, q := range []string{many, unknown} {
			if !strings.Contains(q, "rev:at.time(2025-01-01T00:00:00Z)") {
				t.Errorf("%q does not search at the point's time", q)
			}
		}
		if !strings.HasPrefix(unknown, `repo:^c\.d/e$ `) {
			t.Errorf("a repository's part is not limited to it: %q", unknown)
		}
		for _, q := range []string{dq, pq, many, unknown} {
			plan, err := query.Parse(q)
			if err != nil {
				t.Errorf("%q does not parse: %v", q, err)
				continue
			}
			if q == dq && plan.CheckCommitOrDiff() != nil {
				t.Errorf("diff query %q is not a commit or diff search", q)
			}
		}
	}
	if q := insights.DiffQuery(insights.SeriesDef{Query: "x"}, time.Time{}, t0); q != "" {
		t.Errorf("first point has a diff query: %q", q)
	}
}

// failingSource fails every count in the repositories it names.
type failingSource struct {
	insights.Source
	fail map[string]bool
}

type failingCounter struct{}

func (failingCounter) CountAt(ctx context.Context, commit string) (insights.Count, error) {
	return insights.Count{}, errors.New("the disk is on fire")
}
func (failingCounter) Close() {}

func (s *failingSource) NewCounter(ctx context.Context, def insights.SeriesDef, repo *store.Repo, m *vcs.Mirror) (insights.Counter, error) {
	if s.fail[repo.Name] {
		return failingCounter{}, nil
	}
	return s.Source.NewCounter(ctx, def, repo, m)
}

// A repository that cannot be counted is retried, then recorded as incomplete points;
// past the error threshold the backfill fails.
func TestBackfillRepositoryErrorsAndThreshold(t *testing.T) {
	ctx := context.Background()
	main, is := store.New(dbtest.NewDB(t)), store.New(dbtest.NewInsightsDB(t)).Insights()
	urls := map[string]string{}
	var sourced []store.SourcedRepo
	now := time.Now().UTC()
	for _, name := range []string{"local/a", "local/b", "local/c"} {
		w := gittest.NewRepo(t)
		w.Commit(now.AddDate(0, -2, 0), "", "c", map[string]string{"f": "hit\n"})
		urls[name] = w.Dir
		sourced = append(sourced, store.SourcedRepo{Name: name, CloneURL: w.Dir})
	}
	svc, _ := main.ExternalServices().Create(ctx, "GIT", "local", `{"repos":["/x"]}`, time.Hour)
	if _, err := main.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		t.Fatal(err)
	}
	src := &failingSource{Source: newSource(t, urls), fail: map[string]bool{"local/b": true}}

	run := func(minErrors int) (*store.InsightSeries, *store.InsightBackfill, error) {
		s := insights.NewSeries(insights.SeriesDef{Query: "hit", Interval: insights.Interval{Unit: insights.Month, Value: 1}}, now)
		if err := is.CreateSeries(ctx, s); err != nil {
			t.Fatal(err)
		}
		bf, _ := is.CreateBackfill(ctx, s.ID)
		b := &insights.Backfiller{Main: main, Insights: is, Source: src, MinErrors: minErrors, ErrorFraction: 0.01, RepoConcurrency: 1}
		if err := b.Plan(ctx, bf); err != nil {
			t.Fatal(err)
		}
		bf, _ = is.GetBackfill(ctx, bf.ID)
		_, err := b.Process(ctx, bf, now.Add(time.Hour))
		bf, _ = is.GetBackfill(ctx, bf.ID)
		return s, bf, err
	}
	s, bf, err := run(1)
	if err != nil || bf.BackfillState != store.BackfillCompleted {
		t.Fatalf("one failed repository of three with a threshold of one: %v, %s", err, bf.BackfillState)
	}
	inc, _ := is.IncompletePoints(ctx, []int{s.ID})
	if len(inc) != insights.DefaultSamples || inc[0].RepoID == nil || inc[0].Reason != store.IncompleteGeneric || !strings.Contains(inc[0].Message, "fire") {
		t.Fatalf("incomplete points: %+v", inc)
	}
	it, _ := is.GetIterator(ctx, *bf.RepoIteratorID)
	errs, _ := is.IteratorErrors(ctx, it.ID)
	if len(errs) != 1 || errs[0].FailureCount != 3 || !errs[0].Terminal {
		t.Fatalf("repository errors (3 attempts): %+v", errs)
	}
	pts, _ := is.ReadPoints(ctx, []int{s.ID}, store.RepoSet{})
	if n := pts[len(pts)-1].Value; n != 2 {
		t.Errorf("newest value without the failed repository: %v, want 2", n)
	}

	src.fail["local/c"] = true
	_, bf, err = run(1)
	if !errors.Is(err, insights.ErrBackfillFailed) || bf.BackfillState != store.BackfillFailed {
		t.Fatalf("two failed repositories with a threshold of one: %v, %s", err, bf.BackfillState)
	}
}

func TestEstimateCostOrdersByShapeAndSize(t *testing.T) {
	iv := insights.Interval{Unit: insights.Month, Value: 1}
	sizes := func(n int, each int64) []int64 {
		s := make([]int64, n)
		for i := range s {
			s[i] = each
		}
		return s
	}
	ten := sizes(10, 1<<20)
	lit := insights.EstimateCost(insights.SeriesDef{Query: "foo", Interval: iv}, ten, 12)
	re := insights.EstimateCost(insights.SeriesDef{Query: "/fo+/", Interval: iv}, ten, 12)
	diff := insights.EstimateCost(insights.SeriesDef{Query: "type:diff foo", Interval: iv}, ten, 12)
	more := insights.EstimateCost(insights.SeriesDef{Query: "foo", Interval: iv}, sizes(100, 1<<20), 12)
	if !(lit < re && re < diff && lit < more) {
		t.Errorf("costs: literal %v, regexp %v, diff %v, literal ×10 repos %v", lit, re, diff, more)
	}
	// One repository of 2 GiB reads more than ten of 1 MiB; one not measured yet
	// costs what an empty one does.
	big := insights.EstimateCost(insights.SeriesDef{Query: "foo", Interval: iv}, []int64{2 << 30}, 12)
	unknown := insights.EstimateCost(insights.SeriesDef{Query: "foo", Interval: iv}, []int64{0}, 12)
	if !(big > lit && unknown < lit && unknown > 0) {
		t.Errorf("costs: 10 × 1 MiB %v, 1 × 2 GiB %v, 1 × unmeasured %v", lit, big, unknown)
	}
}
