-- Identity: accounts, sessions (refresh-token families) and addresses.
-- Accounts are platform-wide: customers buy from every vendor, and one person may
-- work for several vendors. Authorization of who reads what is the service's.
CREATE SCHEMA identity;
GRANT USAGE ON SCHEMA identity TO souk_app;

CREATE TABLE identity.users (
    id                  uuid        PRIMARY KEY,
    email               text        NOT NULL CHECK (email = lower(email) AND char_length(email) <= 254),
    password_hash       text        NOT NULL,
    first_name          text        NOT NULL,
    last_name           text        NOT NULL,
    phone               text,
    platform_admin      boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON identity.users (email);
CREATE INDEX users_created ON identity.users (created_at, id);

-- A refresh token is stored only as its SHA-256. Tokens rotate within a family
-- (one family per sign-in); presenting a rotated token revokes the family.
CREATE TABLE identity.refresh_tokens (
    id          uuid        PRIMARY KEY,
    family_id   uuid        NOT NULL,
    user_id     uuid        NOT NULL REFERENCES identity.users,
    token_hash  bytea       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz,
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX refresh_tokens_hash ON identity.refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON identity.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_live_by_user ON identity.refresh_tokens (user_id) WHERE revoked_at IS NULL;

-- Any number of addresses; exactly one default whenever any exist.
CREATE TABLE identity.addresses (
    id          uuid        PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES identity.users,
    label       text,
    recipient   text        NOT NULL,
    line1       text        NOT NULL,
    line2       text,
    city        text        NOT NULL,
    region      text,
    postal_code text        NOT NULL,
    country     text        NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    phone       text,
    is_default  boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX addresses_one_default ON identity.addresses (user_id) WHERE is_default;
CREATE INDEX addresses_by_user ON identity.addresses (user_id, created_at, id);

GRANT SELECT, INSERT, UPDATE ON identity.users, identity.refresh_tokens TO souk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON identity.addresses TO souk_app;
