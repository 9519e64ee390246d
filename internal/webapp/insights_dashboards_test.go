package webapp_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/gittest"
)

// A person with an insight but no dashboard lands on all insights; creates a private
// dashboard, puts the insight on it through the picker, renames it, takes the insight
// off again, opens each creation form from it (capture group checks live, language
// statistics, group results), and deletes the dashboard. Every page passes axe.
func TestInsightsDashboardsAndForms(t *testing.T) {
	t.Parallel()
	e := startInsightsEnv(t)
	token := e.userWithToken(t, "dorothy", false)
	e.api.MustDo(t, token, `mutation { createLineChartSearchInsight(input: {
  dataSeries: [{query: "TODO", options: {label: "todos", lineColor: "#b3261e"}}],
  repositoryScope: {repositories: ["local/none"]}, timeScope: {stepInterval: {unit: WEEK, value: 1}},
  options: {title: "Release TODOs"}}) { view { id } } }`, nil, nil)

	tab := e.signIn(t, "dorothy", "/insights")
	tab.WaitText("main h1", "All insights")
	tab.WaitText("main .insights-grid", "Release TODOs")
	tab.CheckA11y()

	tab.ClickLink("New dashboard")
	tab.WaitText("main h1", "New dashboard")
	tab.Fill("Title", "Team")
	tab.CheckA11y()
	tab.Click("Create dashboard")
	tab.WaitText("main h1", "Team")
	tab.WaitText("main .empty", "This dashboard has no insights yet.")
	tab.CheckA11y()

	tab.Click("Add insights")
	tab.WaitText("dialog.modal", "Release TODOs")
	tab.CheckA11y()
	tab.ClickCSS("dialog.modal input[type=checkbox]")
	tab.Click("Save")
	tab.WaitText("main .insights-grid", "Release TODOs")
	tab.Wait("the card's chart or state", `document.querySelector('.insight-card [data-backfill-state]')`, browsertest.Timeout)
	tab.CheckA11y()
	tab.CheckPhoneWidth()

	tab.ClickLink("Rename or share")
	tab.WaitText("main h1", "Edit Team")
	tab.Fill("Title", "Team TODOs")
	tab.Click("Save")
	tab.WaitText("main h1", "Team TODOs")
	tab.WaitText("main .dashboard-bar select", "Team TODOs (only you)")

	tab.ClickCSS(".card-menu summary")
	tab.Click("Remove from this dashboard")
	tab.WaitText("main .empty", "This dashboard has no insights yet.")

	tab.ClickLink("create a new one")
	tab.WaitText("main h1", "Create an insight")
	tab.ClickLink("Capture group insight")
	tab.WaitText("main h1", "Create a capture group insight")
	tab.Fill("Search query", "go 1.21")
	tab.Wait("the capture group check to fail", `document.querySelector('[data-check=group][data-ok=false]')`, browsertest.Timeout)
	tab.Fill("Search query", `file:go\.mod$ /go (\d+\.\d+)/`)
	tab.Wait("every capture group check to pass", `[...document.querySelectorAll('[data-check]')].every(li => li.dataset.ok === 'true')`, browsertest.Timeout)
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	for _, form := range []struct{ path, heading string }{
		{"/insights/create/lang-stats", "Create a language statistics insight"},
		{"/insights/create/group-results", "Create a group results insight"},
	} {
		tab.Go(e.url + form.path)
		tab.WaitText("main h1", form.heading)
		tab.Fill("Title", "x")
		tab.CheckA11y()
	}

	tab.Go(e.url + "/insights")
	tab.WaitText("main h1", "Team TODOs")
	tab.Click("Delete…")
	tab.Click("Delete dashboard")
	tab.WaitTextFor("main h1", "All insights", 10*time.Second)
}

// The spec editor marks problems at their line: YAML syntax and unknown keys as they are
// typed, and what the API finds when a plan is asked for.
func TestCampaignSpecProblemsAtTheirLines(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	e.user(t, "spencer", true)
	tab := e.signIn(t, "spencer", "/campaigns/new?from=spec")
	tab.WaitText("main h1", "Create a campaign")
	tab.CheckA11y()
	problems := func() []string {
		return browsertest.Eval[[]string](tab, `[...document.querySelectorAll('.spec-problems li')].map(li => li.dataset.line + ': ' + li.textContent)`)
	}
	type want struct{ line, text string }
	expect := func(what string, w want) {
		t.Helper()
		tab.Wait(what, `[...document.querySelectorAll('.spec-problems li')].some(li => li.dataset.line === '`+w.line+`' && li.textContent.includes('`+w.text+`'))`, browsertest.Timeout)
		if marked := browsertest.Eval[[]string](tab, `[...document.querySelectorAll('.spec-gutter .has-problem')].map(s => s.textContent.trim())`); len(marked) == 0 || marked[0] != w.line {
			t.Fatalf("%s: lines marked in the gutter %q, problems %q", what, marked, problems())
		}
	}
	tab.Fill("Campaign spec (YAML)", "on:\n  - repository: local/app\nsteps: [\n")
	expect("a syntax error at its line", want{"4", "Line 4"})
	tab.Fill("Campaign spec (YAML)", "on:\n  - repository: local/app\nstepz:\n  - run: echo\n")
	expect("an unknown key at its line", want{"3", `unknown key "stepz"`})
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	// A problem only the API knows: a step's unknown field.
	tab.Fill("Campaign spec (YAML)", "on:\n  - repository: local/app\nsteps:\n  - rnu: echo hi\n")
	tab.Wait("the local check to pass", `document.querySelectorAll('.spec-problems li').length === 0`, browsertest.Timeout)
	tab.Click("Run the steps and preview")
	expect("the API's problem at its line", want{"4", "rnu"})
	tab.CheckA11y()
}

// A language statistics insight made with its form: the preview and then the insight's
// pie show the repository's languages by lines, as the API counts them.
func TestLanguagePieFromForm(t *testing.T) {
	t.Parallel()
	e := startInsightsEnv(t)
	work := gittest.NewRepo(t)
	work.Commit(time.Now().Add(-48*time.Hour), "", "code", map[string]string{
		"main.go": "package main\n\nfunc main() {}\n", "util.go": "package main\n", "README.md": "# langs\n\nHello.\n", "run.sh": "#!/bin/sh\necho hi\n",
	})
	// Searches (the preview's language statistics) read repositories the repository
	// routines cloned.
	repostest.Start(t, e.api.DB)
	repo := repostest.AddLocalRepo(t, e.st, work.Dir)
	token := e.userWithToken(t, "lorelei", false)

	tab := e.signIn(t, "lorelei", "/insights/create/lang-stats")
	tab.WaitText("main h1", "Create a language statistics insight")
	tab.Fill("Title", "Languages of langs")
	tab.Fill("Repository names", repo.Name)
	tab.Wait("the preview's pie", `document.querySelector('aside [data-chart=pie] path[data-label="Go"]')`, 30*time.Second)
	tab.CheckA11y()
	tab.Click("Create insight")
	tab.WaitText("main h1", "Languages of langs")
	tab.Wait("the insight's pie", `document.querySelector('main [data-chart=pie] path[data-label]')`, 60*time.Second)
	tab.CheckA11y()
	tab.Click("Show the data")
	shown := browsertest.Eval[map[string]float64](tab, `Object.fromEntries([...document.querySelectorAll('.chart-data td[data-label]')].map(td => [td.dataset.label, Number(td.dataset.value)]))`)
	var views struct {
		InsightViews struct {
			Nodes []struct {
				DataSeries []struct {
					Label  string
					Values []float64
				}
			}
		}
	}
	e.api.MustDo(t, token, `{ insightViews { nodes { dataSeries { label values } } } }`, nil, &views)
	want := map[string]float64{}
	for _, s := range views.InsightViews.Nodes[0].DataSeries {
		if n := len(s.Values); n > 0 && s.Values[n-1] > 0 {
			want[s.Label] = s.Values[n-1]
		}
	}
	if want["Go"] != 4 || len(want) < 2 {
		t.Fatalf("the API's languages: %v", want)
	}
	// The pie folds languages under 3% of the lines into Other; here none is that small.
	if diff := cmp.Diff(want, shown); diff != "" {
		t.Errorf("the pie's slices differ from the API's (-api +pie):\n%s", diff)
	}
}
