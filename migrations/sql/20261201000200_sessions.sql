-- Sessions: one row per sign-in (refresh-token family). Rotating a refresh token,
-- revoking a family and signing out lock this row, so a replayed token and a
-- concurrent rotation of it serialise: the replay sees the rotation and revokes
-- every token of the family, the one minted concurrently included. Access tokens
-- carry the session id (`sid`); they are refused once the session is revoked.
CREATE TABLE identity.sessions (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES identity.users,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);
CREATE INDEX sessions_live_by_user ON identity.sessions (user_id) WHERE revoked_at IS NULL;

-- Existing families become sessions; a family with any revoked token was revoked
-- as a whole.
INSERT INTO identity.sessions (id, user_id, created_at, revoked_at)
SELECT family_id, (array_agg(user_id))[1], min(created_at), max(revoked_at)
FROM identity.refresh_tokens
GROUP BY family_id;

ALTER TABLE identity.refresh_tokens
    ADD CONSTRAINT refresh_tokens_session_fkey FOREIGN KEY (family_id) REFERENCES identity.sessions;

GRANT SELECT, INSERT, UPDATE ON identity.sessions TO souk_app;
