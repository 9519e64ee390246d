DROP INDEX IF EXISTS repo_fetch_jobs_queued_repo;
DROP INDEX IF EXISTS external_service_sync_jobs_queued;
CREATE UNIQUE INDEX repo_fetch_jobs_one_queued ON repo_fetch_jobs (repo_id) WHERE state = 'queued';
CREATE UNIQUE INDEX external_service_sync_jobs_one_queued ON external_service_sync_jobs (external_service_id) WHERE state = 'queued';
