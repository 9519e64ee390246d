-- Live workers, for the site admin's background jobs page: each worker process upserts its
-- row on start and every 15 seconds (its heartbeat), with the jobs it runs and the
-- handlers of each queue, and deletes it on a clean shutdown. A worker whose heartbeat is
-- older than 45 seconds is shown as gone; rows an hour stale are deleted by any worker.
CREATE TABLE worker_instances (
    hostname          text PRIMARY KEY,
    jobs              text[] NOT NULL DEFAULT '{}',
    -- queue name -> handlers this worker runs for it
    queues            jsonb NOT NULL DEFAULT '{}',
    started_at        timestamptz NOT NULL DEFAULT now(),
    last_heartbeat_at timestamptz NOT NULL DEFAULT now()
);
