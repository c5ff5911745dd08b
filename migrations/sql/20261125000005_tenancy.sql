-- Tenancy: vendors (tenants), their members and their API keys.
CREATE SCHEMA tenancy;
GRANT USAGE ON SCHEMA tenancy TO souk_app, souk_platform;

-- The user of the current transaction, as set by
-- `set_config('app.user_id', $1, true)`; NULL when none is set.
CREATE FUNCTION souk.current_user_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
GRANT EXECUTE ON FUNCTION souk.current_user_id() TO souk_app, souk_platform;

-- The platform's registry of vendors: read by the gateway on every vendor-side
-- request (suspension takes effect at once) and by platform admins.
CREATE TABLE tenancy.tenants (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    slug        text        NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(slug) BETWEEN 3 AND 48),
    status      text        NOT NULL CHECK (status IN ('pending', 'active', 'suspended')),
    created_by  uuid        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tenants_slug_key ON tenancy.tenants (slug);
CREATE INDEX tenants_created ON tenancy.tenants (created_at, id);

-- Who works for which vendor. Visible in the vendor's scope, and to each member
-- in their own user scope (to list their vendors).
CREATE TABLE tenancy.memberships (
    tenant_id   uuid        NOT NULL REFERENCES tenancy.tenants,
    user_id     uuid        NOT NULL,
    role        text        NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX memberships_by_user ON tenancy.memberships (user_id);

-- API keys: the secret is stored only as its SHA-256.
CREATE TABLE tenancy.api_keys (
    id            uuid        PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenancy.tenants,
    name          text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    prefix        text        NOT NULL,
    secret_hash   bytea       NOT NULL,
    role          text        NOT NULL CHECK (role IN ('owner', 'manager', 'staff')),
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);
CREATE INDEX api_keys_by_tenant ON tenancy.api_keys (tenant_id, created_at, id);

GRANT SELECT, INSERT, UPDATE ON tenancy.tenants TO souk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenancy.memberships TO souk_app;
GRANT SELECT, INSERT, UPDATE ON tenancy.api_keys TO souk_app;

ALTER TABLE tenancy.memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.memberships FORCE ROW LEVEL SECURITY;
ALTER TABLE tenancy.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenancy.api_keys FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON tenancy.memberships
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY own_memberships ON tenancy.memberships FOR SELECT
    USING (user_id = souk.current_user_id());
CREATE POLICY tenant_isolation ON tenancy.api_keys
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());

-- The gateway authenticates an API key before it knows the key's tenant, through
-- this one function: given a key id it answers that key's tenant, role, secret
-- hash and whether it is revoked, and nothing else.
GRANT SELECT ON tenancy.api_keys TO souk_platform;
CREATE POLICY platform_key_lookup ON tenancy.api_keys FOR SELECT TO souk_platform USING (true);

CREATE FUNCTION tenancy.api_key_credentials(p_id uuid)
    RETURNS TABLE (tenant_id uuid, role text, secret_hash bytea, revoked boolean)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT k.tenant_id, k.role, k.secret_hash, k.revoked_at IS NOT NULL
        FROM tenancy.api_keys k
        WHERE k.id = p_id
    $$;
ALTER FUNCTION tenancy.api_key_credentials(uuid) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION tenancy.api_key_credentials(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenancy.api_key_credentials(uuid) TO souk_app;
