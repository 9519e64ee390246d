-- Users, organisations and the credentials that make an actor.
CREATE EXTENSION IF NOT EXISTS citext;

-- names keeps user and organisation names unique together: both are namespaces.
CREATE TABLE names (
    name    citext PRIMARY KEY,
    user_id bigint,
    org_id  bigint,
    CHECK ((user_id IS NULL) <> (org_id IS NULL))
);

CREATE TABLE users (
    id             bigserial PRIMARY KEY,
    username       citext NOT NULL,
    display_name   text NOT NULL DEFAULT '',
    email          citext,
    email_verified boolean NOT NULL DEFAULT false,
    site_admin     boolean NOT NULL DEFAULT false,
    password_hash  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz,
    CHECK (username ~ '^[A-Za-z0-9](?:[A-Za-z0-9]|[-.][A-Za-z0-9])*-?$' AND char_length(username) <= 255)
);
CREATE UNIQUE INDEX users_username ON users (username) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX users_email ON users (email) WHERE deleted_at IS NULL AND email IS NOT NULL;

CREATE TABLE orgs (
    id           bigserial PRIMARY KEY,
    name         citext NOT NULL,
    display_name text NOT NULL DEFAULT '',
    created_by   bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    deleted_at   timestamptz,
    CHECK (name ~ '^[A-Za-z0-9](?:[A-Za-z0-9]|[-.][A-Za-z0-9])*-?$' AND char_length(name) <= 255)
);
CREATE UNIQUE INDEX orgs_name ON orgs (name) WHERE deleted_at IS NULL;

ALTER TABLE names ADD FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE names ADD FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE;

CREATE TABLE org_members (
    org_id     bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user_id ON org_members (user_id);

-- Only the SHA-256 of a token is stored; the token itself is shown once at creation.
CREATE TABLE access_tokens (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    creator_user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    note            text NOT NULL DEFAULT '',
    scopes          text[] NOT NULL,
    value_sha256    bytea NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    deleted_at      timestamptz
);
CREATE INDEX access_tokens_user_id ON access_tokens (user_id) WHERE deleted_at IS NULL;

CREATE TABLE sessions (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE,
    csrf_token   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
