package resolvers_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	graphql "github.com/graph-gophers/graphql-go"
	"github.com/graph-gophers/graphql-go/relay"

	"github.com/lookout/lookout/internal/apitest"
	domain "github.com/lookout/lookout/internal/issuemonitors"
	"github.com/lookout/lookout/internal/store"
)

const createIssueMonitorMutation = `mutation($ns: ID!, $it: IssueTrackingInput!, $actions: [IssueMonitorActionInput!]!) {
	createIssueMonitor(monitor: {namespace: $ns, description: "exec calls", enabled: true}, issueTracking: $it, actions: $actions) {
		id enabled trigger { ... on MonitorQuery { id query events { totalCount } } }
		issueTracking { query identity searchSchedule updateSchedule maxIssuesPerRun executionTimeout solvable unique dismissAcknowledgeOnNewIssues
			rule { kind valueField operation levels { informational low moderate high critical } } }
		actions { nodes { __typename ... on MonitorWebhook { id secret issueEvents minimumPriority } ... on MonitorEmail { id issueEvents minimumPriority } } }
	} }`

type issueMonitorCreated struct {
	CreateIssueMonitor struct {
		ID      string
		Enabled bool
		Trigger struct {
			ID, Query string
			Events    struct{ TotalCount int }
		}
		IssueTracking struct {
			Query, Identity, SearchSchedule, UpdateSchedule string
			MaxIssuesPerRun, ExecutionTimeout               int
			Solvable, Unique, DismissAcknowledgeOnNewIssues bool
			Rule                                            struct {
				Kind       string
				ValueField *string
				Operation  string
				Levels     map[string]*float64
			}
		}
		Actions struct {
			Nodes []struct {
				Typename        string `json:"__typename"`
				ID              string
				Secret          *string
				IssueEvents     []string
				MinimumPriority *string
			}
		}
	}
}

func issueTracking(changes map[string]any) map[string]any {
	it := map[string]any{"query": "lang:go exec.Command(", "searchSchedule": "*/15 * * * *", "updateSchedule": "@every 5m",
		"rule": map[string]any{"kind": "COUNT", "levels": map[string]any{"low": 0, "moderate": 1}}}
	for k, v := range changes {
		it[k] = v
	}
	return it
}

// seedIssues runs the engine over a monitor as the worker does, with file results.
func seedIssues(t *testing.T, st *store.Store, monitorID int64, paths ...string) {
	t.Helper()
	ctx := context.Background()
	var cands []domain.Candidate
	for _, p := range paths {
		cands = append(cands, domain.Candidate{Key: "file:999:" + p, Data: domain.IssueData{Kind: domain.KindFile, Repository: "r", Path: p, MatchCount: 1}})
	}
	err := st.Transact(ctx, func(tx *store.Store) error {
		ims := tx.IssueMonitors()
		s, err := ims.LoadState(ctx, monitorID)
		if err != nil {
			return err
		}
		e := domain.NewEngine(s, time.Now(), 0)
		e.Run(domain.RunInput{Search: true, Candidates: cands})
		w, err := e.Finish(func(kind string, n int) ([]int64, error) { return ims.AllocateIDs(ctx, kind, n) })
		if err != nil {
			return err
		}
		return ims.Apply(ctx, w)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestIssueMonitorsAPI(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})
	alice, aliceToken := e.CreateUser(t, "alice", false)
	_, bobToken := e.CreateUser(t, "bob", false)
	hook := map[string]any{"webhook": map[string]any{"enabled": true, "includeResults": true, "url": "https://93.184.215.14/hook"},
		"events": []string{"ISSUE_SOLVED", "ALERT_CREATED"}, "minimumPriority": "P3"}
	email := map[string]any{"email": map[string]any{"enabled": true, "includeResults": false, "priority": "NORMAL", "recipients": []string{userID(alice.ID)}, "header": ""}}

	var c issueMonitorCreated
	e.MustDo(t, aliceToken, createIssueMonitorMutation, map[string]any{"ns": userID(alice.ID), "it": issueTracking(nil), "actions": []any{hook, email}}, &c)
	m := c.CreateIssueMonitor
	it := m.IssueTracking
	if it.Query != "lang:go exec.Command(" || it.Identity != "DEFAULT" || it.MaxIssuesPerRun != 100 || it.ExecutionTimeout != 60 || !it.Solvable || it.Unique ||
		it.Rule.Kind != "COUNT" || it.Rule.ValueField != nil || it.Rule.Operation != "GREATER_THAN" || *it.Rule.Levels["moderate"] != 1 || it.Rule.Levels["high"] != nil {
		t.Fatalf("issue tracking: %+v", it)
	}
	// The monitor's trigger is its query, with no code monitor events.
	if m.Trigger.Query != it.Query || m.Trigger.Events.TotalCount != 0 || relayKind(m.Trigger.ID) != "IssueMonitorQuery" {
		t.Fatalf("trigger: %+v", m.Trigger)
	}
	w, em := m.Actions.Nodes[1], m.Actions.Nodes[0]
	if w.Typename != "MonitorWebhook" || w.Secret == nil || !slices.Equal(w.IssueEvents, []string{"ALERT_CREATED", "ISSUE_SOLVED"}) || *w.MinimumPriority != "P3" {
		t.Fatalf("webhook: %+v", w)
	}
	if em.Typename != "MonitorEmail" || em.IssueEvents == nil || len(em.IssueEvents) != 0 || em.MinimumPriority != nil {
		t.Fatalf("email: %+v", em)
	}

	// Validation.
	for _, tc := range []struct {
		name    string
		changes map[string]any
		actions []any
		code    string
		msg     string
	}{
		{"bad cron", map[string]any{"searchSchedule": "sometimes"}, nil, "BAD_USER_INPUT", "searchSchedule"},
		{"time zone without a schedule", map[string]any{"updateSchedule": "TZ=UTC"}, nil, "BAD_USER_INPUT", "time zone"},
		{"runs a second apart", map[string]any{"searchSchedule": "@every 1s"}, nil, "BAD_USER_INPUT", "searchSchedule: runs must be at least 1 minute apart"},
		{"updates 30 seconds apart", map[string]any{"updateSchedule": "*/30 * * * * *"}, nil, "BAD_USER_INPUT", "updateSchedule: runs must be at least 1 minute apart"},
		{"unknown filter", map[string]any{"query": "exec.Command( lnag:go"}, nil, "InvalidQuery", "unknown filter lnag:"},
		{"bad query", map[string]any{"query": "repo:("}, nil, "InvalidQuery", ""},
		{"value rule without field", map[string]any{"rule": map[string]any{"kind": "VALUE", "levels": map[string]any{"low": 1}}}, nil, "BAD_USER_INPUT", "valueField"},
		{"thresholds not monotonic", map[string]any{"rule": map[string]any{"kind": "COUNT", "levels": map[string]any{"low": 5, "high": 2}}}, nil, "BAD_USER_INPUT", "greater than"},
		{"identity", map[string]any{"identity": "COMMIT"}, nil, "BAD_USER_INPUT", "COMMIT"},
		{"timeout", map[string]any{"executionTimeout": 3600}, nil, "BAD_USER_INPUT", "executionTimeout"},
		{"notification events", nil, []any{map[string]any{"webhook": map[string]any{"enabled": true, "includeResults": true, "url": "https://93.184.215.14/x"},
			"events": []string{"NOTIFICATION_CREATED"}}}, "BAD_USER_INPUT", "cannot subscribe"},
		{"two kinds in one action", nil, []any{map[string]any{"email": email["email"], "webhook": hook["webhook"]}}, "BAD_USER_INPUT", "exactly one"},
	} {
		actions := tc.actions
		if actions == nil {
			actions = []any{}
		}
		r := e.Do(t, aliceToken, createIssueMonitorMutation, map[string]any{"ns": userID(alice.ID), "it": issueTracking(tc.changes), "actions": actions})
		if r.Code() != tc.code || (tc.msg != "" && !strings.Contains(r.Errors[0].Message, tc.msg)) {
			t.Errorf("%s: %+v, want %s with %q", tc.name, r.Errors, tc.code, tc.msg)
		}
	}

	var n int64
	_ = relay.UnmarshalSpec(graphql.ID(m.ID), &n)
	seedIssues(t, e.Store, n, "a.go", "b.go", "c.go")

	const view = `query($id: ID!) { node(id: $id) { ... on Monitor {
		issues(state: ACTIVE, first: 2) { totalCount pageInfo { hasNextPage endCursor } nodes { id key state path data repository { id } alert { id } } }
		alerts { totalCount nodes { id priority state acknowledged acknowledgedPriority locked issues { totalCount } events(first: 50) { nodes { name actor { username } payload } } } }
		variables { name }
		issueTracking { events(first: 1) { totalCount } }
	} } }`
	type viewT struct {
		Node *struct {
			Issues struct {
				TotalCount int
				PageInfo   struct {
					HasNextPage bool
					EndCursor   *string
				}
				Nodes []struct {
					ID, Key, State, Path string
					Data                 map[string]any
					Repository           *struct{ ID string }
					Alert                *struct{ ID string }
				}
			}
			Alerts struct {
				TotalCount int
				Nodes      []struct {
					ID, State            string
					Priority             *string
					Acknowledged, Locked bool
					AcknowledgedPriority *string
					Issues               struct{ TotalCount int }
					Events               struct {
						Nodes []struct {
							Name    string
							Actor   *struct{ Username string }
							Payload map[string]any
						}
					}
				}
			}
			Variables     *[]struct{ Name string }
			IssueTracking struct{ Events struct{ TotalCount int } }
		}
	}
	read := func(token string) viewT {
		var v viewT
		e.MustDo(t, token, view, map[string]any{"id": m.ID}, &v)
		return v
	}
	v := read(aliceToken)
	if v.Node.Issues.TotalCount != 3 || len(v.Node.Issues.Nodes) != 2 || !v.Node.Issues.PageInfo.HasNextPage || v.Node.Issues.Nodes[0].Path != "a.go" ||
		v.Node.Issues.Nodes[0].Data["matchCount"] != float64(1) || v.Node.Issues.Nodes[0].Repository != nil {
		t.Fatalf("issues: %+v", v.Node.Issues)
	}
	var page2 struct {
		Node struct {
			Issues struct{ Nodes []struct{ Path string } }
		}
	}
	e.MustDo(t, aliceToken, `query($id: ID!, $after: String) { node(id: $id) { ... on Monitor { issues(first: 2, after: $after) { nodes { path } } } } }`,
		map[string]any{"id": m.ID, "after": *v.Node.Issues.PageInfo.EndCursor}, &page2)
	if len(page2.Node.Issues.Nodes) != 1 || page2.Node.Issues.Nodes[0].Path != "c.go" {
		t.Fatalf("second page: %+v", page2)
	}
	a := v.Node.Alerts.Nodes
	if len(a) != 1 || *a[0].Priority != "P3" || a[0].State != "ACTIVE" || a[0].Issues.TotalCount != 3 || v.Node.Issues.Nodes[0].Alert.ID != a[0].ID {
		t.Fatalf("alerts: %+v", a)
	}
	if v.Node.Variables == nil {
		t.Fatal("the owner cannot read the variables")
	}
	if adm := read(e.AdminToken); adm.Node == nil || adm.Node.Variables != nil || adm.Node.Alerts.TotalCount != 1 {
		t.Fatalf("a site admin reads the monitor but not its variables: %+v", adm.Node)
	}
	if bob := read(bobToken); bob.Node != nil {
		t.Fatal("bob reads alice's monitor")
	}
	alertID, issueID := a[0].ID, v.Node.Issues.Nodes[0].ID

	// Alerts and issues are nodes, readable by whoever may read their monitor.
	const nodeQuery = `query($a: ID!, $i: ID!) { alert: node(id: $a) { __typename id ... on Alert { priority monitor { id } } }
		issue: node(id: $i) { __typename id ... on Issue { path alert { id } } } }`
	type nodesT struct {
		Alert *struct {
			Typename string `json:"__typename"`
			ID       string
			Priority string
			Monitor  struct{ ID string }
		}
		Issue *struct {
			Typename string `json:"__typename"`
			ID, Path string
			Alert    struct{ ID string }
		}
	}
	var nodes nodesT
	e.MustDo(t, aliceToken, nodeQuery, map[string]any{"a": alertID, "i": issueID}, &nodes)
	if nodes.Alert == nil || nodes.Alert.Typename != "Alert" || nodes.Alert.ID != alertID || nodes.Alert.Priority != "P3" || nodes.Alert.Monitor.ID != m.ID {
		t.Fatalf("alert node: %+v", nodes.Alert)
	}
	if nodes.Issue == nil || nodes.Issue.Typename != "Issue" || nodes.Issue.ID != issueID || nodes.Issue.Path != "a.go" || nodes.Issue.Alert.ID != alertID {
		t.Fatalf("issue node: %+v", nodes.Issue)
	}
	nodes = nodesT{}
	e.MustDo(t, bobToken, nodeQuery, map[string]any{"a": alertID, "i": issueID}, &nodes)
	if nodes.Alert != nil || nodes.Issue != nil {
		t.Fatalf("bob reads alice's alert and issue nodes: %+v", nodes)
	}

	// Bob can change nothing of alice's.
	for _, q := range []string{`mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }`, `mutation($id: ID!) { lockAlert(id: $id) { id } }`} {
		if r := e.Do(t, bobToken, q, map[string]any{"id": alertID}); r.Code() != "NOT_FOUND" {
			t.Fatalf("bob: %+v", r.Errors)
		}
	}
	if r := e.Do(t, bobToken, `mutation($id: ID!) { dropIssue(id: $id) { id } }`, map[string]any{"id": issueID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob drops an issue: %+v", r.Errors)
	}
	if r := e.Do(t, bobToken, `mutation($id: ID!) { runIssueMonitor(id: $id) { id } }`, map[string]any{"id": m.ID}); r.Code() != "NOT_FOUND" {
		t.Fatalf("bob runs the monitor: %+v", r.Errors)
	}

	// Acknowledge, lock, unlock; solving by hand is refused (solvable); drop an issue.
	var ack struct {
		AcknowledgeAlert struct {
			Acknowledged         bool
			AcknowledgedPriority string
		}
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!) { acknowledgeAlert(id: $id) { acknowledged acknowledgedPriority } }`, map[string]any{"id": alertID}, &ack)
	if !ack.AcknowledgeAlert.Acknowledged || ack.AcknowledgeAlert.AcknowledgedPriority != "P3" {
		t.Fatalf("acknowledge: %+v", ack)
	}
	var lock struct{ LockAlert, UnlockAlert struct{ Locked bool } }
	e.MustDo(t, aliceToken, `mutation($id: ID!) { lockAlert(id: $id) { locked } }`, map[string]any{"id": alertID}, &lock)
	e.MustDo(t, aliceToken, `mutation($id: ID!) { unlockAlert(id: $id) { locked } }`, map[string]any{"id": alertID}, &lock)
	if !lock.LockAlert.Locked || lock.UnlockAlert.Locked {
		t.Fatalf("lock: %+v", lock)
	}
	if r := e.Do(t, aliceToken, `mutation($id: ID!) { solveAlert(id: $id) { id } }`, map[string]any{"id": alertID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("solving a solvable monitor's alert: %+v", r.Errors)
	}
	var drop struct {
		DropIssue struct {
			State string
			Alert struct{ Priority string }
		}
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!) { dropIssue(id: $id) { state alert { priority } } }`, map[string]any{"id": issueID}, &drop)
	if drop.DropIssue.State != "DROPPED" || drop.DropIssue.Alert.Priority != "P3" {
		t.Fatalf("drop: %+v", drop)
	}
	if r := e.Do(t, aliceToken, `mutation($id: ID!) { dropIssue(id: $id) { id } }`, map[string]any{"id": issueID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("dropping a dropped issue: %+v", r.Errors)
	}
	v = read(aliceToken)
	evs := v.Node.Alerts.Nodes[0].Events.Nodes
	var names []string
	for _, ev := range evs {
		names = append(names, ev.Name)
	}
	for _, want := range []string{"ALERT_ACKNOWLEDGED", "ALERT_LOCKED", "ALERT_UNLOCKED", "ALERT_CREATED", "ISSUE_LINKED"} {
		if !slices.Contains(names, want) {
			t.Fatalf("alert events %v lack %s", names, want)
		}
	}
	if evs[len(evs)-1].Name == "ALERT_ACKNOWLEDGED" || evs[0].Actor == nil || evs[0].Actor.Username != "alice" {
		t.Fatalf("events newest first with their actor: %+v", evs[0])
	}
	if p := evs[0].Payload; p["event_source"] == nil || p["event_name"] == nil || p["event_source_monitor_id"] != float64(n) || p["event_data"] == nil || p["extra_payload"] == nil {
		t.Fatalf("payload: %+v", p)
	}
	// The email (default events) and the webhook (P3, alert_created or issue_solved) were
	// each sent alert_created; the manual changes are no event they subscribe to.
	var jobs int
	if err := e.DB.QueryRow(ctx, "SELECT count(*) FROM im_action_jobs").Scan(&jobs); err != nil || jobs != 2 {
		t.Fatalf("%d messages queued (%v), want 2", jobs, err)
	}
	// Each action lists its messages as its events (with their delivery status).
	var acts struct {
		Node struct {
			Actions struct {
				Nodes []struct {
					Typename string `json:"__typename"`
					Events   struct {
						TotalCount int
						Nodes      []struct{ ID, Status string }
					}
				}
			}
		}
	}
	e.MustDo(t, aliceToken, `query($id: ID!) { node(id: $id) { ... on Monitor { actions { nodes { __typename
		... on MonitorEmail { events { totalCount nodes { id status } } } ... on MonitorWebhook { events { totalCount nodes { id status } } } } } } } }`,
		map[string]any{"id": m.ID}, &acts)
	for _, a := range acts.Node.Actions.Nodes {
		if a.Events.TotalCount != 1 || a.Events.Nodes[0].Status != "PENDING" || relayKind(a.Events.Nodes[0].ID) != "IssueMonitorActionEvent" {
			t.Fatalf("%s events: %+v", a.Typename, a.Events)
		}
	}

	// Not solvable, disabled through the update (an event), enabled again with toggleCodeMonitor.
	upd := `mutation($id: ID!, $ns: ID!, $it: IssueTrackingInput!, $enabled: Boolean!, $hook: ID!) {
		updateIssueMonitor(id: $id, monitor: {namespace: $ns, description: "exec calls v2", enabled: $enabled}, issueTracking: $it,
			actions: [{id: $hook, webhook: {enabled: true, includeResults: false, url: "https://93.184.215.14/hook2"}, events: [ALERT_SOLVED]}]) {
			description enabled issueTracking { solvable } actions { totalCount nodes { ... on MonitorWebhook { url secret issueEvents minimumPriority } } } } }`
	var updated struct {
		UpdateIssueMonitor struct {
			Description   string
			Enabled       bool
			IssueTracking struct{ Solvable bool }
			Actions       struct {
				TotalCount int
				Nodes      []struct {
					URL             string
					Secret          *string
					IssueEvents     []string
					MinimumPriority *string
				}
			}
		}
	}
	e.MustDo(t, aliceToken, upd, map[string]any{"id": m.ID, "ns": userID(alice.ID), "it": issueTracking(map[string]any{"solvable": false}), "enabled": false, "hook": w.ID}, &updated)
	u := updated.UpdateIssueMonitor
	if u.Enabled || u.IssueTracking.Solvable || u.Actions.TotalCount != 1 || u.Actions.Nodes[0].Secret != nil || u.Actions.Nodes[0].URL != "https://93.184.215.14/hook2" ||
		!slices.Equal(u.Actions.Nodes[0].IssueEvents, []string{"ALERT_SOLVED"}) || u.Actions.Nodes[0].MinimumPriority != nil {
		t.Fatalf("updated: %+v", u)
	}
	if r := e.Do(t, aliceToken, `mutation($id: ID!) { runIssueMonitor(id: $id) { id } }`, map[string]any{"id": m.ID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("running a disabled monitor: %+v", r.Errors)
	}
	var toggled struct{ ToggleCodeMonitor struct{ Enabled bool } }
	e.MustDo(t, aliceToken, `mutation($id: ID!) { toggleCodeMonitor(id: $id, enabled: true) { enabled } }`, map[string]any{"id": m.ID}, &toggled)
	if !toggled.ToggleCodeMonitor.Enabled {
		t.Fatal("toggle")
	}
	var toggles int
	if err := e.DB.QueryRow(ctx, "SELECT count(*) FROM im_events WHERE name = 'monitor_enabled_changed'").Scan(&toggles); err != nil || toggles != 2 {
		t.Fatalf("%d monitor_enabled_changed events (%v), want 2", toggles, err)
	}
	var solved struct {
		SolveAlert struct {
			State  string
			Issues struct{ TotalCount int }
		}
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!) { solveAlert(id: $id) { state issues(state: SOLVED) { totalCount } } }`, map[string]any{"id": alertID}, &solved)
	if solved.SolveAlert.State != "SOLVED" || solved.SolveAlert.Issues.TotalCount != 2 {
		t.Fatalf("solve alert: %+v", solved)
	}
	var solvedJobs int
	if err := e.DB.QueryRow(ctx, "SELECT count(*) FROM im_action_jobs j JOIN im_events e ON e.id = j.event_id WHERE e.name = 'alert_solved'").Scan(&solvedJobs); err != nil || solvedJobs != 1 {
		t.Fatalf("alert_solved queued %d messages (%v), want 1 (the webhook)", solvedJobs, err)
	}

	var run struct {
		RunIssueMonitor struct {
			Status         string
			Search, Update bool
		}
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!) { runIssueMonitor(id: $id, update: false) { status search update } }`, map[string]any{"id": m.ID}, &run)
	if run.RunIssueMonitor.Status != "PENDING" || !run.RunIssueMonitor.Search || run.RunIssueMonitor.Update {
		t.Fatalf("run: %+v", run)
	}

	// A code monitor has no issue tracking; the mutations of each kind refuse the other.
	var cm struct {
		CreateCodeMonitor struct {
			ID            string
			IssueTracking *struct{ Query string }
			Issues        struct{ TotalCount int }
			Actions       struct {
				Nodes []struct{ IssueEvents *[]string }
			}
		}
	}
	e.MustDo(t, aliceToken, `mutation($ns: ID!) { createCodeMonitor(monitor: {namespace: $ns, description: "cm", enabled: true}, trigger: {query: "type:diff TODO"},
		actions: [{webhook: {enabled: true, includeResults: false, url: "https://93.184.215.14/x"}}]) { id issueTracking { query } issues { totalCount } actions { nodes { ... on MonitorWebhook { issueEvents } } } } }`,
		map[string]any{"ns": userID(alice.ID)}, &cm)
	if cm.CreateCodeMonitor.IssueTracking != nil || cm.CreateCodeMonitor.Issues.TotalCount != 0 || cm.CreateCodeMonitor.Actions.Nodes[0].IssueEvents != nil {
		t.Fatalf("code monitor: %+v", cm)
	}
	if r := e.Do(t, aliceToken, `mutation($id: ID!) { deleteIssueMonitor(id: $id) { alwaysNil } }`, map[string]any{"id": cm.CreateCodeMonitor.ID}); r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("deleting a code monitor as an issue monitor: %+v", r.Errors)
	}
	r := e.Do(t, aliceToken, `mutation($id: ID!, $t: ID!) { updateCodeMonitor(monitor: {id: $id, update: {namespace: "`+userID(alice.ID)+`", description: "x", enabled: true}},
		trigger: {id: $t, update: {query: "type:diff x"}}, actions: [{webhook: {update: {enabled: true, includeResults: false, url: "https://93.184.215.14/x"}}}]) { id } }`,
		map[string]any{"id": m.ID, "t": m.Trigger.ID})
	if r.Code() != "BAD_USER_INPUT" {
		t.Fatalf("updating an issue monitor as a code monitor: %+v", r.Errors)
	}
	var list struct {
		Node struct{ Monitors struct{ TotalCount int } }
	}
	e.MustDo(t, aliceToken, `query($u: ID!) { node(id: $u) { ... on User { monitors { totalCount } } } }`, map[string]any{"u": userID(alice.ID)}, &list)
	if list.Node.Monitors.TotalCount != 2 {
		t.Fatalf("alice's monitors: %d, want both kinds", list.Node.Monitors.TotalCount)
	}
	e.MustDo(t, aliceToken, `mutation($id: ID!) { deleteIssueMonitor(id: $id) { alwaysNil } }`, map[string]any{"id": m.ID}, nil)
	if left, err := e.Store.IssueMonitors().CountIssues(ctx, store.IssueListOptions{MonitorID: n}); err != nil || left != 0 {
		t.Fatalf("%d issues left after delete (%v)", left, err)
	}
}

// TestUpdateIssueMonitorIsAtomic: when recording the enabled change fails, the rest of
// the update is not kept either.
func TestUpdateIssueMonitorIsAtomic(t *testing.T) {
	ctx := context.Background()
	e := apitest.New(t, apitest.Options{})
	alice, token := e.CreateUser(t, "alice", false)
	var c issueMonitorCreated
	e.MustDo(t, token, createIssueMonitorMutation, map[string]any{"ns": userID(alice.ID), "it": issueTracking(nil), "actions": []any{}}, &c)
	if _, err := e.DB.Exec(ctx, `CREATE FUNCTION fail_enabled_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.name = 'monitor_enabled_changed' THEN RAISE EXCEPTION 'event store unavailable'; END IF; RETURN NEW; END $$;
CREATE TRIGGER fail_enabled_event BEFORE INSERT ON im_events FOR EACH ROW EXECUTE FUNCTION fail_enabled_event();`); err != nil {
		t.Fatal(err)
	}
	r := e.Do(t, token, `mutation($id: ID!, $ns: ID!, $it: IssueTrackingInput!) {
		updateIssueMonitor(id: $id, monitor: {namespace: $ns, description: "renamed", enabled: false}, issueTracking: $it, actions: []) { id } }`,
		map[string]any{"id": c.CreateIssueMonitor.ID, "ns": userID(alice.ID), "it": issueTracking(map[string]any{"query": "lang:go os.Exit("})})
	if len(r.Errors) == 0 {
		t.Fatal("the update succeeded although its event could not be recorded")
	}
	var got struct {
		Node struct {
			Description   string
			Enabled       bool
			IssueTracking struct{ Query string }
		}
	}
	e.MustDo(t, token, `query($id: ID!) { node(id: $id) { ... on Monitor { description enabled issueTracking { query } } } }`, map[string]any{"id": c.CreateIssueMonitor.ID}, &got)
	if got.Node.Description != "exec calls" || !got.Node.Enabled || got.Node.IssueTracking.Query != "lang:go exec.Command(" {
		t.Fatalf("a failed update left %+v", got.Node)
	}
}
