-- The code insights query runner queue: recordings (a point per interval) and daily
-- snapshots of insight series, run by the worker. Series live in the insights database;
-- series_id is insight_series.series_id there.
CREATE TABLE insights_query_runner_jobs (
    id                bigserial PRIMARY KEY,
    series_id         text NOT NULL,
    search_query      text NOT NULL,
    record_time       timestamptz NOT NULL,
    persist_mode      text NOT NULL DEFAULT 'record' CHECK (persist_mode IN ('record', 'snapshot')),
    priority          integer NOT NULL DEFAULT 1,
    cost              integer NOT NULL DEFAULT 500,

    state             text NOT NULL DEFAULT 'queued',
    failure_message   text,
    queued_at         timestamptz NOT NULL DEFAULT now(),
    started_at        timestamptz,
    finished_at       timestamptz,
    process_after     timestamptz,
    num_resets        integer NOT NULL DEFAULT 0,
    num_failures      integer NOT NULL DEFAULT 0,
    last_heartbeat_at timestamptz,
    execution_logs    jsonb[],
    worker_hostname   text NOT NULL DEFAULT '',
    cancel            boolean NOT NULL DEFAULT false
);
CREATE INDEX insights_query_runner_jobs_dequeue ON insights_query_runner_jobs (priority, id)
    WHERE state IN ('queued', 'errored');
CREATE INDEX insights_query_runner_jobs_series ON insights_query_runner_jobs (series_id, state);
CREATE TRIGGER insights_query_runner_jobs_notify AFTER INSERT ON insights_query_runner_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();
