package insights_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sourcegraph/log/logtest"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/search/query"
	"github.com/lookout/lookout/internal/store"
)

type viewsResult struct {
	InsightViews struct {
		Nodes []struct {
			ID          string
			SeriesCount int
			DataSeries  []struct {
				SeriesID string
				Label    string
				Points   []struct {
					DateTime            time.Time
					Value               float64
					DiffQuery           *string
					PointInTimeQuery    *string
					RepositoryBreakdown []struct {
						Name             string
						Value            float64
						Commit           *string
						PointInTimeQuery *string
						Repository       *struct{ Name string }
					}
				}
				Status struct {
					IsLoadingData        bool
					PercentComplete      *int
					TotalPoints          int
					BackfillState        *string
					IncompleteDatapoints []struct{ Time time.Time }
				}
			}
		}
	}
}

const viewsQuery = `query($filters: InsightViewFiltersInput) { insightViews(first: 10, filters: $filters) { nodes { id seriesCount dataSeries {
	seriesId label
	points { dateTime value diffQuery pointInTimeQuery repositoryBreakdown(first: 10) { name value commit pointInTimeQuery repository { name } } }
	status { isLoadingData percentComplete totalPoints backfillState incompleteDatapoints { time } }
} } } }`

// pinnedParts are n repositories' values at known commits: more than a query pins.
func pinnedParts(n int) []store.RepoValue {
	parts := make([]store.RepoValue, n)
	for i := range parts {
		parts[i] = store.RepoValue{RepoName: fmt.Sprintf("local/r%d", i), Commit: strings.Repeat("ab", 20)}
	}
	return parts
}

// The acceptance test: a line chart over repositories with a known history is
// backfilled by the worker; every point equals what git grep counts at the same
// commits; a user who may not see the private repository gets totals without it, in
// the API and in the CSV export.
func TestEndToEndBackfillMatchesGitGrepWithPermissions(t *testing.T) {
	ctx := context.Background()
	logger := logtest.Scoped(t)
	insightsDB := dbtest.NewInsightsDB(t)
	var root *resolvers.Resolver
	e := apitest.New(t, apitest.Options{
		Deps: func(d *resolvers.Deps) {
			d.Insights = &resolvers.InsightsDeps{DB: insightsDB}
			d.Search = search.NewService(d.Store, d.Repos, nil, logger, search.Options{})
			root = resolvers.New(*d)
		},
		Extra: map[string]http.Handler{resolvers.InsightsExportPattern: lazyHandler(func() http.Handler { return root.InsightsExportHandler() })},
	})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	_ = alice

	now := time.Now().UTC()
	month := func(n int) time.Time { return now.AddDate(0, -n, 0) }
	alpha := &fixtureRepo{name: "local/alpha", work: gittest.NewRepo(t)}
	alpha.commitAt(month(10), map[string]string{"a.go": "// TODO one\n// todo two\n"})
	alpha.commitAt(month(6), map[string]string{"b.go": "// TODO three\n"})
	alpha.commitAt(month(6).Add(24*time.Hour), map[string]string{"a.go": "// TODO one\n"})
	alpha.commitAt(month(2), map[string]string{"b.go": ""})
	beta := &fixtureRepo{name: "local/beta", work: gittest.NewRepo(t)}
	beta.commitAt(month(4), map[string]string{"x.go": "TODO TODO\nTODO\nx TODO y TODO\n"})
	beta.commitAt(month(1), map[string]string{"notes.txt": "todo: write docs\n"})
	secret := &fixtureRepo{name: "local/secret", private: true, work: gittest.NewRepo(t)}
	secret.commitAt(month(8), map[string]string{"s.go": strings.Repeat("// TODO secret\n", 7)})
	ids := registerRepos(t, e.Store, alpha, beta, secret)

	w := startWorker(t, workerConfig{mainDB: e.DB, insightsDB: insightsDB, logger: logger})
	defer w.stop()

	var created struct {
		CreateLineChartSearchInsight struct{ View struct{ ID string } }
	}
	e.MustDo(t, e.AdminToken, `mutation($input: LineChartSearchInsightInput!) { createLineChartSearchInsight(input: $input) { view { id } } }`, map[string]any{
		"input": map[string]any{
			"dataSeries":      []any{map[string]any{"query": "TODO", "options": map[string]any{"label": "todos", "lineColor": "#f00"}}},
			"repositoryScope": map[string]any{"repositories": []string{}},
			"timeScope":       map[string]any{"stepInterval": map[string]any{"unit": "MONTH", "value": 1}},
			"options":         map[string]any{"title": "TODOs"},
		},
	}, &created)
	viewID := created.CreateLineChartSearchInsight.View.ID

	// Alice sees the view only once it is on a dashboard granted to everyone.
	var v viewsResult
	e.MustDo(t, aliceToken, viewsQuery, nil, &v)
	if len(v.InsightViews.Nodes) != 0 {
		t.Fatalf("alice sees a view granted only to its creator: %+v", v)
	}
	var dash struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	if r := e.Do(t, aliceToken, `mutation { createInsightsDashboard(input: {title: "x", grants: {global: true}}) { dashboard { id } } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("a non-admin granting a dashboard to everyone: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, `mutation { createInsightsDashboard(input: {title: "Shared", grants: {global: true}}) { dashboard { id } } }`, nil, &dash)
	e.MustDo(t, e.AdminToken, `mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`,
		map[string]any{"v": viewID, "d": dash.CreateInsightsDashboard.Dashboard.ID}, nil)

	waitFor(t, "the backfill to complete", 60*time.Second, func() bool {
		var v viewsResult
		e.MustDo(t, e.AdminToken, viewsQuery, nil, &v)
		st := v.InsightViews.Nodes[0].DataSeries[0].Status
		return st.BackfillState != nil && *st.BackfillState == "COMPLETED" && !st.IsLoadingData
	})

	check := func(who, token string, repos []*fixtureRepo) viewsResult {
		t.Helper()
		var v viewsResult
		e.MustDo(t, token, viewsQuery, nil, &v)
		if len(v.InsightViews.Nodes) != 1 || len(v.InsightViews.Nodes[0].DataSeries) != 1 {
			t.Fatalf("%s: %s", who, mustJSON(v))
		}
		s := v.InsightViews.Nodes[0].DataSeries[0]
		if len(s.Points) != insights.DefaultSamples {
			t.Fatalf("%s: %d points, want %d", who, len(s.Points), insights.DefaultSamples)
		}
		var got, want []float64
		for _, p := range s.Points {
			total := 0
			for _, r := range repos {
				total += gittest.CountAt(t, r.work.Dir, "TODO", p.DateTime)
			}
			got, want = append(got, p.Value), append(want, float64(total))
			for _, part := range p.RepositoryBreakdown {
				if part.Name == secret.name && who != "admin" {
					t.Errorf("%s: breakdown shows the private repository", who)
				}
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: points differ from git grep (-git +insights):\n%s", who, diff)
		}
		return v
	}
	adminView := check("admin", e.AdminToken, []*fixtureRepo{alpha, beta, secret})
	check("alice", aliceToken, []*fixtureRepo{alpha, beta})
	t.Logf("admin points: %s", mustJSON(adminView.InsightViews.Nodes[0].DataSeries[0].Points))

	// The queries behind a point parse, and the breakdown adds up.
	pts := adminView.InsightViews.Nodes[0].DataSeries[0].Points
	last := pts[len(pts)-1]
	if last.PointInTimeQuery == nil || last.DiffQuery == nil {
		t.Fatalf("newest point has no queries: %+v", last)
	}
	for _, q := range []string{*last.PointInTimeQuery, *last.DiffQuery} {
		if _, err := query.Parse(q); err != nil {
			t.Errorf("query %q does not parse: %v", q, err)
		}
	}
	// The API's mirrors (the worker's fetch routine, which is not running, would make them).
	for _, id := range ids {
		if _, err := e.Repos.Fetch(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
	}
	// Over many repositories, a point's query is the series' at the newest commits at
	// or before its time (rev:at.time): searching it finds the point's value.
	for _, p := range pts {
		q := insights.PointInTimeQuery(insights.SeriesDef{Query: "TODO"}, p.DateTime, pinnedParts(insights.MaxPinnedRepos+1))
		if !strings.Contains(q, "rev:at.time(") {
			t.Fatalf("point-in-time query over many repositories: %q", q)
		}
		var res struct {
			Search struct {
				Results struct {
					MatchCount int
					Cloning    []struct{ Name string }
				}
			}
		}
		e.MustDo(t, e.AdminToken, `query($q: String!) { search(query: $q) { results { matchCount cloning { name } } } }`, map[string]any{"q": q + " count:all"}, &res)
		if len(res.Search.Results.Cloning) > 0 {
			t.Fatalf("%s: repositories still cloning: %v", q, res.Search.Results.Cloning)
		}
		if float64(res.Search.Results.MatchCount) != p.Value {
			t.Errorf("%s: %d matches, the point is %v", q, res.Search.Results.MatchCount, p.Value)
		}
	}
	sum := 0.0
	for _, part := range last.RepositoryBreakdown {
		sum += part.Value
		if part.Commit == nil || part.Repository == nil {
			t.Errorf("breakdown part without commit or repository: %+v", part)
		}
	}
	if sum != last.Value {
		t.Errorf("breakdown sums to %v, point is %v", sum, last.Value)
	}

	// Filters: only beta.
	var filtered viewsResult
	e.MustDo(t, e.AdminToken, viewsQuery, map[string]any{"filters": map[string]any{"includeRepoRegex": "beta$"}}, &filtered)
	fp := filtered.InsightViews.Nodes[0].DataSeries[0].Points
	if want := float64(gittest.CountAt(t, beta.work.Dir, "TODO", fp[len(fp)-1].DateTime)); fp[len(fp)-1].Value != want {
		t.Errorf("filtered newest point %v, want %v", fp[len(fp)-1].Value, want)
	}

	// The CSV export names only repositories the caller may see.
	export := func(token string) [][]string {
		req, _ := http.NewRequest(http.MethodGet, e.Server.URL+"/.api/insights/export/"+viewID, nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := e.Server.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			t.Fatalf("export: %d %s", resp.StatusCode, body)
		}
		rows, err := csv.NewReader(resp.Body).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	repoNames := func(rows [][]string) []string {
		seen := map[string]bool{}
		for _, r := range rows[1:] {
			seen[r[4]] = true
		}
		var out []string
		for n := range seen {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	adminRows, aliceRows := export(e.AdminToken), export(aliceToken)
	if diff := cmp.Diff([]string{"title", "label", "query", "recording_time", "repository", "value", "capture"}, adminRows[0]); diff != "" {
		t.Errorf("CSV header: %s", diff)
	}
	if diff := cmp.Diff([]string{"local/alpha", "local/beta", "local/secret"}, repoNames(adminRows)); diff != "" {
		t.Errorf("admin export repositories: %s", diff)
	}
	if diff := cmp.Diff([]string{"local/alpha", "local/beta"}, repoNames(aliceRows)); diff != "" {
		t.Errorf("alice export repositories: %s", diff)
	}

	// Compression: the backfill ran fewer counts than sample points.
	is := store.New(insightsDB).Insights()
	items, err := is.ListBackfillQueue(ctx, store.BackfillQueueOptions{})
	if err != nil || len(items) != 1 || items[0].Iterator == nil {
		t.Fatalf("backfill queue: %+v %v", items, err)
	}
	it := items[0].Iterator
	t.Logf("backfill: %d searches, %d reused, %d skipped for 3 repositories × 12 samples", it.Searches, it.PointsReused, it.PointsSkipped)
	if it.Searches+it.PointsReused+it.PointsSkipped != 3*insights.DefaultSamples || it.Searches >= 3*insights.DefaultSamples/2 {
		t.Errorf("compression: %d searches, %d reused, %d skipped", it.Searches, it.PointsReused, it.PointsSkipped)
	}
}

// lazyHandler defers building a handler to its first request (the resolver is built
// while the test server is).
func lazyHandler(build func() http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { build().ServeHTTP(w, r) })
}
