-- Issue monitors: a monitor (cm_monitors) with an issue-tracking configuration. Its query
-- finds problems; each result is tracked as an issue until it is solved, active issues are
-- rolled into one alert per monitor with a P1..P5 priority, and every state change is an
-- event that the monitor's actions (cm_emails, cm_webhooks, cm_slack_webhooks) may be sent.
-- An issue monitor has no cm_queries row, so the code monitor routines never run it.
-- Every foreign key to a monitor cascades on delete.

CREATE TABLE im_configs (
    monitor_id           bigint PRIMARY KEY REFERENCES cm_monitors (id) ON DELETE CASCADE,
    query                text NOT NULL,
    -- How a result becomes an issue key: DEFAULT derives it from the result kind.
    identity             text NOT NULL DEFAULT 'DEFAULT' CHECK (identity IN ('DEFAULT', 'REPOSITORY', 'FILE', 'LINE', 'COMMIT')),
    -- Cron expressions (robfig/cron/v3, optional seconds field, @every and @hourly forms).
    search_schedule      text NOT NULL,
    update_schedule      text NOT NULL,
    max_issues_per_run   integer NOT NULL CHECK (max_issues_per_run > 0),
    execution_timeout_ms bigint NOT NULL CHECK (execution_timeout_ms > 0),
    solvable             boolean NOT NULL DEFAULT true,
    unique_issues        boolean NOT NULL DEFAULT false,
    rule_kind            text NOT NULL CHECK (rule_kind IN ('COUNT', 'AGE', 'VALUE')),
    value_field          text NOT NULL DEFAULT '',
    value_operation      text NOT NULL DEFAULT 'GREATER_THAN' CHECK (value_operation IN ('GREATER_THAN', 'LESSER_THAN')),
    -- Thresholds of each level; NULL never triggers.
    level_informational  double precision,
    level_low            double precision,
    level_moderate       double precision,
    level_high           double precision,
    level_critical       double precision,
    dismiss_acknowledge_on_new_issues boolean NOT NULL DEFAULT false,
    -- When the enqueuer next queues each task (advanced from the schedules when queued).
    next_search_at       timestamptz NOT NULL DEFAULT now(),
    next_update_at       timestamptz NOT NULL DEFAULT now(),
    created_at           timestamptz NOT NULL DEFAULT now(),
    changed_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX im_configs_next_search_at ON im_configs (next_search_at);
CREATE INDEX im_configs_next_update_at ON im_configs (next_update_at);

-- One alert per monitor is open at a time for new issues (locked alerts keep theirs).
CREATE TABLE im_alerts (
    id                    bigserial PRIMARY KEY,
    monitor_id            bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    state                 text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'solved')),
    -- 1 (P1, critical) .. 5 (P5, informational); NULL when no level applies.
    priority              smallint CHECK (priority BETWEEN 1 AND 5),
    -- The priority that was acknowledged; NULL when not acknowledged. An alert whose
    -- priority rises above it is no longer acknowledged.
    acknowledged_priority smallint CHECK (acknowledged_priority BETWEEN 0 AND 5),
    locked                boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    solved_at             timestamptz
);
CREATE INDEX im_alerts_monitor ON im_alerts (monitor_id, id);
CREATE INDEX im_alerts_active ON im_alerts (monitor_id, id) WHERE state = 'active';

CREATE TABLE im_issues (
    id         bigserial PRIMARY KEY,
    monitor_id bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    alert_id   bigint REFERENCES im_alerts (id) ON DELETE SET NULL,
    -- The identity of the problem (e.g. file:<repo id>:<path>); bounded in length.
    key        text NOT NULL,
    state      text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'solved', 'dropped')),
    data       jsonb NOT NULL,
    repo_id    bigint REFERENCES repo (id) ON DELETE SET NULL,
    repo_name  text NOT NULL DEFAULT '',
    path       text NOT NULL DEFAULT '',
    commit_oid text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    solved_at  timestamptz
);
-- An identity is active at most once per monitor.
CREATE UNIQUE INDEX im_issues_active_key ON im_issues (monitor_id, key) WHERE state = 'active';
CREATE INDEX im_issues_key ON im_issues (monitor_id, key);
CREATE INDEX im_issues_monitor_state ON im_issues (monitor_id, state, id);
CREATE INDEX im_issues_alert ON im_issues (alert_id, id);
CREATE INDEX im_issues_repo ON im_issues (repo_id);

-- Queue and history of runs: a run does the update task, the search task, or both, then
-- the alert pass. Enqueueing merges into a queued run of the monitor (no unique index:
-- resets and releases move jobs back to 'queued').
CREATE TABLE im_runs (
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
    monitor_id        bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    do_search         boolean NOT NULL DEFAULT false,
    do_update         boolean NOT NULL DEFAULT false,
    -- 'success', 'failed' or 'timeout', set when the run ends.
    outcome           text CHECK (outcome IN ('success', 'failed', 'timeout')),
    -- Set in the transaction that applies the run, so a retried run never applies twice.
    recorded_at       timestamptz,
    query_string      text,
    num_results       integer,
    num_created       integer,
    num_solved        integer
);
CREATE INDEX im_runs_dequeue ON im_runs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE INDEX im_runs_monitor ON im_runs (monitor_id, id);
CREATE INDEX im_runs_pending ON im_runs (monitor_id) WHERE state IN ('queued', 'processing', 'errored');
CREATE INDEX im_runs_finished_at ON im_runs (finished_at);
CREATE TRIGGER im_runs_notify AFTER INSERT ON im_runs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- A notification follows an alert for one action: created with the first message sent
-- for the alert, closed when the alert is solved.
CREATE TABLE im_notifications (
    id            bigserial PRIMARY KEY,
    monitor_id    bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    alert_id      bigint NOT NULL REFERENCES im_alerts (id) ON DELETE CASCADE,
    email         bigint REFERENCES cm_emails (id) ON DELETE CASCADE,
    webhook       bigint REFERENCES cm_webhooks (id) ON DELETE CASCADE,
    slack_webhook bigint REFERENCES cm_slack_webhooks (id) ON DELETE CASCADE,
    state         text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    closed_at     timestamptz,
    CHECK ((email IS NOT NULL)::int + (webhook IS NOT NULL)::int + (slack_webhook IS NOT NULL)::int = 1)
);
CREATE INDEX im_notifications_alert ON im_notifications (alert_id);
CREATE INDEX im_notifications_active ON im_notifications (monitor_id) WHERE state = 'active';

-- Every state change of a monitor, its alerts, issues and notifications, with the payload
-- fields of the followed platform (event_source, event_source_id, event_source_monitor_id,
-- event_name, event_data, extra_payload).
CREATE TABLE im_events (
    id            bigserial PRIMARY KEY,
    monitor_id    bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    source        text NOT NULL CHECK (source IN ('monitor', 'alert', 'issue', 'notification')),
    source_id     bigint NOT NULL,
    name          text NOT NULL,
    data          jsonb NOT NULL DEFAULT '{}',
    extra         jsonb NOT NULL DEFAULT '{}',
    -- The alert and issue the event concerns, if any (for lists).
    alert_id      bigint REFERENCES im_alerts (id) ON DELETE CASCADE,
    issue_id      bigint REFERENCES im_issues (id) ON DELETE CASCADE,
    run_id        bigint REFERENCES im_runs (id) ON DELETE SET NULL,
    actor_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX im_events_monitor ON im_events (monitor_id, id);
CREATE INDEX im_events_alert ON im_events (alert_id, id);
CREATE INDEX im_events_issue ON im_events (issue_id, id);
CREATE INDEX im_events_created_at ON im_events (created_at);

-- Queue and history of messages: one job per action and event it is sent.
CREATE TABLE im_action_jobs (
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
    event_id          bigint NOT NULL REFERENCES im_events (id) ON DELETE CASCADE,
    notification_id   bigint REFERENCES im_notifications (id) ON DELETE SET NULL,
    CHECK ((email IS NOT NULL)::int + (webhook IS NOT NULL)::int + (slack_webhook IS NOT NULL)::int = 1)
);
CREATE INDEX im_action_jobs_dequeue ON im_action_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE UNIQUE INDEX im_action_jobs_email ON im_action_jobs (email, event_id) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX im_action_jobs_webhook ON im_action_jobs (webhook, event_id) WHERE webhook IS NOT NULL;
CREATE UNIQUE INDEX im_action_jobs_slack_webhook ON im_action_jobs (slack_webhook, event_id) WHERE slack_webhook IS NOT NULL;
CREATE INDEX im_action_jobs_event ON im_action_jobs (event_id);
CREATE INDEX im_action_jobs_notification ON im_action_jobs (notification_id);
CREATE TRIGGER im_action_jobs_notify AFTER INSERT ON im_action_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- What each message job has sent, written right after each send (as cm_action_deliveries
-- for code monitors), so a retried job skips what was already sent.
CREATE TABLE im_action_deliveries (
    delivery_id text PRIMARY KEY,
    action_job  bigint NOT NULL REFERENCES im_action_jobs (id) ON DELETE CASCADE,
    recipient   text NOT NULL DEFAULT '',
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX im_action_deliveries_action_job ON im_action_deliveries (action_job);

-- Small key/value state a monitor keeps between runs, readable by its owner.
CREATE TABLE im_variables (
    monitor_id bigint NOT NULL REFERENCES cm_monitors (id) ON DELETE CASCADE,
    name       text NOT NULL,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (monitor_id, name)
);

-- The actions of an issue monitor are the code monitor action rows, with the events they
-- are sent and the minimum alert priority (NULL: any). Code monitor actions leave them NULL.
ALTER TABLE cm_emails
    ADD COLUMN issue_events text[],
    ADD COLUMN issue_min_priority smallint CHECK (issue_min_priority BETWEEN 1 AND 5);
ALTER TABLE cm_webhooks
    ADD COLUMN issue_events text[],
    ADD COLUMN issue_min_priority smallint CHECK (issue_min_priority BETWEEN 1 AND 5);
ALTER TABLE cm_slack_webhooks
    ADD COLUMN issue_events text[],
    ADD COLUMN issue_min_priority smallint CHECK (issue_min_priority BETWEEN 1 AND 5);
