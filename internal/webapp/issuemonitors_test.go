package webapp_test

import (
	"context"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
)

// An issue monitor created through the form raises an issue (and an alert) for a file
// that matches; after a push that fixes the file, the next run solves it.
func TestIssueMonitorIssueSolvedAfterFix(t *testing.T) {
	t.Parallel()
	e := startEnv(t, true)
	repo := gittest.NewRepo(t)
	repo.Commit(time.Now().Add(-time.Hour), "", "initial", map[string]string{"run.go": "package main\n\nfunc run() { insecureCall() }\n", "ok.go": "package main\n"})
	r := repostest.AddLocalRepo(t, e.st, repo.Dir)
	e.user(t, "gina", false)

	tab := e.signIn(t, "gina", "/issue-monitoring/new")
	tab.WaitText("main h1", "Create an issue monitor")
	tab.Fill("Name", "Insecure calls")
	tab.Fill("Search query (each result is an issue until it no longer matches)", "insecureCall")
	tab.Fill("Search schedule", "@every 1h")
	tab.Fill("Update schedule (re-checks active issues)", "@every 1h")
	tab.CheckA11y()
	tab.Click("Create issue monitor")
	tab.WaitText("main h1", "Issue monitor: Insecure calls")

	tab.Click("Run now")
	tab.WaitTextFor("main ul[aria-label=Issues]", "run.go", 30*time.Second)
	tab.WaitText("main [aria-label='Active alert']", "P4 alert")
	tab.WaitText("main ol.timeline", "issue created")
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	tab.Click("Acknowledge")
	tab.WaitText("main [aria-label='Active alert']", "Acknowledged at P4")

	ctx := context.Background()
	fetched := func() int {
		var n int
		_ = e.api.DB.QueryRow(ctx, "SELECT count(*) FROM repo_fetch_jobs WHERE repo_id = $1 AND state = 'completed'", r.ID).Scan(&n)
		return n
	}
	before := fetched()
	repo.Commit(time.Now(), "", "fix: no insecure calls", map[string]string{"run.go": "package main\n\nfunc run() { safeCall() }\n"})
	if err := e.st.Repos().EnqueueFetch(ctx, r.ID, store.FetchReasonWebhook); err != nil {
		t.Fatal(err)
	}
	repostest.WaitFor(t, "the fetch of the fix", 20*time.Second, func() bool { return fetched() > before })

	tab.Click("Run now")
	tab.WaitTextFor("main", "No issues in this state", 30*time.Second)
	tab.WaitText("main", "No active alert")
	tab.Click("Solved")
	tab.WaitText("main ul[aria-label=Issues]", "run.go")
	tab.WaitText("main ul[aria-label=Issues]", "solved")
	tab.CheckA11y()
}
