-- A unique index on "one queued job per repository/connection" breaks the queue's own
-- transitions: resetting a dead worker's job, or releasing it on shutdown, moves it back to
-- 'queued' and collides with a job queued meanwhile (a push during a fetch), so the reset
-- fails and resets nothing. Enqueueing deduplicates instead (reuse a queued job when there is
-- one); a rare duplicate only costs one extra fetch or sync.
DROP INDEX IF EXISTS repo_fetch_jobs_one_queued;
DROP INDEX IF EXISTS external_service_sync_jobs_one_queued;
CREATE INDEX repo_fetch_jobs_queued_repo ON repo_fetch_jobs (repo_id) WHERE state = 'queued';
CREATE INDEX external_service_sync_jobs_queued ON external_service_sync_jobs (external_service_id) WHERE state = 'queued';
