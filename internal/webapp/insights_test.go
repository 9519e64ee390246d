package webapp_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/auth"
	insightsbg "github.com/lookout/lookout/internal/background/insights"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/webapp"
)

// startAreaEnv is the frontend (API with opts, and the app) on a fresh database, with
// the worker routines that routines builds for it.
func startAreaEnv(t *testing.T, opts apitest.Options, routines func(renv routine.Env, e *env) ([]routine.Routine, error)) *env {
	t.Helper()
	if browser == nil {
		t.Skip(skipReason)
	}
	opts.App = webapp.Handler(webapp.App())
	api := apitest.New(t, opts)
	e := &env{api: api, st: api.Store, url: api.Server.URL}
	rs, err := routines(repostest.Env(t, api.DB), e)
	if err != nil {
		t.Fatal(err)
	}
	repostest.StartRoutines(t, rs...)
	return e
}

// startInsightsEnv is the frontend with code insights (API, CSV export, app) and a
// worker's insights routines, on fresh main and insights databases.
func startInsightsEnv(t *testing.T) *env {
	t.Helper()
	insightsDB := dbtest.NewInsightsDB(t)
	var root *resolvers.Resolver
	var src *insights.SearchSource
	return startAreaEnv(t, apitest.Options{
		Deps: func(d *resolvers.Deps) {
			d.Search = search.NewService(d.Store, d.Repos, nil, d.Logger, search.Options{})
			src = &insights.SearchSource{Search: d.Search, Mirrors: d.Repos, Persist: true}
			d.Insights = &resolvers.InsightsDeps{DB: insightsDB, Source: src}
			root = resolvers.New(*d)
		},
		Extra: map[string]http.Handler{resolvers.InsightsExportPattern: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			root.InsightsExportHandler().ServeHTTP(w, r)
		})},
	}, func(renv routine.Env, e *env) ([]routine.Routine, error) {
		return insightsbg.Routines(renv, insightsbg.Options{
			Main: e.st, InsightsDB: insightsDB, Source: src, PollInterval: 100 * time.Millisecond,
			EnqueueInterval: time.Hour, RetentionInterval: time.Hour,
		})
	})
}

// userWithToken is user that also returns an access token, to ask the API what the
// page should show.
func (e *env) userWithToken(t *testing.T, name string, siteAdmin bool) string {
	t.Helper()
	u := e.user(t, name, siteAdmin)
	token := auth.NewToken()
	if _, err := e.st.AccessTokens().Create(context.Background(), u.ID, u.ID, token, "test", []string{auth.ScopeUserAll}); err != nil {
		t.Fatal(err)
	}
	return token
}

// insightRepo is a git repository with a known history of TODOs.
type insightRepo struct {
	name string
	work *gittest.Repo
}

type apiPoint struct {
	DateTime            time.Time
	Value               float64
	PointInTimeQuery    *string
	RepositoryBreakdown []struct {
		Name  string
		Value float64
	}
}

// A person creates a search insight over two git repositories through the form (with
// its live preview), waits for the backfill, and reads the chart: every point equals the
// API's, which equals git grep at the same commits. Drilling into a point shows the
// counts per repository; the CSV export holds the same numbers.
func TestSearchInsightFromFormToChartDrillDownAndExport(t *testing.T) {
	t.Parallel()
	e := startInsightsEnv(t)
	ctx := context.Background()
	now := time.Now().UTC()
	month := func(n int) time.Time { return now.AddDate(0, -n, 0) }
	alpha := &insightRepo{name: "local/alpha", work: gittest.NewRepo(t)}
	alpha.work.Commit(month(9), "", "one", map[string]string{"a.go": "// TODO one\n// todo two\n"})
	alpha.work.Commit(month(5), "", "two", map[string]string{"b.go": "// TODO three\n"})
	alpha.work.Commit(month(2), "", "three", map[string]string{"a.go": "// TODO one\n", "b.go": ""})
	beta := &insightRepo{name: "local/beta", work: gittest.NewRepo(t)}
	beta.work.Commit(month(4), "", "one", map[string]string{"x.go": "TODO TODO\nTODO\n"})
	beta.work.Commit(month(1), "", "two", map[string]string{"notes.txt": "todo: docs\n"})
	var cfg []any
	var sourced []store.SourcedRepo
	for _, r := range []*insightRepo{alpha, beta} {
		cfg = append(cfg, map[string]any{"url": r.work.Dir, "name": r.name})
		sourced = append(sourced, store.SourcedRepo{Name: r.name, CloneURL: r.work.Dir})
	}
	raw, _ := json.Marshal(map[string]any{"repos": cfg})
	svc, err := e.st.ExternalServices().Create(ctx, "GIT", "local", string(raw), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		t.Fatal(err)
	}
	token := e.userWithToken(t, "imogen", false)

	tab := e.signIn(t, "imogen", "/insights/create")
	tab.WaitText("main h1", "Create an insight")
	tab.CheckA11y()
	tab.ClickLink("Search insight")
	tab.WaitText("main h1", "Create a search insight")
	tab.Fill("Title", "TODOs")
	tab.Do("choosing a repository list", chromedp.Click(chromedp.Search(`//label[normalize-space()="These repositories"]/input`)))
	tab.Fill("Repository names", "local/alpha, local/beta")
	tab.Fill("Name", "todos")
	tab.Fill("Search query", "TODO")
	tab.WaitTextFor("main form", "The query is valid.", 10*time.Second)
	// The live preview computes points over both repositories.
	tab.Wait("the live preview's chart", `document.querySelector('aside [data-chart=line][data-drawn=true]')`, 30*time.Second)
	tab.CheckA11y()
	tab.Click("Create insight")
	tab.WaitText("main h1", "TODOs")
	if !strings.Contains(tab.Location(), "/insights/") {
		t.Fatalf("after creating: %s", tab.Location())
	}

	// The card shows the backfill's progress, then the chart.
	tab.Wait("the backfill to finish", `document.querySelector('[data-insight-id][data-loading=false] [data-backfill-state=DONE]') && document.querySelector('[data-chart=line][data-drawn=true]')`, 60*time.Second)
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	tab.Click("Show the data")
	type cell struct {
		Time  string
		Value float64
	}
	var shown []cell
	if err := json.Unmarshal([]byte(browsertest.Eval[string](tab, `JSON.stringify([...document.querySelectorAll('.chart-data td[data-time]')].map(td => ({Time: td.dataset.time, Value: Number(td.dataset.value)})))`)), &shown); err != nil {
		t.Fatal(err)
	}

	var views struct {
		InsightViews struct {
			Nodes []struct {
				ID         string
				DataSeries []struct {
					SeriesID string
					Points   []apiPoint
				}
			}
		}
	}
	e.api.MustDo(t, token, `{ insightViews { nodes { id dataSeries { seriesId points { dateTime value } } } } }`, nil, &views)
	if len(views.InsightViews.Nodes) != 1 || len(views.InsightViews.Nodes[0].DataSeries) != 1 {
		t.Fatalf("views: %+v", views)
	}
	view := views.InsightViews.Nodes[0]
	points := view.DataSeries[0].Points
	var fromAPI, fromGit []cell
	for _, p := range points {
		stamp := p.DateTime.UTC().Format("2006-01-02T15:04:05.000Z")
		fromAPI = append(fromAPI, cell{stamp, p.Value})
		fromGit = append(fromGit, cell{stamp, float64(gittest.CountAt(t, alpha.work.Dir, "TODO", p.DateTime) + gittest.CountAt(t, beta.work.Dir, "TODO", p.DateTime))})
	}
	if len(points) != insights.DefaultSamples {
		t.Fatalf("%d points, want %d", len(points), insights.DefaultSamples)
	}
	if diff := cmp.Diff(fromAPI, shown); diff != "" {
		t.Errorf("the chart's points differ from the API's (-api +chart):\n%s", diff)
	}
	if diff := cmp.Diff(fromGit, fromAPI); diff != "" {
		t.Errorf("the API's points differ from git grep (-git +api):\n%s", diff)
	}

	// Drill down into the point two months ago (keyboard: the chart starts at the newest
	// point; Enter opens it).
	at := points[len(points)-3]
	tab.Do("focusing the chart", chromedp.Focus(chromedp.CSS(".chart-plot")))
	tab.Do("moving to the point two months ago", chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.ArrowLeft), chromedp.KeyEvent(kb.Enter))
	tab.WaitText("section.breakdown h3", "todos at")
	tab.Wait("the repositories of the point", `document.querySelector('section.breakdown tr[data-repo]')`, browsertest.Timeout)
	type repoValue struct {
		Repo  string
		Value float64
	}
	var breakdown []repoValue
	if err := json.Unmarshal([]byte(browsertest.Eval[string](tab, `JSON.stringify([...document.querySelectorAll('section.breakdown tr[data-repo]')].map(tr => ({Repo: tr.dataset.repo, Value: Number(tr.dataset.value)})))`)), &breakdown); err != nil {
		t.Fatal(err)
	}
	if got := browsertest.Eval[string](tab, `document.querySelector('section.breakdown').dataset.time`); got != at.DateTime.UTC().Format(time.RFC3339) {
		t.Fatalf("drilled into %s, want %s", got, at.DateTime)
	}
	var want []repoValue
	for _, r := range []*insightRepo{alpha, beta} {
		if n := gittest.CountAt(t, r.work.Dir, "TODO", at.DateTime); n > 0 {
			want = append(want, repoValue{r.name, float64(n)})
		}
	}
	sort.Slice(want, func(i, j int) bool { return want[i].Value > want[j].Value })
	if diff := cmp.Diff(want, breakdown); diff != "" {
		t.Errorf("the point's repositories (-git +page):\n%s", diff)
	}
	var one struct {
		InsightViews struct {
			Nodes []struct {
				DataSeries []struct{ Points []apiPoint }
			}
		}
	}
	e.api.MustDo(t, token, `query($at: DateTime) { insightViews { nodes { dataSeries { points(from: $at, to: $at) { dateTime value pointInTimeQuery repositoryBreakdown { name value } } } } } }`,
		map[string]any{"at": at.DateTime}, &one)
	pit := one.InsightViews.Nodes[0].DataSeries[0].Points[0].PointInTimeQuery
	if pit == nil {
		t.Fatal("the API has no point-in-time query for the point")
	}
	href := browsertest.Eval[string](tab, `[...document.querySelectorAll('section.breakdown a')].find(a => a.textContent.includes('Search the results at this point'))?.getAttribute('href') ?? ''`)
	if u, err := url.Parse(href); err != nil || u.Path != "/search" || u.Query().Get("q") != *pit {
		t.Errorf("the point's search link is %q, want the API's query %q", href, *pit)
	}
	tab.CheckA11y()

	// Drill-down filters: without alpha the points are beta's alone; saved as a new view,
	// the filter is that view's default.
	tab.Fill("Exclude repositories (regexp)", "alpha")
	betaOnly := make([]cell, len(points))
	for i, p := range points {
		betaOnly[i] = cell{p.DateTime.UTC().Format("2006-01-02T15:04:05.000Z"), float64(gittest.CountAt(t, beta.work.Dir, "TODO", p.DateTime))}
	}
	wantJSON, _ := json.Marshal(betaOnly)
	tab.Wait("the chart without alpha", `JSON.stringify([...document.querySelectorAll('.chart-data td[data-time]')].map(td => ({Time: td.dataset.time, Value: Number(td.dataset.value)}))) === `+strconv.Quote(string(wantJSON)), browsertest.Timeout)
	tab.WaitText("#filters-heading", "changed, not saved")
	tab.Fill("Title of the new view", "Beta TODOs")
	tab.Click("Save as new view")
	tab.WaitText("main h1", "Beta TODOs")
	tab.Wait("the new view's default filter", `document.querySelector('.filters-panel input[placeholder="-archive$"]').value === 'alpha'`, browsertest.Timeout)
	tab.Wait("the new view's chart", `document.querySelector('[data-chart=line][data-drawn=true]')`, browsertest.Timeout)
	tab.Go(e.url + "/insights/" + url.PathEscape(view.ID))
	tab.WaitText("main h1", "TODOs")

	// Export: the CSV the card's menu downloads holds each repository's value per time.
	tab.ClickCSS(".card-menu summary")
	body := tab.Download("the CSV export", func() { tab.ClickLink("Export CSV") })
	rows, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("the export is not CSV: %v\n%s", err, body)
	}
	header := strings.Join(rows[0], ",")
	if header != "title,label,query,recording_time,repository,value,capture" {
		t.Fatalf("CSV header %q", header)
	}
	sums := map[string]float64{}
	for _, r := range rows[1:] {
		v, err := strconv.ParseFloat(r[5], 64)
		if err != nil {
			t.Fatalf("row %v: %v", r, err)
		}
		ts, err := time.Parse(time.RFC3339, r[3])
		if err != nil {
			t.Fatalf("row %v: %v", r, err)
		}
		sums[ts.UTC().Format(time.RFC3339)] += v
	}
	for _, p := range points {
		if got := sums[p.DateTime.UTC().Format(time.RFC3339)]; got != p.Value {
			t.Errorf("CSV at %s sums to %v, the API says %v", p.DateTime, got, p.Value)
		}
	}
}
