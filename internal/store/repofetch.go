package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/keegancsmith/sqlf"
)

// Fetch reasons, also priorities: a push webhook jumps ahead of scheduled fetches.
const (
	FetchReasonSchedule = "schedule"
	FetchReasonClone    = "clone"
	FetchReasonWebhook  = "webhook"
	FetchReasonManual   = "manual"
)

var fetchPriority = map[string]int{FetchReasonSchedule: 0, FetchReasonClone: 5, FetchReasonManual: 8, FetchReasonWebhook: 10}

// RepoJob is a row of a queue of jobs about one repository: repo_fetch_jobs (fetches)
// and text_index_jobs (shard builds).
type RepoJob struct {
	ID          int64
	RepoID      int64
	Reason      string
	State       string
	NumFailures int
	QueuedAt    time.Time
}

func (j *RepoJob) RecordID() int64 { return j.ID }

// RepoJobColumns are read by the queue stores of the fetch and index workers.
var RepoJobColumns = []string{"id", "repo_id", "reason", "state", "num_failures", "queued_at"}

// ScanRepoJob scans RepoJobColumns.
func ScanRepoJob(row pgx.Row) (*RepoJob, error) {
	var j RepoJob
	err := row.Scan(&j.ID, &j.RepoID, &j.Reason, &j.State, &j.NumFailures, &j.QueuedAt)
	return &j, err
}

// EnqueueFetch queues a fetch of the repository. When one is already queued it is reused,
// raised to this reason's priority.
func (rs *RepoStore) EnqueueFetch(ctx context.Context, repoID int64, reason string) error {
	_, err := rs.s.exec(ctx, sqlf.Sprintf(`WITH raised AS (
  UPDATE repo_fetch_jobs SET
    reason = CASE WHEN %s > priority THEN %s ELSE reason END,
    priority = greatest(priority, %s)
  WHERE repo_id = %s AND state = 'queued'
  RETURNING id)
INSERT INTO repo_fetch_jobs (repo_id, reason, priority) SELECT %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM raised)`,
		fetchPriority[reason], reason, fetchPriority[reason], repoID, repoID, reason, fetchPriority[reason]))
	return err
}

// EnqueueDueFetches queues scheduled fetches of up to limit repositories whose next fetch is
// due and that have no fetch queued or running.
func (rs *RepoStore) EnqueueDueFetches(ctx context.Context, limit int) (int64, error) {
	tag, err := rs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO repo_fetch_jobs (repo_id, reason)
SELECT r.id, 'schedule' FROM repo r
WHERE r.deleted_at IS NULL AND r.next_fetch_at <= now()
AND NOT EXISTS (SELECT 1 FROM repo_fetch_jobs j WHERE j.repo_id = r.id AND j.state IN ('queued', 'processing', 'errored'))
ORDER BY r.next_fetch_at LIMIT %s`, limit))
	return tag.RowsAffected(), err
}

// SetCloning marks a repository as being cloned for the first time.
func (rs *RepoStore) SetCloning(ctx context.Context, repoID int64) error {
	_, err := rs.s.exec(ctx, sqlf.Sprintf("UPDATE repo SET clone_status = 'cloning' WHERE id = %s AND clone_status IN ('not_cloned', 'failed')", repoID))
	return err
}

// Fetch scheduling bounds: a repository is fetched again after half the time since it last
// changed, so busy repositories are polled often and dormant ones rarely.
const (
	MinFetchInterval = 45 * time.Second
	MaxFetchInterval = 8 * time.Hour
	FailedFetchRetry = 5 * time.Minute
)

// FetchOutcome is what a fetch found.
type FetchOutcome struct {
	Err           error
	Changed       bool
	Heads         map[string]string
	DefaultBranch string
	// SizeBytes is the mirror's size after the fetch; 0 keeps the recorded one.
	SizeBytes int64
	// Language is the primary language at the default branch; nil keeps the recorded one.
	Language *string
}

// RecordFetch stores a fetch's outcome on the repository and schedules its next fetch.
// It returns the heads the repository had before, for callers that react to changes.
func (rs *RepoStore) RecordFetch(ctx context.Context, repoID int64, out FetchOutcome) (oldHeads map[string]string, err error) {
	var raw []byte
	if out.Err != nil {
		err = rs.s.queryRow(ctx, sqlf.Sprintf(`UPDATE repo SET last_error = %s, last_fetched_at = now(),
clone_status = CASE WHEN clone_status = 'cloned' THEN 'cloned' ELSE 'failed' END,
next_fetch_at = now() + %s::interval
WHERE id = %s RETURNING head_oids`, out.Err.Error(), FailedFetchRetry.String(), repoID)).Scan(&raw)
	} else {
		heads, _ := json.Marshal(out.Heads)
		err = rs.s.queryRow(ctx, sqlf.Sprintf(`WITH old AS (SELECT head_oids FROM repo WHERE id = %s)
UPDATE repo SET last_error = NULL, clone_status = 'cloned', last_fetched_at = now(),
last_changed_at = CASE WHEN %s OR last_changed_at IS NULL THEN now() ELSE last_changed_at END,
head_oids = %s::jsonb,
default_branch = CASE WHEN %s <> '' THEN %s ELSE default_branch END,
size_bytes = CASE WHEN %s::bigint > 0 THEN %s::bigint ELSE size_bytes END,
language = coalesce(%s, language),
next_fetch_at = now() + least(greatest((now() - CASE WHEN %s OR last_changed_at IS NULL THEN now() ELSE last_changed_at END) / 2, %s::interval), %s::interval)
WHERE id = %s RETURNING (SELECT head_oids FROM old)`,
			repoID, out.Changed, string(heads), out.DefaultBranch, out.DefaultBranch, out.SizeBytes, out.SizeBytes, out.Language, out.Changed, MinFetchInterval.String(), MaxFetchInterval.String(), repoID)).Scan(&raw)
	}
	if err != nil {
		return nil, err
	}
	err = json.Unmarshal(raw, &oldHeads)
	return oldHeads, err
}

// RecordFetchJobResult notes on the job whether the fetch changed the repository.
func (rs *RepoStore) RecordFetchJobResult(ctx context.Context, jobID int64, changed bool) error {
	_, err := rs.s.exec(ctx, sqlf.Sprintf("UPDATE repo_fetch_jobs SET changed = %s WHERE id = %s", changed, jobID))
	return err
}
