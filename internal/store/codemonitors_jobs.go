package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Trigger job reasons.
const (
	TriggerReasonSchedule = "schedule"
	TriggerReasonPush     = "push"
)

// TriggerJob is a row of cm_trigger_jobs: a queued or past run of a monitor's query.
type TriggerJob struct {
	ID             int64
	State          string
	FailureMessage string
	QueuedAt       time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	NumFailures    int
	QueryID        int64
	Reason         string
	// RepoIDs limits a push-driven run to these repositories; nil runs over all.
	RepoIDs     []int64
	RecordedAt  *time.Time
	QueryString string
	NumResults  int
}

// RecordID makes a TriggerJob a workerutil record.
func (j *TriggerJob) RecordID() int64 { return j.ID }

// TriggerJobColumns are the columns ScanTriggerJob reads, for the queue and for lists.
var TriggerJobColumns = []string{"cm_trigger_jobs.id", "cm_trigger_jobs.state", "coalesce(cm_trigger_jobs.failure_message, '')", "cm_trigger_jobs.queued_at",
	"cm_trigger_jobs.started_at", "cm_trigger_jobs.finished_at", "cm_trigger_jobs.num_failures", "cm_trigger_jobs.query", "cm_trigger_jobs.reason",
	"cm_trigger_jobs.repo_ids", "cm_trigger_jobs.recorded_at", "coalesce(cm_trigger_jobs.query_string, '')", "coalesce(cm_trigger_jobs.num_results, 0)"}

// ScanTriggerJob reads a row of TriggerJobColumns.
func ScanTriggerJob(row pgx.Row) (*TriggerJob, error) {
	var j TriggerJob
	err := row.Scan(&j.ID, &j.State, &j.FailureMessage, &j.QueuedAt, &j.StartedAt, &j.FinishedAt, &j.NumFailures, &j.QueryID, &j.Reason,
		&j.RepoIDs, &j.RecordedAt, &j.QueryString, &j.NumResults)
	return &j, err
}

// ActionJob is a row of cm_action_jobs: one notification of one action for one trigger
// run. Exactly one of Email, Webhook and SlackWebhook is set.
type ActionJob struct {
	ID             int64
	State          string
	FailureMessage string
	QueuedAt       time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	NumFailures    int
	Email          int64
	Webhook        int64
	SlackWebhook   int64
	TriggerEvent   int64
}

// RecordID makes an ActionJob a workerutil record.
func (j *ActionJob) RecordID() int64 { return j.ID }

// ActionJobColumns are the columns ScanActionJob reads.
var ActionJobColumns = []string{"cm_action_jobs.id", "cm_action_jobs.state", "coalesce(cm_action_jobs.failure_message, '')", "cm_action_jobs.queued_at",
	"cm_action_jobs.started_at", "cm_action_jobs.finished_at", "cm_action_jobs.num_failures", "coalesce(cm_action_jobs.email, 0)",
	"coalesce(cm_action_jobs.webhook, 0)", "coalesce(cm_action_jobs.slack_webhook, 0)", "cm_action_jobs.trigger_event"}

// ScanActionJob reads a row of ActionJobColumns.
func ScanActionJob(row pgx.Row) (*ActionJob, error) {
	var j ActionJob
	err := row.Scan(&j.ID, &j.State, &j.FailureMessage, &j.QueuedAt, &j.StartedAt, &j.FinishedAt, &j.NumFailures, &j.Email, &j.Webhook, &j.SlackWebhook, &j.TriggerEvent)
	return &j, err
}

func columns(cols []string) string {
	s := ""
	for i, c := range cols {
		if i > 0 {
			s += ", "
		}
		s += c
	}
	return s
}

// liveOwnerCond keeps monitors that are enabled and owned by a live user: a monitor
// searches as its owner, so one without a user owner never runs.
const liveOwnerCond = `m.enabled AND EXISTS (SELECT 1 FROM users u WHERE u.id = m.namespace_user_id AND u.deleted_at IS NULL)`

// EnqueueDueTriggers queues a full run of every enabled monitor whose next_run has
// passed and that has no full run pending. A queued push-driven run is widened to a
// full run instead of queueing a second job. It returns the number of jobs queued.
func (cs *CodeMonitorStore) EnqueueDueTriggers(ctx context.Context) (int64, error) {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf(`WITH due AS (
  SELECT q.id FROM cm_queries q JOIN cm_monitors m ON m.id = q.monitor
  WHERE q.next_run <= now() AND `+liveOwnerCond+`
    AND NOT EXISTS (SELECT 1 FROM cm_trigger_jobs j WHERE j.query = q.id AND j.repo_ids IS NULL AND j.state IN ('queued', 'processing', 'errored'))
), widened AS (
  UPDATE cm_trigger_jobs j SET repo_ids = NULL, reason = %s WHERE j.state = 'queued' AND j.query IN (SELECT id FROM due) RETURNING j.query
)
INSERT INTO cm_trigger_jobs (query, reason) SELECT id, %s FROM due WHERE id NOT IN (SELECT query FROM widened) ORDER BY id`,
		TriggerReasonSchedule, TriggerReasonSchedule))
	if err != nil {
		return 0, fmt.Errorf("enqueueing code monitor triggers: %w", err)
	}
	return tag.RowsAffected(), nil
}

// PushCandidate is an enabled monitor a push may concern.
type PushCandidate struct {
	QueryID     int64
	MonitorID   int64
	Query       string
	OwnerUserID int64
	ChangedAt   time.Time
}

// PushCandidates lists the triggers of enabled monitors with a live owner.
func (cs *CodeMonitorStore) PushCandidates(ctx context.Context) ([]PushCandidate, error) {
	return collect(ctx, cs.s, sqlf.Sprintf(`SELECT q.id, m.id, q.query, m.namespace_user_id, q.changed_at FROM cm_queries q JOIN cm_monitors m ON m.id = q.monitor
WHERE `+liveOwnerCond+` ORDER BY q.id`), func(row pgx.Row) (PushCandidate, error) {
		var c PushCandidate
		err := row.Scan(&c.QueryID, &c.MonitorID, &c.Query, &c.OwnerUserID, &c.ChangedAt)
		return c, err
	})
}

// EnqueuePushTriggers queues a run of each trigger over one repository that a fetch
// changed. A queued run of the same trigger takes the repository too (a full one needs
// nothing), so a burst of pushes makes one run per trigger. A run being dequeued at the
// same moment is no longer 'queued' when the update re-checks it, and gets a new run.
func (cs *CodeMonitorStore) EnqueuePushTriggers(ctx context.Context, queryIDs []int64, repoID int64) (int64, error) {
	if len(queryIDs) == 0 {
		return 0, nil
	}
	tag, err := cs.s.exec(ctx, sqlf.Sprintf(`WITH ids AS (SELECT DISTINCT unnest(%s::bigint[]) AS q),
merged AS (
  UPDATE cm_trigger_jobs j SET repo_ids = CASE WHEN j.repo_ids IS NULL THEN NULL
    ELSE ARRAY(SELECT DISTINCT x FROM unnest(j.repo_ids || ARRAY[%s]::bigint[]) x ORDER BY x) END
  WHERE j.state = 'queued' AND j.query IN (SELECT q FROM ids) RETURNING j.query
)
INSERT INTO cm_trigger_jobs (query, reason, repo_ids)
SELECT q, %s, ARRAY[%s]::bigint[] FROM ids WHERE q NOT IN (SELECT query FROM merged) ORDER BY q`,
		queryIDs, repoID, TriggerReasonPush, repoID))
	if err != nil {
		return 0, fmt.Errorf("enqueueing push-driven code monitor runs: %w", err)
	}
	return tag.RowsAffected(), nil
}

// SetNextRun sets when a trigger's next full run is due.
func (cs *CodeMonitorStore) SetNextRun(ctx context.Context, queryID int64, at time.Time) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("UPDATE cm_queries SET next_run = %s WHERE id = %s", at, queryID))
	return err
}

// TriggerJob returns a trigger run by id.
func (cs *CodeMonitorStore) TriggerJob(ctx context.Context, id int64) (*TriggerJob, error) {
	j, err := ScanTriggerJob(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+columns(TriggerJobColumns)+" FROM cm_trigger_jobs WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("code monitor trigger run %d", id)
	}
	return j, err
}

// TriggerJobResults returns the results a run stored (JSON; nil when none).
func (cs *CodeMonitorStore) TriggerJobResults(ctx context.Context, id int64) ([]byte, error) {
	var raw []byte
	err := cs.s.queryRow(ctx, sqlf.Sprintf("SELECT search_results FROM cm_trigger_jobs WHERE id = %s", id)).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("code monitor trigger run %d", id)
	}
	return raw, err
}

// eventsCond leaves out completed runs that found nothing: they are not events.
const eventsCond = "NOT (cm_trigger_jobs.state = 'completed' AND coalesce(cm_trigger_jobs.num_results, 0) = 0)"

// ListTriggerEvents lists a trigger's runs that are events (pending, failed, or with
// results), newest first; page.After is the id the page starts below.
func (cs *CodeMonitorStore) ListTriggerEvents(ctx context.Context, queryID int64, page Page) ([]*TriggerJob, error) {
	after := sqlf.Sprintf("TRUE")
	if page.After > 0 {
		after = sqlf.Sprintf("cm_trigger_jobs.id < %s", page.After)
	}
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+columns(TriggerJobColumns)+" FROM cm_trigger_jobs WHERE query = %s AND "+eventsCond+" AND %s ORDER BY id DESC %s",
		queryID, after, page.limitSQL()), ScanTriggerJob)
}

// CountTriggerEvents counts what ListTriggerEvents lists without a page.
func (cs *CodeMonitorStore) CountTriggerEvents(ctx context.Context, queryID int64) (int, error) {
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM cm_trigger_jobs WHERE query = %s AND "+eventsCond, queryID))
}

func actionColumn(kind string) (string, error) {
	switch kind {
	case ActionEmail, ActionWebhook, ActionSlackWebhook:
		return kind, nil
	}
	return "", fmt.Errorf("unknown action kind %q", kind)
}

// ActionEventOptions select an action's notifications.
type ActionEventOptions struct {
	Kind     string // ActionEmail, ActionWebhook or ActionSlackWebhook
	ActionID int64
	// TriggerEvent, when set, keeps the notifications of one trigger run.
	TriggerEvent int64
	// Issue lists the messages of an issue monitor's action (im_action_jobs) instead;
	// their TriggerEvent is 0.
	Issue bool
}

func (o ActionEventOptions) where() (*sqlf.Query, error) {
	col, err := actionColumn(o.Kind)
	if err != nil {
		return nil, err
	}
	conds := []*sqlf.Query{sqlf.Sprintf(col+" = %s", o.ActionID)}
	if o.TriggerEvent != 0 && !o.Issue {
		conds = append(conds, sqlf.Sprintf("trigger_event = %s", o.TriggerEvent))
	}
	return sqlf.Join(conds, " AND "), nil
}

// table and columns are the queue ActionEventOptions list and its ActionJobColumns.
func (o ActionEventOptions) table() (string, string) {
	if o.Issue {
		return "im_action_jobs", "id, state, coalesce(failure_message, ''), queued_at, started_at, finished_at, num_failures, coalesce(email, 0), coalesce(webhook, 0), coalesce(slack_webhook, 0), 0::bigint"
	}
	return "cm_action_jobs", columns(ActionJobColumns)
}

// ListActionEvents lists an action's notifications (or, with opts.Issue, its issue
// monitor messages), newest first; page.After is the
// id the page starts below.
func (cs *CodeMonitorStore) ListActionEvents(ctx context.Context, opts ActionEventOptions, page Page) ([]*ActionJob, error) {
	where, err := opts.where()
	if err != nil {
		return nil, err
	}
	after := sqlf.Sprintf("TRUE")
	if page.After > 0 {
		after = sqlf.Sprintf("id < %s", page.After)
	}
	table, cols := opts.table()
	return collect(ctx, cs.s, sqlf.Sprintf("SELECT "+cols+" FROM "+table+" WHERE %s AND %s ORDER BY id DESC %s", where, after, page.limitSQL()), ScanActionJob)
}

// CountActionEvents counts what ListActionEvents lists without a page.
func (cs *CodeMonitorStore) CountActionEvents(ctx context.Context, opts ActionEventOptions) (int, error) {
	where, err := opts.where()
	if err != nil {
		return 0, err
	}
	table, _ := opts.table()
	return cs.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM "+table+" WHERE %s", where))
}

// ActionJob returns a notification job by id.
func (cs *CodeMonitorStore) ActionJob(ctx context.Context, id int64) (*ActionJob, error) {
	j, err := ScanActionJob(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+columns(ActionJobColumns)+" FROM cm_action_jobs WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("code monitor action job %d", id)
	}
	return j, err
}

// ActionEvent returns a notification by id: a code monitor's (cm_action_jobs) or, with
// issue, an issue monitor's message (im_action_jobs).
func (cs *CodeMonitorStore) ActionEvent(ctx context.Context, id int64, issue bool) (*ActionJob, error) {
	table, cols := ActionEventOptions{Issue: issue}.table()
	j, err := ScanActionJob(cs.s.queryRow(ctx, sqlf.Sprintf("SELECT "+cols+" FROM "+table+" WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("monitor notification %d", id)
	}
	return j, err
}

// LastSearched returns, per repository, the commits a monitor's last run searched
// (repoIDs nil: every repository it has an entry for).
func (cs *CodeMonitorStore) LastSearched(ctx context.Context, monitorID int64, repoIDs []int64) (map[int64][]string, error) {
	cond := sqlf.Sprintf("TRUE")
	if repoIDs != nil {
		cond = sqlf.Sprintf("repo_id = ANY(%s)", repoIDs)
	}
	rows, err := cs.s.query(ctx, sqlf.Sprintf("SELECT repo_id, commit_oids FROM cm_last_searched WHERE monitor_id = %s AND %s", monitorID, cond))
	if err != nil {
		return nil, fmt.Errorf("reading what monitor %d searched: %w", monitorID, err)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var id int64
		var oids []string
		if err := rows.Scan(&id, &oids); err != nil {
			return nil, err
		}
		out[id] = oids
	}
	return out, rows.Err()
}

// LastSearchedUpdate moves a repository's searched commits from Old to New. Without
// HadOld the repository had no entry.
type LastSearchedUpdate struct {
	RepoID int64
	HadOld bool
	Old    []string
	New    []string
}

// TriggerRun is what a trigger run records.
type TriggerRun struct {
	MonitorID   int64
	QueryString string
	Updates     []LastSearchedUpdate
	// Results returns the results to store (JSON) and their count, leaving out the
	// repositories in lost: a concurrent run of the same monitor moved their entry first
	// and reports those commits itself.
	Results func(lost map[int64]bool) (json []byte, n int, err error)
}

// ErrRunAlreadyRecorded is returned by RecordTriggerRun for a run that was recorded
// before (by this job's earlier attempt or by a worker that took it over).
var ErrRunAlreadyRecorded = errors.New("this trigger run was already recorded")

// RecordTriggerRun records a run in one transaction: it moves cm_last_searched from the
// commits the run started from to the ones it searched (compare-and-set per repository,
// so two runs never report the same commits), stores the query as run and the results
// on the job, and queues a notification for every enabled action when there are
// results. It returns the number of results stored and the repositories whose entry a
// concurrent run had moved (their newest commits may still need a run).
func (cs *CodeMonitorStore) RecordTriggerRun(ctx context.Context, jobID int64, run TriggerRun) (int, []int64, error) {
	var n int
	var lostIDs []int64
	err := cs.s.Transact(ctx, func(tx *Store) error {
		lostIDs = nil
		tag, err := tx.exec(ctx, sqlf.Sprintf("UPDATE cm_trigger_jobs SET recorded_at = now() WHERE id = %s AND recorded_at IS NULL AND state = 'processing'", jobID))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrRunAlreadyRecorded
		}
		moved, err := tx.CodeMonitors().moveLastSearched(ctx, run.MonitorID, run.Updates)
		if err != nil {
			return err
		}
		lost := map[int64]bool{}
		for _, u := range run.Updates {
			if !moved[u.RepoID] {
				lost[u.RepoID] = true
				lostIDs = append(lostIDs, u.RepoID)
			}
		}
		results, count, err := run.Results(lost)
		if err != nil {
			return err
		}
		n = count
		if _, err := tx.exec(ctx, sqlf.Sprintf("UPDATE cm_trigger_jobs SET query_string = %s, search_results = %s::jsonb, num_results = %s WHERE id = %s",
			run.QueryString, string(results), n, jobID)); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.exec(ctx, sqlf.Sprintf("UPDATE cm_queries SET latest_result = now() WHERE monitor = %s", run.MonitorID)); err != nil {
			return err
		}
		for _, a := range []struct{ table, col string }{{"cm_emails", "email"}, {"cm_webhooks", "webhook"}, {"cm_slack_webhooks", "slack_webhook"}} {
			if _, err := tx.exec(ctx, sqlf.Sprintf("INSERT INTO cm_action_jobs ("+a.col+", trigger_event) SELECT id, %s FROM "+a.table+" WHERE monitor = %s AND enabled ORDER BY id ON CONFLICT DO NOTHING",
				jobID, run.MonitorID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, ErrRunAlreadyRecorded) {
		return 0, nil, fmt.Errorf("recording code monitor run %d: %w", jobID, err)
	}
	return n, lostIDs, err
}

// joinOIDs encodes a set of commit ids for string_to_array(x, ' '): sorted, so equal
// sets compare equal.
func joinOIDs(oids []string) string { return strings.Join(sortedOIDs(oids), " ") }

// moveLastSearched applies updates in two statements and returns the repositories it
// moved: an entry moves only from the Old it was read with (or is created only when
// absent), so of two runs that started from the same commits only one moves it.
func (cs *CodeMonitorStore) moveLastSearched(ctx context.Context, monitorID int64, updates []LastSearchedUpdate) (map[int64]bool, error) {
	var updIDs, insIDs []int64
	var updOld, updNew, insNew []string
	for _, u := range updates {
		if u.HadOld {
			updIDs, updOld, updNew = append(updIDs, u.RepoID), append(updOld, joinOIDs(u.Old)), append(updNew, joinOIDs(u.New))
		} else {
			insIDs, insNew = append(insIDs, u.RepoID), append(insNew, joinOIDs(u.New))
		}
	}
	moved := map[int64]bool{}
	scan := func(q *sqlf.Query) error {
		ids, err := collect(ctx, cs.s, q, func(row pgx.Row) (int64, error) {
			var id int64
			err := row.Scan(&id)
			return id, err
		})
		for _, id := range ids {
			moved[id] = true
		}
		return err
	}
	if len(updIDs) > 0 {
		if err := scan(sqlf.Sprintf(`UPDATE cm_last_searched ls SET commit_oids = string_to_array(u.new, ' ')
FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(repo_id, old, new)
WHERE ls.monitor_id = %s AND ls.repo_id = u.repo_id AND ls.commit_oids = string_to_array(u.old, ' ')
RETURNING ls.repo_id`, updIDs, updOld, updNew, monitorID)); err != nil {
			return nil, err
		}
	}
	if len(insIDs) > 0 {
		if err := scan(sqlf.Sprintf(`INSERT INTO cm_last_searched (monitor_id, repo_id, commit_oids)
SELECT %s, u.repo_id, string_to_array(u.new, ' ') FROM unnest(%s::bigint[], %s::text[]) AS u(repo_id, new) ORDER BY u.repo_id
ON CONFLICT DO NOTHING RETURNING repo_id`, monitorID, insIDs, insNew)); err != nil {
			return nil, err
		}
	}
	return moved, nil
}

// DeliverySent reports whether a delivery was recorded as sent.
func (cs *CodeMonitorStore) DeliverySent(ctx context.Context, deliveryID string) (bool, error) {
	var ok bool
	err := cs.s.queryRow(ctx, sqlf.Sprintf("SELECT EXISTS (SELECT 1 FROM cm_action_deliveries WHERE delivery_id = %s)", deliveryID)).Scan(&ok)
	return ok, err
}

// RecordDelivery records that a delivery was sent.
func (cs *CodeMonitorStore) RecordDelivery(ctx context.Context, deliveryID string, actionJobID int64, recipient string) error {
	_, err := cs.s.exec(ctx, sqlf.Sprintf("INSERT INTO cm_action_deliveries (delivery_id, action_job, recipient) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
		deliveryID, actionJobID, recipient))
	if err != nil {
		return fmt.Errorf("recording delivery %s: %w", deliveryID, err)
	}
	return nil
}

// DeleteOldTriggerJobs deletes runs finished more than maxAge ago (their notifications
// go with them) and completed runs without results finished more than emptyMaxAge ago,
// which no list shows.
func (cs *CodeMonitorStore) DeleteOldTriggerJobs(ctx context.Context, maxAge, emptyMaxAge time.Duration) (int64, error) {
	tag, err := cs.s.exec(ctx, sqlf.Sprintf(`DELETE FROM cm_trigger_jobs WHERE finished_at < now() - %s::bigint * interval '1 microsecond'
OR (state = 'completed' AND coalesce(num_results, 0) = 0 AND finished_at < now() - %s::bigint * interval '1 microsecond')`,
		maxAge.Microseconds(), emptyMaxAge.Microseconds()))
	if err != nil {
		return 0, fmt.Errorf("deleting old code monitor runs: %w", err)
	}
	return tag.RowsAffected(), nil
}
