package webapp

// The chart pages' cold loads (make bench-webapp runs them with the code monitors list):
//
//   - an insights dashboard of 20 line charts, each of 20 series × 90 points over 1,000
//     repositories (1.8M stored points, the series shared by the 20 views), timed from
//     navigation until every chart has drawn (target: under 1.5 s);
//   - a campaign of 1,000 changesets (1,000 repositories, a month of events), timed
//     from navigation until the first page of the changesets table and the burndown
//     are on screen.
//
// Times are measured in the page (performance.now() when the condition first holds,
// polled every 10 ms), so they include the documents, scripts, GraphQL requests and
// drawing, on a fresh browser context (empty cache) with the session cookie set.

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/graph-gophers/graphql-go/relay"
	"github.com/jackc/pgx/v5"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/auth"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/store"
	"github.com/lookout/lookout/internal/webapp"
)

const (
	benchRepos      = 1000
	dashboardViews  = 20
	seriesPerView   = 20
	pointsPerSeries = 90
	campaignSize    = 1000
	dashboardTarget = 1500 * time.Millisecond
)

// seedRepos registers n repositories (never cloned: the pages read only the database).
func seedRepos(t *testing.T, st *store.Store, n int) []*store.Repo {
	t.Helper()
	ctx := context.Background()
	var sourced []store.SourcedRepo
	for i := range n {
		sourced = append(sourced, store.SourcedRepo{Name: fmt.Sprintf("github.com/bench/repo-%04d", i), CloneURL: "/nonexistent", DefaultBranch: "main"})
	}
	svc, err := st.ExternalServices().Create(ctx, "GIT", "bench", `{"repos":["/nonexistent"]}`, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Repos().SyncFromService(ctx, svc.ID, sourced, false); err != nil {
		t.Fatal(err)
	}
	repos, err := st.Repos().List(ctx, store.InternalViewer, store.RepoListOptions{OrderBy: store.RepoOrderCreatedAt})
	if err != nil {
		t.Fatal(err)
	}
	return repos
}

// benchBrowser starts the benchmark's Chromium (closed when t ends); without -rounds it
// skips, so `go test ./...` stays fast.
func benchBrowser(t *testing.T) *browsertest.Browser {
	t.Helper()
	if *rounds == 0 {
		t.Skip("run with -args -rounds N (make bench-webapp)")
	}
	if !webapp.Installed() {
		t.Fatal("the web app is not built: run make web")
	}
	b, err := browsertest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// signedInTab opens a tab in a fresh browser context with user's session cookie.
func signedInTab(t *testing.T, b *browsertest.Browser, e *apitest.Env, userID int64) *browsertest.Tab {
	t.Helper()
	session := auth.NewSecret(32)
	if _, err := e.Store.Sessions().Create(context.Background(), userID, session, auth.NewSecret(16), time.Hour); err != nil {
		t.Fatal(err)
	}
	tab := b.NewTab(t)
	if _, err := chromedp.Call(tab.Ctx, network.SetCookie, network.SetCookieParams{Name: auth.SessionCookie, Value: session, URL: e.Server.URL, Path: "/"}); err != nil {
		t.Fatal(err)
	}
	return tab
}

// coldLoad opens url in each round's fresh tab and returns the in-page times (from
// navigation start) at which ready, a JavaScript expression, first held.
func coldLoad(t *testing.T, b *browsertest.Browser, e *apitest.Env, userID int64, url, ready string) []time.Duration {
	t.Helper()
	var times []time.Duration
	for r := range *rounds {
		tab := signedInTab(t, b, e, userID)
		ctx, cancel := context.WithTimeout(tab.Ctx, time.Minute)
		if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
			cancel()
			t.Fatal(err)
		}
		ms, err := chromedp.Run(ctx, chromedp.PollFunction[float64](`() => (`+ready+`) ? performance.now() : 0`, chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(time.Minute)))
		if err != nil {
			cancel()
			t.Fatalf("round %d: waiting for %s: %v", r+1, ready, err)
		}
		cancel()
		times = append(times, time.Duration(ms*float64(time.Millisecond)))
		// The JavaScript the route downloaded (gzip, as served), charts included.
		sizes := browsertest.Eval[[]float64](tab, `performance.getEntriesByType("resource").filter(e => e.name.includes("/assets/") && e.name.endsWith(".js")).map(e => e.encodedBodySize)`)
		js := 0.0
		for _, n := range sizes {
			js += n
		}
		// Where the time went: the API requests' spans against the whole load.
		api := browsertest.Eval[[][]any](tab, `performance.getEntriesByType("resource").filter(e => e.name.includes("/.api/graphql") || e.name.includes("/assets/")).map(e => [e.startTime, e.responseEnd, e.name.split("/").pop()])`)
		spans := ""
		for _, a := range api {
			spans += fmt.Sprintf(" %s %.0f–%.0f", a[2], a[0], a[1])
		}
		t.Logf("round %d: %s, %d JS files, %.1f KB gzip; API requests (ms from navigation):%s", r+1, times[r].Round(time.Millisecond), len(sizes), js/1024, spans)
	}
	slices.Sort(times)
	return times
}

func summary(times []time.Duration) string {
	return fmt.Sprintf("%d rounds: min %s, median %s, max %s", len(times), times[0].Round(time.Millisecond), times[len(times)/2].Round(time.Millisecond), times[len(times)-1].Round(time.Millisecond))
}

func TestColdLoadInsightsDashboard(t *testing.T) {
	b := benchBrowser(t)
	ctx := context.Background()
	insightsDB := dbtest.NewInsightsDB(t)
	e := apitest.New(t, apitest.Options{App: webapp.Handler(webapp.App()), Deps: func(d *resolvers.Deps) {
		d.Insights = &resolvers.InsightsDeps{DB: insightsDB}
	}})
	u, _ := e.CreateUser(t, "bench", false)
	repos := seedRepos(t, e.Store, benchRepos)
	is := store.New(insightsDB).Insights()
	names := make([]string, len(repos))
	for i, r := range repos {
		names[i] = r.Name
	}
	nameIDs, err := is.EnsureRepoNames(ctx, names)
	if err != nil {
		t.Fatal(err)
	}
	seedStart := time.Now()
	anchor := time.Now().UTC().Truncate(time.Minute)
	iv := insights.Interval{Unit: insights.Day, Value: 1}
	times := insights.SampleTimes(anchor, iv, pointsPerSeries)
	var links []store.ViewSeriesLink
	for si := range seriesPerView {
		s := insights.NewSeries(insights.SeriesDef{Query: fmt.Sprintf("pattern%d", si), Interval: iv}, anchor)
		if err := is.CreateSeries(ctx, s); err != nil {
			t.Fatal(err)
		}
		if err := is.AddRecordingTimes(ctx, s.ID, times); err != nil {
			t.Fatal(err)
		}
		links = append(links, store.ViewSeriesLink{SeriesID: s.ID, Label: fmt.Sprintf("series %d", si)})
		rows := make([][]any, 0, len(repos)*len(times))
		for ri, r := range repos {
			for ti, tm := range times {
				rows = append(rows, []any{s.ID, tm, r.ID, nameIDs[r.Name], "", float64((ri*7+ti*3+si*11)%50 + si)})
			}
		}
		if _, err := insightsDB.CopyFrom(ctx, pgx.Identifier{"series_points"}, []string{"series_id", "time", "repo_id", "repo_name_id", "capture", "value"}, pgx.CopyFromRows(rows)); err != nil {
			t.Fatal(err)
		}
	}
	uid := u.ID
	grant := []store.InsightGrant{{UserID: &uid}}
	d, err := is.CreateDashboard(ctx, "Bench", grant, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for vi := range dashboardViews {
		v := &store.InsightView{UniqueID: insights.NewUniqueID(), Title: fmt.Sprintf("Insight %02d", vi+1), PresentationType: "LINE", CreatedByUserID: &uid}
		if err := is.CreateView(ctx, v, links, grant, []int{d.ID}); err != nil {
			t.Fatal(err)
		}
	}
	// As after their backfill: the cards draw them at once, and follow no progress.
	if _, err := insightsDB.Exec(ctx, "UPDATE insight_series SET backfill_completed_at = now()"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"series_points", "series_points_totals", "insight_series_recording_times"} {
		if _, err := insightsDB.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("seeded %d series × %d points × %d repositories (%d points) in %s", seriesPerView, pointsPerSeries, benchRepos, seriesPerView*pointsPerSeries*benchRepos, time.Since(seedStart).Round(time.Millisecond))

	url := e.Server.URL + "/insights/dashboards/" + string(relay.MarshalID("InsightsDashboard", int64(d.ID)))
	drawn := fmt.Sprintf(`document.querySelectorAll('[data-chart=line][data-drawn=true][data-points="%d"][data-series-count="%d"]').length === %d && document.querySelectorAll('[data-backfill-state=DONE]').length === %d`, pointsPerSeries, seriesPerView, dashboardViews, dashboardViews)
	got := coldLoad(t, b, e, u.ID, url, drawn)
	fmt.Printf("webapp bench: cold load of an insights dashboard, %d line charts × %d series × %d points over %d repositories, every chart drawn, %s (target %s)\n",
		dashboardViews, seriesPerView, pointsPerSeries, benchRepos, summary(got), dashboardTarget)
	if med := got[len(got)/2]; med > dashboardTarget {
		t.Logf("the median %s is over the %s target", med.Round(time.Millisecond), dashboardTarget)
	}
}

func TestColdLoadCampaignPage(t *testing.T) {
	b := benchBrowser(t)
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{App: webapp.Handler(webapp.App())})
	u, _ := e.CreateUser(t, "bench", true)
	repos := seedRepos(t, e.Store, campaignSize)
	cs := e.Store.Campaigns()
	seedStart := time.Now()

	// A plan of one diff per repository, finished.
	diff := "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -1,2 +1,2 @@\n This is it.\n-It uses foo.\n+It uses bar.\n"
	jobs := make([]store.NewCampaignJob, len(repos))
	for i, r := range repos {
		jobs[i] = store.NewCampaignJob{RepoID: r.ID, BaseRef: "refs/heads/main", BaseRevision: fmt.Sprintf("%040x", i+1), Diff: &diff}
	}
	plan, err := cs.CreatePlan(ctx, u.ID, "patches", "", jobs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.Exec(ctx, "UPDATE campaign_jobs SET state = 'completed', finished_at = now() WHERE plan_id = $1", plan.ID); err != nil {
		t.Fatal(err)
	}
	planJobs, err := cs.ListJobs(ctx, store.CampaignJobListOptions{PlanID: plan.ID})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	c := &store.Campaign{Name: "Foo to bar everywhere", Description: "We prefer bar.", Branch: "campaigns/foo-to-bar", NamespaceUserID: u.ID, AuthorID: u.ID, PlanID: plan.ID, PublishedAt: &now}
	if err := cs.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	// A month ago; the changesets opened over its first week and have been merged,
	// closed or pushed since, as a campaign burning down.
	if _, err := e.DB.Exec(ctx, "UPDATE campaigns SET created_at = $1 WHERE id = $2", now.AddDate(0, 0, -30), c.ID); err != nil {
		t.Fatal(err)
	}
	var events []store.ChangesetEvent
	for i, j := range planJobs {
		ch, err := cs.InsertChangeset(ctx, c.ID, store.NewChangeset{RepoID: j.RepoID, OwnedByCampaignID: c.ID, CampaignJobID: j.ID, AuthorID: u.ID, PublicationState: store.PublicationPublished})
		if err != nil {
			t.Fatal(err)
		}
		opened := now.AddDate(0, 0, -30+i%7)
		state, ext, kind := "OPEN", fmt.Sprint(i+1), ""
		switch i % 10 {
		case 0, 1, 2, 3:
			state, kind = "MERGED", "MERGED"
		case 4:
			state, kind = "CLOSED", "CLOSED"
		case 5:
			state, ext = "PUSHED", "refs/heads/campaigns/foo-to-bar"
		}
		if err := cs.UpdateExternal(ctx, ch.ID, store.ExternalState{ExternalID: ext, State: state, ReviewState: "PENDING", CheckState: "PASSED",
			URL: "https://github.example.com/bench/pr/" + ext, Title: c.Name, HeadRef: "campaigns/foo-to-bar", BaseRef: "main", CreatedAt: &opened}); err != nil {
			t.Fatal(err)
		}
		first := "OPENED"
		if state == "PUSHED" {
			first = "PUSHED"
		}
		events = append(events, store.ChangesetEvent{ChangesetID: ch.ID, Kind: first, Key: "opened", CreatedAt: opened})
		if kind != "" {
			events = append(events, store.ChangesetEvent{ChangesetID: ch.ID, Kind: kind, Key: "done", CreatedAt: opened.AddDate(0, 0, 3+i%20)})
		}
	}
	if err := cs.AddEvents(ctx, events); err != nil {
		t.Fatal(err)
	}
	t.Logf("seeded a campaign of %d changesets (%d events) in %s", campaignSize, len(events), time.Since(seedStart).Round(time.Millisecond))
	id := string(relay.MarshalID("Campaign", c.ID))
	ready := fmt.Sprintf(`document.querySelectorAll('table.changesets-table tbody tr[data-repo]').length === 50 && document.querySelector('section.burndown[data-total="%d"] [data-chart=line][data-drawn=true]')`, campaignSize)
	got := coldLoad(t, b, e, u.ID, e.Server.URL+"/campaigns/"+id, ready)
	fmt.Printf("webapp bench: cold load of a campaign page with %d changesets, first page of the table and the burndown visible, %s\n", campaignSize, summary(got))
}
