package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

const imAlertColumns = "a.id, a.monitor_id, a.state, coalesce(a.priority, 0), a.acknowledged_priority IS NOT NULL, coalesce(a.acknowledged_priority, 0), a.locked, a.created_at, a.updated_at, a.solved_at"

func scanIMAlert(row pgx.Row) (*MonitorAlert, error) {
	var a MonitorAlert
	err := row.Scan(&a.ID, &a.MonitorID, &a.State, &a.Priority, &a.Acknowledged, &a.AcknowledgedPriority, &a.Locked, &a.CreatedAt, &a.UpdatedAt, &a.SolvedAt)
	return &a, err
}

const imIssueColumns = "i.id, i.monitor_id, coalesce(i.alert_id, 0), i.key, i.state, i.data, coalesce(i.repo_id, 0), i.repo_name, i.path, i.commit_oid, i.created_at, i.updated_at, i.solved_at"

func scanIMIssue(row pgx.Row) (*MonitorIssue, error) {
	var i MonitorIssue
	err := row.Scan(&i.ID, &i.MonitorID, &i.AlertID, &i.Key, &i.State, &i.Data, &i.RepoID, &i.RepoName, &i.Path, &i.Commit, &i.CreatedAt, &i.UpdatedAt, &i.SolvedAt)
	return &i, err
}

const imNotificationColumns = `n.id, n.monitor_id, n.alert_id,
CASE WHEN n.email IS NOT NULL THEN 'email' WHEN n.webhook IS NOT NULL THEN 'webhook' ELSE 'slack_webhook' END,
coalesce(n.email, n.webhook, n.slack_webhook), n.state, n.created_at, n.closed_at`

func scanIMNotification(row pgx.Row) (*IssueNotification, error) {
	var n IssueNotification
	err := row.Scan(&n.ID, &n.MonitorID, &n.AlertID, &n.ActionKind, &n.ActionID, &n.State, &n.CreatedAt, &n.ClosedAt)
	return &n, err
}

const imEventColumns = "e.id, e.monitor_id, e.source, e.source_id, e.name, e.data, e.extra, coalesce(e.alert_id, 0), coalesce(e.issue_id, 0), coalesce(e.run_id, 0), coalesce(e.actor_user_id, 0), e.created_at"

func scanIMEvent(row pgx.Row) (*IssueEvent, error) {
	var e IssueEvent
	err := row.Scan(&e.ID, &e.MonitorID, &e.Source, &e.SourceID, &e.Name, &e.Data, &e.Extra, &e.AlertID, &e.IssueID, &e.RunID, &e.ActorUserID, &e.CreatedAt)
	return &e, err
}

// IssueMonitorState is what a change to an issue monitor starts from: its monitor row,
// configuration, active issues, alerts and notifications, and actions.
type IssueMonitorState struct {
	Monitor       *Monitor
	Config        *IssueMonitorConfig
	Issues        []*MonitorIssue
	Alerts        []*MonitorAlert
	Notifications []*IssueNotification
	Actions       []IssueAction
}

// LoadState reads a monitor's state, locking its configuration row until the end of the
// transaction: call it in Transact, and apply the changes in the same transaction.
func (ims *IssueMonitorStore) LoadState(ctx context.Context, monitorID int64) (*IssueMonitorState, error) {
	cfg, err := ims.lockConfig(ctx, monitorID)
	if err != nil {
		return nil, err
	}
	st := &IssueMonitorState{Config: cfg}
	if st.Monitor, err = ims.s.CodeMonitors().GetMonitor(ctx, monitorID); err != nil {
		return nil, err
	}
	if st.Issues, err = collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imIssueColumns+" FROM im_issues i WHERE i.monitor_id = %s AND i.state = 'active' ORDER BY i.id", monitorID), scanIMIssue); err != nil {
		return nil, fmt.Errorf("reading active issues: %w", err)
	}
	if st.Alerts, err = collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imAlertColumns+" FROM im_alerts a WHERE a.monitor_id = %s AND a.state = 'active' ORDER BY a.id", monitorID), scanIMAlert); err != nil {
		return nil, fmt.Errorf("reading active alerts: %w", err)
	}
	if st.Notifications, err = collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imNotificationColumns+" FROM im_notifications n WHERE n.monitor_id = %s AND n.state = 'active' ORDER BY n.id", monitorID), scanIMNotification); err != nil {
		return nil, fmt.Errorf("reading active notifications: %w", err)
	}
	if st.Actions, err = ims.Actions(ctx, monitorID); err != nil {
		return nil, err
	}
	return st, nil
}

// KeysSeen returns which of keys a monitor has had an issue for, in any state.
func (ims *IssueMonitorStore) KeysSeen(ctx context.Context, monitorID int64, keys []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(keys) == 0 {
		return out, nil
	}
	seen, err := collect(ctx, ims.s, sqlf.Sprintf("SELECT DISTINCT key FROM im_issues WHERE monitor_id = %s AND key = ANY(%s)", monitorID, keys), func(row pgx.Row) (string, error) {
		var k string
		err := row.Scan(&k)
		return k, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading known issue keys: %w", err)
	}
	for _, k := range seen {
		out[k] = true
	}
	return out, nil
}

// IssueListOptions select issues; zero fields do not filter.
type IssueListOptions struct {
	MonitorID int64
	AlertID   int64
	State     string
	Page
}

func (o IssueListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if o.MonitorID != 0 {
		conds = append(conds, sqlf.Sprintf("i.monitor_id = %s", o.MonitorID))
	}
	if o.AlertID != 0 {
		conds = append(conds, sqlf.Sprintf("i.alert_id = %s", o.AlertID))
	}
	if o.State != "" {
		conds = append(conds, sqlf.Sprintf("i.state = %s", o.State))
	}
	return sqlf.Join(conds, " AND ")
}

// ListIssues lists issues in id order.
func (ims *IssueMonitorStore) ListIssues(ctx context.Context, opts IssueListOptions) ([]*MonitorIssue, error) {
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imIssueColumns+" FROM im_issues i WHERE %s AND i.id > %s ORDER BY i.id %s", opts.where(), opts.After, opts.limitSQL()), scanIMIssue)
}

// CountIssues counts what ListIssues lists without a page.
func (ims *IssueMonitorStore) CountIssues(ctx context.Context, opts IssueListOptions) (int, error) {
	return ims.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM im_issues i WHERE %s", opts.where()))
}

// GetIssue returns an issue by id.
func (ims *IssueMonitorStore) GetIssue(ctx context.Context, id int64) (*MonitorIssue, error) {
	i, err := scanIMIssue(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+imIssueColumns+" FROM im_issues i WHERE i.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("issue %d", id)
	}
	return i, err
}

// AlertListOptions select alerts; zero fields do not filter.
type AlertListOptions struct {
	MonitorID int64
	State     string
	Page
}

func (o AlertListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if o.MonitorID != 0 {
		conds = append(conds, sqlf.Sprintf("a.monitor_id = %s", o.MonitorID))
	}
	if o.State != "" {
		conds = append(conds, sqlf.Sprintf("a.state = %s", o.State))
	}
	return sqlf.Join(conds, " AND ")
}

// ListAlerts lists alerts in id order.
func (ims *IssueMonitorStore) ListAlerts(ctx context.Context, opts AlertListOptions) ([]*MonitorAlert, error) {
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imAlertColumns+" FROM im_alerts a WHERE %s AND a.id > %s ORDER BY a.id %s", opts.where(), opts.After, opts.limitSQL()), scanIMAlert)
}

// CountAlerts counts what ListAlerts lists without a page.
func (ims *IssueMonitorStore) CountAlerts(ctx context.Context, opts AlertListOptions) (int, error) {
	return ims.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM im_alerts a WHERE %s", opts.where()))
}

// GetAlert returns an alert by id.
func (ims *IssueMonitorStore) GetAlert(ctx context.Context, id int64) (*MonitorAlert, error) {
	a, err := scanIMAlert(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+imAlertColumns+" FROM im_alerts a WHERE a.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("alert %d", id)
	}
	return a, err
}

// IssueEventListOptions select events; zero fields do not filter.
type IssueEventListOptions struct {
	MonitorID int64
	AlertID   int64
	IssueID   int64
	Page
}

func (o IssueEventListOptions) where() *sqlf.Query {
	conds := []*sqlf.Query{sqlf.Sprintf("TRUE")}
	if o.MonitorID != 0 {
		conds = append(conds, sqlf.Sprintf("e.monitor_id = %s", o.MonitorID))
	}
	if o.AlertID != 0 {
		conds = append(conds, sqlf.Sprintf("e.alert_id = %s", o.AlertID))
	}
	if o.IssueID != 0 {
		conds = append(conds, sqlf.Sprintf("e.issue_id = %s", o.IssueID))
	}
	return sqlf.Join(conds, " AND ")
}

// ListEvents lists events newest first; page.After is the id the page starts below.
func (ims *IssueMonitorStore) ListEvents(ctx context.Context, opts IssueEventListOptions) ([]*IssueEvent, error) {
	after := sqlf.Sprintf("TRUE")
	if opts.After > 0 {
		after = sqlf.Sprintf("e.id < %s", opts.After)
	}
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imEventColumns+" FROM im_events e WHERE %s AND %s ORDER BY e.id DESC %s", opts.where(), after, opts.limitSQL()), scanIMEvent)
}

// CountEvents counts what ListEvents lists without a page.
func (ims *IssueMonitorStore) CountEvents(ctx context.Context, opts IssueEventListOptions) (int, error) {
	return ims.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM im_events e WHERE %s", opts.where()))
}

// GetEvent returns an event by id.
func (ims *IssueMonitorStore) GetEvent(ctx context.Context, id int64) (*IssueEvent, error) {
	e, err := scanIMEvent(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+imEventColumns+" FROM im_events e WHERE e.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("issue monitor event %d", id)
	}
	return e, err
}

// AlertIssueStats returns the number of active issues linked to an alert and when the
// oldest of them was created (nil when there is none).
func (ims *IssueMonitorStore) AlertIssueStats(ctx context.Context, alertID int64) (int, *time.Time, error) {
	var n int
	var oldest *time.Time
	err := ims.s.queryRow(ctx, sqlf.Sprintf("SELECT count(*), min(created_at) FROM im_issues WHERE alert_id = %s AND state = 'active'", alertID)).Scan(&n, &oldest)
	return n, oldest, err
}

// ID sequences AllocateIDs draws from.
const (
	IDKindAlert        = "im_alerts"
	IDKindIssue        = "im_issues"
	IDKindNotification = "im_notifications"
	IDKindEvent        = "im_events"
)

// AllocateIDs draws n ids from a table's sequence (an IDKind), so rows can be built
// with their ids before they are inserted.
func (ims *IssueMonitorStore) AllocateIDs(ctx context.Context, kind string, n int) ([]int64, error) {
	switch kind {
	case IDKindAlert, IDKindIssue, IDKindNotification, IDKindEvent:
	default:
		return nil, fmt.Errorf("unknown id kind %q", kind)
	}
	if n <= 0 {
		return nil, nil
	}
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT nextval('"+kind+"_id_seq') FROM generate_series(1, %s)", n), func(row pgx.Row) (int64, error) {
		var id int64
		err := row.Scan(&id)
		return id, err
	})
}

// IssueActionJobSpec is a message to queue: an action sent one event of the write,
// within a notification (0: none).
type IssueActionJobSpec struct {
	Event          int // index in IssueWrite.Events
	ActionKind     string
	ActionID       int64
	NotificationID int64
}

// IssueRunRecord is what a run records on its job when it applies.
type IssueRunRecord struct {
	RunID       int64
	QueryString string
	NumResults  int
	NumCreated  int
	NumSolved   int
}

// IssueWrite is a change to an issue monitor, applied in one transaction. New rows carry
// ids drawn with AllocateIDs; events get theirs when written.
type IssueWrite struct {
	MonitorID   int64
	ActorUserID int64
	// Run, when set, records the run on its job first; a run recorded before makes Apply
	// return ErrIssueRunAlreadyRecorded and write nothing.
	Run *IssueRunRecord
	// Enabled, when set, enables or disables the monitor.
	Enabled             *bool
	NewAlerts, Alerts   []*MonitorAlert
	NewIssues, Issues   []*MonitorIssue
	NewNotifications    []*IssueNotification
	ClosedNotifications []*IssueNotification
	Events              []*IssueEvent
	Jobs                []IssueActionJobSpec
	Variables           map[string]string
}

// ErrIssueRunAlreadyRecorded is returned by Apply for a run that was applied before.
var ErrIssueRunAlreadyRecorded = errors.New("this issue monitor run was already recorded")

// Apply writes w. Call it in the transaction that loaded the state w was computed from.
func (ims *IssueMonitorStore) Apply(ctx context.Context, w *IssueWrite) error {
	if err := ims.apply(ctx, w); err != nil {
		if errors.Is(err, ErrIssueRunAlreadyRecorded) {
			return err
		}
		return fmt.Errorf("applying changes to issue monitor %d: %w", w.MonitorID, err)
	}
	return nil
}

func (ims *IssueMonitorStore) apply(ctx context.Context, w *IssueWrite) error {
	s := ims.s
	if r := w.Run; r != nil {
		tag, err := s.exec(ctx, sqlf.Sprintf(`UPDATE im_runs SET recorded_at = now(), query_string = %s, num_results = %s, num_created = %s, num_solved = %s, outcome = 'success'
WHERE id = %s AND recorded_at IS NULL AND state = 'processing'`, r.QueryString, r.NumResults, r.NumCreated, r.NumSolved, r.RunID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrIssueRunAlreadyRecorded
		}
	}
	if w.Enabled != nil {
		if _, err := s.exec(ctx, sqlf.Sprintf("UPDATE cm_monitors SET enabled = %s, changed_by = coalesce(%s, changed_by), changed_at = now() WHERE id = %s",
			*w.Enabled, nullID(w.ActorUserID), w.MonitorID)); err != nil {
			return err
		}
	}
	if err := ims.writeAlerts(ctx, w.NewAlerts, true); err != nil {
		return err
	}
	if err := ims.writeAlerts(ctx, w.Alerts, false); err != nil {
		return err
	}
	if err := ims.writeIssues(ctx, w.NewIssues, true); err != nil {
		return err
	}
	if err := ims.writeIssues(ctx, w.Issues, false); err != nil {
		return err
	}
	for _, n := range w.NewNotifications {
		col, err := actionColumn(n.ActionKind)
		if err != nil {
			return err
		}
		if _, err := s.exec(ctx, sqlf.Sprintf("INSERT INTO im_notifications (id, monitor_id, alert_id, "+col+", state, created_at, closed_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
			n.ID, n.MonitorID, n.AlertID, n.ActionID, n.State, n.CreatedAt, n.ClosedAt)); err != nil {
			return err
		}
	}
	for _, n := range w.ClosedNotifications {
		if _, err := s.exec(ctx, sqlf.Sprintf("UPDATE im_notifications SET state = 'closed', closed_at = %s WHERE id = %s", n.ClosedAt, n.ID)); err != nil {
			return err
		}
	}
	if err := ims.writeEvents(ctx, w); err != nil {
		return err
	}
	if err := ims.writeJobs(ctx, w); err != nil {
		return err
	}
	return ims.SetVariables(ctx, w.MonitorID, w.Variables)
}

func (ims *IssueMonitorStore) writeAlerts(ctx context.Context, alerts []*MonitorAlert, insert bool) error {
	if len(alerts) == 0 {
		return nil
	}
	var ids, prio, ack []int64
	var acked, locked []bool
	var states []string
	var created, updated []time.Time
	var solved []*time.Time
	for _, a := range alerts {
		ids, prio, ack = append(ids, a.ID), append(prio, int64(a.Priority)), append(ack, int64(a.AcknowledgedPriority))
		acked, locked, states = append(acked, a.Acknowledged), append(locked, a.Locked), append(states, a.State)
		created, updated, solved = append(created, a.CreatedAt), append(updated, a.UpdatedAt), append(solved, a.SolvedAt)
	}
	monitorID := alerts[0].MonitorID
	if insert {
		_, err := ims.s.exec(ctx, sqlf.Sprintf(`INSERT INTO im_alerts (id, monitor_id, state, priority, acknowledged_priority, locked, created_at, updated_at, solved_at)
SELECT u.id, %s, u.state, nullif(u.prio, 0), CASE WHEN u.acked THEN u.ack END, u.locked, u.created, u.updated, u.solved
FROM unnest(%s::bigint[], %s::text[], %s::smallint[], %s::boolean[], %s::smallint[], %s::boolean[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])
  AS u(id, state, prio, acked, ack, locked, created, updated, solved) ORDER BY u.id`,
			monitorID, ids, states, prio, acked, ack, locked, created, updated, solved))
		return err
	}
	_, err := ims.s.exec(ctx, sqlf.Sprintf(`UPDATE im_alerts a SET state = u.state, priority = nullif(u.prio, 0), acknowledged_priority = CASE WHEN u.acked THEN u.ack END,
locked = u.locked, updated_at = u.updated, solved_at = u.solved
FROM unnest(%s::bigint[], %s::text[], %s::smallint[], %s::boolean[], %s::smallint[], %s::boolean[], %s::timestamptz[], %s::timestamptz[])
  AS u(id, state, prio, acked, ack, locked, updated, solved)
WHERE a.id = u.id AND a.monitor_id = %s`,
		ids, states, prio, acked, ack, locked, updated, solved, monitorID))
	return err
}

func (ims *IssueMonitorStore) writeIssues(ctx context.Context, issues []*MonitorIssue, insert bool) error {
	if len(issues) == 0 {
		return nil
	}
	var ids, alerts, repos []int64
	var keys, states, data, names, paths, commits []string
	var created, updated []time.Time
	var solved []*time.Time
	for _, i := range issues {
		ids, alerts, repos = append(ids, i.ID), append(alerts, i.AlertID), append(repos, i.RepoID)
		keys, states, data = append(keys, i.Key), append(states, i.State), append(data, string(i.Data))
		names, paths, commits = append(names, i.RepoName), append(paths, i.Path), append(commits, i.Commit)
		created, updated, solved = append(created, i.CreatedAt), append(updated, i.UpdatedAt), append(solved, i.SolvedAt)
	}
	monitorID := issues[0].MonitorID
	if insert {
		// A repository deleted since the search leaves the issue without one.
		_, err := ims.s.exec(ctx, sqlf.Sprintf(`INSERT INTO im_issues (id, monitor_id, alert_id, key, state, data, repo_id, repo_name, path, commit_oid, created_at, updated_at, solved_at)
SELECT u.id, %s, nullif(u.alert, 0), u.key, u.state, u.data::jsonb, (SELECT r.id FROM repo r WHERE r.id = u.repo), u.name, u.path, u.commit, u.created, u.updated, u.solved
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[], %s::timestamptz[])
  AS u(id, alert, key, state, data, repo, name, path, commit, created, updated, solved) ORDER BY u.id`,
			monitorID, ids, alerts, keys, states, data, repos, names, paths, commits, created, updated, solved))
		return err
	}
	_, err := ims.s.exec(ctx, sqlf.Sprintf(`UPDATE im_issues i SET alert_id = nullif(u.alert, 0), state = u.state, data = u.data::jsonb, repo_name = u.name, commit_oid = u.commit,
updated_at = u.updated, solved_at = u.solved
FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[]) AS u(id, alert, state, data, name, commit, updated, solved)
WHERE i.id = u.id AND i.monitor_id = %s`,
		ids, alerts, states, data, names, commits, updated, solved, monitorID))
	return err
}

func (ims *IssueMonitorStore) writeEvents(ctx context.Context, w *IssueWrite) error {
	if len(w.Events) == 0 {
		return nil
	}
	ids, err := ims.AllocateIDs(ctx, IDKindEvent, len(w.Events))
	if err != nil {
		return err
	}
	var sourceIDs, alerts, issues []int64
	var sources, names, data, extra []string
	var created []time.Time
	for i, e := range w.Events {
		e.ID, e.MonitorID = ids[i], w.MonitorID
		if w.Run != nil {
			e.RunID = w.Run.RunID
		}
		e.ActorUserID = w.ActorUserID
		if len(e.Data) == 0 {
			e.Data = []byte("{}")
		}
		if len(e.Extra) == 0 {
			e.Extra = []byte("{}")
		}
		sourceIDs, alerts, issues = append(sourceIDs, e.SourceID), append(alerts, e.AlertID), append(issues, e.IssueID)
		sources, names, data, extra = append(sources, e.Source), append(names, e.Name), append(data, string(e.Data)), append(extra, string(e.Extra))
		created = append(created, e.CreatedAt)
	}
	runID := int64(0)
	if w.Run != nil {
		runID = w.Run.RunID
	}
	_, err = ims.s.exec(ctx, sqlf.Sprintf(`INSERT INTO im_events (id, monitor_id, source, source_id, name, data, extra, alert_id, issue_id, run_id, actor_user_id, created_at)
SELECT u.id, %s, u.source, u.source_id, u.name, u.data::jsonb, u.extra::jsonb, nullif(u.alert, 0), nullif(u.issue, 0), %s, %s, u.created
FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[], %s::timestamptz[])
  AS u(id, source, source_id, name, data, extra, alert, issue, created) ORDER BY u.id`,
		w.MonitorID, nullID(runID), nullID(w.ActorUserID), ids, sources, sourceIDs, names, data, extra, alerts, issues, created))
	return err
}

// writeJobs queues the messages of a write in one statement per action kind.
func (ims *IssueMonitorStore) writeJobs(ctx context.Context, w *IssueWrite) error {
	byKind := map[string][][3]int64{}
	for _, j := range w.Jobs {
		if j.Event < 0 || j.Event >= len(w.Events) {
			return fmt.Errorf("message job of event %d: no such event", j.Event)
		}
		col, err := actionColumn(j.ActionKind)
		if err != nil {
			return err
		}
		byKind[col] = append(byKind[col], [3]int64{j.ActionID, w.Events[j.Event].ID, j.NotificationID})
	}
	for _, col := range []string{ActionEmail, ActionWebhook, ActionSlackWebhook} {
		rows := byKind[col]
		if len(rows) == 0 {
			continue
		}
		var actions, events, notifs []int64
		for _, r := range rows {
			actions, events, notifs = append(actions, r[0]), append(events, r[1]), append(notifs, r[2])
		}
		if _, err := ims.s.exec(ctx, sqlf.Sprintf(`INSERT INTO im_action_jobs (`+col+`, event_id, notification_id)
SELECT u.action, u.event, nullif(u.notif, 0) FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) WITH ORDINALITY AS u(action, event, notif, ord) ORDER BY u.ord
ON CONFLICT DO NOTHING`, actions, events, notifs)); err != nil {
			return err
		}
	}
	return nil
}
