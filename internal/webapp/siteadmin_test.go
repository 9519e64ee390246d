package webapp_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/gittest"
)

// A site admin adds a GIT connection through the form (its config checked as typed),
// is shown the webhook URL and secret once, and sees the repository cloned; the
// background jobs page shows the queues and the running worker.
func TestSiteAdminAddsGitConnection(t *testing.T) {
	t.Parallel()
	e := startEnv(t, true)
	repo := gittest.NewRepo(t)
	repo.Commit(time.Now(), "", "initial", map[string]string{"README.md": "hello\n"})
	e.user(t, "root", true)

	tab := e.signIn(t, "root", "/site-admin/external-services/new")
	tab.WaitText("main h1", "Add a code host connection")
	tab.Fill("Display name", "Local git")
	tab.Fill("Configuration (JSON)", `{"repos": [`)
	tab.WaitText("#config-problems", "Not valid JSON")
	cfg, _ := json.Marshal(map[string]any{"repos": []string{repo.Dir}})
	tab.Fill("Configuration (JSON)", string(cfg))
	tab.WaitText("#config-problems", "The configuration looks valid")
	tab.CheckA11y()
	tab.Click("Add connection")
	tab.WaitText("main [role=status]", "/.api/webhooks/git")
	secret := tab.Text("main [role=status] p:nth-of-type(3) code")
	if len(secret) != 40 {
		t.Errorf("the webhook secret shown once is %q", secret)
	}
	tab.ClickLink("See the repositories")
	tab.WaitText("main h1", "Repositories")
	tab.WaitTextFor("main table", "cloned", 30*time.Second)
	if got := tab.Text("main table tbody"); !strings.Contains(got, "work") {
		t.Errorf("the repository list shows %q", got)
	}
	tab.CheckA11y()

	tab.ClickLink("Background jobs")
	tab.WaitText("main h1", "Background jobs")
	tab.WaitText("main table[aria-labelledby=queues]", "codemonitor_triggers")
	tab.WaitText("main table[aria-labelledby=queues]", "on browser-test-worker")
	tab.WaitText("main table[aria-labelledby=workers]", "browser-test-worker")
	tab.WaitText("main table[aria-labelledby=workers]", "codemonitors")
	tab.CheckA11y()
	tab.CheckPhoneWidth()

	tab.ClickLink("Users")
	tab.WaitText("main h1", "Users")
	tab.Fill("Username", "dave")
	tab.Click("Create user")
	tab.WaitText("main ul.list", "dave")
	tab.Click("Make dave site admin")
	tab.WaitText("main ul.list", "Revoke site admin from dave")
	tab.CheckA11y()
}

// A user who is not a site admin sees no site admin link, is refused the pages, and the
// API refuses the queries behind them.
func TestNonAdminIsRefusedSiteAdmin(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	e.user(t, "erin", false)
	_, token := e.api.CreateUser(t, "frank", false)

	tab := e.signIn(t, "erin", "/site-admin/background-jobs")
	tab.WaitText("main", "403 Forbidden: You must be a site admin")
	if nav := tab.Text("header nav"); strings.Contains(nav, "Site admin") {
		t.Errorf("a non-admin's navigation offers %q", nav)
	}
	tab.CheckA11y()
	tab.Go(e.url + "/site-admin/users")
	tab.WaitText("main", "403 Forbidden")
	for _, q := range []string{`{ backgroundJobs { workers { hostname } } }`, `{ users { nodes { username } } }`, `{ externalServices { nodes { id } } }`, `{ organizations { nodes { name } } }`} {
		if r := e.api.Do(t, token, q, nil); r.Code() != "FORBIDDEN" {
			t.Errorf("%s as a non-admin: %+v", q, r.Errors)
		}
	}
}
