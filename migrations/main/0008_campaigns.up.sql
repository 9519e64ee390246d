-- Campaigns: plans (one diff per repository, from uploaded patches or from steps run in the
-- worker), campaigns created from them, the changesets (pull requests) they open or track,
-- changeset events, code host credentials and the per-host publish rate limit.

CREATE TABLE campaign_plans (
    id          bigserial PRIMARY KEY,
    -- Who created the plan; only they (and site admins) may read it or use it.
    user_id     bigint REFERENCES users (id) ON DELETE SET NULL,
    source      text NOT NULL CHECK (source IN ('patches', 'spec')),
    -- The YAML spec as given; '' for a plan from patches.
    spec        text NOT NULL DEFAULT '',
    canceled_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX campaign_plans_user_id ON campaign_plans (user_id);

-- Queue: one job per repository of a plan. A plan from patches validates the patch (it must
-- apply to the base revision); a plan from a spec runs the steps in a workspace and stores
-- the resulting diff. The job's log is execution_logs, written while the steps run.
CREATE TABLE campaign_jobs (
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

    plan_id           bigint NOT NULL REFERENCES campaign_plans (id) ON DELETE CASCADE,
    repo_id           bigint NOT NULL REFERENCES repo (id) ON DELETE CASCADE,
    -- The branch the change is based on and its pull request merges into; '' until a spec
    -- job resolves the repository's default branch.
    base_ref          text NOT NULL DEFAULT '',
    -- The commit the diff applies to: given with a patch, resolved from base_ref for a spec.
    base_revision     text NOT NULL DEFAULT '',
    -- The diff: the uploaded patch, or what the steps changed ('' when they changed
    -- nothing; NULL until they ran).
    diff              text,
    description       text NOT NULL DEFAULT '',
    UNIQUE (plan_id, repo_id)
);
CREATE INDEX campaign_jobs_dequeue ON campaign_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE TRIGGER campaign_jobs_notify AFTER INSERT ON campaign_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

CREATE TABLE campaigns (
    id                bigserial PRIMARY KEY,
    name              text NOT NULL,
    description       text NOT NULL DEFAULT '',
    -- The branch every changeset is pushed to (a -N suffix is added per repository where
    -- the name is taken).
    branch            text NOT NULL DEFAULT '',
    namespace_user_id bigint REFERENCES users (id) ON DELETE CASCADE,
    namespace_org_id  bigint REFERENCES orgs (id) ON DELETE CASCADE,
    -- Who created it; the code host credential of this user is used first.
    author_id         bigint REFERENCES users (id) ON DELETE SET NULL,
    -- A plan serves at most one campaign.
    plan_id           bigint UNIQUE REFERENCES campaign_plans (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    -- NULL while the campaign is a draft (its changesets are not published).
    published_at      timestamptz,
    CHECK ((namespace_user_id IS NULL) <> (namespace_org_id IS NULL))
);
CREATE INDEX campaigns_namespace_user_id ON campaigns (namespace_user_id);
CREATE INDEX campaigns_namespace_org_id ON campaigns (namespace_org_id);

-- A changeset is a pull request (merge request, or for plain git remotes a pushed branch)
-- that a campaign opens or tracks. The table is also the reconciler's queue: a row is
-- queued whenever what it should be (desired_version) moves past what was last made of it
-- (reconciled_version), and the reconciler pushes, publishes, updates or closes it.
CREATE TABLE changesets (
    id                   bigserial PRIMARY KEY,
    state                text NOT NULL DEFAULT 'completed',
    failure_message      text,
    queued_at            timestamptz NOT NULL DEFAULT now(),
    started_at           timestamptz,
    finished_at          timestamptz,
    process_after        timestamptz,
    num_resets           integer NOT NULL DEFAULT 0,
    num_failures         integer NOT NULL DEFAULT 0,
    last_heartbeat_at    timestamptz,
    execution_logs       jsonb[],
    worker_hostname      text NOT NULL DEFAULT '',
    cancel               boolean NOT NULL DEFAULT false,

    repo_id              bigint NOT NULL REFERENCES repo (id) ON DELETE CASCADE,
    -- The campaign that created the changeset; NULL for one tracked by createChangesets
    -- (or whose campaign was deleted).
    owned_by_campaign_id bigint REFERENCES campaigns (id) ON DELETE SET NULL,
    -- The plan job whose diff the changeset carries.
    campaign_job_id      bigint REFERENCES campaign_jobs (id) ON DELETE SET NULL,
    -- Whose campaigns credential pushes and changes it (the campaign's author, or who
    -- tracked it); kept when the campaign is deleted, so its pull request can be closed.
    author_id            bigint REFERENCES users (id) ON DELETE SET NULL,
    -- Desired publication: UNPUBLISHED, PUBLISHED or DRAFT (a draft pull request).
    publication_state    text NOT NULL DEFAULT 'UNPUBLISHED' CHECK (publication_state IN ('UNPUBLISHED', 'PUBLISHED', 'DRAFT')),
    -- Close the pull request (campaign closed or deleted with closeChangesets, or the
    -- repository left the campaign's plan).
    closing              boolean NOT NULL DEFAULT false,
    detached_at          timestamptz,
    -- Date of the commit made from the diff, fixed so a retried push makes the same commit.
    commit_date          timestamptz NOT NULL DEFAULT now(),
    desired_version      integer NOT NULL DEFAULT 1,
    reconciled_version   integer NOT NULL DEFAULT 0,
    -- The branch chosen once (the campaign's branch, or with a -N suffix when taken).
    branch               text NOT NULL DEFAULT '',
    pushed_commit        text NOT NULL DEFAULT '',
    -- Identity of the diff last pushed (base, diff, message, author), to push only changes.
    pushed_diff_sha      text NOT NULL DEFAULT '',
    -- The publish slot reserved under the code host's rate limit.
    publish_at           timestamptz,

    -- The connection the changeset lives on and its state there.
    external_service_id  bigint REFERENCES external_services (id) ON DELETE SET NULL,
    external_id          text,
    external_state       text CHECK (external_state IN ('OPEN', 'DRAFT', 'CLOSED', 'MERGED', 'DELETED', 'PUSHED')),
    external_review_state text NOT NULL DEFAULT 'PENDING',
    external_check_state text NOT NULL DEFAULT 'UNKNOWN',
    external_url         text NOT NULL DEFAULT '',
    title                text NOT NULL DEFAULT '',
    body                 text NOT NULL DEFAULT '',
    head_ref             text NOT NULL DEFAULT '',
    base_ref             text NOT NULL DEFAULT '',
    head_sha             text NOT NULL DEFAULT '',
    labels               text[] NOT NULL DEFAULT '{}',
    external_created_at  timestamptz,
    external_updated_at  timestamptz,
    last_synced_at       timestamptz,
    next_sync_at         timestamptz,
    sync_error           text,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX changesets_repo_external_id ON changesets (repo_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX changesets_owned_by_campaign_id ON changesets (owned_by_campaign_id);
CREATE INDEX changesets_dequeue ON changesets (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE INDEX changesets_next_sync_at ON changesets (next_sync_at) WHERE external_id IS NOT NULL;
CREATE INDEX changesets_head_sha ON changesets (repo_id, head_sha) WHERE external_id IS NOT NULL;
CREATE TRIGGER changesets_notify AFTER INSERT ON changesets
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- Which campaigns a changeset belongs to: its own campaign, and any campaign that tracks it.
CREATE TABLE campaign_changesets (
    campaign_id  bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    changeset_id bigint NOT NULL REFERENCES changesets (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (campaign_id, changeset_id)
);
CREATE INDEX campaign_changesets_changeset_id ON campaign_changesets (changeset_id);

-- What happened to a changeset (opened, reviewed, checks, closed, merged), from syncs and
-- webhooks, deduplicated by (changeset, kind, key). Counts over time are computed from them.
CREATE TABLE changeset_events (
    id           bigserial PRIMARY KEY,
    changeset_id bigint NOT NULL REFERENCES changesets (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    key          text NOT NULL,
    created_at   timestamptz NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}',
    UNIQUE (changeset_id, kind, key)
);
CREATE INDEX changeset_events_changeset_created ON changeset_events (changeset_id, created_at);

-- Code host credentials campaigns push and open pull requests with: a user's own (user_id
-- set) or site-wide (user_id NULL), per code host. The secret is encrypted with
-- ENCRYPTION_KEY when one is configured.
CREATE TABLE campaigns_credentials (
    id                    bigserial PRIMARY KEY,
    user_id               bigint REFERENCES users (id) ON DELETE CASCADE,
    external_service_kind text NOT NULL,
    external_service_url  text NOT NULL,
    username              text NOT NULL DEFAULT '',
    credential            text NOT NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX campaigns_credentials_user ON campaigns_credentials (user_id, external_service_kind, external_service_url) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX campaigns_credentials_site ON campaigns_credentials (external_service_kind, external_service_url) WHERE user_id IS NULL;

-- The per-code-host publish rate limit: the earliest time the next pull request may be
-- opened on each host. Workers reserve slots with one UPDATE, so the limit holds across
-- any number of workers.
CREATE TABLE campaign_publish_slots (
    host    text PRIMARY KEY,
    next_at timestamptz NOT NULL
);
