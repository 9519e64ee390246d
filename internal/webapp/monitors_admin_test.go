package webapp_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/background/repos/repostest"
)

func userGQLID(id int64) string { return string(relay.MarshalID("User", id)) }

// createMonitor creates a code monitor for owner through the API as the site admin
// and returns its ID and its actions' IDs.
func (e *env) createMonitor(t *testing.T, owner int64, description string, actions ...map[string]any) (string, []string) {
	t.Helper()
	var res struct {
		CreateCodeMonitor struct {
			ID      string
			Actions struct{ Nodes []struct{ ID string } }
		}
	}
	e.api.MustDo(t, e.api.AdminToken, `mutation($ns: ID!, $d: String!, $actions: [MonitorActionInput!]!) {
		createCodeMonitor(monitor: {namespace: $ns, description: $d, enabled: true}, trigger: {query: "type:diff TODO"}, actions: $actions) {
			id actions { nodes { ... on MonitorEmail { id } ... on MonitorWebhook { id } ... on MonitorSlackWebhook { id } } } } }`,
		map[string]any{"ns": userGQLID(owner), "d": description, "actions": actions}, &res)
	var ids []string
	for _, a := range res.CreateCodeMonitor.Actions.Nodes {
		ids = append(ids, a.ID)
	}
	return res.CreateCodeMonitor.ID, ids
}

func emailTo(user int64) map[string]any {
	return map[string]any{"email": map[string]any{"enabled": true, "includeResults": false, "priority": "NORMAL", "recipients": []string{userGQLID(user)}, "header": ""}}
}

// A site admin finds every user's code monitors with their owners (the monitor that
// alerts someone is not in the admin's own list), and filters them; a user does not get
// the tab.
func TestSiteAdminSeesEveryUsersMonitors(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	alice := e.user(t, "alice", false)
	bob := e.user(t, "bob", false)
	e.user(t, "root", true)
	e.createMonitor(t, alice.ID, "Leaked keys", emailTo(alice.ID))
	e.createMonitor(t, bob.ID, "Deprecated API calls", emailTo(bob.ID))

	tab := e.signIn(t, "root", "/code-monitoring")
	tab.WaitText("main", "You have no code monitors yet")
	tab.Click("All users'")
	tab.WaitText("main ul[aria-label=\"Every user's code monitors\"]", "Leaked keys")
	tab.WaitText("main ul[aria-label=\"Every user's code monitors\"]", "owned by alice")
	tab.WaitText("main ul[aria-label=\"Every user's code monitors\"]", "owned by bob")
	tab.WaitText("main", "2 of 2 code monitors")
	tab.CheckA11y()
	tab.CheckPhoneWidth()
	tab.Fill("Filter by name or owner", "alice")
	waitGone(t, tab, "main ul[aria-label=\"Every user's code monitors\"]", "Deprecated API calls")
	tab.WaitText("main", "1 of 1 code monitors")
	tab.Fill("Filter by name or owner", "nothing like it")
	tab.WaitText("main", "No code monitor matches")
	if !strings.Contains(tab.Location(), "tab=all") {
		t.Errorf("the tab is not in the URL: %s", tab.Location())
	}
	// The owner's monitor opens for the admin, owner shown.
	tab.Fill("Filter by name or owner", "keys")
	tab.ClickLink("Leaked keys")
	tab.WaitText("main h1", "Code monitor: Leaked keys")
	tab.WaitText("main", "Owner: alice")

	user := e.signIn(t, "alice", "/code-monitoring")
	user.WaitText("main ul[aria-label='Code monitors']", "Leaked keys")
	if got := user.Text("main"); strings.Contains(got, "All users'") || strings.Contains(got, "Deprecated API calls") {
		t.Errorf("a user sees %q", got)
	}
}

// A saved Slack action's URL is shown redacted; the code monitor and issue monitor forms
// send a test to the stored URL, and saving an edit that leaves the URL alone keeps the
// stored URL (and an issue monitor action's events).
func TestSavedSlackActionsEditAndTest(t *testing.T) {
	t.Parallel()
	e := startEnv(t, false)
	sam := e.user(t, "sam", false)
	slack := startReceiver(t)
	hookURL := slack.srv.URL + "/services/T1/B1/s3cret"
	ctx := context.Background()

	id, actions := e.createMonitor(t, sam.ID, "Leaked keys", map[string]any{"slackWebhook": map[string]any{"enabled": true, "includeResults": false, "url": hookURL}})
	tab := e.signIn(t, "sam", "/code-monitoring/"+id)
	tab.WaitText("main h1", "Code monitor: Leaked keys")
	if v := browserValue(tab, "main section[aria-label='Slack action'] input[type=url]"); v != slack.srv.URL+"/services/T1/B1/REDACTED" {
		t.Fatalf("the Slack URL field shows %q", v)
	}
	tab.WaitText("main section[aria-label='Slack action']", "The saved URL is kept")
	tab.Click("Send test notification")
	tab.WaitText("main section[aria-label='Slack action'] [role=status]", "Test notification sent")
	repostest.WaitFor(t, "the test post", 5*time.Second, func() bool { return slices.Contains(slack.posts(), "/services/T1/B1/s3cret") })
	tab.CheckA11y()
	tab.Fill("Name", "Leaked API keys")
	tab.Click("Save")
	tab.WaitText("main h1", "Code monitors")
	tab.WaitText("main ul.list", "Leaked API keys")
	actionID, _ := relayInt(t, actions[0])
	w, err := e.st.CodeMonitors().GetSlackWebhook(ctx, actionID)
	if err != nil || w.URL != hookURL {
		t.Fatalf("after the edit the action %s holds %+v, %v; want the stored URL kept", actions[0], w, err)
	}

	// The issue monitor form, with events and a minimum priority it does not edit.
	var created struct{ CreateIssueMonitor struct{ ID string } }
	e.api.MustDo(t, e.api.AdminToken, `mutation($ns: ID!, $url: String!) { createIssueMonitor(
		monitor: {namespace: $ns, description: "Insecure calls", enabled: true},
		issueTracking: {query: "insecureCall", searchSchedule: "@every 1h", updateSchedule: "@every 1h", rule: {kind: COUNT, levels: {low: 0}}},
		actions: [{slackWebhook: {enabled: true, includeResults: true, url: $url}, events: [ALERT_CREATED, ALERT_SOLVED], minimumPriority: P3}]) { id } }`,
		map[string]any{"ns": userGQLID(sam.ID), "url": hookURL}, &created)
	im := created.CreateIssueMonitor.ID
	tab.Go(e.url + "/issue-monitoring/" + im + "/edit")
	tab.WaitText("main h1", "Edit: Insecure calls")
	before := len(slack.posts())
	tab.Click("Send test notification")
	tab.WaitText("main section[aria-label='Slack action'] [role=status]", "Test notification sent")
	repostest.WaitFor(t, "the issue monitor's test post", 5*time.Second, func() bool {
		p := slack.posts()
		return len(p) > before && p[len(p)-1] == "/services/T1/B1/s3cret"
	})
	tab.Fill("Name", "Insecure calls (prod)")
	tab.Click("Save")
	tab.WaitText("main h1", "Issue monitor: Insecure calls (prod)")
	var read struct {
		Node struct {
			Actions struct {
				Nodes []struct {
					ID              string
					URL             string
					IssueEvents     []string
					MinimumPriority *string
				}
			}
		}
	}
	e.api.MustDo(t, e.api.AdminToken, `query($id: ID!) { node(id: $id) { ... on Monitor { actions { nodes { ... on MonitorSlackWebhook { id url issueEvents minimumPriority } } } } } }`, map[string]any{"id": im}, &read)
	got, _ := json.Marshal(read.Node.Actions.Nodes)
	if n := read.Node.Actions.Nodes; len(n) != 1 || !slices.Equal(n[0].IssueEvents, []string{"ALERT_CREATED", "ALERT_SOLVED"}) || n[0].MinimumPriority == nil || *n[0].MinimumPriority != "P3" {
		t.Fatalf("after the edit the issue monitor's actions are %s", got)
	}
	aid, _ := relayInt(t, read.Node.Actions.Nodes[0].ID)
	if w, err := e.st.CodeMonitors().GetSlackWebhook(ctx, aid); err != nil || w.URL != hookURL {
		t.Fatalf("the issue monitor's Slack action holds %+v, %v", w, err)
	}
}

func relayInt(t *testing.T, id string) (int64, string) {
	t.Helper()
	var n int64
	kind := relay.UnmarshalKind(graphql.ID(id))
	if err := relay.UnmarshalSpec(graphql.ID(id), &n); err != nil {
		t.Fatalf("ID %q: %v", id, err)
	}
	return n, kind
}
