package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// IssueRun is a row of im_runs: a queued or past run of an issue monitor.
type IssueRun struct {
	ID             int64
	State          string
	FailureMessage string
	QueuedAt       time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
	NumFailures    int
	MonitorID      int64
	Search         bool
	Update         bool
	Outcome        string
	RecordedAt     *time.Time
	QueryString    string
	NumResults     int
	NumCreated     int
	NumSolved      int
}

// RecordID makes an IssueRun a workerutil record.
func (r *IssueRun) RecordID() int64 { return r.ID }

// IssueRunColumns are the columns ScanIssueRun reads, for the queue and for lists.
var IssueRunColumns = []string{"im_runs.id", "im_runs.state", "coalesce(im_runs.failure_message, '')", "im_runs.queued_at", "im_runs.started_at",
	"im_runs.finished_at", "im_runs.num_failures", "im_runs.monitor_id", "im_runs.do_search", "im_runs.do_update", "coalesce(im_runs.outcome, '')",
	"im_runs.recorded_at", "coalesce(im_runs.query_string, '')", "coalesce(im_runs.num_results, 0)", "coalesce(im_runs.num_created, 0)", "coalesce(im_runs.num_solved, 0)"}

// ScanIssueRun reads a row of IssueRunColumns.
func ScanIssueRun(row pgx.Row) (*IssueRun, error) {
	var r IssueRun
	err := row.Scan(&r.ID, &r.State, &r.FailureMessage, &r.QueuedAt, &r.StartedAt, &r.FinishedAt, &r.NumFailures, &r.MonitorID, &r.Search, &r.Update,
		&r.Outcome, &r.RecordedAt, &r.QueryString, &r.NumResults, &r.NumCreated, &r.NumSolved)
	return &r, err
}

// DueIssueMonitor is a monitor EnqueueDueRuns found due, with its schedules.
type DueIssueMonitor struct {
	MonitorID                      int64
	SearchSchedule, UpdateSchedule string
	SearchDue, UpdateDue           bool
}

// EnqueueDueRuns queues a run of every enabled issue monitor with a live owner whose
// search or update is due and that has no run processing (or waiting for a retry): a
// queued run takes the due tasks, otherwise a new run is queued. next gives, from the
// monitor, when each due task is due again. It returns the number of monitors queued.
func (ims *IssueMonitorStore) EnqueueDueRuns(ctx context.Context, next func(m DueIssueMonitor, now time.Time) (search, update time.Time)) (int, error) {
	n := 0
	err := ims.s.Transact(ctx, func(tx *Store) error {
		var now time.Time
		due, err := collect(ctx, tx, sqlf.Sprintf(`SELECT c.monitor_id, c.search_schedule, c.update_schedule, c.next_search_at <= now(), c.next_update_at <= now(), now()
FROM im_configs c JOIN cm_monitors m ON m.id = c.monitor_id
WHERE (c.next_search_at <= now() OR c.next_update_at <= now()) AND `+liveOwnerCond+`
  AND NOT EXISTS (SELECT 1 FROM im_runs r WHERE r.monitor_id = c.monitor_id AND r.state IN ('processing', 'errored'))
ORDER BY c.monitor_id
FOR UPDATE OF c SKIP LOCKED`), func(row pgx.Row) (DueIssueMonitor, error) {
			var d DueIssueMonitor
			err := row.Scan(&d.MonitorID, &d.SearchSchedule, &d.UpdateSchedule, &d.SearchDue, &d.UpdateDue, &now)
			return d, err
		})
		if err != nil {
			return err
		}
		for _, d := range due {
			if _, err := tx.IssueMonitors().queueRun(ctx, d.MonitorID, d.SearchDue, d.UpdateDue); err != nil {
				return err
			}
			search, update := next(d, now)
			if _, err := tx.exec(ctx, sqlf.Sprintf(`UPDATE im_configs SET next_search_at = CASE WHEN %s THEN %s ELSE next_search_at END,
next_update_at = CASE WHEN %s THEN %s ELSE next_update_at END WHERE monitor_id = %s`, d.SearchDue, search, d.UpdateDue, update, d.MonitorID)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("enqueueing issue monitor runs: %w", err)
	}
	return n, nil
}

// queueRun merges the tasks into a queued run of the monitor, or queues a new one.
func (ims *IssueMonitorStore) queueRun(ctx context.Context, monitorID int64, search, update bool) (int64, error) {
	var id int64
	err := ims.s.queryRow(ctx, sqlf.Sprintf(`UPDATE im_runs SET do_search = do_search OR %s, do_update = do_update OR %s
WHERE id = (SELECT id FROM im_runs WHERE monitor_id = %s AND state = 'queued' ORDER BY id LIMIT 1) AND state = 'queued' RETURNING id`, search, update, monitorID)).Scan(&id)
	if err == nil {
		return id, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return 0, err
	}
	err = ims.s.queryRow(ctx, sqlf.Sprintf("INSERT INTO im_runs (monitor_id, do_search, do_update) VALUES (%s, %s, %s) RETURNING id", monitorID, search, update)).Scan(&id)
	return id, err
}

// RequestRun queues a run of a monitor now (merged into a queued one if there is one).
func (ims *IssueMonitorStore) RequestRun(ctx context.Context, monitorID int64, search, update bool) (int64, error) {
	id, err := ims.queueRun(ctx, monitorID, search, update)
	if err != nil {
		return 0, fmt.Errorf("queueing a run of issue monitor %d: %w", monitorID, err)
	}
	return id, nil
}

// OlderRunProcessing reports whether another run of the monitor, queued before runID,
// is being processed: the later run waits for it, so a monitor never runs twice at once.
func (ims *IssueMonitorStore) OlderRunProcessing(ctx context.Context, monitorID, runID int64) (bool, error) {
	var ok bool
	err := ims.s.queryRow(ctx, sqlf.Sprintf("SELECT EXISTS (SELECT 1 FROM im_runs WHERE monitor_id = %s AND state = 'processing' AND id < %s)", monitorID, runID)).Scan(&ok)
	return ok, err
}

// SetRunOutcome records how a run that did not apply ended ('failed' or 'timeout'), so
// the monitor's run history says why it changed nothing.
func (ims *IssueMonitorStore) SetRunOutcome(ctx context.Context, runID int64, outcome, queryString string) error {
	_, err := ims.s.exec(ctx, sqlf.Sprintf("UPDATE im_runs SET outcome = %s, query_string = coalesce(nullif(%s, ''), query_string) WHERE id = %s AND recorded_at IS NULL", outcome, queryString, runID))
	return err
}

// GetRun returns a run by id.
func (ims *IssueMonitorStore) GetRun(ctx context.Context, id int64) (*IssueRun, error) {
	r, err := ScanIssueRun(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+columns(IssueRunColumns)+" FROM im_runs WHERE id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("issue monitor run %d", id)
	}
	return r, err
}

// ListRuns lists a monitor's runs newest first; page.After is the id the page starts below.
func (ims *IssueMonitorStore) ListRuns(ctx context.Context, monitorID int64, page Page) ([]*IssueRun, error) {
	after := sqlf.Sprintf("TRUE")
	if page.After > 0 {
		after = sqlf.Sprintf("id < %s", page.After)
	}
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT "+columns(IssueRunColumns)+" FROM im_runs WHERE monitor_id = %s AND %s ORDER BY id DESC %s", monitorID, after, page.limitSQL()), ScanIssueRun)
}

// CountRuns counts a monitor's runs.
func (ims *IssueMonitorStore) CountRuns(ctx context.Context, monitorID int64) (int, error) {
	return ims.s.count(ctx, sqlf.Sprintf("SELECT count(*) FROM im_runs WHERE monitor_id = %s", monitorID))
}

// IssueActionJob is a row of im_action_jobs: one action sent one event. Exactly one of
// Email, Webhook and SlackWebhook is set.
type IssueActionJob struct {
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
	EventID        int64
	NotificationID int64
}

// RecordID makes an IssueActionJob a workerutil record.
func (j *IssueActionJob) RecordID() int64 { return j.ID }

// IssueActionJobColumns are the columns ScanIssueActionJob reads.
var IssueActionJobColumns = []string{"im_action_jobs.id", "im_action_jobs.state", "coalesce(im_action_jobs.failure_message, '')", "im_action_jobs.queued_at",
	"im_action_jobs.started_at", "im_action_jobs.finished_at", "im_action_jobs.num_failures", "coalesce(im_action_jobs.email, 0)",
	"coalesce(im_action_jobs.webhook, 0)", "coalesce(im_action_jobs.slack_webhook, 0)", "im_action_jobs.event_id", "coalesce(im_action_jobs.notification_id, 0)"}

// ScanIssueActionJob reads a row of IssueActionJobColumns.
func ScanIssueActionJob(row pgx.Row) (*IssueActionJob, error) {
	var j IssueActionJob
	err := row.Scan(&j.ID, &j.State, &j.FailureMessage, &j.QueuedAt, &j.StartedAt, &j.FinishedAt, &j.NumFailures, &j.Email, &j.Webhook, &j.SlackWebhook, &j.EventID, &j.NotificationID)
	return &j, err
}

// ActionJobsOfEvent lists the messages queued for an event, in id order.
func (ims *IssueMonitorStore) ActionJobsOfEvent(ctx context.Context, eventID int64) ([]*IssueActionJob, error) {
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT "+columns(IssueActionJobColumns)+" FROM im_action_jobs WHERE event_id = %s ORDER BY id", eventID), ScanIssueActionJob)
}

// GetNotification returns a notification by id.
func (ims *IssueMonitorStore) GetNotification(ctx context.Context, id int64) (*IssueNotification, error) {
	n, err := scanIMNotification(ims.s.queryRow(ctx, sqlf.Sprintf("SELECT "+imNotificationColumns+" FROM im_notifications n WHERE n.id = %s", id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("notification %d", id)
	}
	return n, err
}

// ListNotifications lists an alert's notifications in id order.
func (ims *IssueMonitorStore) ListNotifications(ctx context.Context, alertID int64) ([]*IssueNotification, error) {
	return collect(ctx, ims.s, sqlf.Sprintf("SELECT "+imNotificationColumns+" FROM im_notifications n WHERE n.alert_id = %s ORDER BY n.id", alertID), scanIMNotification)
}

// DeliverySent reports whether a message delivery was recorded as sent.
func (ims *IssueMonitorStore) DeliverySent(ctx context.Context, deliveryID string) (bool, error) {
	var ok bool
	err := ims.s.queryRow(ctx, sqlf.Sprintf("SELECT EXISTS (SELECT 1 FROM im_action_deliveries WHERE delivery_id = %s)", deliveryID)).Scan(&ok)
	return ok, err
}

// RecordDelivery records that a message delivery was sent.
func (ims *IssueMonitorStore) RecordDelivery(ctx context.Context, deliveryID string, jobID int64, recipient string) error {
	_, err := ims.s.exec(ctx, sqlf.Sprintf("INSERT INTO im_action_deliveries (delivery_id, action_job, recipient) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
		deliveryID, jobID, recipient))
	if err != nil {
		return fmt.Errorf("recording delivery %s: %w", deliveryID, err)
	}
	return nil
}

// DeleteOldHistory deletes runs finished and events created more than maxAge ago (the
// messages of those events go with them).
func (ims *IssueMonitorStore) DeleteOldHistory(ctx context.Context, maxAge time.Duration) (int64, error) {
	var n int64
	for _, q := range []*sqlf.Query{
		sqlf.Sprintf("DELETE FROM im_runs WHERE finished_at < now() - %s::bigint * interval '1 microsecond'", maxAge.Microseconds()),
		sqlf.Sprintf("DELETE FROM im_events WHERE created_at < now() - %s::bigint * interval '1 microsecond'", maxAge.Microseconds()),
	} {
		tag, err := ims.s.exec(ctx, q)
		if err != nil {
			return n, fmt.Errorf("deleting old issue monitor history: %w", err)
		}
		n += tag.RowsAffected()
	}
	return n, nil
}
