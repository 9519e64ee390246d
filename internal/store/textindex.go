package store

import (
	"context"
	"time"

	"github.com/keegancsmith/sqlf"
)

// Reasons a shard build is queued.
const (
	TextIndexReasonPush   = "push"
	TextIndexReasonSearch = "search"
	// TextIndexReasonConfig: a connection's indexed branches changed.
	TextIndexReasonConfig = "config"
)

// EnqueueTextIndex queues a build of each repository's shard, unless one is queued
// already (a rare duplicate costs a build that finds the shard current).
func (rs *RepoStore) EnqueueTextIndex(ctx context.Context, repoIDs []int64, reason string) error {
	if len(repoIDs) == 0 {
		return nil
	}
	_, err := rs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO text_index_jobs (repo_id, reason)
SELECT id, %s FROM unnest(%s::bigint[]) AS ids(id)
WHERE NOT EXISTS (SELECT 1 FROM text_index_jobs j WHERE j.repo_id = ids.id AND j.state = 'queued')`, reason, repoIDs))
	return err
}

// enqueueTextIndexForService queues a build of the shard of every live repository the
// connection brings, unless one is queued already.
func (rs *RepoStore) enqueueTextIndexForService(ctx context.Context, serviceID int64, reason string) error {
	_, err := rs.s.exec(ctx, sqlf.Sprintf(`INSERT INTO text_index_jobs (repo_id, reason)
SELECT esr.repo_id, %s FROM external_service_repos esr JOIN repo r ON r.id = esr.repo_id AND r.deleted_at IS NULL
WHERE esr.external_service_id = %s
AND NOT EXISTS (SELECT 1 FROM text_index_jobs j WHERE j.repo_id = esr.repo_id AND j.state = 'queued')`, reason, serviceID))
	return err
}

// TextIndexOutcome is what a build did.
type TextIndexOutcome struct {
	Commit       string
	Built        bool
	ContentBytes int64
	IndexBytes   int64
	Duration     time.Duration
}

// RecordTextIndexJobResult notes on the job what its build did.
func (rs *RepoStore) RecordTextIndexJobResult(ctx context.Context, jobID int64, out TextIndexOutcome) error {
	_, err := rs.s.exec(ctx, sqlf.Sprintf(`UPDATE text_index_jobs SET commit_oid = %s, built = %s, content_bytes = %s, index_bytes = %s, duration_ms = %s WHERE id = %s`,
		out.Commit, out.Built, out.ContentBytes, out.IndexBytes, out.Duration.Milliseconds(), jobID))
	return err
}
