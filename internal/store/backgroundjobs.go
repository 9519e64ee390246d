package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// QueueTable is a job queue: its name (as WORKER_<NAME>_CONCURRENCY and the metrics know
// it) and its table, which carries the workerutil columns.
type QueueTable struct {
	Name  string
	Table string
	// Insights marks a queue in the code insights database.
	Insights bool
}

// Queues are every job queue of the worker, in the order the background jobs page lists
// them. A queue added to a routine must be added here (TestQueuesHaveJobColumns checks
// each table has the job columns).
var Queues = []QueueTable{
	{Name: "repo_sync", Table: "external_service_sync_jobs"},
	{Name: "repo_fetch", Table: "repo_fetch_jobs"},
	{Name: "codemonitor_triggers", Table: "cm_trigger_jobs"},
	{Name: "codemonitor_actions", Table: "cm_action_jobs"},
	{Name: "issuemonitor_runs", Table: "im_runs"},
	{Name: "issuemonitor_actions", Table: "im_action_jobs"},
	{Name: "campaign_jobs", Table: "campaign_jobs"},
	{Name: "changesets", Table: "changesets"},
	{Name: "insights_backfill", Table: "insight_series_backfill", Insights: true},
	{Name: "insights_query_runner", Table: "insights_query_runner_jobs", Insights: true},
}

// QueueStats is the state of one queue now.
type QueueStats struct {
	Queued          int
	OldestQueuedAt  *time.Time
	Processing      int
	FailedLastHour  int
	ErroredLastHour int
}

// QueueStats counts a queue's jobs by state. q must be one of Queues (its table name is
// written into the SQL).
func (s *Store) QueueStats(ctx context.Context, q QueueTable) (*QueueStats, error) {
	var st QueueStats
	// The first two aggregates use the dequeue index (state = 'queued'); recent failures
	// are read from finished_at.
	err := s.queryRow(ctx, sqlf.Sprintf(`SELECT
  count(*) FILTER (WHERE state = 'queued'),
  min(queued_at) FILTER (WHERE state = 'queued'),
  count(*) FILTER (WHERE state = 'processing'),
  count(*) FILTER (WHERE state = 'failed' AND finished_at > now() - interval '1 hour'),
  count(*) FILTER (WHERE state = 'errored' AND finished_at > now() - interval '1 hour')
FROM `+q.Table+`
WHERE state IN ('queued', 'processing') OR (state IN ('failed', 'errored') AND finished_at > now() - interval '1 hour')`)).
		Scan(&st.Queued, &st.OldestQueuedAt, &st.Processing, &st.FailedLastHour, &st.ErroredLastHour)
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// WorkerInstance is a worker process as its heartbeat records it.
type WorkerInstance struct {
	Hostname        string
	Jobs            []string
	Queues          map[string]int // queue name -> handlers
	StartedAt       time.Time
	LastHeartbeatAt time.Time
}

// WorkerLiveFor is how long a worker counts as live after its last heartbeat.
const WorkerLiveFor = 45 * time.Second

// HeartbeatWorker records that the worker is alive (creating its row on the first beat)
// and deletes the rows of workers gone for an hour.
func (s *Store) HeartbeatWorker(ctx context.Context, w *WorkerInstance) error {
	queues, err := json.Marshal(w.Queues)
	if err != nil {
		return err
	}
	if _, err := s.exec(ctx, sqlf.Sprintf(`INSERT INTO worker_instances (hostname, jobs, queues, started_at, last_heartbeat_at)
VALUES (%s, %s, %s, %s, now())
ON CONFLICT (hostname) DO UPDATE SET jobs = EXCLUDED.jobs, queues = EXCLUDED.queues, started_at = EXCLUDED.started_at, last_heartbeat_at = now()`,
		w.Hostname, w.Jobs, queues, w.StartedAt)); err != nil {
		return err
	}
	_, err = s.exec(ctx, sqlf.Sprintf("DELETE FROM worker_instances WHERE last_heartbeat_at < now() - interval '1 hour'"))
	return err
}

// RemoveWorker deletes a worker's row (on a clean shutdown).
func (s *Store) RemoveWorker(ctx context.Context, hostname string) error {
	_, err := s.exec(ctx, sqlf.Sprintf("DELETE FROM worker_instances WHERE hostname = %s", hostname))
	return err
}

// LiveWorkers lists the workers that sent a heartbeat within WorkerLiveFor, by hostname.
func (s *Store) LiveWorkers(ctx context.Context) ([]*WorkerInstance, error) {
	return collect(ctx, s, sqlf.Sprintf(`SELECT hostname, jobs, queues, started_at, last_heartbeat_at FROM worker_instances
WHERE last_heartbeat_at > now() - %s::interval ORDER BY hostname`, WorkerLiveFor.String()), func(row pgx.Row) (*WorkerInstance, error) {
		var w WorkerInstance
		var queues []byte
		if err := row.Scan(&w.Hostname, &w.Jobs, &queues, &w.StartedAt, &w.LastHeartbeatAt); err != nil {
			return nil, err
		}
		return &w, json.Unmarshal(queues, &w.Queues)
	})
}
