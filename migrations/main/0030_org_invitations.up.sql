-- Organization membership by invitation: a member invites a user, who becomes a member only
-- by accepting (site admins may still add members directly). Being a member lets an
-- organization's dashboards and code monitor email reach a user, so it needs their consent.
CREATE TABLE org_invitations (
    id                bigserial PRIMARY KEY,
    org_id            bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    sender_user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    recipient_user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    -- When an invitation email was last sent; NULL when none was (no SMTP, or no
    -- verified address).
    notified_at       timestamptz,
    responded_at      timestamptz,
    -- true: accepted, false: rejected; set with responded_at.
    accepted          boolean,
    revoked_at        timestamptz,
    CHECK ((responded_at IS NULL) = (accepted IS NULL)),
    CHECK (responded_at IS NULL OR revoked_at IS NULL)
);
-- One pending invitation per organization and recipient: inviting again returns it.
CREATE UNIQUE INDEX org_invitations_pending ON org_invitations (org_id, recipient_user_id)
    WHERE responded_at IS NULL AND revoked_at IS NULL;
CREATE INDEX org_invitations_recipient ON org_invitations (recipient_user_id)
    WHERE responded_at IS NULL AND revoked_at IS NULL;
