-- The audit log: who did what to which target, when, in which tenant and through
-- which request. Vendor-side and platform-admin changes write their entry in the
-- same transaction as the change itself, so an entry exists exactly when the change
-- does. Entries can be read and added, never changed or removed.
CREATE SCHEMA audit;
GRANT USAGE ON SCHEMA audit TO souk_app, souk_platform;

-- Whether the current transaction acts for the platform (set with
-- `set_config('app.platform', 'on', true)` by platform-admin code paths only).
CREATE FUNCTION souk.platform_scope() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT coalesce(current_setting('app.platform', true), '') = 'on' $$;
GRANT EXECUTE ON FUNCTION souk.platform_scope() TO souk_app, souk_platform;

CREATE TABLE audit.entries (
    id          uuid        PRIMARY KEY,
    -- NULL for platform-wide changes (categories, plans).
    tenant_id   uuid,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_kind  text        NOT NULL CHECK (actor_kind IN ('user', 'api_key')),
    actor_id    text        NOT NULL CHECK (char_length(actor_id) BETWEEN 1 AND 100),
    actor_role  text        NOT NULL,
    action      text        NOT NULL CHECK (action ~ '^[a-z_]+(\.[a-z_]+)+$'),
    target_type text        NOT NULL,
    target_id   text        NOT NULL,
    request_id  text,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX entries_by_tenant ON audit.entries (tenant_id, at DESC, id DESC);
CREATE INDEX entries_by_time ON audit.entries (at DESC, id DESC);

GRANT SELECT, INSERT ON audit.entries TO souk_app;
ALTER TABLE audit.entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.entries FORCE ROW LEVEL SECURITY;

-- A tenant reads and writes its own entries; the platform scope reads all and
-- writes platform-wide ones and those about a tenant it acts on.
CREATE POLICY tenant_entries ON audit.entries
    USING (tenant_id = souk.current_tenant())
    WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY platform_entries ON audit.entries
    USING (souk.platform_scope())
    WITH CHECK (souk.platform_scope());

-- Not even the owner of the table changes history.
CREATE FUNCTION audit.refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    RAISE EXCEPTION 'audit entries cannot be changed or removed'
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER entries_are_immutable
    BEFORE UPDATE OR DELETE ON audit.entries
    FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER entries_are_not_truncated
    BEFORE TRUNCATE ON audit.entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();
