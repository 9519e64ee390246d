-- Code insights: series definitions, views and dashboards with their grants, the points,
-- backfills (a queue table) and their progress, recording times, incomplete points and
-- the retention archive.
--
-- Repositories live in the main database; rows here carry the main database's repo id
-- (repo_id) and a local name id (repo_names) so that names can be shown and filtered
-- without crossing databases. Permissions are applied at read time.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Wakes queue workers on insert, as in the main database (see its migration 0002).
CREATE OR REPLACE FUNCTION lookout_queue_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lookout_queue', TG_TABLE_NAME);
    RETURN NULL;
END;
$$;

CREATE TABLE repo_names (
    id   bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE INDEX repo_names_name_trgm ON repo_names USING gin (lower(name) gin_trgm_ops);

CREATE TABLE insight_series (
    id                            serial PRIMARY KEY,
    series_id                     text NOT NULL UNIQUE,
    query                         text NOT NULL,
    -- The repository scope: a list of names, a scope query (repo: filters only), or
    -- neither for all repositories.
    repositories                  text[],
    repository_criteria           text,
    sample_interval_unit          text NOT NULL CHECK (sample_interval_unit IN ('HOUR', 'DAY', 'WEEK', 'MONTH', 'YEAR')),
    sample_interval_value         integer NOT NULL CHECK (sample_interval_value > 0),
    generation_method             text NOT NULL CHECK (generation_method IN ('search', 'search-compute', 'mapping-compute', 'language-stats')),
    generated_from_capture_groups boolean NOT NULL DEFAULT false,
    group_by                      text CHECK (group_by IN ('REPO', 'LANG', 'PATH', 'AUTHOR', 'DATE')),
    enabled                       boolean NOT NULL DEFAULT true,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    deleted_at                    timestamptz,
    next_recording_after          timestamptz NOT NULL,
    next_snapshot_after           timestamptz NOT NULL,
    last_recorded_at              timestamptz,
    last_snapshot_at              timestamptz,
    backfill_queued_at            timestamptz,
    backfill_completed_at         timestamptz,
    CHECK (repositories IS NULL OR repository_criteria IS NULL),
    CHECK (group_by IS NULL OR repositories IS NOT NULL)
);
CREATE INDEX insight_series_recording_due ON insight_series (next_recording_after) WHERE deleted_at IS NULL AND enabled;
CREATE INDEX insight_series_snapshot_due ON insight_series (next_snapshot_after) WHERE deleted_at IS NULL AND enabled;
-- Series over all repositories are shared between views: found by their definition.
CREATE INDEX insight_series_shared ON insight_series (query, sample_interval_unit, sample_interval_value)
    WHERE deleted_at IS NULL AND repositories IS NULL AND repository_criteria IS NULL;

CREATE TABLE insight_view (
    id                                serial PRIMARY KEY,
    unique_id                         text NOT NULL UNIQUE,
    title                             text NOT NULL DEFAULT '',
    description                       text NOT NULL DEFAULT '',
    default_filter_include_repo_regex text,
    default_filter_exclude_repo_regex text,
    default_filter_search_contexts    text[],
    presentation_type                 text NOT NULL DEFAULT 'LINE' CHECK (presentation_type IN ('LINE', 'PIE')),
    other_threshold                   double precision,
    series_sort_mode                  text CHECK (series_sort_mode IN ('RESULT_COUNT', 'LEXICOGRAPHICAL', 'DATE_ADDED')),
    series_sort_direction             text CHECK (series_sort_direction IN ('ASC', 'DESC')),
    series_limit                      integer,
    series_num_samples                integer,
    is_frozen                         boolean NOT NULL DEFAULT false,
    created_by_user_id                bigint,
    created_at                        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insight_view_title_trgm ON insight_view USING gin (lower(title) gin_trgm_ops);

CREATE TABLE insight_view_series (
    insight_view_id   integer NOT NULL REFERENCES insight_view(id) ON DELETE CASCADE,
    insight_series_id integer NOT NULL REFERENCES insight_series(id),
    label             text NOT NULL DEFAULT '',
    stroke            text NOT NULL DEFAULT '',
    position          integer NOT NULL DEFAULT 0,
    PRIMARY KEY (insight_view_id, insight_series_id)
);
CREATE INDEX insight_view_series_series ON insight_view_series (insight_series_id);

-- A grant is to one user, one organization, or everyone.
CREATE TABLE insight_view_grants (
    id              serial PRIMARY KEY,
    insight_view_id integer NOT NULL REFERENCES insight_view(id) ON DELETE CASCADE,
    user_id         bigint,
    org_id          bigint,
    global          boolean,
    CHECK (num_nonnulls(user_id, org_id, global) = 1)
);
CREATE INDEX insight_view_grants_view ON insight_view_grants (insight_view_id);
CREATE INDEX insight_view_grants_user ON insight_view_grants (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX insight_view_grants_org ON insight_view_grants (org_id) WHERE org_id IS NOT NULL;

CREATE TABLE dashboard (
    id                 serial PRIMARY KEY,
    title              text NOT NULL,
    created_by_user_id bigint,
    created_at         timestamptz NOT NULL DEFAULT now(),
    last_updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);

CREATE TABLE dashboard_grants (
    id           serial PRIMARY KEY,
    dashboard_id integer NOT NULL REFERENCES dashboard(id) ON DELETE CASCADE,
    user_id      bigint,
    org_id       bigint,
    global       boolean,
    CHECK (num_nonnulls(user_id, org_id, global) = 1)
);
CREATE INDEX dashboard_grants_dashboard ON dashboard_grants (dashboard_id);
CREATE INDEX dashboard_grants_user ON dashboard_grants (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX dashboard_grants_org ON dashboard_grants (org_id) WHERE org_id IS NOT NULL;

CREATE TABLE dashboard_insight_view (
    id              serial PRIMARY KEY,
    dashboard_id    integer NOT NULL REFERENCES dashboard(id) ON DELETE CASCADE,
    insight_view_id integer NOT NULL REFERENCES insight_view(id) ON DELETE CASCADE,
    UNIQUE (dashboard_id, insight_view_id)
);
CREATE INDEX dashboard_insight_view_view ON dashboard_insight_view (insight_view_id);

-- Points: one row per series, time, repository and captured value ('' when the series
-- has no captures). The primary key makes a point recorded twice (at-least-once job
-- delivery) one row holding the larger value — the "maximum per repository" rule of
-- the read path, applied at write time. commit is the commit the value was counted at.
CREATE TABLE series_points (
    series_id    integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    time         timestamptz NOT NULL,
    repo_id      bigint NOT NULL,
    repo_name_id bigint NOT NULL REFERENCES repo_names(id),
    capture      text NOT NULL DEFAULT '',
    value        double precision NOT NULL,
    commit       bytea,
    -- value is in the index so that sums over a set of repositories are index-only scans.
    PRIMARY KEY (series_id, repo_id, time, capture) INCLUDE (value)
);
CREATE INDEX series_points_series_time ON series_points (series_id, time);

-- The sum over repositories of series_points, per series, time and capture, kept by the
-- triggers below. Reads take the totals and subtract what the viewer may not see (or,
-- when that is most repositories, sum what it may see), instead of summing every
-- repository's row at every read.
CREATE TABLE series_points_totals (
    series_id integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    time      timestamptz NOT NULL,
    capture   text NOT NULL DEFAULT '',
    value     double precision NOT NULL,
    repos     integer NOT NULL,
    PRIMARY KEY (series_id, time, capture)
);

-- Statement-level triggers with transition tables: a bulk write costs one aggregated
-- upsert per statement. Keys are touched in primary key order so that concurrent
-- writers of the same series lock totals rows in the same order.
CREATE FUNCTION series_points_totals_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO series_points_totals AS t (series_id, time, capture, value, repos)
    SELECT series_id, time, capture, sum(value), count(*) FROM new_rows
    GROUP BY series_id, time, capture ORDER BY series_id, time, capture
    ON CONFLICT (series_id, time, capture) DO UPDATE
        SET value = t.value + EXCLUDED.value, repos = t.repos + EXCLUDED.repos;
    RETURN NULL;
END;
$$;

CREATE FUNCTION series_points_totals_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Updates never change the key (series, repo, time, capture), only the value.
    WITH delta AS (
        SELECT n.series_id, n.time, n.capture, sum(n.value - o.value) AS d
        FROM new_rows n JOIN old_rows o USING (series_id, repo_id, time, capture)
        GROUP BY n.series_id, n.time, n.capture
    ), keys AS (
        SELECT t.series_id, t.time, t.capture, delta.d FROM series_points_totals t
        JOIN delta USING (series_id, time, capture)
        ORDER BY t.series_id, t.time, t.capture FOR UPDATE OF t
    )
    UPDATE series_points_totals t SET value = t.value + keys.d
    FROM keys WHERE (t.series_id, t.time, t.capture) = (keys.series_id, keys.time, keys.capture);
    RETURN NULL;
END;
$$;

CREATE FUNCTION series_points_totals_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH gone AS (
        SELECT series_id, time, capture, sum(value) AS v, count(*) AS n FROM old_rows
        GROUP BY series_id, time, capture
    ), keys AS (
        SELECT t.series_id, t.time, t.capture, gone.v, gone.n FROM series_points_totals t
        JOIN gone USING (series_id, time, capture)
        ORDER BY t.series_id, t.time, t.capture FOR UPDATE OF t
    )
    UPDATE series_points_totals t SET value = t.value - keys.v, repos = t.repos - keys.n
    FROM keys WHERE (t.series_id, t.time, t.capture) = (keys.series_id, keys.time, keys.capture);
    DELETE FROM series_points_totals t USING (SELECT DISTINCT series_id, time, capture FROM old_rows) k
    WHERE (t.series_id, t.time, t.capture) = (k.series_id, k.time, k.capture) AND t.repos <= 0;
    RETURN NULL;
END;
$$;

CREATE TRIGGER series_points_totals_insert AFTER INSERT ON series_points
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION series_points_totals_insert();
CREATE TRIGGER series_points_totals_update AFTER UPDATE ON series_points
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION series_points_totals_update();
CREATE TRIGGER series_points_totals_delete AFTER DELETE ON series_points
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION series_points_totals_delete();

-- The newest snapshot of each series (replaced by every snapshot), read together with
-- series_points.
CREATE TABLE series_points_snapshots (
    series_id    integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    time         timestamptz NOT NULL,
    repo_id      bigint NOT NULL,
    repo_name_id bigint NOT NULL REFERENCES repo_names(id),
    capture      text NOT NULL DEFAULT '',
    value        double precision NOT NULL,
    commit       bytea,
    PRIMARY KEY (series_id, repo_id, time, capture)
);

-- Times at which a series has data (backfill samples, recordings, the snapshot): points
-- missing at these times read as 0.
CREATE TABLE insight_series_recording_times (
    series_id      integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    recording_time timestamptz NOT NULL,
    snapshot       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (series_id, recording_time)
);

-- Points known to be incomplete: a repository that could not be counted (repo_id set)
-- or a whole recording that failed (repo_id NULL).
CREATE TABLE insight_series_incomplete_points (
    id        serial PRIMARY KEY,
    series_id integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    reason    text NOT NULL CHECK (reason IN ('timeout', 'generic')),
    time      timestamptz NOT NULL,
    repo_id   bigint,
    message   text NOT NULL DEFAULT '',
    UNIQUE NULLS NOT DISTINCT (series_id, reason, time, repo_id)
);

-- Progress of a backfill through its repositories: repos is the plan, repo_cursor the
-- number of them done. Work is committed a page at a time together with the cursor, so
-- a killed worker loses at most the page in flight and never counts a page twice.
CREATE TABLE repo_iterator (
    id               serial PRIMARY KEY,
    created_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    completed_at     timestamptz,
    last_updated_at  timestamptz NOT NULL DEFAULT now(),
    runtime_duration bigint NOT NULL DEFAULT 0, -- microseconds
    percent_complete double precision NOT NULL DEFAULT 0,
    total_count      integer NOT NULL DEFAULT 0,
    success_count    integer NOT NULL DEFAULT 0,
    repos            bigint[] NOT NULL DEFAULT '{}',
    repo_cursor      integer NOT NULL DEFAULT 0,
    -- Work counters: searches run, sample points answered by a search of another sample
    -- time (compression), sample times skipped before a repository's history.
    searches         integer NOT NULL DEFAULT 0,
    points_reused    integer NOT NULL DEFAULT 0,
    points_skipped   integer NOT NULL DEFAULT 0
);

CREATE TABLE repo_iterator_errors (
    id               serial PRIMARY KEY,
    repo_iterator_id integer NOT NULL REFERENCES repo_iterator(id) ON DELETE CASCADE,
    repo_id          bigint NOT NULL,
    error_message    text[] NOT NULL,
    failure_count    integer NOT NULL DEFAULT 1,
    terminal         boolean NOT NULL DEFAULT false,
    UNIQUE (repo_iterator_id, repo_id)
);

-- A backfill is its own queue row: backfill_state is the domain state machine
-- (new → processing → completed | failed), the workerutil columns schedule the handler.
-- Dequeue order is admin priority, then the cheapest estimated cost (new backfills,
-- not yet estimated, first).
CREATE TABLE insight_series_backfill (
    id                serial PRIMARY KEY,
    series_id         integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    backfill_state    text NOT NULL DEFAULT 'new' CHECK (backfill_state IN ('new', 'processing', 'completed', 'failed')),
    estimated_cost    double precision,
    priority          integer NOT NULL DEFAULT 0,
    repo_iterator_id  integer REFERENCES repo_iterator(id),
    created_at        timestamptz NOT NULL DEFAULT now(),

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
CREATE INDEX insight_series_backfill_dequeue ON insight_series_backfill (priority, estimated_cost NULLS FIRST, id)
    WHERE state IN ('queued', 'errored');
CREATE INDEX insight_series_backfill_series ON insight_series_backfill (series_id);
CREATE TRIGGER insight_series_backfill_notify AFTER INSERT ON insight_series_backfill
    FOR EACH STATEMENT EXECUTE FUNCTION lookout_queue_notify();

-- Retention moves the oldest recording times (beyond the newest N) here.
CREATE TABLE series_points_archive (
    series_id    integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    time         timestamptz NOT NULL,
    repo_id      bigint NOT NULL,
    repo_name_id bigint NOT NULL,
    capture      text NOT NULL DEFAULT '',
    value        double precision NOT NULL,
    commit       bytea
);
CREATE INDEX series_points_archive_series ON series_points_archive (series_id, time);

CREATE TABLE insight_series_recording_times_archive (
    series_id      integer NOT NULL REFERENCES insight_series(id) ON DELETE CASCADE,
    recording_time timestamptz NOT NULL,
    PRIMARY KEY (series_id, recording_time)
);
