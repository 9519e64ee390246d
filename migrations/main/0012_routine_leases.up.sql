-- Singleton routines claim a run with a lease row instead of holding an advisory lock on a
-- pooled connection for the length of the run (which deadlocked a small pool: each run
-- held one connection and waited for another). lease_owner identifies the claim;
-- lease_expires_at is pushed forward while the run goes on and cleared when it ends, so a
-- run whose worker died is taken over once the lease has expired.
ALTER TABLE routine_runs
    ADD COLUMN lease_owner      text,
    ADD COLUMN lease_expires_at timestamptz;

-- Resetters look for processing jobs with an old heartbeat every few seconds; these keep
-- that a scan of the few running jobs rather than of each queue's whole history.
CREATE INDEX external_service_sync_jobs_processing ON external_service_sync_jobs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX repo_fetch_jobs_processing ON repo_fetch_jobs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX cm_trigger_jobs_processing ON cm_trigger_jobs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX cm_action_jobs_processing ON cm_action_jobs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX insights_query_runner_jobs_processing ON insights_query_runner_jobs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX campaign_jobs_processing ON campaign_jobs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX changesets_processing ON changesets (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX im_runs_processing ON im_runs (last_heartbeat_at) WHERE state = 'processing';
CREATE INDEX im_action_jobs_processing ON im_action_jobs (last_heartbeat_at) WHERE state = 'processing';
