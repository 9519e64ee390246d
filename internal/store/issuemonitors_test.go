package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lookout/lookout/internal/database/dbtest"
	"github.com/lookout/lookout/internal/store"
)

func fptr(f float64) *float64 { return &f }

type imFixture struct {
	st      *store.Store
	user    *store.User
	monitor *store.Monitor
	repoID  int64
}

func newIMFixture(t *testing.T) *imFixture {
	t.Helper()
	ctx := context.Background()
	st := store.New(dbtest.NewDB(t))
	u, err := st.Users().Create(ctx, store.NewUser{Username: "alice", Email: "alice@example.com", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := st.ExternalServices().Create(ctx, "GIT", "local", `{"repos":[]}`, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := st.Repos().SyncFromService(ctx, svc.ID, []store.SourcedRepo{{Name: "r/one", CloneURL: "/tmp/one"}}, false)
	if err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Minute)
	m, err := st.IssueMonitors().CreateIssueMonitor(ctx, u.ID, store.IssueMonitorSpec{
		Description: "exec calls", Enabled: true, NamespaceUserID: u.ID,
		Config: store.IssueMonitorConfig{
			Query: "exec.Command(", Identity: "DEFAULT", SearchSchedule: "@every 1h", UpdateSchedule: "@every 10m", MaxIssuesPerRun: 10,
			ExecutionTimeout: time.Minute, Solvable: true, RuleKind: "COUNT", ValueOperation: "GREATER_THAN",
			Levels: store.IssueLevels{fptr(10), nil, fptr(2), nil, nil}, NextSearchAt: past, NextUpdateAt: past.Add(time.Hour),
		},
		Actions: []store.IssueActionSpec{
			{Webhook: &store.WebhookSpec{Enabled: true, URL: "https://example.com/h", Secret: "s"}, Events: []string{"alert_created"}, MinPriority: 3},
			{Email: &store.EmailSpec{Enabled: true, Priority: "NORMAL", Recipients: []store.MonitorRecipient{{NamespaceUserID: u.ID}}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &imFixture{st: st, user: u, monitor: m, repoID: res.NewRepoIDs[0]}
}

func TestIssueMonitorConfigAndActions(t *testing.T) {
	ctx := context.Background()
	f := newIMFixture(t)
	ims := f.st.IssueMonitors()
	c, err := ims.Config(ctx, f.monitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Query != "exec.Command(" || c.ExecutionTimeout != time.Minute || *c.Levels[0] != 10 || c.Levels[1] != nil || *c.Levels[2] != 2 || !c.Solvable {
		t.Fatalf("config: %+v", c)
	}
	acts, err := ims.Actions(ctx, f.monitor.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.IssueAction{
		{Kind: store.ActionEmail, ID: acts[0].ID, Enabled: true, Events: []string{}},
		{Kind: store.ActionWebhook, ID: acts[1].ID, Enabled: true, Events: []string{"alert_created"}, MinPriority: 3},
	}
	if diff := cmp.Diff(want, acts); diff != "" {
		t.Fatalf("actions (-want +got):\n%s", diff)
	}
	// A code monitor is not an issue monitor.
	cm, err := f.st.CodeMonitors().CreateMonitor(ctx, f.user.ID, store.MonitorSpec{Description: "cm", Enabled: true, NamespaceUserID: f.user.ID, Query: "type:diff x",
		Webhooks: []store.WebhookSpec{{Enabled: true, URL: "https://example.com/x", Secret: "s"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ims.Config(ctx, cm.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("config of a code monitor: %v", err)
	}
	hooks, _ := f.st.CodeMonitors().Webhooks(ctx, cm.ID)
	if _, _, ok, err := ims.ActionSubscription(ctx, store.ActionWebhook, hooks[0].ID); err != nil || ok {
		t.Fatalf("a code monitor's webhook has a subscription (%v)", err)
	}

	// Update: the email is dropped, the webhook kept with a new subscription, the schedule
	// change moves the next search only.
	next := time.Now().Add(time.Hour).Truncate(time.Second)
	c.SearchSchedule, c.NextSearchAt, c.NextUpdateAt = "@every 2h", next, next
	if _, err := ims.UpdateIssueMonitor(ctx, f.user.ID, f.monitor.ID, store.IssueMonitorSpec{Description: "d2", Enabled: true, NamespaceUserID: f.user.ID, Config: *c,
		Actions: []store.IssueActionSpec{{Webhook: &store.WebhookSpec{ID: acts[1].ID, Enabled: false, URL: "https://example.com/h2"}, Events: []string{"alert_solved"}}}}); err != nil {
		t.Fatal(err)
	}
	c2, _ := ims.Config(ctx, f.monitor.ID)
	if !c2.NextSearchAt.Equal(next) || c2.NextUpdateAt.Equal(next) || c2.SearchSchedule != "@every 2h" {
		t.Fatalf("next runs after a schedule change: search %s update %s", c2.NextSearchAt, c2.NextUpdateAt)
	}
	acts, _ = ims.Actions(ctx, f.monitor.ID)
	if len(acts) != 1 || acts[0].Enabled || acts[0].MinPriority != 0 || !cmp.Equal(acts[0].Events, []string{"alert_solved"}) {
		t.Fatalf("actions after update: %+v", acts)
	}
	hooks, _ = f.st.CodeMonitors().Webhooks(ctx, f.monitor.ID)
	if hooks[0].Secret != "s" || hooks[0].URL != "https://example.com/h2" {
		t.Fatalf("webhook after update: %+v", hooks[0])
	}
}

func TestIssueMonitorApplyAndLists(t *testing.T) {
	ctx := context.Background()
	f := newIMFixture(t)
	ims := f.st.IssueMonitors()
	now := time.Now().UTC().Truncate(time.Microsecond)
	err := f.st.Transact(ctx, func(tx *store.Store) error {
		st, err := tx.IssueMonitors().LoadState(ctx, f.monitor.ID)
		if err != nil {
			return err
		}
		if len(st.Issues)+len(st.Alerts) != 0 || len(st.Actions) != 2 {
			t.Fatalf("initial state: %+v", st)
		}
		alertIDs, err := tx.IssueMonitors().AllocateIDs(ctx, store.IDKindAlert, 1)
		if err != nil {
			return err
		}
		issueIDs, err := tx.IssueMonitors().AllocateIDs(ctx, store.IDKindIssue, 2)
		if err != nil {
			return err
		}
		a := &store.MonitorAlert{ID: alertIDs[0], MonitorID: f.monitor.ID, State: store.AlertActive, Priority: 3, CreatedAt: now, UpdatedAt: now}
		w := &store.IssueWrite{MonitorID: f.monitor.ID, NewAlerts: []*store.MonitorAlert{a}}
		for i, id := range issueIDs {
			w.NewIssues = append(w.NewIssues, &store.MonitorIssue{ID: id, MonitorID: f.monitor.ID, AlertID: a.ID, Key: []string{"file:1:a", "file:1:b"}[i], State: store.IssueActive,
				Data: []byte(`{"matchCount": 2}`), RepoID: f.repoID, RepoName: "r/one", Path: "a", CreatedAt: now, UpdatedAt: now})
		}
		w.Events = []*store.IssueEvent{{Source: store.EventSourceAlert, SourceID: a.ID, AlertID: a.ID, Name: "alert_created", CreatedAt: now}}
		acts := st.Actions
		w.Jobs = []store.IssueActionJobSpec{{Event: 0, ActionKind: acts[1].Kind, ActionID: acts[1].ID}}
		w.Variables = map[string]string{"lastSearchResults": "2"}
		return tx.IssueMonitors().Apply(ctx, w)
	})
	if err != nil {
		t.Fatal(err)
	}
	issues, err := ims.ListIssues(ctx, store.IssueListOptions{MonitorID: f.monitor.ID, State: store.IssueActive})
	if err != nil || len(issues) != 2 || issues[0].Key != "file:1:a" || issues[0].RepoID != f.repoID || !issues[0].CreatedAt.Equal(now) {
		t.Fatalf("issues: %+v (%v)", issues, err)
	}
	alerts, err := ims.ListAlerts(ctx, store.AlertListOptions{MonitorID: f.monitor.ID})
	if err != nil || len(alerts) != 1 || alerts[0].Priority != 3 || alerts[0].Acknowledged {
		t.Fatalf("alerts: %+v (%v)", alerts, err)
	}
	n, oldest, err := ims.AlertIssueStats(ctx, alerts[0].ID)
	if err != nil || n != 2 || !oldest.Equal(now) {
		t.Fatalf("alert stats: %d %v %v", n, oldest, err)
	}
	events, err := ims.ListEvents(ctx, store.IssueEventListOptions{AlertID: alerts[0].ID, Page: store.Page{Limit: 10}})
	if err != nil || len(events) != 1 || events[0].Name != "alert_created" || string(events[0].Extra) != "{}" {
		t.Fatalf("events: %+v (%v)", events, err)
	}
	jobs, err := ims.ActionJobsOfEvent(ctx, events[0].ID)
	if err != nil || len(jobs) != 1 || jobs[0].Webhook == 0 || jobs[0].State != "queued" {
		t.Fatalf("jobs: %+v (%v)", jobs, err)
	}
	vars, err := ims.Variables(ctx, f.monitor.ID)
	if err != nil || len(vars) != 1 || vars[0].Value != "2" {
		t.Fatalf("variables: %+v (%v)", vars, err)
	}
	seen, err := ims.KeysSeen(ctx, f.monitor.ID, []string{"file:1:a", "file:1:zzz"})
	if err != nil || !seen["file:1:a"] || seen["file:1:zzz"] {
		t.Fatalf("keys seen: %v (%v)", seen, err)
	}

	// An update: acknowledge at P3, solve one issue.
	a := alerts[0]
	a.Acknowledged, a.AcknowledgedPriority = true, 3
	is := issues[0]
	is.State, is.SolvedAt = store.IssueSolved, &now
	if err := f.st.Transact(ctx, func(tx *store.Store) error {
		if _, err := tx.IssueMonitors().LoadState(ctx, f.monitor.ID); err != nil {
			return err
		}
		return tx.IssueMonitors().Apply(ctx, &store.IssueWrite{MonitorID: f.monitor.ID, Alerts: []*store.MonitorAlert{a}, Issues: []*store.MonitorIssue{is}})
	}); err != nil {
		t.Fatal(err)
	}
	a2, _ := ims.GetAlert(ctx, a.ID)
	if !a2.Acknowledged || a2.AcknowledgedPriority != 3 {
		t.Fatalf("alert after acknowledgement: %+v", a2)
	}
	if n, _ := ims.CountIssues(ctx, store.IssueListOptions{MonitorID: f.monitor.ID, State: store.IssueActive}); n != 1 {
		t.Fatalf("%d active issues, want 1", n)
	}
}

func TestIssueMonitorRunQueue(t *testing.T) {
	ctx := context.Background()
	f := newIMFixture(t)
	ims := f.st.IssueMonitors()
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	next := func(d store.DueIssueMonitor, now time.Time) (time.Time, time.Time) { return at, at }
	n, err := ims.EnqueueDueRuns(ctx, next)
	if err != nil || n != 1 {
		t.Fatalf("enqueued %d (%v), want 1", n, err)
	}
	runs, _ := ims.ListRuns(ctx, f.monitor.ID, store.Page{})
	if len(runs) != 1 || !runs[0].Search || runs[0].Update {
		t.Fatalf("runs: %+v", runs)
	}
	if n, _ := ims.EnqueueDueRuns(ctx, next); n != 0 {
		t.Fatalf("a monitor that is not due again was queued")
	}
	// A manual run merges into the queued one.
	id, err := ims.RequestRun(ctx, f.monitor.ID, false, true)
	if err != nil || id != runs[0].ID {
		t.Fatalf("request run: %d %v", id, err)
	}
	r, _ := ims.GetRun(ctx, id)
	if !r.Search || !r.Update {
		t.Fatalf("merged run: %+v", r)
	}
	c, _ := ims.Config(ctx, f.monitor.ID)
	if !c.NextSearchAt.Equal(at) {
		t.Fatalf("next search %s, want %s", c.NextSearchAt, at)
	}
	// Disabled monitors are never due.
	if _, err := f.st.DB().Exec(ctx, "UPDATE im_configs SET next_search_at = now() - interval '1 minute'; UPDATE cm_monitors SET enabled = false"); err != nil {
		t.Fatal(err)
	}
	if n, _ := ims.EnqueueDueRuns(ctx, next); n != 0 {
		t.Fatal("a disabled monitor was queued")
	}
}

// TestIssueMonitorRetention: runs finished and events created before the retention
// period are deleted (with their messages); recent ones, issues and alerts stay.
func TestIssueMonitorRetention(t *testing.T) {
	ctx := context.Background()
	f := newIMFixture(t)
	db := f.st.DB()
	var oldEvent, newEvent, oldRun, newRun int64
	for _, q := range []struct {
		sql string
		id  *int64
	}{
		{"INSERT INTO im_runs (monitor_id, state, finished_at) VALUES ($1, 'completed', now() - interval '31 days') RETURNING id", &oldRun},
		{"INSERT INTO im_runs (monitor_id, state, finished_at) VALUES ($1, 'completed', now() - interval '29 days') RETURNING id", &newRun},
		{"INSERT INTO im_events (monitor_id, source, source_id, name, created_at) VALUES ($1, 'monitor', $1, 'monitor_enabled_changed', now() - interval '31 days') RETURNING id", &oldEvent},
		{"INSERT INTO im_events (monitor_id, source, source_id, name, created_at) VALUES ($1, 'monitor', $1, 'monitor_enabled_changed', now() - interval '1 day') RETURNING id", &newEvent},
	} {
		if err := db.QueryRow(ctx, q.sql, f.monitor.ID).Scan(q.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, "INSERT INTO im_action_jobs (webhook, event_id) SELECT id, $1 FROM cm_webhooks WHERE monitor = $2", oldEvent, f.monitor.ID); err != nil {
		t.Fatal(err)
	}
	n, err := f.st.IssueMonitors().DeleteOldHistory(ctx, 30*24*time.Hour)
	if err != nil || n != 2 {
		t.Fatalf("deleted %d rows (%v), want the old run and the old event", n, err)
	}
	var runs, events []int64
	for _, q := range []struct {
		sql string
		out *[]int64
	}{{"SELECT id FROM im_runs ORDER BY id", &runs}, {"SELECT id FROM im_events ORDER BY id", &events}} {
		rows, err := db.Query(ctx, q.sql)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			_ = rows.Scan(&id)
			*q.out = append(*q.out, id)
		}
		rows.Close()
	}
	if !cmp.Equal(runs, []int64{newRun}) || !cmp.Equal(events, []int64{newEvent}) {
		t.Fatalf("left runs %v and events %v, want [%d] and [%d]", runs, events, newRun, newEvent)
	}
	var jobs int
	if err := db.QueryRow(ctx, "SELECT count(*) FROM im_action_jobs").Scan(&jobs); err != nil || jobs != 0 {
		t.Fatalf("%d messages of deleted events left (%v)", jobs, err)
	}
}
