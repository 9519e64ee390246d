package issuemonitors_test

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	issuemonitors "github.com/lookout/lookout/internal/background/issuemonitors"
	"github.com/lookout/lookout/internal/gittest"
	"github.com/lookout/lookout/internal/notify"
	"github.com/lookout/lookout/internal/search"
	"github.com/lookout/lookout/internal/store"
)

const createMonitor = `mutation($ns: ID!, $query: String!, $rule: AlertRuleInput!, $url: String!, $identity: IssueIdentity!) {
	createIssueMonitor(monitor: {namespace: $ns, description: "exec calls", enabled: true},
		issueTracking: {query: $query, identity: $identity, searchSchedule: "0 3 * * *", updateSchedule: "0 4 * * *", rule: $rule},
		actions: [{webhook: {enabled: true, includeResults: true, url: $url}}]) {
		id actions { nodes { ... on MonitorWebhook { secret issueEvents } } }
	} }`

type created struct {
	CreateIssueMonitor struct {
		ID      string
		Actions struct {
			Nodes []struct {
				Secret      *string
				IssueEvents []string
			}
		}
	}
}

type monitorView struct {
	Node struct {
		Issues struct {
			TotalCount int
			Nodes      []struct {
				ID, Key, State, Path string
				Data                 struct{ MatchCount int }
				Alert                *struct{ ID string }
			}
		}
		Alerts struct {
			Nodes []struct {
				ID, State string
				Priority  *string
				Issues    struct{ TotalCount int }
				Events    struct{ Nodes []struct{ Name string } }
			}
		}
		IssueTracking struct {
			Runs struct {
				Nodes []struct {
					Status, Message string
					Outcome         *string
					ResultCount     int
				}
			}
		}
		Variables *[]struct{ Name, Value string }
	}
}

const viewMonitor = `query($id: ID!) { node(id: $id) { ... on Monitor {
	issues(state: ACTIVE, first: 50) { totalCount nodes { id key state path data alert { id } } }
	alerts(first: 10) { nodes { id state priority issues(state: ACTIVE) { totalCount } events(first: 50) { nodes { name } } } }
	issueTracking { runs(first: 10) { nodes { status message outcome resultCount } } }
	variables { name value }
} } }`

func (e *env) view(t *testing.T, token, id string) monitorView {
	t.Helper()
	var v monitorView
	e.api.MustDo(t, token, viewMonitor, map[string]any{"id": id}, &v)
	return v
}

func activePaths(v monitorView) []string {
	var out []string
	for _, is := range v.Node.Issues.Nodes {
		out = append(out, is.Path)
	}
	slices.Sort(out)
	return out
}

const execCall = "package main\n\nimport \"os/exec\"\n\nfunc run() { _ = exec.Command(\"ls\").Run() }\n"
const fixed = "package main\n\nfunc run() {}\n"

// TestIssueLifecycleEndToEnd is the acceptance scenario on a local repository, through
// the API and the real worker routines: three matching files make three issues and one
// alert at the count rule's level; fixing one file and pushing solves that issue at the
// next update, lowers the priority and delivers ALERT_PRIORITY_DECREASED to a signed
// webhook; fixing all solves the alert.
func TestIssueLifecycleEndToEnd(t *testing.T) {
	rc := startReceiver(t)
	e := startEnv(t, envOptions{})
	alice, token := e.api.CreateUser(t, "alice", false)

	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	work.Commit(t0, "", "initial", map[string]string{"cmd/a.go": execCall, "cmd/b.go": execCall, "cmd/c.go": execCall, "README.md": "exec.Command( in prose\n", "clean.go": fixed})
	repo := e.addLocalRepo(t, work.Dir)

	var c created
	e.api.MustDo(t, token, createMonitor, map[string]any{"ns": userID(alice.ID), "query": "lang:go exec.Command(", "identity": "DEFAULT", "url": rc.srv.URL + "/hook",
		"rule": map[string]any{"kind": "COUNT", "levels": map[string]any{"low": 0, "moderate": 2, "critical": 10}}}, &c)
	id := c.CreateIssueMonitor.ID
	secret := c.CreateIssueMonitor.Actions.Nodes[0].Secret
	if secret == nil || c.CreateIssueMonitor.Actions.Nodes[0].IssueEvents == nil {
		t.Fatalf("webhook action: %+v", c.CreateIssueMonitor.Actions.Nodes)
	}

	// The first search: three issues, one alert at P3 (3 > 2), alert_created delivered.
	if state, msg := e.run(t, token, id, true, false); state != "completed" {
		t.Fatalf("search run %s: %s", state, msg)
	}
	v := e.view(t, token, id)
	if got := activePaths(v); !slices.Equal(got, []string{"cmd/a.go", "cmd/b.go", "cmd/c.go"}) {
		t.Fatalf("active issues: %v", got)
	}
	if len(v.Node.Alerts.Nodes) != 1 || *v.Node.Alerts.Nodes[0].Priority != "P3" || v.Node.Alerts.Nodes[0].Issues.TotalCount != 3 {
		t.Fatalf("alerts: %+v", v.Node.Alerts.Nodes)
	}
	alertID := v.Node.Alerts.Nodes[0].ID
	for _, is := range v.Node.Issues.Nodes {
		if is.Alert == nil || is.Alert.ID != alertID || is.Data.MatchCount != 1 || !strings.HasPrefix(is.Key, "file:") {
			t.Fatalf("issue: %+v", is)
		}
	}
	if v.Node.Variables == nil || len(*v.Node.Variables) == 0 {
		t.Fatalf("variables: %+v", v.Node.Variables)
	}
	waitFor(t, "alert_created at the webhook", 10*time.Second, func() bool { return len(rc.all()) == 1 })
	if ev := rc.events(t)[0]; ev.EventName != "ALERT_CREATED" || ev.EventSource != "alert" || ev.MonitorDescription != "exec calls" {
		t.Fatalf("first delivery: %+v", ev)
	}

	// Fix b.go and push: the search alone changes nothing, the next update solves it.
	e.push(t, work, repo, t0.Add(time.Hour), "fix b", map[string]string{"cmd/b.go": fixed})
	if state, _ := e.run(t, token, id, true, false); state != "completed" {
		t.Fatal("search run failed")
	}
	if got := activePaths(e.view(t, token, id)); len(got) != 3 {
		t.Fatalf("a search solved issues: %v", got)
	}
	if state, msg := e.run(t, token, id, false, true); state != "completed" {
		t.Fatalf("update run %s: %s", state, msg)
	}
	v = e.view(t, token, id)
	if got := activePaths(v); !slices.Equal(got, []string{"cmd/a.go", "cmd/c.go"}) {
		t.Fatalf("active issues after fixing b.go: %v", got)
	}
	if a := v.Node.Alerts.Nodes[0]; *a.Priority != "P4" || a.State != "ACTIVE" {
		t.Fatalf("alert after fixing b.go: %+v", a)
	}
	waitFor(t, "alert_priority_decreased at the webhook", 10*time.Second, func() bool { return len(rc.all()) == 2 })
	d := rc.all()[1]
	if err := notify.VerifySignature(*secret, d.body, d.header.Get(notify.SignatureHeader)); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if d.header.Get(notify.EventHeader) != "ALERT_PRIORITY_DECREASED" {
		t.Fatalf("event header %q", d.header.Get(notify.EventHeader))
	}
	ev := rc.events(t)[1]
	var data struct {
		ID           int64
		Priority     string
		ActiveIssues int
	}
	var extra struct{ PreviousPriority, Priority string }
	_ = json.Unmarshal(ev.EventData, &data)
	_ = json.Unmarshal(ev.ExtraPayload, &extra)
	if ev.EventName != "ALERT_PRIORITY_DECREASED" || ev.EventSource != "alert" || ev.EventSourceID != data.ID || ev.EventSourceMonitorID == 0 ||
		data.Priority != "P4" || data.ActiveIssues != 2 || extra.PreviousPriority != "P3" || extra.Priority != "P4" {
		t.Fatalf("priority decrease payload: %s", d.body)
	}

	// Fix everything: the alert is solved.
	e.push(t, work, repo, t0.Add(2*time.Hour), "fix all", map[string]string{"cmd/a.go": fixed, "cmd/c.go": fixed})
	if state, _ := e.run(t, token, id, true, true); state != "completed" {
		t.Fatal("update run failed")
	}
	v = e.view(t, token, id)
	if v.Node.Issues.TotalCount != 0 || v.Node.Alerts.Nodes[0].State != "SOLVED" {
		t.Fatalf("after fixing all: %d active issues, alert %+v", v.Node.Issues.TotalCount, v.Node.Alerts.Nodes[0])
	}
	var names []string
	for _, n := range v.Node.Alerts.Nodes[0].Events.Nodes {
		names = append(names, n.Name)
	}
	for _, want := range []string{"ALERT_CREATED", "ALERT_PRIORITY_DECREASED", "ALERT_SOLVED", "ISSUE_LINKED", "ISSUE_SOLVED", "NOTIFICATION_CREATED", "NOTIFICATION_CLOSED"} {
		if !slices.Contains(names, want) {
			t.Fatalf("alert events %v lack %s", names, want)
		}
	}
	waitFor(t, "alert_solved at the webhook", 10*time.Second, func() bool { return len(rc.all()) == 3 })
	if ev := rc.events(t)[2]; ev.EventName != "ALERT_SOLVED" {
		t.Fatalf("last delivery: %+v", ev)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(rc.all()); n != 3 {
		t.Fatalf("%d deliveries, want 3 (one per subscribed event)", n)
	}
}

// stallingSearcher is the real search service, stalled or failing on demand: "timeout"
// holds a search until the run's execution timeout has passed, "error" fails it.
type stallingSearcher struct {
	inner issuemonitors.Searcher
	mode  atomic.Value // string
}

func (s *stallingSearcher) Search(ctx context.Context, req search.Request) (*search.Results, error) {
	switch s.mode.Load() {
	case "timeout":
		<-ctx.Done()
	case "error":
		return nil, errors.New("the search backend is down")
	}
	return s.inner.Search(ctx, req)
}

// TestFailedRunsChangeNothing: an update run that times out, or whose search fails,
// leaves every issue and alert as it was, although the fix was pushed; the next good
// run applies it.
func TestFailedRunsChangeNothing(t *testing.T) {
	ctx := context.Background()
	ss := &stallingSearcher{}
	ss.mode.Store("")
	e := startEnv(t, envOptions{wrap: func(in issuemonitors.Searcher) issuemonitors.Searcher { ss.inner = in; return ss }})
	alice, token := e.api.CreateUser(t, "alice", false)
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	work.Commit(t0, "", "initial", map[string]string{"a.go": execCall, "b.go": execCall})
	repo := e.addLocalRepo(t, work.Dir)
	rc := startReceiver(t)
	var c created
	e.api.MustDo(t, token, `mutation($ns: ID!, $url: String!) { createIssueMonitor(monitor: {namespace: $ns, description: "exec calls", enabled: true},
		issueTracking: {query: "exec.Command(", searchSchedule: "@daily", updateSchedule: "@daily", executionTimeout: 1, rule: {kind: COUNT, levels: {low: 0, high: 1}}},
		actions: [{webhook: {enabled: true, includeResults: false, url: $url}, events: [ISSUE_SOLVED, ALERT_PRIORITY_DECREASED]}]) { id } }`,
		map[string]any{"ns": userID(alice.ID), "url": rc.srv.URL}, &c)
	id := c.CreateIssueMonitor.ID
	if state, _ := e.run(t, token, id, true, false); state != "completed" {
		t.Fatal("first search failed")
	}
	snapshot := func() string {
		var s string
		if err := e.api.DB.QueryRow(ctx, `SELECT (SELECT json_agg(i ORDER BY id)::text FROM im_issues i) || (SELECT json_agg(a ORDER BY id)::text FROM im_alerts a)
			|| (SELECT count(*)::text FROM im_events) || (SELECT count(*)::text FROM im_action_jobs)`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := snapshot()
	if !strings.Contains(before, `"state":"active"`) || !strings.Contains(before, `"priority":2`) {
		t.Fatalf("state after the first search: %s", before)
	}

	e.push(t, work, repo, t0.Add(time.Hour), "fix a", map[string]string{"a.go": fixed})

	ss.mode.Store("timeout")
	state, msg := e.run(t, token, id, true, true)
	if state != "failed" || !strings.Contains(msg, "execution timeout") {
		t.Fatalf("a timed-out run ended %s: %q", state, msg)
	}
	if after := snapshot(); after != before {
		t.Fatalf("a timed-out run changed issues:\nbefore %s\nafter  %s", before, after)
	}
	v := e.view(t, token, id)
	if o := v.Node.IssueTracking.Runs.Nodes[0].Outcome; o == nil || *o != "TIMEOUT" {
		t.Fatalf("run outcome: %+v", v.Node.IssueTracking.Runs.Nodes[0])
	}

	ss.mode.Store("error")
	if state, msg := e.run(t, token, id, false, true); state != "errored" || !strings.Contains(msg, "backend is down") {
		t.Fatalf("a failing run ended %s: %q", state, msg)
	}
	if after := snapshot(); after != before {
		t.Fatalf("a failed run changed issues:\nbefore %s\nafter  %s", before, after)
	}
	if len(rc.all()) != 0 {
		t.Fatalf("failed runs sent %d messages", len(rc.all()))
	}

	// Searches work again: the fix is seen.
	ss.mode.Store("")
	if state, msg := e.run(t, token, id, false, true); state != "completed" {
		t.Fatalf("update run %s: %q", state, msg)
	}
	if got := activePaths(e.view(t, token, id)); !slices.Equal(got, []string{"b.go"}) {
		t.Fatalf("active issues: %v", got)
	}
	waitFor(t, "issue_solved and alert_priority_decreased", 10*time.Second, func() bool { return len(rc.all()) == 2 })
	var got []string
	for _, ev := range rc.events(t) {
		got = append(got, ev.EventName)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"ALERT_PRIORITY_DECREASED", "ISSUE_SOLVED"}) {
		t.Fatalf("deliveries: %v", got)
	}
}

// TestAgeAndValueRulesEndToEnd runs an AGE rule with the worker's clock moved by hand,
// and a VALUE rule over the match counts the search finds.
func TestAgeAndValueRulesEndToEnd(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice, token := e.api.CreateUser(t, "alice", false)
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	many := execCall + "func more() { exec.Command(\"a\"); exec.Command(\"b\") }\n"
	work.Commit(t0, "", "initial", map[string]string{"one.go": execCall, "three.go": many})
	repo := e.addLocalRepo(t, work.Dir)
	rc := startReceiver(t)

	var age, value created
	e.api.MustDo(t, token, createMonitor, map[string]any{"ns": userID(alice.ID), "query": "exec.Command(", "identity": "FILE", "url": rc.srv.URL,
		"rule": map[string]any{"kind": "AGE", "levels": map[string]any{"informational": 60, "high": 3600}}}, &age)
	e.api.MustDo(t, token, createMonitor, map[string]any{"ns": userID(alice.ID), "query": "exec.Command(", "identity": "FILE", "url": rc.srv.URL,
		"rule": map[string]any{"kind": "VALUE", "valueField": "matchCount", "operation": "GREATER_THAN", "levels": map[string]any{"low": 1, "high": 3}}}, &value)
	priority := func(id string) string {
		v := e.view(t, token, id)
		if len(v.Node.Alerts.Nodes) == 0 {
			return "no alert"
		}
		a := v.Node.Alerts.Nodes[len(v.Node.Alerts.Nodes)-1]
		if a.State != "ACTIVE" {
			return a.State
		}
		if a.Priority == nil {
			return "none"
		}
		return *a.Priority
	}

	// AGE: new issues are 0 s old, which reaches no level: they wait without an alert.
	e.run(t, token, age.CreateIssueMonitor.ID, true, false)
	if p := priority(age.CreateIssueMonitor.ID); p != "no alert" {
		t.Fatalf("age rule at 0s: %s", p)
	}
	e.clock.advance(60 * time.Second) // equal to the threshold: still nothing
	e.run(t, token, age.CreateIssueMonitor.ID, false, true)
	if p := priority(age.CreateIssueMonitor.ID); p != "no alert" {
		t.Fatalf("age rule at 60s: %s", p)
	}
	e.clock.advance(time.Second)
	e.run(t, token, age.CreateIssueMonitor.ID, false, true)
	if p := priority(age.CreateIssueMonitor.ID); p != "P5" {
		t.Fatalf("age rule at 61s: %s", p)
	}
	e.clock.advance(time.Hour)
	e.run(t, token, age.CreateIssueMonitor.ID, false, true)
	if p := priority(age.CreateIssueMonitor.ID); p != "P2" {
		t.Fatalf("age rule at 1h1m1s: %s", p)
	}

	// VALUE: one.go has 1 match (equal to low: nothing), three.go 3 (above low, equal to
	// high): P4. A fourth call in three.go raises it to P2.
	e.run(t, token, value.CreateIssueMonitor.ID, true, false)
	if p := priority(value.CreateIssueMonitor.ID); p != "P4" {
		t.Fatalf("value rule: %s", p)
	}
	e.push(t, work, repo, t0.Add(time.Hour), "more", map[string]string{"three.go": many + "func again() { exec.Command(\"c\") }\n"})
	e.run(t, token, value.CreateIssueMonitor.ID, false, true)
	if p := priority(value.CreateIssueMonitor.ID); p != "P2" {
		t.Fatalf("value rule after a fourth call: %s", p)
	}
	v := e.view(t, token, value.CreateIssueMonitor.ID)
	for _, is := range v.Node.Issues.Nodes {
		if want := map[string]int{"one.go": 1, "three.go": 4}[is.Path]; is.Data.MatchCount != want {
			t.Fatalf("issue %s matchCount %d, want %d", is.Path, is.Data.MatchCount, want)
		}
	}
}

// TestIdentitiesEndToEnd runs the update path of each identity against a real
// repository: LINE issues survive edits above them and are solved with their line,
// COMMIT issues are re-found in their commit alone, REPOSITORY issues (select:repo)
// are solved when the repository has no result left.
func TestIdentitiesEndToEnd(t *testing.T) {
	e := startEnv(t, envOptions{})
	alice, token := e.api.CreateUser(t, "alice", false)
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	work.Commit(t0, "", "initial", map[string]string{"x.go": "package x\n// TODO: one\nfunc f() {}\n// TODO: two\n"})
	secret := work.Commit(t0.Add(time.Minute), "", "config", map[string]string{"config.env": "SECRET=1\n"})
	repo := e.addLocalRepo(t, work.Dir)

	create := func(query, identity string) string {
		var c created
		e.api.MustDo(t, token, createMonitor, map[string]any{"ns": userID(alice.ID), "query": query, "identity": identity, "url": "http://127.0.0.1:1/unused",
			"rule": map[string]any{"kind": "COUNT", "levels": map[string]any{"low": 0}}}, &c)
		return c.CreateIssueMonitor.ID
	}
	line, commit, repoMon := create("TODO:", "LINE"), create("type:diff SECRET", "DEFAULT"), create("TODO: select:repo", "DEFAULT")
	for _, id := range []string{line, commit, repoMon} {
		if state, msg := e.run(t, token, id, true, false); state != "completed" {
			t.Fatalf("search %s: %s", state, msg)
		}
	}
	issues := func(id string) map[string]string { // key → line numbers or state
		v := e.view(t, token, id)
		out := map[string]string{}
		for _, is := range v.Node.Issues.Nodes {
			out[is.Key] = is.State
		}
		return out
	}
	lineKeys := issues(line)
	if len(lineKeys) != 2 {
		t.Fatalf("line issues: %v", lineKeys)
	}
	for k := range lineKeys {
		if !strings.HasPrefix(k, "line:") {
			t.Fatalf("line issue key %q", k)
		}
	}
	if got := issues(commit); len(got) != 1 || !strings.Contains(strings.Join(slices.Collect(mapsKeys(got)), ""), secret) {
		t.Fatalf("commit issues: %v (want %s)", got, secret)
	}
	if got := issues(repoMon); len(got) != 1 || !strings.HasPrefix(slices.Collect(mapsKeys(got))[0], "repo:") {
		t.Fatalf("repository issues: %v", got)
	}

	// Lines moved by an edit above them are the same issues; a removed line is solved.
	e.push(t, work, repo, t0.Add(time.Hour), "edit", map[string]string{"x.go": "package x\n\nimport \"fmt\"\n// TODO: one\nfunc f() { fmt.Println() }\n// TODO: two\n"})
	for _, id := range []string{line, commit, repoMon} {
		if state, msg := e.run(t, token, id, false, true); state != "completed" {
			t.Fatalf("update %s: %s", state, msg)
		}
	}
	if got := issues(line); !maps.Equal(got, lineKeys) {
		t.Fatalf("line issues after moving the lines: %v, want %v", got, lineKeys)
	}
	if got := issues(commit); len(got) != 1 {
		t.Fatalf("commit issue after an update: %v", got)
	}
	var updated int
	if err := e.api.DB.QueryRow(context.Background(), "SELECT count(*) FROM im_events WHERE name = 'issue_updated_not_solved'").Scan(&updated); err != nil || updated != 4 {
		t.Fatalf("%d issue_updated_not_solved events (%v), want 4 (two lines, a commit, a repository)", updated, err)
	}
	e.push(t, work, repo, t0.Add(2*time.Hour), "done one", map[string]string{"x.go": "package x\nfunc f() {}\n// TODO: two\n"})
	e.run(t, token, line, false, true)
	if got := issues(line); len(got) != 1 {
		t.Fatalf("line issues after removing one: %v", got)
	}
	e.push(t, work, repo, t0.Add(3*time.Hour), "done", map[string]string{"x.go": "package x\n"})
	e.run(t, token, repoMon, false, true)
	if got := issues(repoMon); len(got) != 0 {
		t.Fatalf("repository issues with no TODO left: %v", got)
	}
}

func mapsKeys(m map[string]string) iter.Seq[string] { return maps.Keys(m) }

// TestScheduledRunsAsOwner: runs come from the cron schedules alone, and search as the
// monitor's owner: a private repository finds nothing until the owner may read it, and
// issues of a repository the owner can no longer read are left as they were (a missing
// answer is not a solved issue), although the fix was pushed.
func TestScheduledRunsAsOwner(t *testing.T) {
	ctx := context.Background()
	e := startEnv(t, envOptions{})
	alice, token := e.api.CreateUser(t, "alice", false)
	work := gittest.NewRepo(t)
	t0 := time.Date(2025, 6, 1, 9, 0, 0, 0, time.UTC)
	work.Commit(t0, "", "initial", map[string]string{"a.go": execCall, "b.go": execCall})
	repo := e.addLocalRepo(t, work.Dir)
	if _, err := e.api.DB.Exec(ctx, "UPDATE repo SET private = true WHERE id = $1", repo.ID); err != nil {
		t.Fatal(err)
	}
	var c created
	e.api.MustDo(t, token, `mutation($ns: ID!) { createIssueMonitor(monitor: {namespace: $ns, description: "private", enabled: true},
		issueTracking: {query: "exec.Command(", searchSchedule: "@every 1m", updateSchedule: "@every 1m", rule: {kind: COUNT, levels: {low: 0}}}, actions: []) { id } }`,
		map[string]any{"ns": userID(alice.ID)}, &c)
	id := c.CreateIssueMonitor.ID
	// The API allows runs a minute apart at most; the test runs them every second
	// through the store, which the worker reads the schedule from.
	if _, err := e.api.DB.Exec(ctx, "UPDATE im_configs SET search_schedule = '@every 1s', update_schedule = '@every 1s', next_search_at = now(), next_update_at = now()"); err != nil {
		t.Fatal(err)
	}
	completedRuns := func() int {
		var n int
		if err := e.api.DB.QueryRow(ctx, "SELECT count(*) FROM im_runs WHERE state = 'completed' AND recorded_at IS NOT NULL").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitFor(t, "two scheduled runs", 20*time.Second, func() bool { return completedRuns() >= 2 })
	if got := activePaths(e.view(t, token, id)); len(got) != 0 {
		t.Fatalf("the monitor found issues in a repository its owner cannot read: %v", got)
	}

	if err := e.st.Repos().SetRepoPermissions(ctx, repo.ID, []int64{alice.ID}, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the issues of the readable repository", 20*time.Second, func() bool { return len(activePaths(e.view(t, token, id))) == 2 })

	if err := e.st.Repos().SetRepoPermissions(ctx, repo.ID, nil, store.PermissionSourceAPI); err != nil {
		t.Fatal(err)
	}
	e.push(t, work, repo, t0.Add(time.Hour), "fix a", map[string]string{"a.go": fixed})
	before := completedRuns()
	waitFor(t, "two more scheduled runs", 20*time.Second, func() bool { return completedRuns() >= before+2 })
	if got := activePaths(e.view(t, token, id)); !slices.Equal(got, []string{"a.go", "b.go"}) {
		t.Fatalf("issues of an unreadable repository changed: %v", got)
	}
}
