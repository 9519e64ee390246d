package resolvers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/store"
)

func TestInsightsPreviewAndScopeQueries(t *testing.T) {
	ie := newInsightsEnv(t)
	// Commits go an hour after the preview's weekly sample times (computed from the same
	// pinned clock), never on one: a commit at now minus whole weeks lands exactly on a
	// sample whenever now is within the first second of a minute (samples are truncated to
	// the minute, git dates to the second), and is then counted one sample earlier.
	weeks := insights.SampleTimes(ie.now, insights.Interval{Unit: insights.Week, Value: 1}, insights.PreviewSamples)
	m := func(n int) time.Time { return weeks[len(weeks)-1-n].Add(time.Hour) }
	repos := map[string][]repoCommit{}
	for i := 0; i < 22; i++ {
		repos[fmt.Sprintf("local/many-%02d", i)] = []repoCommit{{m(1), map[string]string{"f": "x\n"}}}
	}
	repos["local/app"] = []repoCommit{{m(5), map[string]string{"a": "fix fix\n"}}, {m(2), map[string]string{"b": "fix\n"}}}
	ie.addRepos(t, map[string]bool{"local/many-00": true}, repos)
	_, aliceToken := ie.CreateUser(t, "alice", false)

	var v struct {
		ValidateScopedInsightQuery struct {
			IsValid       bool
			InvalidReason *string
		}
		PreviewRepositoriesFromQuery struct{ NumberOfRepositories int }
	}
	ie.MustDo(t, aliceToken, `{ validateScopedInsightQuery(query: "repo:many fix") { isValid invalidReason } previewRepositoriesFromQuery(query: "repo:many-0") { numberOfRepositories } }`, nil, &v)
	if v.ValidateScopedInsightQuery.IsValid || v.ValidateScopedInsightQuery.InvalidReason == nil {
		t.Errorf("a scope query with a pattern is valid: %+v", v)
	}
	// many-00 is private: alice sees 9 of the 10 many-0*.
	if v.PreviewRepositoriesFromQuery.NumberOfRepositories != 9 {
		t.Errorf("previewRepositoriesFromQuery: %d, want 9", v.PreviewRepositoriesFromQuery.NumberOfRepositories)
	}

	preview := `query($input: SearchInsightPreviewInput!) { searchInsightPreview(input: $input) { label points { dateTime value } } }`
	input := func(scope map[string]any, q string) map[string]any {
		return map[string]any{"input": map[string]any{
			"repositoryScope": scope,
			"timeScope":       map[string]any{"stepInterval": map[string]any{"unit": "WEEK", "value": 1}},
			"series":          []any{map[string]any{"query": q, "label": "fixes", "generatedFromCaptureGroups": false}},
		}}
	}
	if r := ie.Do(t, aliceToken, preview, input(map[string]any{"repositories": []string{}}, "fix")); r.Code() != "RepoLimitExceeded" {
		t.Errorf("preview over all (23) repositories: %+v", r.Errors)
	}
	if r := ie.Do(t, aliceToken, preview, input(map[string]any{"repositories": []string{"local/app"}}, "/(fix/")); r.Code() != "InvalidArgs" {
		t.Errorf("preview of an invalid query: %+v", r.Errors)
	}
	if r := ie.Do(t, aliceToken, preview, input(map[string]any{"repositories": []string{"local/many-00"}}, "x")); r.Code() != "NoData" {
		t.Errorf("preview of a repository alice cannot see: %+v", r.Errors)
	}
	var p struct {
		SearchInsightPreview []struct {
			Label  string
			Points []struct {
				DateTime time.Time
				Value    float64
			}
		}
	}
	ie.MustDo(t, aliceToken, preview, input(map[string]any{"repositories": []string{}, "repositoryCriteria": "repo:^local/app$"}, "fix"), &p)
	if len(p.SearchInsightPreview) != 1 {
		t.Fatalf("preview: %+v", p)
	}
	var got []float64
	for _, pt := range p.SearchInsightPreview[0].Points {
		got = append(got, pt.Value)
	}
	// Weekly: 0 up to the first commit (just after the sample 5 weeks ago), 2, then 3
	// from the first sample after the commit just after the one 2 weeks ago.
	if diff := cmp.Diff([]float64{0, 0, 2, 2, 2, 3, 3}, got); diff != "" {
		t.Errorf("preview points (-want +got):\n%s", diff)
	}
	var at []time.Time
	for _, pt := range p.SearchInsightPreview[0].Points {
		at = append(at, pt.DateTime.UTC())
	}
	if diff := cmp.Diff(weeks, at); diff != "" {
		t.Errorf("preview sample times (-want +got):\n%s", diff)
	}
	// Nothing was stored.
	if series, _ := ie.is.ListSeries(context.Background(), store.SeriesListOptions{IncludeDeleted: true}); len(series) != 0 {
		t.Errorf("a preview stored series: %+v", series)
	}
}

func TestInsightsPieGroupByAndPrivateCaptures(t *testing.T) {
	ie := newInsightsEnv(t)
	ctx := context.Background()
	at := ie.now.AddDate(0, -1, 0)
	ie.addRepos(t, map[string]bool{"local/secret": true}, map[string][]repoCommit{
		"local/app":    {{at, map[string]string{"main.go": "package main\n\n// TODO a\n// TODO b\n", "README.md": "# app\n", "x.py": "print(1)\n# TODO\n"}}},
		"local/secret": {{at, map[string]string{"s.go": "package s\n// TODO hidden\n"}}},
	})
	_, aliceToken := ie.CreateUser(t, "alice", false)

	// A group-by series over both repositories, shown per repository.
	var c created
	in := lineInput([]map[string]any{{"query": "TODO", "options": map[string]any{"label": "by repo"}, "groupBy": "REPO"}}, []string{"local/app", "local/secret"}, "by repo")
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": in}, &c)
	var lang created
	in = lineInput([]map[string]any{{"query": "TODO", "options": map[string]any{"label": "by lang"}, "groupBy": "LANG"}}, []string{"local/app"}, "by lang")
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": in}, &lang)
	if r := ie.Do(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "TODO", "options": map[string]any{}, "groupBy": "REPO"}}, []string{}, "x")}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("group-by over all repositories: %+v", r.Errors)
	}
	var pie struct {
		CreatePieChartSearchInsight struct{ View struct{ ID string } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation { createPieChartSearchInsight(input: {query: "", repositoryScope: {repositories: ["local/app"]}, presentationOptions: {title: "Languages", otherThreshold: 0.3}}) { view { id } } }`, nil, &pie)

	// Snapshot-only series queued their first snapshot at once.
	due, err := ie.is.ListSeries(ctx, store.SeriesListOptions{SnapshotDue: ie.now.Add(time.Minute)})
	if err != nil || len(due) != 0 {
		t.Fatalf("snapshot-only series still due after creation (the first snapshot is queued at once): %d %v", len(due), err)
	}
	ie.runWork(t)

	type dataSeries struct {
		Label  string
		Points []struct{ Value float64 }
	}
	read := func(token, id string) []dataSeries {
		var out struct {
			InsightViews struct {
				Nodes []struct{ DataSeries []dataSeries }
			}
		}
		ie.MustDo(t, token, `query($id: ID!) { insightViews(id: $id) { nodes { dataSeries { label points { value } } } } }`, map[string]any{"id": id}, &out)
		if len(out.InsightViews.Nodes) == 0 {
			return nil
		}
		return out.InsightViews.Nodes[0].DataSeries
	}
	summary := func(ds []dataSeries) map[string]float64 {
		out := map[string]float64{}
		for _, s := range ds {
			out[s.Label] = s.Points[len(s.Points)-1].Value
		}
		return out
	}
	if diff := cmp.Diff(map[string]float64{"local/app": 3, "local/secret": 1}, summary(read(ie.AdminToken, c.CreateLineChartSearchInsight.View.ID))); diff != "" {
		t.Errorf("group by repo, admin (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"Go": 2, "Python": 1}, summary(read(ie.AdminToken, lang.CreateLineChartSearchInsight.View.ID))); diff != "" {
		t.Errorf("group by language (-want +got):\n%s", diff)
	}
	// Alice, on a global dashboard, never sees the private repository's group.
	var d struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation { createInsightsDashboard(input: {title: "All", grants: {global: true}}) { dashboard { id } } }`, nil, &d)
	for _, id := range []string{c.CreateLineChartSearchInsight.View.ID, pie.CreatePieChartSearchInsight.View.ID} {
		ie.MustDo(t, ie.AdminToken, `mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`,
			map[string]any{"v": id, "d": d.CreateInsightsDashboard.Dashboard.ID}, nil)
	}
	if diff := cmp.Diff(map[string]float64{"local/app": 3}, summary(read(aliceToken, c.CreateLineChartSearchInsight.View.ID))); diff != "" {
		t.Errorf("group by repo, alice (-want +got):\n%s", diff)
	}
	// The pie: Go 4 lines, Markdown 1, Python 2 of 7; under 30% goes to Other.
	slices := summary(read(aliceToken, pie.CreatePieChartSearchInsight.View.ID))
	if diff := cmp.Diff(map[string]float64{"Go": 4, "Other": 3}, slices); diff != "" {
		t.Errorf("pie slices (-want +got):\n%s", diff)
	}
	// Each slice's breakdown adds up to the slice: Other is Markdown and Python only.
	var bd struct {
		InsightViews struct {
			Nodes []struct {
				DataSeries []struct {
					Label  string
					Points []struct {
						RepositoryBreakdown []struct {
							Name  string
							Value float64
						}
						None []struct{ Name string }
					}
				}
			}
		}
	}
	ie.MustDo(t, aliceToken, `query($id: ID!) { insightViews(id: $id) { nodes { dataSeries { label points {
		repositoryBreakdown(first: 5) { name value } none: repositoryBreakdown(first: 0) { name } } } } } }`,
		map[string]any{"id": pie.CreatePieChartSearchInsight.View.ID}, &bd)
	for _, s := range bd.InsightViews.Nodes[0].DataSeries {
		p := s.Points[len(s.Points)-1]
		sum := 0.0
		for _, part := range p.RepositoryBreakdown {
			sum += part.Value
		}
		if sum != slices[s.Label] || len(p.RepositoryBreakdown) != 1 || p.RepositoryBreakdown[0].Name != "local/app" {
			t.Errorf("breakdown of the %s slice: %+v, want local/app with %v", s.Label, p.RepositoryBreakdown, slices[s.Label])
		}
		if len(p.None) != 0 {
			t.Errorf("repositoryBreakdown(first: 0) of %s: %+v", s.Label, p.None)
		}
	}
}

func TestInsightsSearchContextFilterAndAuthorGroups(t *testing.T) {
	ie := newInsightsEnv(t)
	ctx := context.Background()
	at := ie.now.AddDate(0, 0, -10)
	ie.addRepos(t, nil, map[string][]repoCommit{
		"local/a": {{at, map[string]string{"f": "hit\n"}}},
		"local/b": {{at, map[string]string{"f": "hit hit\n"}}},
	})
	if _, err := ie.Store.Search().CreateSearchContext(ctx, "only-a", "", "repo:^local/a$"); err != nil {
		t.Fatal(err)
	}
	var c created
	in := lineInput([]map[string]any{{"query": "hit", "options": map[string]any{"label": "hits"}}}, []string{"local/a", "local/b"}, "hits")
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": in}, &c)
	in = lineInput([]map[string]any{{"query": "type:commit", "options": map[string]any{"label": "authors"}, "groupBy": "AUTHOR"}}, []string{"local/a", "local/b"}, "authors")
	var authors created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": in}, &authors)
	ie.runWork(t)

	read := func(id string, filters map[string]any) map[string]float64 {
		var out struct {
			InsightViews struct {
				Nodes []struct {
					AppliedFilters struct{ SearchContexts []string }
					DataSeries     []struct {
						Label  string
						Points []struct{ Value float64 }
					}
				}
			}
		}
		ie.MustDo(t, ie.AdminToken, `query($id: ID!, $f: InsightViewFiltersInput) { insightViews(id: $id, filters: $f) { nodes { appliedFilters { searchContexts } dataSeries { label points { value } } } } }`,
			map[string]any{"id": id, "f": filters}, &out)
		got := map[string]float64{}
		for _, s := range out.InsightViews.Nodes[0].DataSeries {
			got[s.Label] = s.Points[len(s.Points)-1].Value
		}
		return got
	}
	if diff := cmp.Diff(map[string]float64{"hits": 3}, read(c.CreateLineChartSearchInsight.View.ID, nil)); diff != "" {
		t.Errorf("unfiltered (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"hits": 1}, read(c.CreateLineChartSearchInsight.View.ID, map[string]any{"searchContexts": []string{"only-a"}})); diff != "" {
		t.Errorf("search context only-a (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"hits": 2}, read(c.CreateLineChartSearchInsight.View.ID, map[string]any{"excludeRepoRegex": "/a$"})); diff != "" {
		t.Errorf("excludeRepoRegex (-want +got):\n%s", diff)
	}
	if r := ie.Do(t, ie.AdminToken, `query($f: InsightViewFiltersInput) { insightViews(filters: $f) { nodes { dataSeries { label } } } }`, map[string]any{"f": map[string]any{"searchContexts": []string{"nope"}}}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("unknown search context: %+v", r.Errors)
	}
	// Also when the viewer has no view to read.
	_, aliceToken := ie.CreateUser(t, "alice", false)
	if r := ie.Do(t, aliceToken, `query($f: InsightViewFiltersInput) { insightViews(filters: $f) { nodes { id } } }`, map[string]any{"f": map[string]any{"excludeRepoRegex": "("}}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("invalid excludeRepoRegex without views: %+v", r.Errors)
	}
	// A view's default filters are checked when saved: an unknown search context would
	// fail every read of the view. Nothing is written.
	bad := lineInput([]map[string]any{{"query": "hit", "options": map[string]any{"label": "hits"}}}, []string{"local/a", "local/b"}, "bad defaults")
	bad["viewControls"] = map[string]any{"filters": map[string]any{"searchContexts": []string{"nope"}}, "seriesDisplayOptions": map[string]any{}}
	if r := ie.Do(t, ie.AdminToken, createLine, map[string]any{"input": bad}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("default filters with an unknown search context: %+v", r.Errors)
	}
	var count struct{ InsightViews struct{ TotalCount int } }
	ie.MustDo(t, ie.AdminToken, `{ insightViews(find: "bad defaults") { totalCount } }`, nil, &count)
	if count.InsightViews.TotalCount != 0 {
		t.Errorf("a view with invalid defaults was saved")
	}
	good := lineInput([]map[string]any{{"query": "hit", "options": map[string]any{"label": "hits"}}}, []string{"local/a", "local/b"}, "only a")
	good["viewControls"] = map[string]any{"filters": map[string]any{"searchContexts": []string{"context:only-a"}}, "seriesDisplayOptions": map[string]any{}}
	var onlyA created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": good}, &onlyA)
	ie.runWork(t)
	if diff := cmp.Diff(map[string]float64{"hits": 1}, read(onlyA.CreateLineChartSearchInsight.View.ID, nil)); diff != "" {
		t.Errorf("default search context only-a (-want +got):\n%s", diff)
	}

	// gittest commits as "Test Author <author@example.com>": one commit per repository.
	if diff := cmp.Diff(map[string]float64{"Test Author <author@example.com>": 2}, read(authors.CreateLineChartSearchInsight.View.ID, nil)); diff != "" {
		t.Errorf("group by author (-want +got):\n%s", diff)
	}
}
