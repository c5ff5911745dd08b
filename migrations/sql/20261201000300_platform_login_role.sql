-- Platform-wide work runs as a login role of its own; the tenant role keeps no way
-- to widen its scope.
--
-- souk_platform_job: what platform jobs (reservation expiry, outbox relays, usage
--                    flushes and reports, Stripe webhook lookups, API key checks)
--                    and platform-admin paths (plans, vendor status, the audit log
--                    across tenants) log in as, through a small pool of their own.
--                    No superuser, owns nothing, cannot bypass row-level security:
--                    it sees across tenants only where a policy `TO souk_platform_job`
--                    says so, and runs the cross-tenant SECURITY DEFINER functions.
--
-- Until now a souk_app session could `set_config('app.platform', 'on', …)` and the
-- policies on the audit log and billing honoured it, and souk_app could run every
-- cross-tenant SECURITY DEFINER function. This migration supersedes:
--   * the `app.platform` policies of 20261125000008 (audit.entries) and
--     20261125000009 (billing.*), and the function souk.platform_scope();
--   * the EXECUTE grants to souk_app on inventory.due_reservations,
--     souk.claim_events, souk.mark_sent, souk.claim_low_stock,
--     souk.low_stock_notified, billing.record_usage, billing.tenant_limits and
--     tenancy.api_key_credentials;
--   * souk_app's INSERT and UPDATE on billing.plans (plans are platform data).
--
-- Like every Souk role it is created only when missing (roles belong to the
-- cluster). It logs in without a password where the server trusts the connection,
-- as souk_app does in development; deployments set its password from a secret.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'souk_platform_job') THEN
        CREATE ROLE souk_platform_job LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;

GRANT SELECT ON _sqlx_migrations TO souk_platform_job;
GRANT USAGE ON SCHEMA souk, inventory, tenancy, audit, billing TO souk_platform_job;

-- No switch: no policy reads `app.platform` any more.
DROP POLICY platform_entries ON audit.entries;
DROP POLICY platform_scope ON billing.subscriptions;
DROP POLICY platform_scope ON billing.plan_changes;
DROP POLICY platform_scope ON billing.usage;
DROP POLICY platform_scope ON billing.usage_reports;
DROP FUNCTION souk.platform_scope();

-- No function: the cross-tenant SECURITY DEFINER functions are the platform's.
REVOKE ALL ON FUNCTION inventory.due_reservations(integer) FROM PUBLIC, souk_app;
REVOKE ALL ON FUNCTION souk.claim_events(integer), souk.mark_sent(bigint[]) FROM PUBLIC, souk_app;
REVOKE ALL ON FUNCTION souk.claim_low_stock(integer), souk.low_stock_notified(bigint, boolean, integer)
    FROM PUBLIC, souk_app;
REVOKE ALL ON FUNCTION billing.record_usage(uuid, uuid[], date[], bigint[], boolean) FROM PUBLIC, souk_app;
REVOKE ALL ON FUNCTION billing.tenant_limits(uuid) FROM PUBLIC, souk_app;
REVOKE ALL ON FUNCTION tenancy.api_key_credentials(uuid) FROM PUBLIC, souk_app;
GRANT EXECUTE ON FUNCTION inventory.due_reservations(integer),
    souk.claim_events(integer), souk.mark_sent(bigint[]),
    souk.claim_low_stock(integer), souk.low_stock_notified(bigint, boolean, integer),
    billing.record_usage(uuid, uuid[], date[], bigint[], boolean),
    billing.tenant_limits(uuid),
    tenancy.api_key_credentials(uuid)
    TO souk_platform_job;

-- The audit log: platform admins read every entry and record platform-wide ones
-- and those about a tenant they act on.
GRANT SELECT, INSERT ON audit.entries TO souk_platform_job;
CREATE POLICY platform_entries ON audit.entries TO souk_platform_job
    USING (true) WITH CHECK (true);

-- Plans are written by platform admins only.
REVOKE INSERT, UPDATE ON billing.plans FROM souk_app;
GRANT SELECT, INSERT, UPDATE ON billing.plans TO souk_platform_job;

-- Vendor approval and suspension.
GRANT SELECT, UPDATE ON tenancy.tenants TO souk_platform_job;

-- Billing jobs: the Stripe webhook finds a subscription's tenant, the repair job
-- finds subscriptions missing in Stripe, the reporter sends closed usage windows.
GRANT SELECT ON billing.subscriptions TO souk_platform_job;
CREATE POLICY platform_jobs ON billing.subscriptions FOR SELECT TO souk_platform_job
    USING (true);
GRANT SELECT, UPDATE ON billing.usage_reports TO souk_platform_job;
CREATE POLICY platform_jobs ON billing.usage_reports TO souk_platform_job
    USING (true) WITH CHECK (true);

-- An API key is checked on every request that presents one, before its tenant is
-- known, through the app role's pool: this function answers a key's tenant and
-- role only to a caller that holds the key's secret (its SHA-256 digest matches)
-- and only while the key is not revoked. It gives the tenant role nothing that
-- presenting the key over HTTP would not; unlike tenancy.api_key_credentials it
-- reveals no stored hash.
CREATE FUNCTION tenancy.authenticate_api_key(p_id uuid, p_secret_hash bytea)
    RETURNS TABLE (tenant_id uuid, role text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT k.tenant_id, k.role
        FROM tenancy.api_keys k
        WHERE k.id = p_id AND k.secret_hash = p_secret_hash AND k.revoked_at IS NULL
    $$;
ALTER FUNCTION tenancy.authenticate_api_key(uuid, bytea) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION tenancy.authenticate_api_key(uuid, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION tenancy.authenticate_api_key(uuid, bytea) TO souk_app, souk_platform_job;
