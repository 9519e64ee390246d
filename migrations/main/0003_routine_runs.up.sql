-- One row per periodic routine that must run once per interval across all workers: the
-- routine takes an advisory lock, checks last_started_at, and records its outcome here.
CREATE TABLE routine_runs (
    name             text PRIMARY KEY,
    last_started_at  timestamptz NOT NULL,
    last_finished_at timestamptz,
    last_error       text,
    worker_hostname  text NOT NULL DEFAULT ''
);
