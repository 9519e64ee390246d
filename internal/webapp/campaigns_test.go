package webapp_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lookout/lookout/internal/apitest"
	bgcampaigns "github.com/lookout/lookout/internal/background/campaigns"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/background/routine"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/executor"
	"github.com/lookout/lookout/internal/gittest"
)

// startCampaignsEnv is the frontend (API and app) and a worker's repository and
// campaign routines (with the default publish rate), on a fresh database.
func startCampaignsEnv(t *testing.T) *env {
	t.Helper()
	return startAreaEnv(t, apitest.Options{}, func(renv routine.Env, e *env) ([]routine.Routine, error) {
		runner, err := executor.NewRunner(executor.Config{Root: t.TempDir()})
		if err != nil {
			return nil, err
		}
		mirrors := repostest.Start(t, e.api.DB)
		return bgcampaigns.Routines(renv, bgcampaigns.Options{Store: e.st, Repos: mirrors, Runner: runner, ExternalURL: e.url})
	})
}

// bareRemotes makes bare git repositories named <name>.git with a README that uses foo,
// registers them as one GIT connection and waits until they are cloned.
func (e *env) bareRemotes(t *testing.T, names ...string) map[string]string {
	t.Helper()
	dirs := map[string]string{}
	var bares []string
	for _, n := range names {
		w := gittest.NewRepo(t)
		w.Commit(time.Now().Add(-time.Hour), "", "initial", map[string]string{"README.md": "This is " + n + ".\nIt uses foo.\n"})
		bare := filepath.Join(t.TempDir(), n+".git")
		gittest.Run(t, w.Dir, gittest.Env(), "clone", "-q", "--bare", w.Dir, bare)
		dirs[n] = bare
		bares = append(bares, bare)
	}
	repostest.AddLocalRepos(t, e.st, bares...)
	return dirs
}

// A site admin makes a campaign from one patch over three plain git remotes: the preview
// shows the three diffs, "create" leads to the campaign page, whose table reaches PUSHED
// for each (one at a time, under the default publish rate: the others show as scheduled),
// except the remote that refuses pushes; its row says why, and once the remote accepts
// pushes again, Retry pushes it. The burndown counts the pushed branches; a user who is
// not an owner sees the campaign without its actions.
func TestCampaignFromPatchToPushedBranches(t *testing.T) {
	t.Parallel()
	start := time.Now()
	e := startCampaignsEnv(t)
	dirs := e.bareRemotes(t, "app", "lib", "web")
	// web's remote refuses every push for now.
	hook := filepath.Join(dirs["web"], "hooks", "pre-receive")
	if err := os.WriteFile(hook, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.userWithToken(t, "sadie", true)
	e.user(t, "nolan", false)

	tab := e.signIn(t, "sadie", "/campaigns")
	tab.WaitText("main h1", "Campaigns")
	tab.WaitText("main", "No campaigns yet.")
	tab.CheckA11y()
	tab.ClickLink("Create campaign")
	tab.WaitText("main h1", "Create a campaign")
	tab.Fill("Repositories", "local/app, local/lib, local/web")
	// One patch for all three: the README's lines that every repository shares.
	patch := "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -2 +2 @@\n-It uses foo.\n+It uses bar.\n"
	tab.Do("pasting the patch", chromedp.SendKeys(chromedp.CSS("textarea.patch-input"), patch))
	tab.CheckA11y()
	tab.Click("Preview the changes")

	tab.WaitText("main h1", "Preview the campaign's changes")
	tab.WaitTextFor("main", "The plan is ready: 3 repositories have changes.", 30*time.Second)
	previews := browsertest.Eval[[]string](tab, `[...document.querySelectorAll('section.plan-job[data-files="1"]')].map(s => s.dataset.repo + ' ' + s.querySelector('.diff-stat').textContent)`)
	if strings.Join(previews, "; ") != "local/app +1 −1; local/lib +1 −1; local/web +1 −1" {
		t.Fatalf("the preview shows %q", previews)
	}
	tab.WaitText("section.plan-job[data-repo='local/lib'] .file-diff", "+It uses bar.")
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	tab.Fill("Name", "Foo to bar")
	tab.Fill("Description", "We prefer bar.")
	if branch := browsertest.Eval[string](tab, `document.querySelector('input.mono').value`); branch != "campaigns/foo-to-bar" {
		t.Fatalf("suggested branch %q", branch)
	}
	tab.Click("Create campaign")

	tab.WaitText("main h1", "Foo to bar")
	if !strings.Contains(tab.Location(), "/campaigns/") {
		t.Fatalf("after creating: %s", tab.Location())
	}
	// The publish rate lets one branch out at a time: the rest wait as scheduled.
	t.Logf("campaign created at %s", time.Since(start))
	tab.Wait("a changeset scheduled with its estimate", `[...document.querySelectorAll('tr[data-reconciler=SCHEDULED]')].some(tr => tr.textContent.includes('publishes in'))`, 30*time.Second)
	tab.CheckA11y()
	tab.Wait("app and lib pushed, web failed", `document.querySelectorAll('tr[data-state=PUSHED]').length === 2 && document.querySelector('tr[data-repo="local/web"][data-reconciler=FAILED]')`, 60*time.Second)
	tab.WaitText(`tr[data-repo="local/web"]`, "rejected")
	tab.WaitText("main [role=alert]", "local/web")
	for _, n := range []string{"app", "lib"} {
		if head := gitHead(t, dirs[n], "campaigns/foo-to-bar"); head == "" {
			t.Fatalf("no branch pushed to %s", n)
		}
	}
	if gitHead(t, dirs["web"], "campaigns/foo-to-bar") != "" {
		t.Fatal("a branch reached the remote that refuses pushes")
	}
	tab.CheckA11y()
	t.Logf("web failed at %s", time.Since(start))

	// The remote accepts pushes again; Retry pushes the branch.
	if err := os.Remove(hook); err != nil {
		t.Fatal(err)
	}
	tab.Click("Retry local/web")
	tab.Wait("all three pushed", `document.querySelectorAll('tr[data-state=PUSHED][data-reconciler=COMPLETED]').length === 3`, 60*time.Second)
	if readme := gittest.Run(t, dirs["web"], gittest.Env(), "show", "campaigns/foo-to-bar:README.md"); readme != "This is web.\nIt uses bar." {
		t.Fatalf("README on web's branch: %q", readme)
	}
	tab.Wait("the burndown counting three pushed branches", `document.querySelector('section.burndown[data-pushed="3"][data-total="3"] [data-chart=line][data-drawn=true]')`, 30*time.Second)
	tab.WaitText("section.campaign-stats", "3 changesets: 3 pushed")
	tab.Click("Show the data")
	tab.WaitText("section.burndown .chart-data", "Pushed (no pull request)")
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	campaignURL := tab.Location()
	t.Logf("all pushed at %s", time.Since(start))

	// The list shows the campaign open, with its counts.
	tab.Go(e.url + "/campaigns?state=OPEN")
	tab.WaitText(`li[data-campaign="Foo to bar"]`, "3 changesets: 3 pushed")
	tab.WaitText(`li[data-campaign="Foo to bar"]`, "open")
	tab.CheckA11y()
	tab.CheckPhoneWidth()

	// Someone who does not own the campaign follows it without its actions.
	other := e.signIn(t, "nolan", strings.TrimPrefix(campaignURL, e.url))
	other.WaitText("main h1", "Foo to bar")
	other.WaitText("main", "only its owners change it")
	other.Wait("the table", `document.querySelectorAll('tr[data-state=PUSHED]').length === 3`, browsertest.Timeout)
	buttons := browsertest.Eval[[]string](other, `[...document.querySelectorAll('main button')].map(b => b.getAttribute('aria-label') || b.textContent)`)
	for _, b := range buttons {
		for _, action := range []string{"Close campaign", "Retry", "Sync", "Publish"} {
			if strings.Contains(b, action) {
				t.Fatalf("a non-owner is offered %q (buttons: %q)", b, buttons)
			}
		}
	}
	other.CheckA11y()
}

// gitHead is the commit a branch points at in a bare repository, or "".
func gitHead(t *testing.T, dir, branch string) string {
	t.Helper()
	cmd := exec.Command("git", "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	cmd.Dir = dir
	cmd.Env = gittest.Env()
	out, _ := cmd.Output()
	return strings.TrimSpace(string(out))
}

// A draft campaign pushes nothing until published: its diffs wait under "Not published
// yet", one can be published on its own, then the rest with "Publish all changesets". The
// list shows it under Draft, then under Open.
func TestDraftCampaignPublishedOneThenAll(t *testing.T) {
	t.Parallel()
	e := startCampaignsEnv(t)
	dirs := e.bareRemotes(t, "api", "cli")
	e.user(t, "dexter", true)
	tab := e.signIn(t, "dexter", "/campaigns/new")
	tab.WaitText("main h1", "Create a campaign")
	tab.Fill("Repositories", "local/api, local/cli")
	tab.Do("pasting the patch", chromedp.SendKeys(chromedp.CSS("textarea.patch-input"), "diff --git a/README.md b/README.md\n--- a/README.md\n+++ b/README.md\n@@ -2 +2 @@\n-It uses foo.\n+It uses bar.\n"))
	tab.Click("Preview the changes")
	tab.WaitTextFor("main", "The plan is ready: 2 repositories have changes.", 30*time.Second)
	tab.Fill("Name", "Quiet change")
	tab.Click("Create as draft")
	tab.WaitText("main h1", "Quiet change")
	tab.WaitText("main", "Not published yet (2)")
	tab.CheckA11y()
	if gitHead(t, dirs["api"], "campaigns/quiet-change") != "" || gitHead(t, dirs["cli"], "campaigns/quiet-change") != "" {
		t.Fatal("a draft campaign pushed a branch")
	}
	campaignURL := tab.Location()
	tab.Go(e.url + "/campaigns?state=DRAFT")
	tab.WaitText(`li[data-campaign="Quiet change"]`, "draft")
	tab.Go(campaignURL)

	tab.Click("Publish local/api")
	tab.WaitText("main", "Not published yet (1)")
	tab.Wait("api pushed", `document.querySelector('tr[data-repo="local/api"][data-state=PUSHED][data-reconciler=COMPLETED]')`, 30*time.Second)
	if gitHead(t, dirs["cli"], "campaigns/quiet-change") != "" {
		t.Fatal("publishing one changeset pushed the other")
	}
	tab.Click("Publish all changesets")
	tab.Wait("both pushed", `document.querySelectorAll('tr[data-state=PUSHED][data-reconciler=COMPLETED]').length === 2`, 30*time.Second)
	if gitHead(t, dirs["cli"], "campaigns/quiet-change") == "" {
		t.Fatal("no branch pushed to cli")
	}
	tab.Go(e.url + "/campaigns?state=OPEN")
	tab.WaitText(`li[data-campaign="Quiet change"]`, "2 changesets: 2 pushed")
}

// A site admin's spec with a local step: the plan preview shows each repository's step
// log and diff, and a repository where the step fails shows its error; the campaign form
// takes the spec's name and branch.
func TestCampaignFromSpecShowsStepLogs(t *testing.T) {
	t.Parallel()
	e := startCampaignsEnv(t)
	e.bareRemotes(t, "svc", "tool")
	e.user(t, "stella", true)
	tab := e.signIn(t, "stella", "/campaigns/new?from=spec")
	tab.WaitText("main h1", "Create a campaign")
	spec := "name: use-bar\non:\n  - repository: local/svc\n  - repository: local/tool\nsteps:\n" +
		"  - run: 'echo replacing in $(basename $PWD); test -n \"$(ls)\" && sed -i s/foo/bar/ README.md; grep -q svc README.md || { echo not here >&2; exit 3; }'\n" +
		"changesetTemplate:\n  title: Use bar\n  branch: campaigns/use-bar-everywhere\n  commit:\n    message: Use bar\n"
	tab.Fill("Campaign spec (YAML)", spec)
	tab.Click("Run the steps and preview")
	tab.WaitText("main h1", "Preview the campaign's changes")
	tab.WaitTextFor("main", "1 repository has changes", 60*time.Second)
	tab.WaitText(`section.plan-job[data-repo="local/svc"] .file-diff`, "+It uses bar.")
	tab.ClickCSS(`section.plan-job[data-repo="local/svc"] details.step-log summary`)
	tab.WaitText(`section.plan-job[data-repo="local/svc"] .step-log`, "exit 0")
	tab.WaitText(`section.plan-job[data-repo="local/svc"] .step-log`, "replacing in")
	tab.WaitText(`section.plan-job[data-repo="local/tool"] [role=alert]`, "exit")
	tab.ClickCSS(`section.plan-job[data-repo="local/tool"] details.step-log summary`)
	tab.WaitText(`section.plan-job[data-repo="local/tool"] .step-log`, "not here")
	tab.CheckA11y()
	if name := browsertest.Eval[string](tab, `document.querySelector('form.create-campaign input').value`); name != "use-bar" {
		t.Fatalf("the form's name %q", name)
	}
	if branch := browsertest.Eval[string](tab, `document.querySelector('form.create-campaign input.mono').value`); branch != "campaigns/use-bar-everywhere" {
		t.Fatalf("the form's branch %q", branch)
	}
}
