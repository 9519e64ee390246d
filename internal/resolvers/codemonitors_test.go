package resolvers_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/resolvers"
)

const monitorFields = `id description enabled
	owner { id namespaceName }
	createdBy { username }
	trigger { ... on MonitorQuery { id query } }
	actions(first: 10) { totalCount nodes {
		__typename
		... on MonitorEmail { id enabled includeResults priority header recipients { totalCount nodes { id url } } }
		... on MonitorWebhook { id url secret }
		... on MonitorSlackWebhook { id url }
	} }`

type monitorView struct {
	ID          string
	Description string
	Enabled     bool
	Owner       struct{ ID, NamespaceName string }
	CreatedBy   struct{ Username string }
	Trigger     struct{ ID, Query string }
	Actions     struct {
		TotalCount int
		Nodes      []struct {
			Typename   string `json:"__typename"`
			ID         string
			URL        string
			Secret     *string
			Priority   string
			Header     string
			Recipients struct {
				TotalCount int
				Nodes      []struct{ ID, URL string }
			}
		}
	}
}

const createMonitor = `mutation($ns: ID!, $q: String!, $actions: [MonitorActionInput!]!) {
	createCodeMonitor(monitor: {namespace: $ns, description: "new TODOs", enabled: true}, trigger: {query: $q}, actions: $actions) { ` + monitorFields + ` } }`

func userID(id int64) string { return string(relay.MarshalID("User", id)) }

func TestCodeMonitorsPermissionsAndValidation(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	bob, bobToken := e.CreateUser(t, "bob", false)
	org, err := e.Store.Orgs().Create(ctx, "acme", "", alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	orgID := string(relay.MarshalID("Org", org.ID))

	emailAction := func(rcpt string) map[string]any {
		return map[string]any{"email": map[string]any{"enabled": true, "includeResults": false, "priority": "NORMAL", "recipients": []string{rcpt}, "header": "hi"}}
	}
	webhookAction := func(url string) map[string]any {
		return map[string]any{"webhook": map[string]any{"enabled": true, "includeResults": true, "url": url}}
	}
	slackAction := func(url string) map[string]any {
		return map[string]any{"slackWebhook": map[string]any{"enabled": true, "includeResults": false, "url": url}}
	}
	vars := func(ns, q string, actions ...map[string]any) map[string]any {
		return map[string]any{"ns": ns, "q": q, "actions": actions}
	}

	var created struct{ CreateCodeMonitor monitorView }
	e.MustDo(t, aliceToken, createMonitor, vars(userID(alice.ID), "type:diff TODO",
		emailAction(userID(alice.ID)), webhookAction("https://93.184.215.14/hook"), slackAction("https://hooks.slack.com/services/T0/B0/X0")), &created)
	m := created.CreateCodeMonitor
	if m.Owner.NamespaceName != "alice" || m.CreatedBy.Username != "alice" || m.Trigger.Query != "type:diff TODO" || m.Actions.TotalCount != 3 {
		t.Fatalf("created monitor: %+v", m)
	}
	if !strings.HasPrefix(string(relayKind(m.ID)), "CodeMonitor") {
		t.Fatalf("monitor ID kind %q", relayKind(m.ID))
	}
	hook := m.Actions.Nodes[1]
	if hook.Typename != "MonitorWebhook" || hook.Secret == nil || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(*hook.Secret) {
		t.Fatalf("the create response must show the webhook secret once: %+v", hook)
	}
	if email := m.Actions.Nodes[0]; email.Priority != "NORMAL" || email.Recipients.TotalCount != 1 || email.Recipients.Nodes[0].URL != "/users/alice" {
		t.Fatalf("email action: %+v", email)
	}

	// Read back: the secret is never shown again.
	get := `query($id: ID!) { node(id: $id) { ... on Monitor { ` + monitorFields + ` } } }`
	var read struct{ Node *monitorView }
	e.MustDo(t, aliceToken, get, map[string]any{"id": m.ID}, &read)
	if read.Node == nil || read.Node.Actions.Nodes[1].Secret != nil {
		t.Fatalf("owner reading the monitor: %+v", read.Node)
	}
	var list struct {
		Node struct {
			Monitors struct {
				TotalCount int
				Nodes      []struct{ ID string }
			}
		}
	}
	e.MustDo(t, aliceToken, `query($u: ID!) { node(id: $u) { __typename ... on User { monitors(first: 10) { totalCount nodes { id } pageInfo { endCursor hasNextPage } } } } }`,
		map[string]any{"u": userID(alice.ID)}, &list)
	if list.Node.Monitors.TotalCount != 1 || list.Node.Monitors.Nodes[0].ID != m.ID {
		t.Fatalf("alice's monitors: %+v", list)
	}

	// Bob can neither see nor change alice's monitor.
	read.Node = nil
	e.MustDo(t, bobToken, get, map[string]any{"id": m.ID}, &read)
	if read.Node != nil {
		t.Fatalf("bob read alice's monitor: %+v", read.Node)
	}
	if r := e.Do(t, bobToken, `query($u: ID!) { node(id: $u) { ... on User { monitors { totalCount } } } }`, map[string]any{"u": userID(alice.ID)}); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob listing alice's monitors: %+v", r.Errors)
	}
	if r := e.Do(t, bobToken, `query { monitors(first: 10) { totalCount } }`, nil); r.Code() != "FORBIDDEN" {
		t.Fatalf("bob listing all monitors: %+v", r.Errors)
	}
	update := `mutation($id: ID!, $ns: ID!, $trigger: ID!, $q: String!, $actions: [MonitorEditActionInput!]!) {
		updateCodeMonitor(monitor: {id: $id, update: {namespace: $ns, description: "edited", enabled: true}}, trigger: {id: $trigger, update: {query: $q}}, actions: $actions) { ` + monitorFields + ` } }`
	editEmail := func(id any, rcpt string) map[string]any {
		return map[string]any{"email": map[string]any{"id": id, "update": emailAction(rcpt)["email"]}}
	}
	for name, r := range map[string]*apitest.Response{
		"toggle": e.Do(t, bobToken, `mutation($id: ID!) { toggleCodeMonitor(id: $id, enabled: false) { id } }`, map[string]any{"id": m.ID}),
		"delete": e.Do(t, bobToken, `mutation($id: ID!) { deleteCodeMonitor(id: $id) { alwaysNil } }`, map[string]any{"id": m.ID}),
		"update": e.Do(t, bobToken, update, map[string]any{"id": m.ID, "ns": userID(bob.ID), "trigger": m.Trigger.ID, "q": "type:diff x",
			"actions": []any{editEmail(nil, userID(bob.ID))}}),
	} {
		if r.Code() != "NOT_FOUND" {
			t.Errorf("bob's %s of alice's monitor: %+v", name, r.Errors)
		}
	}
	if r := e.Do(t, bobToken, createMonitor, vars(userID(alice.ID), "type:diff x", emailAction(userID(bob.ID)))); r.Code() != "FORBIDDEN" {
		t.Errorf("bob creating a monitor for alice: %+v", r.Errors)
	}
	if r := e.Do(t, aliceToken, `mutation($id: ID!) { resetTriggerQueryTimestamps(id: $id) { alwaysNil } }`, map[string]any{"id": m.ID}); r.Code() != "FORBIDDEN" {
		t.Errorf("alice resetting timestamps: %+v", r.Errors)
	}
	e.MustDo(t, e.AdminToken, `mutation($id: ID!) { resetTriggerQueryTimestamps(id: $id) { alwaysNil } }`, map[string]any{"id": m.ID}, nil)

	// Bad input, with codes.
	for _, tc := range []struct {
		name, ns, query string
		actions         []map[string]any
		code, msg       string
	}{
		{"content search", userID(alice.ID), "TODO", []map[string]any{emailAction(userID(alice.ID))}, resolvers.InvalidQuery, "all branches of query must be of type:diff or type:commit"},
		{"one branch not diff", userID(alice.ID), "(type:diff a) OR (type:file b)", []map[string]any{emailAction(userID(alice.ID))}, resolvers.InvalidQuery, "all branches of query must be of type:diff or type:commit"},
		{"syntax error", userID(alice.ID), "type:diff (TODO", []map[string]any{emailAction(userID(alice.ID))}, resolvers.InvalidQuery, "invalid query"},
		{"empty query", userID(alice.ID), "  ", []map[string]any{emailAction(userID(alice.ID))}, resolvers.InvalidQuery, "empty"},
		{"structural", userID(alice.ID), "type:diff patterntype:structural fmt.Println(:[x])", []map[string]any{emailAction(userID(alice.ID))}, resolvers.InvalidQuery, "structural search is not supported"},
		{"no actions", userID(alice.ID), "type:diff x", []map[string]any{}, "BAD_USER_INPUT", "at least one action"},
		{"two kinds in one action", userID(alice.ID), "type:diff x", []map[string]any{{"email": emailAction(userID(alice.ID))["email"], "webhook": webhookAction("https://93.184.215.14/")["webhook"]}}, "BAD_USER_INPUT", "exactly one"},
		{"loopback webhook", userID(alice.ID), "type:diff x", []map[string]any{webhookAction("http://127.0.0.1:8080/hook")}, "BAD_USER_INPUT", "loopback"},
		{"private webhook", userID(alice.ID), "type:diff x", []map[string]any{webhookAction("http://10.1.2.3/hook")}, "BAD_USER_INPUT", "private"},
		{"webhook scheme", userID(alice.ID), "type:diff x", []map[string]any{webhookAction("ftp://93.184.215.14/x")}, "BAD_USER_INPUT", "scheme"},
		{"slack host", userID(alice.ID), "type:diff x", []map[string]any{slackAction("https://example.com/services/x")}, "BAD_USER_INPUT", "hooks.slack.com"},
		{"slack http", userID(alice.ID), "type:diff x", []map[string]any{slackAction("http://hooks.slack.com/services/x")}, "BAD_USER_INPUT", "https"},
		{"other user as recipient", userID(alice.ID), "type:diff x", []map[string]any{emailAction(userID(bob.ID))}, "FORBIDDEN", "recipient"},
		{"org owner", orgID, "type:diff x", []map[string]any{emailAction(userID(alice.ID))}, "BAD_USER_INPUT", "owned by users"},
	} {
		r := e.Do(t, aliceToken, createMonitor, vars(tc.ns, tc.query, tc.actions...))
		if r.Code() != tc.code || len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, tc.msg) {
			t.Errorf("%s: got %q %+v, want code %s with %q", tc.name, r.Code(), r.Errors, tc.code, tc.msg)
		}
	}
	// An organization alice belongs to may be a recipient.
	e.MustDo(t, aliceToken, createMonitor, vars(userID(alice.ID), "type:commit fix", emailAction(orgID)), nil)

	// Whole-monitor update: the email is kept (recipients replaced), the webhook and
	// Slack actions are deleted, a new webhook is created and its secret shown once.
	var updated struct{ UpdateCodeMonitor monitorView }
	e.MustDo(t, aliceToken, update, map[string]any{"id": m.ID, "ns": userID(alice.ID), "trigger": m.Trigger.ID, "q": "type:commit fixed",
		"actions": []any{editEmail(m.Actions.Nodes[0].ID, orgID), map[string]any{"webhook": map[string]any{"update": webhookAction("https://93.184.215.15/new")["webhook"]}}}}, &updated)
	u := updated.UpdateCodeMonitor
	if u.Description != "edited" || u.Trigger.Query != "type:commit fixed" || u.Actions.TotalCount != 2 {
		t.Fatalf("updated monitor: %+v", u)
	}
	if em := u.Actions.Nodes[0]; em.ID != m.Actions.Nodes[0].ID || em.Recipients.TotalCount != 1 || em.Recipients.Nodes[0].ID != orgID {
		t.Fatalf("updated email: %+v", em)
	}
	if wh := u.Actions.Nodes[1]; wh.ID == hook.ID || wh.URL != "https://93.184.215.15/new" || wh.Secret == nil || *wh.Secret == *hook.Secret {
		t.Fatalf("updated webhook: %+v", wh)
	}
	if r := e.Do(t, aliceToken, update, map[string]any{"id": m.ID, "ns": userID(alice.ID), "trigger": m.Trigger.ID, "q": "type:diff x", "actions": []any{}}); r.Code() != "BAD_USER_INPUT" {
		t.Errorf("update without actions: %+v", r.Errors)
	}
	// Another monitor's action id is not this monitor's.
	var other struct{ CreateCodeMonitor monitorView }
	e.MustDo(t, bobToken, createMonitor, vars(userID(bob.ID), "type:diff y", emailAction(userID(bob.ID))), &other)
	if r := e.Do(t, aliceToken, update, map[string]any{"id": m.ID, "ns": userID(alice.ID), "trigger": m.Trigger.ID, "q": "type:diff x",
		"actions": []any{editEmail(other.CreateCodeMonitor.Actions.Nodes[0].ID, userID(alice.ID))}}); r.Code() != "NOT_FOUND" {
		t.Errorf("update with another monitor's action: %+v", r.Errors)
	}

	// Site admins see every monitor.
	var all struct {
		Monitors struct {
			TotalCount int
			PageInfo   struct{ HasNextPage bool }
		}
	}
	e.MustDo(t, e.AdminToken, `query { monitors(first: 1) { totalCount pageInfo { hasNextPage } } }`, nil, &all)
	if all.Monitors.TotalCount != 3 || !all.Monitors.PageInfo.HasNextPage {
		t.Fatalf("admin's list: %+v", all)
	}
	read.Node = nil
	e.MustDo(t, e.AdminToken, get, map[string]any{"id": m.ID}, &read)
	if read.Node == nil {
		t.Fatal("an admin cannot read alice's monitor")
	}

	var toggled struct{ ToggleCodeMonitor struct{ Enabled bool } }
	e.MustDo(t, aliceToken, `mutation($id: ID!) { toggleCodeMonitor(id: $id, enabled: false) { enabled } }`, map[string]any{"id": m.ID}, &toggled)
	if toggled.ToggleCodeMonitor.Enabled {
		t.Fatal("toggle did not disable the monitor")
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!) { deleteCodeMonitor(id: $id) { alwaysNil } }`, map[string]any{"id": m.ID}, nil)
	read.Node = nil
	e.MustDo(t, aliceToken, get, map[string]any{"id": m.ID}, &read)
	if read.Node != nil {
		t.Fatal("the deleted monitor is still there")
	}
}

func relayKind(id string) string { return relay.UnmarshalKind(graphql.ID(id)) }

func TestTriggerTestWebhookAction(t *testing.T) {
	received := make(chan *http.Request, 1)
	bodies := make(chan []byte, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		received <- r
		bodies <- b
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	n, err := notify.New(notify.Config{Outgoing: notify.OutgoingConfig{AllowedHosts: []string{"127.0.0.1"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := apitest.New(t, apitest.Options{Deps: func(d *resolvers.Deps) { d.Notifier = n }})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	e.MustDo(t, aliceToken, `mutation($ns: ID!, $url: String!) { triggerTestWebhookAction(namespace: $ns, description: "my monitor", webhook: {enabled: true, includeResults: true, url: $url}) { alwaysNil } }`,
		map[string]any{"ns": userID(alice.ID), "url": srv.URL + "/hook"}, nil)
	r := <-received
	body := <-bodies
	if r.Header.Get(notify.EventHeader) != "test" || !strings.Contains(string(body), `"monitorDescription":"my monitor"`) || !strings.Contains(string(body), `"test":true`) {
		t.Fatalf("test delivery: %v %s", r.Header, body)
	}
	// Slack: the host rule is waived for hosts the admin allowed.
	e.MustDo(t, aliceToken, `mutation($ns: ID!, $url: String!) { triggerTestSlackWebhookAction(namespace: $ns, description: "my monitor", slackWebhook: {enabled: true, includeResults: false, url: $url}) { alwaysNil } }`,
		map[string]any{"ns": userID(alice.ID), "url": srv.URL + "/services/T0/B0/X0"}, nil)
	<-received
	if body := <-bodies; !strings.Contains(string(body), `"blocks"`) || !strings.Contains(string(body), "my monitor") {
		t.Fatalf("test Slack message: %s", body)
	}
	// Another user's namespace is refused.
	bob, _ := e.CreateUser(t, "bob", false)
	if resp := e.Do(t, aliceToken, `mutation($ns: ID!, $url: String!) { triggerTestWebhookAction(namespace: $ns, description: "x", webhook: {enabled: true, includeResults: true, url: $url}) { alwaysNil } }`,
		map[string]any{"ns": userID(bob.ID), "url": srv.URL}); resp.Code() != "FORBIDDEN" {
		t.Fatalf("test action in another namespace: %+v", resp.Errors)
	}
	// A receiver that fails is reported.
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "nope", http.StatusBadRequest) })
	if resp := e.Do(t, aliceToken, `mutation($ns: ID!, $url: String!) { triggerTestWebhookAction(namespace: $ns, description: "x", webhook: {enabled: true, includeResults: true, url: $url}) { alwaysNil } }`,
		map[string]any{"ns": userID(alice.ID), "url": srv.URL}); resp.Code() != resolvers.DeliveryFailed {
		t.Fatalf("failed test delivery: %+v", resp.Errors)
	}
}
