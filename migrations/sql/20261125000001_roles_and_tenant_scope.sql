-- The roles Souk's processes use, and the tenant scope every row-level security
-- policy reads.
--
-- souk_app:      what the services log in as. Owns nothing, is no superuser and
--                cannot bypass row-level security, so every tenant table's policy
--                applies to every statement it runs.
-- souk_platform: owns the few SECURITY DEFINER functions through which platform
--                jobs (reservation expiry, …) find work across tenants. It cannot
--                log in.
--
-- Roles belong to the cluster, not the database, so they are created only when
-- missing (and a concurrent creation by another database's migration is fine).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'souk_app') THEN
        CREATE ROLE souk_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'souk_platform') THEN
        CREATE ROLE souk_platform NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

-- Readiness compares the applied migrations with the ones the binary embeds.
GRANT SELECT ON _sqlx_migrations TO souk_app;

CREATE SCHEMA souk;
GRANT USAGE ON SCHEMA souk TO souk_app, souk_platform;

-- The tenant of the current transaction, as set by
-- `set_config('app.tenant_id', $1, true)`; NULL when no tenant is set, so a
-- policy comparing against it matches no row.
CREATE FUNCTION souk.current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid $$;
GRANT EXECUTE ON FUNCTION souk.current_tenant() TO souk_app, souk_platform;
