package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// The code insights query runner queue and the repository lists insights read live in
// the main database: the methods in this file run on a Store of the main database.

// Query runner persist modes.
const (
	PersistRecord   = "record"
	PersistSnapshot = "snapshot"
)

// InsightsQueryJob is a row of insights_query_runner_jobs: one recording or snapshot of a
// series.
type InsightsQueryJob struct {
	ID          int64
	SeriesID    string // insight_series.series_id in the insights database
	SearchQuery string
	RecordTime  time.Time
	PersistMode string
	Priority    int
	Cost        int
	State       string
	NumFailures int
	QueuedAt    time.Time
}

// RecordID makes a job a workerutil record.
func (j *InsightsQueryJob) RecordID() int64 { return j.ID }

// InsightsQueryJobColumns are read by the query runner's queue store.
var InsightsQueryJobColumns = []string{"id", "series_id", "search_query", "record_time", "persist_mode", "priority", "cost", "state", "num_failures", "queued_at"}

// ScanInsightsQueryJob scans InsightsQueryJobColumns.
func ScanInsightsQueryJob(row pgx.CollectableRow) (*InsightsQueryJob, error) {
	var j InsightsQueryJob
	err := row.Scan(&j.ID, &j.SeriesID, &j.SearchQuery, &j.RecordTime, &j.PersistMode, &j.Priority, &j.Cost, &j.State, &j.NumFailures, &j.QueuedAt)
	j.RecordTime = j.RecordTime.UTC()
	return &j, err
}

// EnqueueInsightsQueryJob queues a recording or snapshot of a series.
func (s *Store) EnqueueInsightsQueryJob(ctx context.Context, j *InsightsQueryJob) error {
	if j.PersistMode == "" {
		j.PersistMode = PersistRecord
	}
	err := s.queryRow(ctx, sqlf.Sprintf(`INSERT INTO insights_query_runner_jobs (series_id, search_query, record_time, persist_mode, priority, cost)
VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, state, queued_at`, j.SeriesID, j.SearchQuery, j.RecordTime.UTC(), j.PersistMode, j.Priority, j.Cost)).Scan(&j.ID, &j.State, &j.QueuedAt)
	if err != nil {
		return fmt.Errorf("queueing insights query job: %w", err)
	}
	return nil
}

// InsightsQueryJobCounts are a series' query runner jobs by state.
type InsightsQueryJobCounts struct {
	Queued, Processing, Completed, Errored, Failed int
}

// InsightsQueryJobCounts returns the query runner jobs of series (series ids) by state.
func (s *Store) InsightsQueryJobCounts(ctx context.Context, seriesIDs []string) (map[string]*InsightsQueryJobCounts, error) {
	rows, err := s.query(ctx, sqlf.Sprintf("SELECT series_id, state, count(*) FROM insights_query_runner_jobs WHERE series_id = ANY(%s) GROUP BY 1, 2", seriesIDs))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*InsightsQueryJobCounts{}
	for rows.Next() {
		var id, state string
		var n int
		if err := rows.Scan(&id, &state, &n); err != nil {
			return nil, err
		}
		c := out[id]
		if c == nil {
			c = &InsightsQueryJobCounts{}
			out[id] = c
		}
		switch state {
		case "queued":
			c.Queued += n
		case "processing":
			c.Processing += n
		case "completed":
			c.Completed += n
		case "errored":
			c.Errored += n
		case "failed", "canceled":
			c.Failed += n
		}
	}
	return out, rows.Err()
}

// DeleteOldInsightsQueryJobs removes finished query runner jobs older than age.
func (s *Store) DeleteOldInsightsQueryJobs(ctx context.Context, age time.Duration) (int64, error) {
	tag, err := s.exec(ctx, sqlf.Sprintf("DELETE FROM insights_query_runner_jobs WHERE state IN ('completed', 'failed', 'canceled') AND finished_at < now() - %s::bigint * interval '1 microsecond'", age.Microseconds()))
	return tag.RowsAffected(), err
}

// FailedInsightsQueryJob is a recording or snapshot job that failed for good.
type FailedInsightsQueryJob struct {
	SeriesID   string
	RecordTime time.Time
	Message    string
}

// FailedInsightsQueryJobs returns the query runner jobs that failed for good (not the
// canceled ones) and finished after since, oldest first.
func (s *Store) FailedInsightsQueryJobs(ctx context.Context, since time.Time) ([]FailedInsightsQueryJob, error) {
	return collect(ctx, s, sqlf.Sprintf(`SELECT series_id, record_time, coalesce(failure_message, '') FROM insights_query_runner_jobs
WHERE state = 'failed' AND finished_at > %s ORDER BY finished_at, id`, since), func(row pgx.Row) (FailedInsightsQueryJob, error) {
		var j FailedInsightsQueryJob
		err := row.Scan(&j.SeriesID, &j.RecordTime, &j.Message)
		j.RecordTime = j.RecordTime.UTC()
		return j, err
	})
}

// RepoAccess is a repository as insights' read path sees it: whether the viewer may
// count it.
type RepoAccess struct {
	ID      int64
	Name    string
	Fork    bool
	Archive bool
	Private bool
	// Visible is false for deleted repositories and ones the viewer may not see.
	Visible bool
}

// InsightsRepoAccess lists every repository ever known (deleted ones too, which may still
// have points) with whether the viewer may see it, by the one visibility rule.
func (s *Store) InsightsRepoAccess(ctx context.Context, v Viewer) ([]RepoAccess, error) {
	return collect(ctx, s, sqlf.Sprintf("SELECT r.id, r.name, r.fork, r.archived, r.private, (r.deleted_at IS NULL AND %s) FROM repo r ORDER BY r.id", VisibleRepoCond(v, "r")),
		func(row pgx.Row) (RepoAccess, error) {
			var a RepoAccess
			err := row.Scan(&a.ID, &a.Name, &a.Fork, &a.Archive, &a.Private, &a.Visible)
			return a, err
		})
}
