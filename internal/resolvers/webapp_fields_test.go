package resolvers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/store"
)

// The fields the web app decides what to offer by: viewerCanEdit of dashboards and views
// is true exactly where the mutations succeed.
func TestInsightsViewerCanEdit(t *testing.T) {
	ie := newInsightsEnv(t)
	_, aliceToken := ie.CreateUser(t, "alice", false)
	ie.addRepos(t, nil, map[string][]repoCommit{"local/a": {{ie.now.AddDate(0, -1, 0), map[string]string{"f": "x\n"}}}})
	var global, own struct {
		CreateInsightsDashboard struct{ Dashboard struct{ ID string } }
	}
	ie.MustDo(t, ie.AdminToken, `mutation { createInsightsDashboard(input: {title: "Everyone", grants: {global: true}}) { dashboard { id } } }`, nil, &global)
	ie.MustDo(t, aliceToken, `mutation { createInsightsDashboard(input: {title: "Mine", grants: {}}) { dashboard { id } } }`, nil, &own)
	var adminView created
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/a"}, "admin's")}, &adminView)
	ie.MustDo(t, ie.AdminToken, `mutation($v: ID!, $d: ID!) { addInsightViewToDashboard(input: {insightViewId: $v, dashboardId: $d}) { dashboard { id } } }`,
		map[string]any{"v": adminView.CreateLineChartSearchInsight.View.ID, "d": global.CreateInsightsDashboard.Dashboard.ID}, nil)
	var aliceView created
	ie.MustDo(t, aliceToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/a"}, "alice's")}, &aliceView)

	type canEdit map[string]bool
	read := func(token string) canEdit {
		var out struct {
			InsightsDashboards struct {
				Nodes []struct {
					Title         string
					ViewerCanEdit bool
				}
			}
			InsightViews struct {
				Nodes []struct {
					ViewerCanEdit bool
					Presentation  struct{ Title string }
				}
			}
		}
		ie.MustDo(t, token, `{ insightsDashboards { nodes { title viewerCanEdit } }
  insightViews { nodes { viewerCanEdit presentation { ... on LineChartInsightViewPresentation { title } } } } }`, nil, &out)
		got := canEdit{}
		for _, d := range out.InsightsDashboards.Nodes {
			got["dashboard "+d.Title] = d.ViewerCanEdit
		}
		for _, v := range out.InsightViews.Nodes {
			got["view "+v.Presentation.Title] = v.ViewerCanEdit
		}
		return got
	}
	if diff := cmp.Diff(canEdit{"dashboard Everyone": false, "dashboard Mine": true, "view admin's": false, "view alice's": true}, read(aliceToken)); diff != "" {
		t.Errorf("alice (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(canEdit{"dashboard Everyone": true, "view admin's": true}, read(ie.AdminToken)); diff != "" {
		t.Errorf("the site admin (-want +got):\n%s", diff)
	}
	// What alice is told she cannot do, she cannot do.
	if r := ie.Do(t, aliceToken, `mutation($d: ID!) { updateInsightsDashboard(id: $d, input: {title: "x"}) { dashboard { id } } }`,
		map[string]any{"d": global.CreateInsightsDashboard.Dashboard.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("alice renaming the shared dashboard: %+v", r.Errors)
	}
	if r := ie.Do(t, aliceToken, `mutation($id: ID!) { deleteInsightView(id: $id) { alwaysNil } }`,
		map[string]any{"id": adminView.CreateLineChartSearchInsight.View.ID}); r.Code() != "FORBIDDEN" {
		t.Fatalf("alice deleting the admin's view: %+v", r.Errors)
	}
}

// The campaigns list's states (DRAFT apart from OPEN), each campaign's changeset counts
// by state (only changesets the viewer may see), and retrying one failed changeset.
func TestCampaignStateStatsAndRetryChangeset(t *testing.T) {
	ctx := context.Background()
	e := newCampaignsEnv(t, apitest.Options{})
	planID, planN := e.patchPlan(t, e.alice)
	e.finishJobs(t, planN, "completed")
	var draft struct{ CreateCampaign struct{ ID string } }
	e.MustDo(t, e.alice, createCampaign, map[string]any{"ns": campaignUserID(e.aliceID), "name": "draft one", "branch": "b", "plan": planID, "draft": true}, &draft)

	tracking := &store.Campaign{Name: "tracking", NamespaceUserID: e.aliceID, AuthorID: e.aliceID}
	if err := e.Store.Campaigns().CreateCampaign(ctx, tracking); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Campaigns().SetCampaignPublished(ctx, tracking.ID); err != nil {
		t.Fatal(err)
	}
	// Changesets in every state that counts: queue state, external state, repository.
	var failedID int64
	for i, row := range []struct {
		repo           *store.Repo
		state, extern  string
		processAfterIn string
	}{
		{e.open, "completed", "OPEN", ""},
		{e.open, "completed", "DRAFT", ""},
		{e.open, "completed", "MERGED", ""},
		{e.open, "completed", "PUSHED", ""},
		{e.open, "failed", "", ""},
		{e.open, "errored", "", ""},
		{e.open, "queued", "", "1 hour"},
		{e.open, "queued", "", ""},
		{e.secret, "completed", "CLOSED", ""},
	} {
		ch, err := e.Store.Campaigns().InsertChangeset(ctx, tracking.ID, store.NewChangeset{RepoID: row.repo.ID, OwnedByCampaignID: tracking.ID, ExternalID: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.DB.Exec(ctx, `UPDATE changesets SET state = $1, external_id = CASE WHEN $2 = '' THEN NULL ELSE $3 END, external_state = nullif($2, ''),
  process_after = CASE WHEN $4 = '' THEN NULL ELSE now() + $4::interval END, failure_message = 'boom' WHERE id = $5`,
			row.state, row.extern, fmt.Sprint(i), row.processAfterIn, ch.ID); err != nil {
			t.Fatal(err)
		}
		if row.state == "failed" {
			failedID = ch.ID
		}
	}
	type stats struct {
		Total, Unpublished, Open, Draft, Merged, Closed, Deleted, Pushed, Scheduled, Processing, Retrying, Failed int
	}
	type campaign struct {
		Name            string
		State           string
		ChangesetsStats stats
	}
	list := func(token, state string) []campaign {
		var out struct{ Campaigns struct{ Nodes []campaign } }
		vars := map[string]any{}
		if state != "" {
			vars["s"] = state
		}
		e.MustDo(t, token, `query($s: CampaignState) { campaigns(state: $s) { nodes { name state changesetsStats {
  total unpublished open draft merged closed deleted pushed scheduled processing retrying failed } } } }`, vars, &out)
		return out.Campaigns.Nodes
	}
	names := func(cs []campaign) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.Name+" "+c.State)
		}
		return out
	}
	for state, want := range map[string][]string{"": {"tracking OPEN", "draft one DRAFT"}, "OPEN": {"tracking OPEN"}, "DRAFT": {"draft one DRAFT"}, "CLOSED": nil} {
		if diff := cmp.Diff(want, names(list(e.bob, state))); diff != "" {
			t.Errorf("campaigns(state: %q) (-want +got):\n%s", state, diff)
		}
	}
	all := list(e.AdminToken, "OPEN")[0].ChangesetsStats
	if diff := cmp.Diff(stats{Total: 9, Unpublished: 4, Open: 2, Draft: 1, Merged: 1, Closed: 1, Pushed: 1, Scheduled: 1, Processing: 1, Retrying: 1, Failed: 1}, all); diff != "" {
		t.Errorf("the site admin's counts (-want +got):\n%s", diff)
	}
	bobs := list(e.bob, "OPEN")[0].ChangesetsStats
	if bobs.Total != 8 || bobs.Closed != 0 {
		t.Errorf("bob counts the changeset in the private repository: %+v", bobs)
	}
	draftStats := list(e.alice, "DRAFT")[0].ChangesetsStats
	if draftStats.Total != 1 || draftStats.Unpublished != 1 {
		t.Errorf("the draft campaign's counts: %+v", draftStats)
	}

	// retryChangeset: only for those who administer it, only a failed one, and it is
	// queued again.
	failed := string(relay.MarshalID("ExternalChangeset", failedID))
	retry := `mutation($c: ID!) { retryChangeset(changeset: $c) { reconcilerState error } }`
	if r := e.Do(t, e.bob, retry, map[string]any{"c": failed}); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob retrying alice's changeset: %+v", r.Errors)
	}
	var retried struct {
		RetryChangeset struct{ ReconcilerState string }
	}
	e.MustDo(t, e.alice, retry, map[string]any{"c": failed}, &retried)
	if retried.RetryChangeset.ReconcilerState != "QUEUED" {
		t.Fatalf("retried changeset: %+v", retried)
	}
	if r := e.Do(t, e.alice, retry, map[string]any{"c": failed}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("retrying a queued changeset: %+v", r.Errors)
	}
	if after := list(e.AdminToken, "OPEN")[0].ChangesetsStats; after.Failed != 0 || after.Processing != 2 {
		t.Fatalf("counts after the retry: %+v", after)
	}
	if _, err := e.DB.Exec(ctx, "UPDATE changesets SET state = 'failed' WHERE id = $1", failedID); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.Campaigns().SetCampaignClosed(ctx, tracking.ID); err != nil {
		t.Fatal(err)
	}
	if r := e.Do(t, e.alice, retry, map[string]any{"c": failed}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("retrying a changeset of a closed campaign: %+v", r.Errors)
	}
	if diff := cmp.Diff([]string{"tracking CLOSED"}, names(list(e.bob, "CLOSED"))); diff != "" {
		t.Errorf("closed campaigns (-want +got):\n%s", diff)
	}
}

// points(from:, to:) keeps the points in the range, each as the full list shows it
// (its diff query still starts at the previous point): the web app's drill-down reads
// one point's repositories this way.
func TestInsightPointsFromTo(t *testing.T) {
	ie := newInsightsEnv(t)
	m := func(n int) time.Time { return ie.now.AddDate(0, -n, 0) }
	ie.addRepos(t, nil, map[string][]repoCommit{
		"local/a": {{m(5), map[string]string{"f": "x\n"}}, {m(2), map[string]string{"f": "x x\n"}}},
		"local/b": {{m(4), map[string]string{"g": "x\n"}}},
	})
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/a", "local/b"}, "xs")}, nil)
	ie.runWork(t)
	type point struct {
		DateTime            time.Time
		Value               float64
		DiffQuery           *string
		RepositoryBreakdown []struct {
			Name  string
			Value float64
		}
	}
	read := func(from, to *time.Time) []point {
		var out struct {
			InsightViews struct {
				Nodes []struct{ DataSeries []struct{ Points []point } }
			}
		}
		ie.MustDo(t, ie.AdminToken, `query($from: DateTime, $to: DateTime) { insightViews { nodes { dataSeries {
  points(from: $from, to: $to) { dateTime value diffQuery repositoryBreakdown(first: 5) { name value } } } } } }`,
			map[string]any{"from": from, "to": to}, &out)
		return out.InsightViews.Nodes[0].DataSeries[0].Points
	}
	all := read(nil, nil)
	if len(all) < 4 {
		t.Fatalf("%d points", len(all))
	}
	at := all[len(all)-2]
	one := read(&at.DateTime, &at.DateTime)
	if diff := cmp.Diff([]point{at}, one); diff != "" {
		t.Fatalf("points(from: to: %s) (-want +got):\n%s", at.DateTime, diff)
	}
	if at.Value != 3 || len(at.RepositoryBreakdown) != 2 || at.RepositoryBreakdown[0].Name != "local/a" || at.RepositoryBreakdown[0].Value != 2 {
		t.Fatalf("the point a month ago: %+v", at)
	}
	if tail := read(&at.DateTime, nil); len(tail) != 2 || !tail[0].DateTime.Equal(at.DateTime) {
		t.Fatalf("points from %s: %+v", at.DateTime, tail)
	}
}

// A plan's jobs, changeset plans and changesets give their diff by file with line
// counts, parsed from the stored patch.
func TestCampaignDiffsByFile(t *testing.T) {
	e := newCampaignsEnv(t, apitest.Options{})
	planID, planN := e.patchPlan(t, e.alice)
	e.finishJobs(t, planN, "completed")
	type fileDiffs struct {
		Files []struct {
			NewPath *string
			Status  string
			Hunks   []struct{ Body string }
		}
		Truncated bool
	}
	type stat struct{ Added, Deleted int }
	var plan struct {
		Node struct {
			Jobs struct {
				Nodes []struct {
					DiffStat  *stat
					FileDiffs *fileDiffs
				}
			}
		}
	}
	e.MustDo(t, e.alice, `query($id: ID!) { node(id: $id) { ... on CampaignPlan { jobs { nodes { diffStat { added deleted } fileDiffs { truncated files { newPath status hunks { body } } } } } } } }`,
		map[string]any{"id": planID}, &plan)
	job := plan.Node.Jobs.Nodes[0]
	if job.DiffStat == nil || *job.DiffStat != (stat{1, 1}) || job.FileDiffs == nil || len(job.FileDiffs.Files) != 1 {
		t.Fatalf("job %+v", job)
	}
	f := job.FileDiffs.Files[0]
	if f.NewPath == nil || *f.NewPath != "README" || f.Status != "MODIFIED" || len(f.Hunks) != 1 || f.Hunks[0].Body != "-a\n+b\n" {
		t.Fatalf("file %+v", f)
	}
	var draft struct {
		CreateCampaign struct {
			ChangesetPlans struct {
				Nodes []struct{ DiffStat stat }
			}
		}
	}
	e.MustDo(t, e.alice, `mutation($ns: ID!, $plan: ID!) { createCampaign(input: {namespace: $ns, name: "c", branch: "b", plan: $plan, draft: true}) { changesetPlans { nodes { diffStat { added deleted } } } } }`,
		map[string]any{"ns": campaignUserID(e.aliceID), "plan": planID}, &draft)
	if n := draft.CreateCampaign.ChangesetPlans.Nodes; len(n) != 1 || n[0].DiffStat != (stat{1, 1}) {
		t.Fatalf("changeset plans %+v", n)
	}
}

// times and values are points, as two lists.
func TestInsightSeriesTimesAndValues(t *testing.T) {
	ie := newInsightsEnv(t)
	ie.addRepos(t, nil, map[string][]repoCommit{"local/a": {{ie.now.AddDate(0, -5, 0), map[string]string{"f": "x\n"}}, {ie.now.AddDate(0, -2, 0), map[string]string{"f": "x x\n"}}}})
	ie.MustDo(t, ie.AdminToken, createLine, map[string]any{"input": lineInput([]map[string]any{{"query": "x", "options": map[string]any{"label": "x"}}}, []string{"local/a"}, "xs")}, nil)
	ie.runWork(t)
	var out struct {
		InsightViews struct {
			Nodes []struct {
				DataSeries []struct {
					Points []struct {
						DateTime time.Time
						Value    float64
					}
					Times  []time.Time
					Values []float64
				}
			}
		}
	}
	ie.MustDo(t, ie.AdminToken, `{ insightViews { nodes { dataSeries { points { dateTime value } times values } } } }`, nil, &out)
	s := out.InsightViews.Nodes[0].DataSeries[0]
	if len(s.Points) == 0 || len(s.Times) != len(s.Points) || len(s.Values) != len(s.Points) {
		t.Fatalf("%d points, %d times, %d values", len(s.Points), len(s.Times), len(s.Values))
	}
	for i, p := range s.Points {
		if !p.DateTime.Equal(s.Times[i]) || p.Value != s.Values[i] {
			t.Fatalf("point %d: %+v, time %s value %v", i, p, s.Times[i], s.Values[i])
		}
	}
	if s.Values[len(s.Values)-1] != 2 {
		t.Fatalf("values %v", s.Values)
	}
}
