package webapp_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/gittest"
)

// Search suggests filters as the user types, shows highlighted matches, counts and
// limitHit, and points at a syntax error; a commit result leads to the commit page with
// its diff; the access tokens page creates and revokes a token.
func TestSearchCommitAndTokenPages(t *testing.T) {
	t.Parallel()
	e := startEnv(t, true)
	repo := gittest.NewRepo(t)
	repo.Commit(time.Now().Add(-2*time.Hour), "", "initial", map[string]string{"README.md": "hello\n"})
	repo.Commit(time.Now().Add(-time.Hour), "Ann Author <ann@example.com>", "add needleValue handling", map[string]string{
		"a.go": "package a\n\nvar x = needleValue\n", "b.go": "package b\n\nvar y = needleValue\n",
	})
	repostest.AddLocalRepo(t, e.st, repo.Dir)
	e.user(t, "hana", false)

	tab := e.signIn(t, "hana", "/search")
	tab.WaitText("main h1", "Search")
	tab.Fill("Search query", "needleValue ty")
	tab.WaitText("[role=listbox]", "type:")
	tab.ClickCSS("[role=option]")
	tab.Fill("Search query", "needleValue type:co")
	tab.WaitText("[role=listbox]", "type:commit")
	tab.ClickCSS("[role=option]")
	if v := browserValue(tab, "input[role=combobox]"); v != "needleValue type:commit " {
		t.Fatalf("after taking the suggestions the query is %q", v)
	}
	tab.Click("Search")
	tab.WaitText("#result-summary", "1 result in 1 repository")
	tab.WaitText("main [role=region] mark", "needleValue")
	tab.CheckA11y()

	tab.ClickLink("add needleValue handling")
	tab.WaitText("main h1", "add needleValue handling")
	tab.WaitText("main", "Ann Author")
	tab.WaitText("main", "2 changed files")
	tab.WaitText("main section[aria-label='a.go']", "+var x = needleValue")
	tab.CheckA11y()
	tab.CheckPhoneWidth()

	tab.Go(e.url + "/search?q=" + "count:1%20needleValue")
	tab.WaitText("main", "Showing the first 1 results: more match")
	tab.WaitText("main [role=region] mark", "needleValue")
	tab.Go(e.url + "/search?q=" + "needleValue%20(")
	tab.WaitText("main [role=alert]", "invalid query")
	if got := tab.Text("main [role=alert] pre"); !strings.Contains(got, "^") {
		t.Errorf("the syntax error shows no position: %q", got)
	}

	tab.Go(e.url + "/users/hana/settings/tokens")
	tab.WaitText("main h1", "Access tokens")
	tab.Fill("What is the token for?", "deploy script")
	tab.Click("Create token")
	tab.WaitText("main [role=status]", "lo_")
	tab.WaitText("main ul[aria-label='Access tokens']", "deploy script")
	tab.CheckA11y()
	tab.WaitText("main", "2 of 2 tokens") // and the one the test set-up made
	tab.Click("Revoke deploy script")
	tab.WaitText("main", "1 of 1 tokens")
	if got := tab.Text("main ul[aria-label='Access tokens']"); strings.Contains(got, "deploy script") {
		t.Errorf("the revoked token is still listed: %q", got)
	}
}

func browserValue(tab *browsertest.Tab, css string) string {
	return browsertest.Eval[string](tab, `document.querySelector(`+strconvQuote(css)+`).value`)
}

func strconvQuote(s string) string { return strconv.Quote(s) }

// Every kind of URL Lookout emits loads a page of the app, and unknown API paths keep
// their JSON 404s.
func TestEmittedURLsResolve(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	e.user(t, "ivan", false)
	tab := e.signIn(t, "ivan", "/users/ivan")
	tab.WaitText("main h1", "ivan")
	for path, want := range map[string]string{
		"/code-monitoring/Q29kZU1vbml0b3I6OTk5":                                  "There is no such code monitor",
		"/code-monitoring/Q29kZU1vbml0b3I6OTk5/logs":                             "There is no such code monitor",
		"/campaigns/Q2FtcGFpZ246OTk5":                                            "There is no such campaign",
		"/organizations/nope":                                                    "There is no such organization",
		"/git.example.com/a/b/-/commit/0123456789abcdef0123456789abcdef01234567": "There is no such repository",
		"/git.example.com/a/b/-/blob/cmd/main.go":                                "cmd/main.go",
		"/search?q=":           "Search your code",
		"/no/such/-/page/here": "There is no such page",
	} {
		tab.Go(e.url + path)
		tab.WaitText("main", want)
	}
	for _, path := range []string{"/.api/nope", "/.auth/nope"} {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(body), "NOT_FOUND") {
			t.Errorf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
}
