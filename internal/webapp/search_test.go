package webapp_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/background/issuemonitors"
	"github.com/lookout/lookout/internal/background/repos/repostest"
	"github.com/lookout/lookout/internal/browsertest"
	"github.com/lookout/lookout/internal/campaigns"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/store"
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
// their JSON 404s. The links of notifications with real objects behind them are visited
// by the tests that make those objects (code monitor payloads, issue monitor alerts, the
// file page, the invitation flow); here are the rest, and each kind for an object that
// does not exist. Where Lookout builds them (grep EXTERNAL_URL's uses):
//   - notifications: /code-monitoring/ID (an issue monitor's too), /code-monitoring/ID/
//     alerts/ID, /code-monitoring (test sends), /search?q=, /REPO/-/commit/SHA,
//     /REPO/-/blob/PATH (internal/background/codemonitors, issuemonitors; resolvers' tests)
//   - pull request bodies: /campaigns/ID (campaigns.CampaignURL)
//   - API fields: Repository/GitCommit/GitBlob.url (/REPO@REV/-/blob/PATH), User.url,
//     Org.url, inviteUserToOrganization's invitationURL and respondURL
//     (/organizations/NAME/invitation), Campaign.url
func TestEmittedURLsResolve(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	ivan := e.user(t, "ivan", false)
	ctx := context.Background()
	org, err := e.st.Orgs().Create(ctx, "acme", "Acme Corp", e.api.Admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := &store.Campaign{Name: "Rename the logger", Branch: "rename-logger", NamespaceUserID: ivan.ID, AuthorID: ivan.ID}
	if err := e.st.Campaigns().CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	var invited struct {
		InviteUserToOrganization struct{ InvitationURL string }
	}
	e.api.MustDo(t, e.api.AdminToken, `mutation($org: ID!) { inviteUserToOrganization(organization: $org, username: "ivan") { invitationURL } }`,
		map[string]any{"org": string(relay.MarshalID("Org", org.ID))}, &invited)
	invitation, err := url.Parse(invited.InviteUserToOrganization.InvitationURL)
	if err != nil {
		t.Fatal(err)
	}

	tab := e.signIn(t, "ivan", "/users/ivan")
	tab.WaitText("main h1", "ivan")
	for _, tc := range []struct{ path, want string }{
		{strings.TrimPrefix(campaigns.CampaignURL(e.url, c.ID), e.url), "branch rename-logger"},
		{invitation.Path, "admin invited you to join the organization Acme Corp"},
		{invitation.Path, "Accept and join Acme Corp"},
		{"/organizations/acme", "Acme Corp"},
		{"/code-monitoring", "Code monitors"},
		{"/search?q=" + url.QueryEscape("type:diff TODO"), "type:diff TODO"},
		{"/code-monitoring/Q29kZU1vbml0b3I6OTk5", "There is no such code monitor"},
		{"/code-monitoring/Q29kZU1vbml0b3I6OTk5/logs", "There is no such code monitor"},
		{"/code-monitoring/Q29kZU1vbml0b3I6OTk5/alerts/" + issuemonitors.AlertID(999), "There is no such alert"},
		{"/campaigns/Q2FtcGFpZ246OTk5", "There is no such campaign"},
		{"/organizations/nope", "There is no such organization"},
		{"/organizations/nope/invitation", "There is no such organization"},
		{"/git.example.com/a/b/-/commit/0123456789abcdef0123456789abcdef01234567", "There is no such repository"},
		{"/git.example.com/a/b/-/blob/cmd/main.go", "There is no such repository"},
		{"/git.example.com/a/b@0123456789abcdef0123456789abcdef01234567/-/blob/cmd/main.go", "There is no such repository"},
		{"/search?q=", "Search your code"},
		{"/no/such/-/page/here", "There is no such page"},
	} {
		tab.Go(e.url + tc.path)
		tab.WaitText("main", tc.want)
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
