-- Code host connections and the repositories they bring in.

CREATE TABLE external_services (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('GITHUB', 'GITLAB', 'GITEA', 'BITBUCKETSERVER', 'GIT')),
    display_name    text NOT NULL,
    -- The JSON config, encrypted with ENCRYPTION_KEY when one is configured (it holds tokens).
    config          text NOT NULL,
    sync_interval   interval NOT NULL DEFAULT '1 hour',
    next_sync_at    timestamptz NOT NULL DEFAULT now(),
    last_sync_at    timestamptz,
    last_sync_error text,
    repo_count      integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);

CREATE TABLE repo (
    id              bigserial PRIMARY KEY,
    name            citext NOT NULL,
    uri             text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    external_id     text NOT NULL DEFAULT '',
    default_branch  text NOT NULL DEFAULT '',
    fork            boolean NOT NULL DEFAULT false,
    archived        boolean NOT NULL DEFAULT false,
    private         boolean NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,
    -- Mirror state, as last reported by a worker that fetched it.
    clone_status    text NOT NULL DEFAULT 'not_cloned' CHECK (clone_status IN ('not_cloned', 'cloning', 'cloned', 'failed')),
    last_error      text,
    last_fetched_at timestamptz,
    last_changed_at timestamptz,
    next_fetch_at   timestamptz NOT NULL DEFAULT now(),
    -- Heads of all branches after the last fetch: {"refs/heads/main": "<oid>", ...}.
    head_oids       jsonb NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX repo_name ON repo (name) WHERE deleted_at IS NULL;
CREATE INDEX repo_next_fetch_at ON repo (next_fetch_at) WHERE deleted_at IS NULL;

-- Which connection brings which repository, with the clone URL that connection gives.
CREATE TABLE external_service_repos (
    external_service_id bigint NOT NULL REFERENCES external_services (id) ON DELETE CASCADE,
    repo_id             bigint NOT NULL REFERENCES repo (id) ON DELETE CASCADE,
    clone_url           text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (external_service_id, repo_id)
);
CREATE INDEX external_service_repos_repo_id ON external_service_repos (repo_id);

-- Users who may see a private repository. source says who granted it: a site admin through
-- the API ('api') or a permission sync from the code host ('sync').
CREATE TABLE repo_permissions (
    repo_id    bigint NOT NULL REFERENCES repo (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    source     text NOT NULL CHECK (source IN ('api', 'sync')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repo_id, user_id)
);
CREATE INDEX repo_permissions_user_id ON repo_permissions (user_id);

-- A user's identity on a code host, so permissions synced from the host map to users.
CREATE TABLE user_external_accounts (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    service_kind text NOT NULL,
    service_url  text NOT NULL,
    login        citext NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (service_kind, service_url, login)
);

-- Queue: list a connection's repositories.
CREATE TABLE external_service_sync_jobs (
    id                  bigserial PRIMARY KEY,
    state               text NOT NULL DEFAULT 'queued',
    failure_message     text,
    queued_at           timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    finished_at         timestamptz,
    process_after       timestamptz,
    num_resets          integer NOT NULL DEFAULT 0,
    num_failures        integer NOT NULL DEFAULT 0,
    last_heartbeat_at   timestamptz,
    execution_logs      jsonb[],
    worker_hostname     text NOT NULL DEFAULT '',
    cancel              boolean NOT NULL DEFAULT false,
    external_service_id bigint NOT NULL REFERENCES external_services (id) ON DELETE CASCADE,
    repos_added         integer,
    repos_removed       integer
);
CREATE INDEX external_service_sync_jobs_dequeue ON external_service_sync_jobs (queued_at, id) WHERE state IN ('queued', 'errored');
CREATE UNIQUE INDEX external_service_sync_jobs_one_queued ON external_service_sync_jobs (external_service_id) WHERE state = 'queued';
CREATE TRIGGER external_service_sync_jobs_notify AFTER INSERT ON external_service_sync_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- Queue: clone or fetch a repository's mirror. At most one queued job per repository;
-- a push arriving while a fetch runs queues one more, so no push is missed.
CREATE TABLE repo_fetch_jobs (
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
    reason            text NOT NULL DEFAULT 'schedule',
    priority          integer NOT NULL DEFAULT 0,
    changed           boolean
);
CREATE INDEX repo_fetch_jobs_dequeue ON repo_fetch_jobs (priority DESC, queued_at, id) WHERE state IN ('queued', 'errored');
CREATE UNIQUE INDEX repo_fetch_jobs_one_queued ON repo_fetch_jobs (repo_id) WHERE state = 'queued';
CREATE INDEX repo_fetch_jobs_repo_id ON repo_fetch_jobs (repo_id);
CREATE TRIGGER repo_fetch_jobs_notify AFTER INSERT ON repo_fetch_jobs
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- Named sets of repository filters usable as context:NAME in queries.
CREATE TABLE search_contexts (
    id          bigserial PRIMARY KEY,
    name        citext NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    query       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
