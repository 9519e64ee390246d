package resolvers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/graph-gophers/graphql-go/relay"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/insights"
	"github.com/lookout/lookout/internal/resolvers"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

// insightsEnv is an API with code insights on fresh databases, and git repositories.
type insightsEnv struct {
	*apitest.Env
	insightsDB *pgxpool.Pool
	is         *store.InsightsStore
	src        *insights.SearchSource
	now        time.Time
}

func newInsightsEnv(t *testing.T) *insightsEnv {
	t.Helper()
	ie := &insightsEnv{insightsDB: dbtest.NewInsightsDB(t), now: time.Now().UTC()}
	ie.Env = apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) {
		svc := search.NewService(d.Store, d.Repos, search.NewBlobCache(0, nil), nil, search.Options{})
		ie.src = &insights.SearchSource{Search: svc, Mirrors: d.Repos}
		d.Insights = &resolvers.InsightsDeps{DB: ie.insightsDB, Source: ie.src, Now: func() time.Time { return ie.now }}
	}})
	ie.is = store.New(ie.insightsDB).Insights()
	return ie
}

// addRepos creates git repositories (name → files at commit times) and registers them.
func (ie *insightsEnv) addRepos(t *testing.T, private map[string]bool, repos map[string][]repoCommit) {
	t.Helper()
	var cfg []any
	var sourced []store.SourcedRepo
	names := make([]string, 0, len(repos))
	for n := range repos {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		w := gittest.NewRepo(t)
		for _, c := range repos[name] {
			w.Commit(c.at, "", "commit", c.files)
		}
		cfg = append(cfg, map[string]any{"url": w.Dir, "name": name, "private": private[name]})
		sourced = append(sourced, store.SourcedRepo{Name: name, CloneURL: w.Dir, Private: private[name]})
	}
	raw, _ := json.Marshal(map[string]any{"repos": cfg})
	svc, err := ie.Store.ExternalServices().Create(context.Background(), "GIT", "local", string(raw), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ie.Store.Repos().SyncFromService(context.Background(), svc.ID, sourced, false); err != nil {
		t.Fatal(err)
	}
}

type repoCommit struct {
	at    time.Time
	files map[string]string
}

// runWork runs what the worker would: every queued backfill to completion and a
// snapshot of every series due for one.
func (ie *insightsEnv) runWork(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	b := &insights.Backfiller{Main: ie.Store, Insights: ie.is, Source: ie.src}
	items, err := ie.is.ListBackfillQueue(ctx, store.BackfillQueueOptions{States: []string{"new", "queued"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		bf := it.Backfill
		if bf.BackfillState == store.BackfillNew {
			if err := b.Plan(ctx, bf); err != nil {
				t.Fatal(err)
			}
			if bf, err = ie.is.GetBackfill(ctx, bf.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := b.Process(ctx, bf, time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	// The queued recordings and snapshots, as the query runner takes them.
	rows, err := ie.DB.Query(ctx, "UPDATE insights_query_runner_jobs SET state = 'completed' WHERE state = 'queued' RETURNING series_id, record_time, persist_mode")
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		series, mode string
		at           time.Time
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.series, &j.at, &j.mode); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	r := &insights.Recorder{Main: ie.Store, Insights: ie.is, Source: ie.src}
	for _, j := range jobs {
		s, err := ie.is.GetSeriesBySeriesID(ctx, j.series)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Record(ctx, s, j.at, j.mode == store.PersistSnapshot); err != nil {
			t.Fatal(err)
		}
	}
}

func lineInput(series []map[string]any, scope []string, title string) map[string]any {
	return map[string]any{
		"dataSeries":      series,
		"repositoryScope": map[string]any{"repositories": scope},
		"timeScope":       map[string]any{"stepInterval": map[string]any{"unit": "MONTH", "value": 1}},
		"options":         map[string]any{"title": title},
	}
}

const createLine = `mutation($input: LineChartSearchInsightInput!) { createLineChartSearchInsight(input: $input) { view { id dataSeriesDefinitions { ... on SearchInsightDataSeriesDefinition { seriesId } } } } }`

type created struct {
	CreateLineChartSearchInsight struct {
		View struct {
			ID                    string
			DataSeriesDefinitions []struct{ SeriesID string }
		}
	}
}

func TestInsightsSchemaOnlyWhenEnabled(t *testing.T) {
	off := apitest.New(t, apitest.Options{})
	if r := off.Do(t, off.AdminToken, `{ insightViews { totalCount } }`, nil); len(r.Errors) == 0 {
		t.Fatalf("insights disabled but insightViews answered: %s", r.Data)
	}
	on := newInsightsEnv(t)
	var v struct{ InsightViews struct{ TotalCount int } }
	on.MustDo(t, on.AdminToken, `{ insightViews { totalCount } }`, nil, &v)
}

func TestInsightsCaptureGroupsSortLimitAndSamples(t *testing.T) {
	ie := newInsightsEnv(t)
	m := func(n int) time.Time { return ie.now.AddDate(0, -n, 0) }
	ie.addRepos(t, nil, map[string][]repoCommit{
		"local/app": {
			{m(6), map[string]string{"go.mod": "go 1.20\n", "a/go.mod": "go 1.20\n"}},
			{m(3), map[string]string{"go.mod": "go 1.21\n"}},
			{m(1), map[string]string{"b/go.mod": "go 1.22\n", "c/go.mod": "go 1.22\n"}},
		},
	})
	var c created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{
		{"query": `file:go\.mod$ /go (\d+\.\d+)/`, "options": map[string]any{"label": "go versions"}, "generatedFromCaptureGroups": true},
	}, []string{"local/app"}, "Go versions")}, &c)
	ie.runWork(t)

	type series struct {
		SeriesID string
		Label    string
		Points   []struct {
			DateTime time.Time
			Value    float64
		}
	}
	read := func(opts map[string]any) ([]series, int) {
		var out struct {
			InsightViews struct {
				Nodes []struct {
					SeriesCount int
					DataSeries  []series
				}
			}
		}
		ie.MustDo(t, ie.AdminToken, `query($o: SeriesDisplayOptionsInput) { insightViews(seriesDisplayOptions: $o) { nodes { seriesCount dataSeries { seriesId label points { dateTime value } } } } }`,
			map[string]any{"o": opts}, &out)
		return out.InsightViews.Nodes[0].DataSeries, out.InsightViews.Nodes[0].SeriesCount
	}
	all, count := read(nil)
	if count != 3 || len(all) != 3 {
		t.Fatalf("captured values: %d series (count %d): %+v", len(all), count, all)
	}
	// Default order for captured values: largest newest value first.
	var labels []string
	for _, s := range all {
		labels = append(labels, s.Label)
		if len(s.Points) != insights.DefaultSamples {
			t.Errorf("%s: %d points, want %d (zero-filled)", s.Label, len(s.Points), insights.DefaultSamples)
		}
		if !strings.HasPrefix(s.SeriesID, c.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID+"-") {
			t.Errorf("pivoted series id %q", s.SeriesID)
		}
	}
	if diff := cmp.Diff([]string{"1.22", "1.20", "1.21"}, labels); diff != "" {
		t.Errorf("order by newest value (-want +got):\n%s", diff)
	}
	newest := func(s series) float64 { return s.Points[len(s.Points)-1].Value }
	if newest(all[0]) != 2 || newest(all[1]) != 1 || newest(all[2]) != 1 {
		t.Errorf("newest values: %v %v %v", newest(all[0]), newest(all[1]), newest(all[2]))
	}
	// 1.20 had 2 files 6 months ago, 1 after the root go.mod moved to 1.21.
	v120 := all[1]
	if v120.Points[len(v120.Points)-6].Value != 2 || v120.Points[len(v120.Points)-3].Value != 1 || v120.Points[len(v120.Points)-8].Value != 0 {
		t.Errorf("1.20 history: %+v", v120.Points)
	}

	lex, count := read(map[string]any{"sortOptions": map[string]any{"mode": "LEXICOGRAPHICAL", "direction": "ASC"}, "limit": 2, "numSamples": 3})
	if count != 3 || len(lex) != 2 || lex[0].Label != "1.20" || lex[1].Label != "1.21" || len(lex[0].Points) != 3 {
		t.Errorf("lexicographical, limit 2, 3 samples: count %d %+v", count, lex)
	}
}

func TestInsightsSharingUpdatesFrozenAndDashboards(t *testing.T) {
	ie := newInsightsEnv(t)
	ctx := context.Background()
	alice, aliceToken := ie.CreateUser(t, "alice", false)
	_, bobToken := ie.CreateUser(t, "bob", false)
	org, err := ie.Store.Orgs().Create(ctx, "acme", "Acme", alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	ie.addRepos(t, nil, map[string][]repoCommit{"local/a": {{ie.now.AddDate(0, -1, 0), map[string]string{"f": "x\n"}}}})

	// Two views of the same series over all repositories share it.
	var c1, c2 created
	in := lineInput([]map[string]any{{"query": "needle", "options": map[string]any{"label": "n"}}}, []string{}, "one")
	ie.MustDo(t, aliceToken, createLine, map[string]any{"input": in}, &c1)
	in["options"] = map[string]any{"title": "two"}
	ie.MustDo(t, bobToken, createLine, map[string]any{"input": in}, &c2)
	s1, s2 := c1.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID, c2.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID
	if s1 != s2 {
		t.Fatalf("series over all repositories not shared: %s %s", s1, s2)
	}
	// A list scope is never shared.
	var c3 created
	ie.MustDo(t, aliceToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "needle", "options": map[string]any{}}}, []string{"local/a"}, "three")}, &c3)
	if c3.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID == s1 {
		t.Fatal("a repository-list series was shared")
	}

	// Views are private to their creator.
	var views struct {
		InsightViews struct {
			TotalCount int
			Nodes      []struct{ ID string }
		}
	}
	ie.MustDo(t, bobToken, `{ insightViews { totalCount nodes { id } } }`, nil, &views)
	if views.InsightViews.TotalCount != 1 || views.InsightViews.Nodes[0].ID != c2.CreateLineChartSearchInsight.View.ID {
		t.Fatalf("bob's views: %+v", views)
	}

	// Changing the query makes a new series; the view keeps its id.
	update := `mutation($id: ID!, $input: UpdateLineChartSearchInsightInput!) { updateLineChartSearchInsight(id: $id, input: $input) { view { id dataSeriesDefinitions { ... on SearchInsightDataSeriesDefinition { seriesId query } } } } }`
	var up struct {
		UpdateLineChartSearchInsight struct {
			View struct {
				ID                    string
				DataSeriesDefinitions []struct{ SeriesID, Query string }
			}
		}
	}
	upd := map[string]any{
		"dataSeries":          []map[string]any{{"seriesId": s1, "query": "haystack", "options": map[string]any{"label": "h"}}},
		"repositoryScope":     map[string]any{"repositories": []string{}},
		"timeScope":           map[string]any{"stepInterval": map[string]any{"unit": "MONTH", "value": 1}},
		"presentationOptions": map[string]any{"title": "one (renamed)"},
		"viewControls":        map[string]any{"filters": map[string]any{"includeRepoRegex": "^local/"}, "seriesDisplayOptions": map[string]any{"limit": 5}},
	}
	ie.MustDo(t, aliceToken, update, map[string]any{"id": c1.CreateLineChartSearchInsight.View.ID, "input": upd}, &up)
	if got := up.UpdateLineChartSearchInsight.View.DataSeriesDefinitions[0]; got.SeriesID == s1 || got.Query != "haystack" {
		t.Fatalf("changed query kept the series: %+v", got)
	}
	// Only relabelling keeps it.
	upd["dataSeries"] = []map[string]any{{"seriesId": up.UpdateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID, "query": "haystack", "options": map[string]any{"label": "renamed"}}}
	newID := up.UpdateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID
	ie.MustDo(t, aliceToken, update, map[string]any{"id": c1.CreateLineChartSearchInsight.View.ID, "input": upd}, &up)
	if got := up.UpdateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID; got != newID {
		t.Fatalf("relabel made a new series: %s != %s", got, newID)
	}
	// Bob's view still has the shared series, alive.
	if s, err := ie.is.GetSeriesBySeriesID(ctx, s1); err != nil || s.DeletedAt != nil {
		t.Fatalf("shared series after alice moved off it: %+v %v", s, err)
	}
	// Bob cannot change alice's view (he cannot see it).
	if r := ie.Do(t, bobToken, update, map[string]any{"id": c1.CreateLineChartSearchInsight.View.ID, "input": upd}); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob updating alice's view: %+v", r.Errors)
	}

	// Frozen views are read-only; only admins freeze.
	freeze := `mutation($id: ID!, $f: Boolean!) { setInsightViewFrozen(id: $id, frozen: $f) { view { isFrozen } } }`
	if r := ie.Do(t, aliceToken, freeze, map[string]any{"id": c1.CreateLineChartSearchInsight.View.ID, "f": true}); r.Code() != "FORBIDDEN" {
		t.Fatalf("non-admin freezing: %+v", r.Errors)
	}
	ie.MustDo(t, ie.AdminToken, freeze, map[string]any{"id": c1.CreateLineChartSearchInsight.View.ID, "f": true}, nil)
	if r := ie.Do(t, aliceToken, update, map[string]any{"id": c1.CreateLineChartSearchInsight.View.ID, "input": upd}); r.Code() != "FORBIDDEN" {
		t.Fatalf("updating a frozen view: %+v", r.Errors)
	}
	var frozen struct {
		InsightViews struct{ Nodes []struct{ ID string } }
	}
	ie.MustDo(t, aliceToken, `{ insightViews(isFrozen: true) { nodes { id } } }`, nil, &frozen)
	if len(frozen.InsightViews.Nodes) != 1 {
		t.Fatalf("frozen views: %+v", frozen)
	}

	// Dashboards: an org dashboard shows its views to org members only.
	orgID := fmt.Sprint(mustMarshalID("Org", org.ID))
	var d struct {
		CreateInsightsDashboard struct {
			Dashboard struct {
				ID     string
				Grants struct {
					Organizations []string
					Global        bool
				}
			}
		}
	}
	if r := ie.Do(t, bobToken, `mutation($o: ID!) { createInsightsDashboard(input: {title: "x", grants: {organizations: [$o]}}) { dashboard { id } } }`, map[string]any{"o": orgID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob granting acme: %+v", r.Errors)
	}
	ie.MustDo(t, aliceToken, `mutation($o: ID!) { createInsightsDashboard(input: {title: "Acme", grants: {organizations: [$o]}}) { dashboard { id grants { organizations global } } } }`, map[string]any{"o": orgID}, &d)
	dashID := d.CreateInsightsDashboard.Dashboard.ID
	ie.MustDo(t, aliceToken, `mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { views { nodes { id } } } } }`,
		map[string]any{"v": c3.CreateLineChartSearchInsight.View.ID, "d": dashID}, nil)
	ie.MustDo(t, bobToken, `{ insightViews { totalCount } insightsDashboards { nodes { id } } }`, nil, &views)
	if views.InsightViews.TotalCount != 1 {
		t.Fatalf("bob (not in acme) sees the org dashboard's view: %+v", views)
	}
	if err := ie.Store.Orgs().AddMember(ctx, org.ID, mustUserID(t, ie, "bob")); err != nil {
		t.Fatal(err)
	}
	var after struct {
		InsightViews       struct{ TotalCount int }
		InsightsDashboards struct{ Nodes []struct{ ID, Title string } }
		Node               *struct{ ID string }
	}
	ie.MustDo(t, bobToken, `query($d: ID!) { insightViews { totalCount } insightsDashboards { nodes { id title } } node(id: $d) { id } }`, map[string]any{"d": dashID}, &after)
	if after.InsightViews.TotalCount != 2 || len(after.InsightsDashboards.Nodes) != 1 || after.Node == nil {
		t.Fatalf("bob in acme: %+v", after)
	}
	var refs struct {
		InsightViews struct {
			Nodes []struct {
				DashboardReferenceCount int
				Dashboards              struct{ Nodes []struct{ Title string } }
			}
		}
	}
	ie.MustDo(t, bobToken, `query($id: ID!) { insightViews(id: $id) { nodes { dashboardReferenceCount dashboards { nodes { title } } } } }`, map[string]any{"id": c3.CreateLineChartSearchInsight.View.ID}, &refs)
	if n := refs.InsightViews.Nodes[0]; n.DashboardReferenceCount != 1 || len(n.Dashboards.Nodes) != 1 {
		t.Fatalf("references: %+v", refs)
	}
	ie.MustDo(t, aliceToken, `mutation($v: ID!, $d: ID!) { removeInsightViewFromDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`,
		map[string]any{"v": c3.CreateLineChartSearchInsight.View.ID, "d": dashID}, nil)
	ie.MustDo(t, aliceToken, `mutation($d: ID!) { deleteInsightsDashboard(id: $d) { alwaysNil } }`, map[string]any{"d": dashID}, nil)
	ie.MustDo(t, bobToken, `query($d: ID!) { insightViews { totalCount } insightsDashboards { nodes { id title } } node(id: $d) { id } }`, map[string]any{"d": dashID}, &after)
	if after.InsightViews.TotalCount != 1 || len(after.InsightsDashboards.Nodes) != 0 || after.Node != nil {
		t.Fatalf("after deleting the dashboard: %+v", after)
	}

	// Deleting the last view of a series retires it.
	ie.MustDo(t, aliceToken, `mutation($id: ID!) { deleteInsightView(id: $id) { alwaysNil } }`, map[string]any{"id": c3.CreateLineChartSearchInsight.View.ID}, nil)
	if s, _ := ie.is.GetSeriesBySeriesID(ctx, c3.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID); s == nil || s.DeletedAt == nil {
		t.Fatalf("series of a deleted view is still live: %+v", s)
	}
}

func mustMarshalID(kind string, id int64) string { return string(relay.MarshalID(kind, id)) }

func mustUserID(t *testing.T, ie *insightsEnv, name string) int64 {
	u, err := ie.Store.Users().GetByUsername(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func mustJSONString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Seeing a dashboard or view shared with everyone does not let a user change, take over
// or delete it; its owners and site admins may. Grants that would lock the caller out of
// a dashboard are refused without writing anything.
func TestInsightsWriteAccessIsNotReadAccess(t *testing.T) {
	ie := newInsightsEnv(t)
	ctx := context.Background()
	alice, aliceToken := ie.CreateUser(t, "alice", false)
	_, bobToken := ie.CreateUser(t, "bob", false)
	org, err := ie.Store.Orgs().Create(ctx, "acme", "Acme", alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := ie.Store.Orgs().AddMember(ctx, org.ID, mustUserID(t, ie, "bob")); err != nil {
		t.Fatal(err)
	}
	ie.addRepos(t, nil, map[string][]repoCommit{"local/a": {{ie.now.AddDate(0, -1, 0), map[string]string{"f": "x\n"}}}})

	var global struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation { createInsightsDashboard(input: {title: "Everyone", grants: {global: true}}) { dashboard { id } } }`, nil, &global)
	globalID := global.CreateInsightsDashboard.Dashboard.ID
	var adminView created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/a"}, "admin's")}, &adminView)
	adminViewID := adminView.CreateLineChartSearchInsight.View.ID
	ie.MustDo(t, ie.AdminToken, `mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`,
		map[string]any{"v": adminViewID, "d": globalID}, nil)

	// Alice sees both...
	var seen struct {
		InsightViews       struct{ Nodes []struct{ ID string } }
		InsightsDashboards struct{ Nodes []struct{ ID string } }
	}
	ie.MustDo(t, aliceToken, `{ insightViews { nodes { id } } insightsDashboards { nodes { id } } }`, nil, &seen)
	if len(seen.InsightViews.Nodes) != 1 || len(seen.InsightsDashboards.Nodes) != 1 {
		t.Fatalf("alice sees: %+v", seen)
	}
	// ...but may change neither.
	var aliceView created
	ie.MustDo(t, aliceToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/a"}, "alice's")}, &aliceView)
	forbidden := map[string]struct {
		q    string
		vars map[string]any
	}{
		"take over the dashboard": {`mutation($d: ID!) { updateInsightsDashboard(id: $d, input: {title: "mine", grants: {}}) { dashboard { id } } }`, map[string]any{"d": globalID}},
		"delete the dashboard":    {`mutation($d: ID!) { deleteInsightsDashboard(id: $d) { alwaysNil } }`, map[string]any{"d": globalID}},
		"put a view on it":        {`mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`, map[string]any{"v": aliceView.CreateLineChartSearchInsight.View.ID, "d": globalID}},
		"take a view off it":      {`mutation($v: ID!, $d: ID!) { removeInsightViewFromDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`, map[string]any{"v": adminViewID, "d": globalID}},
		"delete the view":         {`mutation($id: ID!) { deleteInsightView(id: $id) { alwaysNil } }`, map[string]any{"id": adminViewID}},
		"change the view": {`mutation($id: ID!, $input: UpdateLineChartSearchInsightInput!) { updateLineChartSearchInsight(id: $id, input: $input) { view { id } } }`, map[string]any{"id": adminViewID, "input": map[string]any{
			"dataSeries":          []map[string]any{{"query": "y", "options": map[string]any{}}},
			"repositoryScope":     map[string]any{"repositories": []string{"local/a"}},
			"timeScope":           map[string]any{"stepInterval": map[string]any{"unit": "MONTH", "value": 1}},
			"presentationOptions": map[string]any{"title": "hijacked"},
			"viewControls":        map[string]any{"filters": map[string]any{}, "seriesDisplayOptions": map[string]any{}},
		}}},
		"create a view on it": {createLine, map[string]any{"input": func() map[string]any {
			in := lineInput([]map[string]any{{"query": "x", "options": map[string]any{}}}, []string{"local/a"}, "sneaky")
			in["dashboards"] = []string{globalID}
			return in
		}()}},
	}
	var aliceDash struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	ie.MustDo(t, aliceToken, `mutation { createInsightsDashboard(input: {title: "Alice's", grants: {}}) { dashboard { id } } }`, nil, &aliceDash)
	// Putting the view on her own dashboard would make it hers to change.
	forbidden["put the view on her dashboard"] = struct {
		q    string
		vars map[string]any
	}{`mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`, map[string]any{"v": adminViewID, "d": aliceDash.CreateInsightsDashboard.Dashboard.ID}}
	for name, c := range forbidden {
		if r := ie.Do(t, aliceToken, c.q, c.vars); r.Code() != "FORBIDDEN" {
			t.Errorf("alice may %s: %s %+v", name, r.Data, r.Errors)
		}
	}
	var after struct {
		InsightsDashboards struct {
			Nodes []struct {
				Title  string
				Grants struct{ Global bool }
				Views  struct{ Nodes []struct{ ID string } }
			}
		}
	}
	ie.MustDo(t, ie.AdminToken, `{ insightsDashboards { nodes { title grants { global } views { nodes { id } } } } }`, nil, &after)
	if d := after.InsightsDashboards.Nodes; len(d) != 1 || d[0].Title != "Everyone" || !d[0].Grants.Global || len(d[0].Views.Nodes) != 1 || d[0].Views.Nodes[0].ID != adminViewID {
		t.Fatalf("the global dashboard after alice's attempts: %+v", after)
	}
	// Saving a copy of a view she can see is reading it: allowed.
	ie.MustDo(t, aliceToken, `mutation($v: ID!) { saveInsightAsNewView(input: {insightViewId: $v, options: {title: "my copy"}}) { view { id } } }`, map[string]any{"v": adminViewID}, nil)
	// The site admin still may change it.
	ie.MustDo(t, ie.AdminToken, `mutation($d: ID!) { updateInsightsDashboard(id: $d, input: {title: "Everyone!"}) { dashboard { id } } }`, map[string]any{"d": globalID}, nil)

	// An organization dashboard: members may change it.
	var orgDash struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	orgID := mustMarshalID("Org", org.ID)
	ie.MustDo(t, aliceToken, `mutation($o: ID!) { createInsightsDashboard(input: {title: "Acme", grants: {organizations: [$o]}}) { dashboard { id } } }`, map[string]any{"o": orgID}, &orgDash)
	orgDashID := orgDash.CreateInsightsDashboard.Dashboard.ID
	ie.MustDo(t, bobToken, `mutation($d: ID!) { updateInsightsDashboard(id: $d, input: {title: "Acme (bob)"}) { dashboard { id } } }`, map[string]any{"d": orgDashID}, nil)
	// Grants that would leave bob without access are refused, and nothing changes.
	if r := ie.Do(t, bobToken, `mutation($d: ID!, $u: ID!) { updateInsightsDashboard(id: $d, input: {title: "gone", grants: {users: [$u]}}) { dashboard { id } } }`,
		map[string]any{"d": orgDashID, "u": mustMarshalID("User", alice.ID)}); r.Code() != "FORBIDDEN" {
		t.Errorf("bob granting alice only: %+v", r.Errors)
	}
	title := func(token, id string) string {
		var d struct {
			InsightsDashboards struct{ Nodes []struct{ Title string } }
		}
		ie.MustDo(t, token, `query($d: ID!) { insightsDashboards(id: $d) { nodes { title } } }`, map[string]any{"d": id}, &d)
		if len(d.InsightsDashboards.Nodes) != 1 {
			return ""
		}
		return d.InsightsDashboards.Nodes[0].Title
	}
	// A site admin may grant anyone, but not so as to lose the dashboard: refused, and
	// neither the title nor the grants are written.
	var own struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation { createInsightsDashboard(input: {title: "Admin's", grants: {}}) { dashboard { id } } }`, nil, &own)
	if r := ie.Do(t, ie.AdminToken, `mutation($d: ID!, $u: ID!) { updateInsightsDashboard(id: $d, input: {title: "gone", grants: {users: [$u]}}) { dashboard { id } } }`,
		map[string]any{"d": own.CreateInsightsDashboard.Dashboard.ID, "u": mustMarshalID("User", alice.ID)}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("admin locking themselves out: %+v", r.Errors)
	}
	if got := title(ie.AdminToken, own.CreateInsightsDashboard.Dashboard.ID); got != "Admin's" {
		t.Errorf("dashboard after a refused lock-out: %q", got)
	}
	if got := title(aliceToken, own.CreateInsightsDashboard.Dashboard.ID); got != "" {
		t.Errorf("alice got the dashboard of a refused change: %q", got)
	}
	if got := title(bobToken, orgDashID); got != "Acme (bob)" {
		t.Errorf("org dashboard title after refused changes: %q", got)
	}
}

// An incomplete point names only repositories the viewer may see, in its repositories
// and in its reason (repository errors name their repository).
func TestInsightsIncompleteAlertsHidePrivateRepositories(t *testing.T) {
	ie := newInsightsEnv(t)
	ctx := context.Background()
	_, aliceToken := ie.CreateUser(t, "alice", false)
	at := ie.now.AddDate(0, -1, 0)
	ie.addRepos(t, map[string]bool{"local/0secret": true}, map[string][]repoCommit{
		"local/0secret": {{at, map[string]string{"f": "x\n"}}},
		"local/a":       {{at, map[string]string{"f": "x\n"}}},
		"local/b":       {{at, map[string]string{"f": "x\n"}}},
	})
	var c created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/0secret", "local/a", "local/b"}, "x")}, &c)
	var d struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation { createInsightsDashboard(input: {title: "All", grants: {global: true}}) { dashboard { id } } }`, nil, &d)
	ie.MustDo(t, ie.AdminToken, `mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`,
		map[string]any{"v": c.CreateLineChartSearchInsight.View.ID, "d": d.CreateInsightsDashboard.Dashboard.ID}, nil)

	s, err := ie.is.GetSeriesBySeriesID(ctx, c.CreateLineChartSearchInsight.View.DataSeriesDefinitions[0].SeriesID)
	if err != nil {
		t.Fatal(err)
	}
	id := func(name string) *int64 {
		r, err := ie.Store.Repos().GetByName(ctx, store.InternalViewer, name)
		if err != nil {
			t.Fatal(err)
		}
		return &r.ID
	}
	tm := ie.now.Truncate(time.Minute).UTC()
	if err := ie.is.AddIncompletePoints(ctx, []store.IncompletePoint{
		{SeriesID: s.ID, Reason: store.IncompleteGeneric, Time: tm, RepoID: id("local/0secret"), Message: "counting in local/0secret: disk on fire"},
		{SeriesID: s.ID, Reason: store.IncompleteGeneric, Time: tm, RepoID: id("local/a"), Message: "counting in local/a: disk on fire"},
		{SeriesID: s.ID, Reason: store.IncompleteGeneric, Time: tm.Add(time.Hour), RepoID: id("local/0secret"), Message: "counting in local/0secret: only here"},
	}); err != nil {
		t.Fatal(err)
	}
	alerts := func(token string) string {
		var out struct {
			InsightViews struct {
				Nodes []struct {
					DataSeries []struct {
						Status struct {
							IncompleteDatapoints []struct {
								Reason       string
								Repositories []struct{ Name string }
							}
						}
					}
				}
			}
		}
		ie.MustDo(t, token, `query($id: ID!) { insightViews(id: $id) { nodes { dataSeries { status { incompleteDatapoints {
			... on GenericIncompleteDatapointAlert { reason repositories { name } } } } } } } }`, map[string]any{"id": c.CreateLineChartSearchInsight.View.ID}, &out)
		return mustJSONString(out.InsightViews.Nodes[0].DataSeries[0].Status.IncompleteDatapoints)
	}
	if got := alerts(aliceToken); strings.Contains(got, "secret") || !strings.Contains(got, "local/a: disk on fire") {
		t.Errorf("alice's alerts: %s", got)
	}
	if got := alerts(ie.AdminToken); !strings.Contains(got, "only here") || !strings.Contains(got, `"local/0secret"`) {
		t.Errorf("admin's alerts: %s", got)
	}
}

func TestSearchContextUsedByAnInsightViewCannotBeDeleted(t *testing.T) {
	ctx := context.Background()
	ie := newInsightsEnv(t)
	var created struct{ CreateSearchContext struct{ ID string } }
	ie.MustDo(t, ie.AdminToken, `mutation { createSearchContext(searchContext: {name: "backend", description: "", public: true, query: "repo:backend"}) { id } }`, nil, &created)
	if _, err := ie.insightsDB.Exec(ctx, `INSERT INTO insight_view (unique_id, title, default_filter_search_contexts) VALUES ('v1', 'Backend TODOs', ARRAY['backend'])`); err != nil {
		t.Fatal(err)
	}
	// A view saved through the API names the context as its author wrote it.
	viaAPI := lineInput([]map[string]any{{"query": "TODO", "options": map[string]any{"label": "todos"}}}, []string{}, "Written differently")
	viaAPI["viewControls"] = map[string]any{"filters": map[string]any{"searchContexts": []string{" context:Backend"}}, "seriesDisplayOptions": map[string]any{}}
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": viaAPI}, nil)
	del := `mutation($id: ID!) { deleteSearchContext(id: $id) { alwaysNil } }`
	r := ie.Do(t, ie.AdminToken, del, map[string]any{"id": created.CreateSearchContext.ID})
	if r.Code() != "CONFLICT" || !strings.Contains(r.Errors[0].Message, "Backend TODOs") || !strings.Contains(r.Errors[0].Message, "Written differently") {
		t.Fatalf("deleting a context views use: %+v", r.Errors)
	}
	if _, err := ie.insightsDB.Exec(ctx, `UPDATE insight_view SET default_filter_search_contexts = NULL`); err != nil {
		t.Fatal(err)
	}
	ie.MustDo(t, ie.AdminToken, del, map[string]any{"id": created.CreateSearchContext.ID}, nil)
}

func TestSearchContextIsANode(t *testing.T) {
	e := apitest.New(t, apitest.Options{})
	_, aliceToken := e.CreateUser(t, "alice", false)
	var created struct{ CreateSearchContext struct{ ID string } }
	e.MustDo(t, e.AdminToken, `mutation { createSearchContext(searchContext: {name: "web", description: "d", public: true, query: "repo:web"}) { id } }`, nil, &created)
	var res struct {
		Node struct {
			Typename string `json:"__typename"`
			Name     string
		}
	}
	e.MustDo(t, aliceToken, `query($id: ID!) { node(id: $id) { __typename ... on SearchContext { name } } }`, map[string]any{"id": created.CreateSearchContext.ID}, &res)
	if res.Node.Typename != "SearchContext" || res.Node.Name != "web" {
		t.Fatalf("node = %+v", res.Node)
	}
}
