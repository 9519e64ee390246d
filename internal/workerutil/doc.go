// Package workerutil runs Lookout's background jobs from Postgres tables.
//
// A queue is an ordinary table with the standard job columns, so a domain table can be its
// own queue (cm_trigger_jobs is one) and the API can show job history as it is. Enqueueing is
// a plain INSERT done by the domain's store; this package dequeues, runs and records.
//
//   - Store[T] holds the SQL for one queue table: batch dequeue with FOR UPDATE SKIP LOCKED,
//     heartbeats, the terminal marks, requeue/release, execution logs, stalled-job resets.
//   - Worker[T] runs a Handler on up to NumHandlers jobs at once: it dequeues only as many
//     jobs as it has free handlers, dequeues again at once while jobs keep coming, and
//     otherwise sleeps until the poll interval or a NOTIFY from the table's insert trigger.
//     Completions are written in batches. Heartbeats keep running jobs alive and carry
//     cancel requests back.
//   - Resetter[T] returns jobs whose worker died (no heartbeat for StalledMaxAge) to the
//     queue, and fails them after MaxNumResets resets.
//   - Listener shares one LISTEN connection among the workers of a process.
//
// # Queue tables
//
// A queue table looks like this (domain columns added as needed):
//
//	CREATE TABLE example_jobs (
//	    id                bigserial PRIMARY KEY,
//	    state             text NOT NULL DEFAULT 'queued',
//	    failure_message   text,
//	    queued_at         timestamptz NOT NULL DEFAULT now(),
//	    started_at        timestamptz,
//	    finished_at       timestamptz,
//	    process_after     timestamptz,
//	    num_resets        integer NOT NULL DEFAULT 0,
//	    num_failures      integer NOT NULL DEFAULT 0,
//	    last_heartbeat_at timestamptz,
//	    execution_logs    jsonb[],
//	    worker_hostname   text NOT NULL DEFAULT '',
//	    cancel            boolean NOT NULL DEFAULT false
//	);
//	CREATE INDEX example_jobs_dequeue ON example_jobs (queued_at, id)
//	    WHERE state IN ('queued', 'errored');
//	CREATE TRIGGER example_jobs_notify AFTER INSERT ON example_jobs
//	    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();
//
// The partial dequeue index is not optional. Processed rows leave it, so it stays as small
// as the backlog; with a plain index on state (or none) the planner, right after ANALYZE of
// an all-queued table, walks the primary key and filters on state, and every dequeue then
// re-reads all rows already processed. Its columns must match StoreOptions.OrderBy.
// The trigger (function from migration 0002) wakes idle workers as soon as jobs arrive.
//
// # Delivery
//
// Jobs are delivered at least once: a job whose worker dies is reset and runs again, and a
// completion buffered for the next batch write is lost with its process. Handlers must
// therefore be idempotent. Every mark is guarded by state = 'processing' and the worker's
// identity, so a worker never overwrites the outcome of a job that was reset and taken by
// another.
package workerutil
