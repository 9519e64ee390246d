DROP INDEX IF EXISTS external_service_sync_jobs_processing;
DROP INDEX IF EXISTS repo_fetch_jobs_processing;
DROP INDEX IF EXISTS cm_trigger_jobs_processing;
DROP INDEX IF EXISTS cm_action_jobs_processing;
DROP INDEX IF EXISTS insights_query_runner_jobs_processing;
DROP INDEX IF EXISTS campaign_jobs_processing;
DROP INDEX IF EXISTS changesets_processing;
DROP INDEX IF EXISTS im_runs_processing;
DROP INDEX IF EXISTS im_action_jobs_processing;
ALTER TABLE routine_runs
    DROP COLUMN IF EXISTS lease_owner,
    DROP COLUMN IF EXISTS lease_expires_at;
