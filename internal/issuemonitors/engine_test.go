package issuemonitors

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/store"
)

// world holds a monitor's rows between engine sessions, as the store would: Finish's
// write is applied to it, with ids from counters.
type world struct {
	t       *testing.T
	monitor store.Monitor
	cfg     store.IssueMonitorConfig
	actions []store.IssueAction
	issues  map[int64]*store.MonitorIssue
	alerts  map[int64]*store.MonitorAlert
	notifs  map[int64]*store.IssueNotification
	events  []*store.IssueEvent
	jobs    []job
	ids     map[string]int64
	now     time.Time
}

type job struct {
	event  *store.IssueEvent
	action string // kind:id
	notif  int64
}

func newWorld(t *testing.T, cfg store.IssueMonitorConfig, actions ...store.IssueAction) *world {
	cfg.MonitorID = 7
	if cfg.MaxIssuesPerRun == 0 {
		cfg.MaxIssuesPerRun = 100
	}
	return &world{t: t, monitor: store.Monitor{ID: 7, Description: "exec calls", Enabled: true}, cfg: cfg, actions: actions,
		issues: map[int64]*store.MonitorIssue{}, alerts: map[int64]*store.MonitorAlert{}, notifs: map[int64]*store.IssueNotification{},
		ids: map[string]int64{}, now: time.Date(2025, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (w *world) state() *store.IssueMonitorState {
	m, c := w.monitor, w.cfg
	st := &store.IssueMonitorState{Monitor: &m, Config: &c, Actions: w.actions}
	for _, id := range sortedKeys(w.issues) {
		if is := *w.issues[id]; is.State == store.IssueActive {
			st.Issues = append(st.Issues, &is)
		}
	}
	for _, id := range sortedKeys(w.alerts) {
		if a := *w.alerts[id]; a.State == store.AlertActive {
			st.Alerts = append(st.Alerts, &a)
		}
	}
	for _, id := range sortedKeys(w.notifs) {
		if n := *w.notifs[id]; n.State == "active" {
			st.Notifications = append(st.Notifications, &n)
		}
	}
	return st
}

func (w *world) alloc(kind string, n int) ([]int64, error) {
	var out []int64
	for range n {
		w.ids[kind]++
		out = append(out, w.ids[kind]*100) // ids distinct from temporary ones and counts
	}
	return out, nil
}

// session runs fn on an engine over the current rows and applies the result; it returns
// the events written.
func (w *world) session(fn func(e *Engine)) []*store.IssueEvent {
	w.t.Helper()
	e := NewEngine(w.state(), w.now, 0)
	fn(e)
	wr, err := e.Finish(w.alloc)
	if err != nil {
		w.t.Fatal(err)
	}
	if wr.Enabled != nil {
		w.monitor.Enabled = *wr.Enabled
	}
	for _, a := range append(wr.NewAlerts, wr.Alerts...) {
		c := *a
		w.alerts[a.ID] = &c
	}
	for _, is := range append(wr.NewIssues, wr.Issues...) {
		c := *is
		w.issues[is.ID] = &c
	}
	for _, n := range append(wr.NewNotifications, wr.ClosedNotifications...) {
		c := *n
		w.notifs[n.ID] = &c
	}
	for i, ev := range wr.Events {
		ev.ID = int64(len(w.events) + i + 1)
		for _, raw := range [][]byte{ev.Data, ev.Extra} {
			if !json.Valid(raw) {
				w.t.Fatalf("event %s: invalid JSON %s", ev.Name, raw)
			}
		}
	}
	for _, j := range wr.Jobs {
		w.jobs = append(w.jobs, job{event: wr.Events[j.Event], action: fmt.Sprintf("%s:%d", j.ActionKind, j.ActionID), notif: j.NotificationID})
	}
	w.events = append(w.events, wr.Events...)
	return wr.Events
}

func (w *world) run(in RunInput) []*store.IssueEvent {
	return w.session(func(e *Engine) { e.Run(in) })
}

func fileCands(paths ...string) []Candidate {
	var out []Candidate
	for _, p := range paths {
		out = append(out, Candidate{Key: fileKey(1, p), Data: IssueData{Kind: KindFile, Repository: "r", RepositoryID: 1, Path: p, MatchCount: 1}})
	}
	return out
}

func names(evs []*store.IssueEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Name)
	}
	return out
}

func count(evs []*store.IssueEvent, name string) int {
	n := 0
	for _, e := range evs {
		if e.Name == name {
			n++
		}
	}
	return n
}

func (w *world) active() (issues []*store.MonitorIssue, alerts []*store.MonitorAlert) {
	for _, id := range sortedKeys(w.issues) {
		if w.issues[id].State == store.IssueActive {
			issues = append(issues, w.issues[id])
		}
	}
	for _, id := range sortedKeys(w.alerts) {
		if w.alerts[id].State == store.AlertActive {
			alerts = append(alerts, w.alerts[id])
		}
	}
	return
}

func observe(found []Candidate, notFound ...string) map[string]Observation {
	obs := map[string]Observation{}
	for i := range found {
		obs[found[i].Key] = Observation{State: Found, Candidate: &found[i]}
	}
	for _, p := range notFound {
		obs[fileKey(1, p)] = Observation{State: NotFound}
	}
	return obs
}

// TestRunLifecycle follows the acceptance scenario in memory: three results make three
// issues and one alert at the count rule's level; one result gone solves its issue and
// lowers the priority; all gone solves the alert. Unknown answers change nothing.
func TestRunLifecycle(t *testing.T) {
	cfg := validConfig()
	cfg.Solvable = true
	cfg.Levels = levels(nil, f(0), f(2), nil, nil) // P4 above 0 issues, P3 above 2
	hook := store.IssueAction{Kind: store.ActionWebhook, ID: 9, Enabled: true}
	w := newWorld(t, cfg, hook)

	evs := w.run(RunInput{Search: true, Candidates: fileCands("a.go", "b.go", "c.go")})
	issues, alerts := w.active()
	if len(issues) != 3 || len(alerts) != 1 || alerts[0].Priority != int(Moderate) {
		t.Fatalf("after the first search: %d issues, alerts %+v", len(issues), alerts)
	}
	wantNames := []string{IssueCreated, IssueCreated, IssueCreated, IssueLinked, IssueLinked, IssueLinked, AlertCreated, AlertIssuesLinked, AlertUpdated, NotificationCreated}
	if diff := cmp.Diff(wantNames, names(evs)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	for _, is := range issues {
		if is.AlertID != alerts[0].ID {
			t.Fatalf("issue %d linked to %d, want %d", is.ID, is.AlertID, alerts[0].ID)
		}
	}
	var created AlertData
	_ = json.Unmarshal(evs[6].Data, &created)
	if created.ID != alerts[0].ID || *created.Priority != "P3" || created.ActiveIssues != 3 || evs[6].SourceID != alerts[0].ID || evs[6].AlertID != alerts[0].ID {
		t.Fatalf("alert_created: %+v %s", evs[6], evs[6].Data)
	}
	var linked struct{ IssueIDs []int64 }
	_ = json.Unmarshal(evs[7].Extra, &linked)
	if len(linked.IssueIDs) != 3 || linked.IssueIDs[0] != issues[0].ID {
		t.Fatalf("alert_issues_linked extra: %s", evs[7].Extra)
	}
	if len(w.jobs) != 1 || w.jobs[0].event.Name != AlertCreated || w.jobs[0].notif == 0 {
		t.Fatalf("messages: %+v", w.jobs)
	}
	notif := w.jobs[0].notif

	// The same results again: nothing new; an update with no answers changes nothing.
	evs = w.run(RunInput{Search: true, Candidates: fileCands("c.go", "a.go", "b.go"), Update: true})
	if diff := cmp.Diff([]string{AlertUpdated}, names(evs)); diff != "" {
		t.Fatalf("a run with nothing new (-want +got):\n%s", diff)
	}

	// b.go fixed: its issue is solved, the priority drops to P4 and the webhook hears it
	// within the same notification.
	evs = w.run(RunInput{Update: true, Observations: observe(fileCands("a.go", "c.go"), "b.go")})
	wantNames = []string{IssueUpdatedNotSolved, IssueUpdatedSolved, IssueUpdatedNotSolved, IssueSolved, AlertPriorityDecreased, AlertUpdated}
	if diff := cmp.Diff(wantNames, names(evs)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	issues, alerts = w.active()
	if len(issues) != 2 || alerts[0].Priority != int(Low) {
		t.Fatalf("after fixing one: %d issues, alert %+v", len(issues), alerts[0])
	}
	solved := w.issues[w.events[1].IssueID]
	if solved.Path != "b.go" || solved.State != store.IssueSolved || solved.SolvedAt == nil || !solved.SolvedAt.Equal(w.now) {
		t.Fatalf("solved issue: %+v", solved)
	}
	if string(evs[4].Extra) != `{"previousPriority":"P3","priority":"P4"}` {
		t.Fatalf("priority decreased extra: %s", evs[4].Extra)
	}
	last := w.jobs[len(w.jobs)-1]
	if len(w.jobs) != 2 || last.event.Name != AlertPriorityDecreased || last.notif != notif {
		t.Fatalf("messages: %+v", w.jobs)
	}

	// A search that timed out is not run at all; an update whose answers are unknown
	// keeps the issues (no observation = unknown).
	evs = w.run(RunInput{Update: true, Observations: observe(nil)})
	if issues, _ := w.active(); len(issues) != 2 || count(evs, IssueSolved) != 0 {
		t.Fatalf("unknown answers solved issues: %v", names(evs))
	}

	// Everything fixed: the alert is solved and its notification closed.
	evs = w.run(RunInput{Update: true, Observations: observe(nil, "a.go", "c.go")})
	issues, alerts = w.active()
	if len(issues) != 0 || len(alerts) != 0 {
		t.Fatalf("after fixing all: %d issues, %d alerts", len(issues), len(alerts))
	}
	wantNames = []string{IssueUpdatedSolved, IssueUpdatedSolved, IssueSolved, IssueSolved, AlertSolved, NotificationClosed}
	if diff := cmp.Diff(wantNames, names(evs)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	if n := w.notifs[notif]; n.State != "closed" || n.ClosedAt == nil {
		t.Fatalf("notification: %+v", n)
	}
	if last := w.jobs[len(w.jobs)-1]; last.event.Name != AlertSolved || last.notif != notif {
		t.Fatalf("last message: %+v", last)
	}

	// The problem comes back: a new issue and, the old alert being solved, a new alert.
	w.run(RunInput{Search: true, Candidates: fileCands("b.go")})
	issues, alerts = w.active()
	if len(issues) != 1 || len(alerts) != 1 || alerts[0].Priority != int(Low) {
		t.Fatalf("after the problem came back: %+v %+v", issues, alerts)
	}
}

func TestSearchFilters(t *testing.T) {
	cfg := validConfig()
	cfg.Unique, cfg.Solvable, cfg.MaxIssuesPerRun = true, true, 2
	w := newWorld(t, cfg)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})
	w.run(RunInput{Update: true, Observations: observe(nil, "a.go")}) // a.go solved

	// a.go: solved before (unique); b.go twice; "" no key; the cap of 2 applies after
	// filtering, so c.go and d.go are created and e.go waits for the next run.
	cands := append(fileCands("a.go", "b.go", "b.go"), Candidate{Data: IssueData{Kind: KindFile}})
	cands = append(cands, fileCands("c.go", "e.go")...)
	e := NewEngine(w.state(), w.now, 0)
	e.Run(RunInput{Search: true, Candidates: cands, KeysSeen: map[string]bool{fileKey(1, "a.go"): true}})
	if s := e.Stats(); s.Created != 2 || s.Filtered != 4 {
		t.Fatalf("stats: %+v", s)
	}
	wr, err := e.Finish(w.alloc)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, is := range wr.NewIssues {
		paths = append(paths, is.Path)
	}
	if !slices.Equal(paths, []string{"b.go", "c.go"}) {
		t.Fatalf("created %v", paths)
	}
}

// TestSearchDropsWhatTheUpdateSolved: in a run that updates and searches, a result whose
// issue the update found solved is dropped by the search (already solved), not raised
// again as a new issue; the next search that finds it raises it.
func TestSearchDropsWhatTheUpdateSolved(t *testing.T) {
	cfg := validConfig()
	cfg.Solvable = true
	w := newWorld(t, cfg)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go", "b.go")})
	e := NewEngine(w.state(), w.now, 0)
	e.Run(RunInput{Update: true, Observations: observe(fileCands("b.go"), "a.go"), Search: true, Candidates: fileCands("a.go", "b.go", "c.go")})
	if s := e.Stats(); s.Solved != 1 || s.Created != 1 || s.Filtered != 2 {
		t.Fatalf("stats: %+v", s)
	}
	wr, err := e.Finish(w.alloc)
	if err != nil {
		t.Fatal(err)
	}
	if len(wr.NewIssues) != 1 || wr.NewIssues[0].Path != "c.go" {
		t.Fatalf("created %+v, want only c.go", wr.NewIssues)
	}
	w.run(RunInput{Update: true, Observations: observe(nil, "a.go")}) // a.go solved
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})      // found again later: a new issue
	var activeA int
	issues, _ := w.active()
	for _, is := range issues {
		if is.Path == "a.go" {
			activeA++
		}
	}
	if activeA != 1 {
		t.Fatalf("a.go found by a later search: %d active issues, want 1", activeA)
	}
}

// TestNewAlertOnlyWithPriority: unlinked issues open an alert only when the rule gives
// them a priority; until then they wait unlinked.
func TestNewAlertOnlyWithPriority(t *testing.T) {
	cfg := validConfig()
	cfg.Levels = levels(nil, nil, f(2), nil, nil)
	w := newWorld(t, cfg)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go", "b.go")})
	if issues, alerts := w.active(); len(issues) != 2 || len(alerts) != 0 || issues[0].AlertID != 0 {
		t.Fatalf("two issues under the threshold: %+v %+v", issues, alerts)
	}
	w.run(RunInput{Search: true, Candidates: fileCands("c.go")})
	if issues, alerts := w.active(); len(alerts) != 1 || alerts[0].Priority != int(Moderate) || issues[0].AlertID != alerts[0].ID {
		t.Fatalf("three issues: %+v %+v", issues, alerts)
	}
}

func TestAcknowledgeLockSolveDrop(t *testing.T) {
	cfg := validConfig()
	cfg.Solvable = false
	cfg.DismissAcknowledgeOnNewIssues = true
	cfg.Levels = levels(nil, f(0), f(2), nil, nil)
	w := newWorld(t, cfg)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})
	_, alerts := w.active()
	a := alerts[0].ID

	evs := w.session(func(e *Engine) {
		if _, err := e.Acknowledge(a); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Acknowledge(a); err != nil { // again: no event
			t.Fatal(err)
		}
	})
	if diff := cmp.Diff([]string{AlertAcknowledged}, names(evs)); diff != "" || !w.alerts[a].Acknowledged || w.alerts[a].AcknowledgedPriority != int(Low) {
		t.Fatalf("acknowledge: %s %+v", diff, w.alerts[a])
	}
	// New issues dismiss the acknowledgement (dismissAcknowledgeOnNewIssues).
	evs = w.run(RunInput{Search: true, Candidates: fileCands("b.go")})
	if count(evs, AlertAcknowledgeDismissed) != 1 || w.alerts[a].Acknowledged {
		t.Fatalf("new issues: %v %+v", names(evs), w.alerts[a])
	}
	// Acknowledged at P4, escalating to P3 dismisses it too.
	w.session(func(e *Engine) { _, _ = e.Acknowledge(a) })
	evs = w.run(RunInput{Search: true, Candidates: fileCands("c.go")})
	if count(evs, AlertPriorityIncreased) != 1 || count(evs, AlertAcknowledgeDismissed) != 1 || w.alerts[a].Priority != int(Moderate) {
		t.Fatalf("escalation: %v %+v", names(evs), w.alerts[a])
	}
	// Acknowledged at P3: a decrease keeps it.
	w.session(func(e *Engine) { _, _ = e.Acknowledge(a) })
	var is *store.MonitorIssue
	for _, i := range w.issues {
		if i.Path == "c.go" {
			is = i
		}
	}
	evs = w.session(func(e *Engine) {
		if _, err := e.DropIssue(is.ID); err != nil {
			t.Fatal(err)
		}
	})
	if diff := cmp.Diff([]string{IssueDropped, AlertPriorityDecreased, AlertUpdated}, names(evs)); diff != "" || !w.alerts[a].Acknowledged {
		t.Fatalf("drop (-want +got):\n%s\n%+v", diff, w.alerts[a])
	}

	// Locked: new issues open a second alert.
	w.session(func(e *Engine) { _, _ = e.SetLocked(a, true) })
	w.run(RunInput{Search: true, Candidates: fileCands("d.go")})
	_, alerts = w.active()
	if len(alerts) != 2 || !alerts[0].Locked {
		t.Fatalf("after locking: %+v", alerts)
	}

	// Solving the first alert by hand solves its issues (not solvable automatically).
	evs = w.session(func(e *Engine) {
		if _, err := e.SolveAlert(a); err != nil {
			t.Fatal(err)
		}
	})
	if count(evs, IssueSolved) != 2 || count(evs, AlertSolved) != 1 {
		t.Fatalf("solve alert: %v", names(evs))
	}
	if _, err := NewEngine(w.state(), w.now, 0).Acknowledge(a); !errors.Is(err, ErrNotActive) {
		t.Fatalf("acknowledging a solved alert: %v", err)
	}
	// A solvable monitor refuses manual solving.
	w.cfg.Solvable = true
	_, alerts = w.active()
	if _, err := NewEngine(w.state(), w.now, 0).SolveAlert(alerts[0].ID); !errors.Is(err, ErrSolvable) {
		t.Fatalf("solving a solvable monitor's alert: %v", err)
	}
}

// TestNotSolvableIgnoresUpdates: results gone from a non-solvable monitor are reported
// (issue_updated_solved) but the issues stay active.
func TestNotSolvableIgnoresUpdates(t *testing.T) {
	cfg := validConfig()
	cfg.Solvable = false
	w := newWorld(t, cfg)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})
	evs := w.run(RunInput{Update: true, Observations: observe(nil, "a.go")})
	if issues, _ := w.active(); len(issues) != 1 || count(evs, IssueUpdatedSolved) != 1 || count(evs, IssueSolved) != 0 {
		t.Fatalf("%v", names(evs))
	}
}

// TestRouting: subscriptions and minimum priorities pick the messages.
func TestRouting(t *testing.T) {
	cfg := validConfig()
	cfg.Solvable = true
	cfg.Levels = levels(nil, f(0), f(1), f(2), nil) // P4 >0, P3 >1, P2 >2
	email := store.IssueAction{Kind: store.ActionEmail, ID: 1, Enabled: true, Events: []string{IssueCreated, IssueSolved}, MinPriority: int(Moderate)}
	hook := store.IssueAction{Kind: store.ActionWebhook, ID: 2, Enabled: true, MinPriority: int(High)}
	off := store.IssueAction{Kind: store.ActionSlackWebhook, ID: 3, Enabled: false}
	monitorHook := store.IssueAction{Kind: store.ActionWebhook, ID: 4, Enabled: true, Events: []string{MonitorEnabledChanged}}
	w := newWorld(t, cfg, email, hook, off, monitorHook)

	w.run(RunInput{Search: true, Candidates: fileCands("a.go", "b.go")}) // P3: the email gets both issue_created
	if got := jobNames(w.jobs); !cmp.Equal(got, []string{"email:1 issue_created", "email:1 issue_created"}) {
		t.Fatalf("messages: %v", got)
	}
	w.jobs = nil
	w.run(RunInput{Search: true, Candidates: fileCands("c.go")}) // P2: the webhook hears the increase
	if got := jobNames(w.jobs); !cmp.Equal(got, []string{"email:1 issue_created", "webhook:2 alert_priority_increased"}) {
		t.Fatalf("messages: %v", got)
	}
	w.jobs = nil
	w.run(RunInput{Update: true, Observations: observe(nil, "c.go")}) // back to P3: the decrease counts at P2
	if got := jobNames(w.jobs); !cmp.Equal(got, []string{"email:1 issue_solved", "webhook:2 alert_priority_decreased"}) {
		t.Fatalf("messages: %v", got)
	}
	w.jobs = nil
	w.session(func(e *Engine) { e.SetEnabled(false) })
	if got := jobNames(w.jobs); !cmp.Equal(got, []string{"webhook:4 monitor_enabled_changed"}) || w.monitor.Enabled {
		t.Fatalf("messages: %v", got)
	}
}

func jobNames(jobs []job) []string {
	var out []string
	for _, j := range jobs {
		out = append(out, j.action+" "+j.event.Name)
	}
	return out
}

// TestAgeRuleRun: with an age rule, a run at a later clock raises the priority of the
// same issues.
func TestAgeRuleRun(t *testing.T) {
	cfg := validConfig()
	cfg.RuleKind = RuleAge
	cfg.Levels = levels(f(0), nil, f(3600), nil, nil)
	w := newWorld(t, cfg)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})
	if _, alerts := w.active(); len(alerts) != 0 {
		t.Fatalf("an issue of age 0 opened an alert: %+v", alerts)
	}
	w.now = w.now.Add(time.Second)
	w.run(RunInput{})
	_, alerts := w.active()
	if len(alerts) != 1 || alerts[0].Priority != int(Informational) {
		t.Fatalf("after 1s: %+v", alerts)
	}
	w.now = w.now.Add(time.Hour - time.Second)
	if evs := w.run(RunInput{}); count(evs, AlertPriorityIncreased) != 0 {
		t.Fatal("an issue exactly one hour old raised the priority")
	}
	w.now = w.now.Add(time.Second)
	evs := w.run(RunInput{})
	if _, alerts := w.active(); alerts[0].Priority != int(Moderate) || count(evs, AlertPriorityIncreased) != 1 {
		t.Fatalf("after 1h1s: %+v", alerts[0])
	}
}

// TestAcknowledgeSilences: an acknowledged alert's news at the acknowledged priority is
// recorded but not sent; the acknowledgement itself, a rise above it (which dismisses
// it) and the alert's end are sent.
func TestAcknowledgeSilences(t *testing.T) {
	cfg := validConfig()
	cfg.Solvable = true
	cfg.Levels = levels(nil, f(0), f(2), nil, nil) // P4 above 0 issues, P3 above 2
	hook := store.IssueAction{Kind: store.ActionWebhook, ID: 1, Enabled: true, Events: []string{
		AlertUpdated, AlertIssuesLinked, AlertPriorityIncreased, AlertPriorityDecreased, AlertAcknowledged, AlertSolved, IssueCreated, IssueSolved}}
	w := newWorld(t, cfg, hook)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})
	_, alerts := w.active()
	a := alerts[0].ID
	w.jobs = nil
	evs := w.session(func(e *Engine) { _, _ = e.Acknowledge(a) })
	if got := jobNames(w.jobs); !cmp.Equal(got, []string{"webhook:1 alert_acknowledged"}) {
		t.Fatalf("acknowledging: %v", got)
	}

	// News at P4: recorded, not sent.
	w.jobs = nil
	evs = w.run(RunInput{Search: true, Candidates: fileCands("b.go")})
	if len(w.jobs) != 0 || count(evs, IssueCreated) != 1 || count(evs, AlertIssuesLinked) != 1 || count(evs, AlertUpdated) != 1 {
		t.Fatalf("news of an acknowledged alert: sent %v, recorded %v", jobNames(w.jobs), names(evs))
	}

	// A rise to P3 dismisses the acknowledgement: the rise and what follows are sent.
	w.jobs = nil
	evs = w.run(RunInput{Search: true, Candidates: fileCands("c.go")})
	want := []string{"webhook:1 issue_created", "webhook:1 alert_issues_linked", "webhook:1 alert_priority_increased", "webhook:1 alert_updated"}
	if diff := cmp.Diff(want, jobNames(w.jobs)); diff != "" || count(evs, AlertAcknowledgeDismissed) != 1 || w.alerts[a].Acknowledged {
		t.Fatalf("escalation (-want +got):\n%s\nevents %v", diff, names(evs))
	}

	// Acknowledged at P3: the decrease is silenced, the end of the alert is not.
	w.session(func(e *Engine) { _, _ = e.Acknowledge(a) })
	w.jobs = nil
	w.run(RunInput{Update: true, Observations: observe(nil, "c.go")})
	if len(w.jobs) != 0 || !w.alerts[a].Acknowledged {
		t.Fatalf("a decrease of an acknowledged alert sent %v", jobNames(w.jobs))
	}
	w.run(RunInput{Update: true, Observations: observe(nil, "a.go", "b.go")})
	if got := jobNames(w.jobs); !cmp.Equal(got, []string{"webhook:1 alert_solved"}) {
		t.Fatalf("the end of an acknowledged alert: %v", got)
	}
}

// TestDismissOnNewIssuesIsSent: with dismissAcknowledgeOnNewIssues, the new issues that
// dismiss the acknowledgement are news that is sent.
func TestDismissOnNewIssuesIsSent(t *testing.T) {
	cfg := validConfig()
	cfg.DismissAcknowledgeOnNewIssues = true
	cfg.Levels = levels(nil, f(0), f(5), nil, nil)
	hook := store.IssueAction{Kind: store.ActionWebhook, ID: 1, Enabled: true, Events: []string{AlertIssuesLinked, IssueCreated, AlertAcknowledgeDismissed}}
	w := newWorld(t, cfg, hook)
	w.run(RunInput{Search: true, Candidates: fileCands("a.go")})
	_, alerts := w.active()
	w.session(func(e *Engine) { _, _ = e.Acknowledge(alerts[0].ID) })
	w.jobs = nil
	w.run(RunInput{Search: true, Candidates: fileCands("b.go")})
	want := []string{"webhook:1 issue_created", "webhook:1 alert_acknowledge_dismissed", "webhook:1 alert_issues_linked"}
	if diff := cmp.Diff(want, jobNames(w.jobs)); diff != "" {
		t.Fatalf("new issues on an acknowledged alert (-want +got):\n%s", diff)
	}
}
