-- Code monitors: a trigger (a commit or diff search) and actions (email, webhook, Slack)
-- fired when the trigger finds new results. Every foreign key cascades on delete.

CREATE TABLE cm_monitors (
    id                bigserial PRIMARY KEY,
    created_by        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    description       text NOT NULL,
    changed_by        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changed_at        timestamptz NOT NULL DEFAULT now(),
    enabled           boolean NOT NULL DEFAULT true,
    namespace_user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    namespace_org_id  bigint REFERENCES orgs (id) ON DELETE CASCADE,
    CHECK ((namespace_user_id IS NULL) <> (namespace_org_id IS NULL))
);
CREATE INDEX cm_monitors_namespace_user_id ON cm_monitors (namespace_user_id);
CREATE INDEX cm_monitors_namespace_org_id ON cm_monitors (namespace_org_id);

-- The trigger: one query per monitor.
CREATE TABLE cm_queries (
    id            bigserial PRIMARY KEY,
    monitor       bigint NOT NULL UNIQUE REFERENCES cm_monitors (id) ON DELETE CASCADE,
    query         text NOT NULL,
    created_by    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    changed_by    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changed_at    timestamptz NOT NULL DEFAULT now(),
    -- When the enqueuer next schedules a full run.
    next_run      timestamptz NOT NULL DEFAULT now(),
    -- When a run last found results.
    latest_result timestamptz
);
CREATE INDEX cm_queries_next_run ON cm_queries (next_run);

CREATE TABLE cm_emails (
    id              bigserial PRIMARY KEY,
    monitor         bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    enabled         boolean NOT NULL,
    priority        text NOT NULL CHECK (priority IN ('NORMAL', 'CRITICAL')),
    header          text NOT NULL,
    include_results boolean NOT NULL DEFAULT false,
    created_by      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cm_emails_monitor ON cm_emails (monitor);

-- Who an email action goes to: a user, or every member of an organization.
CREATE TABLE cm_recipients (
    id                bigserial PRIMARY KEY,
    email             bigint NOT NULL REFERENCES cm_emails (id) ON DELETE CASCADE,
    namespace_user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    namespace_org_id  bigint REFERENCES orgs (id) ON DELETE CASCADE,
    CHECK ((namespace_user_id IS NULL) <> (namespace_org_id IS NULL))
);
CREATE INDEX cm_recipients_email ON cm_recipients (email);

CREATE TABLE cm_webhooks (
    id              bigserial PRIMARY KEY,
    monitor         bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    url             text NOT NULL,
    enabled         boolean NOT NULL,
    include_results boolean NOT NULL DEFAULT false,
    -- HMAC key of X-Lookout-Signature, encrypted with ENCRYPTION_KEY when one is set. It is
    -- shown to the user once, when the action is created.
    secret          text NOT NULL,
    created_by      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cm_webhooks_monitor ON cm_webhooks (monitor);

CREATE TABLE cm_slack_webhooks (
    id              bigserial PRIMARY KEY,
    monitor         bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    url             text NOT NULL,
    enabled         boolean NOT NULL,
    include_results boolean NOT NULL DEFAULT false,
    created_by      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    changed_by      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    changed_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cm_slack_webhooks_monitor ON cm_slack_webhooks (monitor);

-- Queue and history of trigger runs: each row is one run of a monitor's query, kept
-- with the query as run and its results (the API's trigger events).
CREATE TABLE cm_trigger_jobs (
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
    query             bigint NOT NULL REFERENCES cm_queries (id) ON DELETE CASCADE,
    -- Why the run was queued: 'schedule' (the enqueuer) or 'push' (a fetch brought commits).
    reason            text NOT NULL DEFAULT 'schedule',
    -- The repositories a push-driven run searches; NULL searches every repository.
    repo_ids          bigint[],
    -- Set, with the results, in the transaction that records the run, so a run whose
    -- worker died after recording is not searched again.
    recorded_at       timestamptz,
    query_string      text,
    search_results    jsonb,
    num_results       integer
);
CREATE INDEX cm_trigger_jobs_dequeue ON cm_trigger_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
-- No unique index on queued runs per query: workerutil returns processing jobs to 'queued'
-- (resets, releases on shutdown), which such an index would make fail while a newer run of
-- the same query waits. Enqueueing merges into a queued run instead.
CREATE INDEX cm_trigger_jobs_query ON cm_trigger_jobs (query, id);
CREATE INDEX cm_trigger_jobs_finished_at ON cm_trigger_jobs (finished_at);
CREATE TRIGGER cm_trigger_jobs_notify AFTER INSERT ON cm_trigger_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- Queue and history of notifications: one job per action and trigger run with results.
CREATE TABLE cm_action_jobs (
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
    email             bigint REFERENCES cm_emails (id) ON DELETE CASCADE,
    webhook           bigint REFERENCES cm_webhooks (id) ON DELETE CASCADE,
    slack_webhook     bigint REFERENCES cm_slack_webhooks (id) ON DELETE CASCADE,
    trigger_event     bigint NOT NULL REFERENCES cm_trigger_jobs (id) ON DELETE CASCADE,
    CHECK ((email IS NOT NULL)::int + (webhook IS NOT NULL)::int + (slack_webhook IS NOT NULL)::int = 1)
);
CREATE INDEX cm_action_jobs_dequeue ON cm_action_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE UNIQUE INDEX cm_action_jobs_email ON cm_action_jobs (email, trigger_event) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX cm_action_jobs_webhook ON cm_action_jobs (webhook, trigger_event) WHERE webhook IS NOT NULL;
CREATE UNIQUE INDEX cm_action_jobs_slack_webhook ON cm_action_jobs (slack_webhook, trigger_event) WHERE slack_webhook IS NOT NULL;
CREATE INDEX cm_action_jobs_trigger_event ON cm_action_jobs (trigger_event);
CREATE TRIGGER cm_action_jobs_notify AFTER INSERT ON cm_action_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- What each action job has sent, by delivery ID (one per email recipient, one per
-- webhook or Slack post). Written right after each send, so a retried job skips what a
-- worker that died before marking the job done had already sent.
CREATE TABLE cm_action_deliveries (
    delivery_id text PRIMARY KEY,
    action_job  bigint NOT NULL REFERENCES cm_action_jobs (id) ON DELETE CASCADE,
    recipient   text NOT NULL DEFAULT '',
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cm_action_deliveries_action_job ON cm_action_deliveries (action_job);

-- Per monitor and repository, the commits of the revisions the last run searched: the
-- next run searches only history reachable from the new heads and not from these.
CREATE TABLE cm_last_searched (
    monitor_id  bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    repo_id     bigint NOT NULL REFERENCES repo (id) ON DELETE CASCADE,
    commit_oids text[] NOT NULL,
    PRIMARY KEY (monitor_id, repo_id)
);
CREATE INDEX cm_last_searched_repo_id ON cm_last_searched (repo_id);
