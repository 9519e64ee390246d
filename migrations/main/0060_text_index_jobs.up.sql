-- Builds of repositories' zoekt shards at their default branch (INDEX_DIR), queued when a
-- fetch moves a repository's default branch, or when a search in a deployment with
-- ZOEKT_ENDPOINTS finds no current shard. The worker that takes a job builds the shard in
-- its own index directory. The job keeps what the build did, for the job history.
CREATE TABLE text_index_jobs (
    id                bigserial PRIMARY KEY,
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
    cancel            boolean NOT NULL DEFAULT false,
    repo_id           bigint NOT NULL REFERENCES repo (id) ON DELETE CASCADE,
    -- push (a fetch moved the default branch) or search (a search found no current shard)
    reason            text NOT NULL DEFAULT 'push',
    -- what the build did: the commit indexed ('' when the repository is empty), the bytes
    -- of source read and of shards written, and how long it took; null until it ran
    commit_oid        text,
    built             boolean,
    content_bytes     bigint,
    index_bytes       bigint,
    duration_ms       integer
);
CREATE INDEX text_index_jobs_dequeue ON text_index_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE INDEX text_index_jobs_queued_repo ON text_index_jobs (repo_id) WHERE state = 'queued';
CREATE INDEX text_index_jobs_repo_id ON text_index_jobs (repo_id);
CREATE TRIGGER text_index_jobs_notify AFTER INSERT ON text_index_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();
