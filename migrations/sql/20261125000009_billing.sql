-- Billing: plans, one subscription per tenant, exact per-request usage, the
-- Stripe webhook events already processed and the usage already reported.
CREATE SCHEMA billing;
GRANT USAGE ON SCHEMA billing TO souk_app, souk_platform;

-- What a tenant may do and what it pays. Platform data: every gateway reads it.
CREATE TABLE billing.plans (
    code                  text        PRIMARY KEY CHECK (code ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND char_length(code) <= 32),
    name                  text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    price_amount          bigint      NOT NULL CHECK (price_amount >= 0),
    currency              text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    included_requests     bigint      NOT NULL CHECK (included_requests >= 0),
    -- Minor units per 1,000 requests over the included ones.
    overage_per_thousand  bigint      NOT NULL CHECK (overage_per_thousand >= 0),
    rate_per_second       integer     NOT NULL CHECK (rate_per_second BETWEEN 1 AND 100000),
    burst                 integer     NOT NULL CHECK (burst BETWEEN 1 AND 100000),
    -- 'reject': requests over the quota are refused; 'bill': billed as overage.
    over_quota            text        NOT NULL CHECK (over_quota IN ('reject', 'bill')),
    stripe_price_id       text,
    retired_at            timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON billing.plans TO souk_app;
GRANT SELECT ON billing.plans TO souk_platform;

INSERT INTO billing.plans (code, name, price_amount, currency, included_requests,
                           overage_per_thousand, rate_per_second, burst, over_quota)
VALUES ('free',    'Free',        0, 'EUR',    10000,   0,  10,  40, 'reject'),
       ('starter', 'Starter',  2900, 'EUR',   250000,  40,  50, 100, 'bill'),
       ('growth',  'Growth',   9900, 'EUR',  2000000,  25, 200, 400, 'bill');

-- Each tenant's one subscription.
CREATE TABLE billing.subscriptions (
    tenant_id               uuid        PRIMARY KEY REFERENCES tenancy.tenants,
    plan_code               text        NOT NULL REFERENCES billing.plans,
    status                  text        NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
    period_start            timestamptz NOT NULL,
    period_end              timestamptz NOT NULL CHECK (period_end > period_start),
    cancel_at_period_end    boolean     NOT NULL DEFAULT false,
    stripe_customer_id      text,
    stripe_subscription_id  text,
    stripe_item_id          text,
    version                 bigint      NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX subscriptions_stripe ON billing.subscriptions (stripe_subscription_id);

-- Every plan a subscription had, with when it started: the invoice preview
-- pro-rates the period over these.
CREATE TABLE billing.plan_changes (
    id          uuid        PRIMARY KEY,
    tenant_id   uuid        NOT NULL REFERENCES tenancy.tenants,
    plan_code   text        NOT NULL REFERENCES billing.plans,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX plan_changes_by_tenant ON billing.plan_changes (tenant_id, at);

-- Requests counted per tenant and UTC day.
CREATE TABLE billing.usage (
    tenant_id   uuid    NOT NULL,
    day         date    NOT NULL,
    requests    bigint  NOT NULL CHECK (requests >= 0),
    PRIMARY KEY (tenant_id, day)
);

-- Flushes already applied: a flush retried after an unknown outcome adds nothing.
CREATE TABLE billing.usage_flushes (
    id          uuid        PRIMARY KEY,
    flushed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_flushes_age ON billing.usage_flushes (flushed_at);

-- Usage to report to Stripe as meter events: one row per tenant and one-minute
-- window, reported once the window closed. The identifier is stable, so a report
-- retried after a crash is deduplicated by Stripe.
CREATE TABLE billing.usage_reports (
    tenant_id    uuid        NOT NULL,
    window_start timestamptz NOT NULL,
    requests     bigint      NOT NULL,
    identifier   text        NOT NULL UNIQUE,
    reported_at  timestamptz,
    PRIMARY KEY (tenant_id, window_start)
);
CREATE INDEX usage_reports_pending ON billing.usage_reports (window_start) WHERE reported_at IS NULL;

-- Stripe webhook events already processed.
CREATE TABLE billing.webhook_events (
    id          text        PRIMARY KEY,
    kind        text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT, UPDATE ON billing.subscriptions TO souk_app;
GRANT SELECT, INSERT ON billing.plan_changes TO souk_app;
GRANT SELECT ON billing.usage TO souk_app;
GRANT SELECT, INSERT, UPDATE ON billing.usage_reports TO souk_app;
GRANT SELECT, INSERT ON billing.webhook_events TO souk_app;

ALTER TABLE billing.subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.subscriptions FORCE ROW LEVEL SECURITY;
ALTER TABLE billing.plan_changes ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.plan_changes FORCE ROW LEVEL SECURITY;
ALTER TABLE billing.usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.usage FORCE ROW LEVEL SECURITY;
ALTER TABLE billing.usage_reports ENABLE ROW LEVEL SECURITY;
ALTER TABLE billing.usage_reports FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON billing.subscriptions
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY platform_scope ON billing.subscriptions
    USING (souk.platform_scope()) WITH CHECK (souk.platform_scope());
CREATE POLICY tenant_isolation ON billing.plan_changes
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY platform_scope ON billing.plan_changes
    USING (souk.platform_scope()) WITH CHECK (souk.platform_scope());
CREATE POLICY tenant_isolation ON billing.usage
    USING (tenant_id = souk.current_tenant());
CREATE POLICY platform_scope ON billing.usage
    USING (souk.platform_scope());
CREATE POLICY tenant_isolation ON billing.usage_reports
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY platform_scope ON billing.usage_reports
    USING (souk.platform_scope()) WITH CHECK (souk.platform_scope());

-- Every tenant starts on the free plan, from its registration on.
GRANT SELECT, INSERT ON billing.subscriptions, billing.plan_changes TO souk_platform;
CREATE POLICY platform_registration ON billing.subscriptions TO souk_platform USING (true) WITH CHECK (true);
CREATE POLICY platform_registration ON billing.plan_changes TO souk_platform USING (true) WITH CHECK (true);

CREATE FUNCTION billing.start_free_plan() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    INSERT INTO billing.subscriptions (tenant_id, plan_code, status, period_start, period_end)
    VALUES (NEW.id, 'free', 'active', date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
            (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC')
    ON CONFLICT (tenant_id) DO NOTHING;
    INSERT INTO billing.plan_changes (id, tenant_id, plan_code, at)
    VALUES (gen_random_uuid(), NEW.id, 'free', now());
    RETURN NEW;
END
$$;
ALTER FUNCTION billing.start_free_plan() OWNER TO souk_platform;
REVOKE ALL ON FUNCTION billing.start_free_plan() FROM PUBLIC;
CREATE TRIGGER tenants_start_free_plan
    AFTER INSERT ON tenancy.tenants
    FOR EACH ROW EXECUTE FUNCTION billing.start_free_plan();

INSERT INTO billing.subscriptions (tenant_id, plan_code, status, period_start, period_end)
SELECT id, 'free', 'active', date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC',
       (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
FROM tenancy.tenants;
INSERT INTO billing.plan_changes (id, tenant_id, plan_code, at)
SELECT gen_random_uuid(), id, 'free', created_at FROM tenancy.tenants;

-- Adds one flush of counted requests, once per flush id, and answers each of
-- the flush's tenants' total for the current UTC month. The gateway's meter is a
-- platform job spanning tenants, hence this one definer function.
GRANT SELECT, INSERT, UPDATE ON billing.usage TO souk_platform;
GRANT SELECT, INSERT, DELETE ON billing.usage_flushes TO souk_platform;
GRANT SELECT, INSERT, UPDATE ON billing.usage_reports TO souk_platform;
CREATE POLICY platform_meter ON billing.usage TO souk_platform USING (true) WITH CHECK (true);
CREATE POLICY platform_meter ON billing.usage_reports TO souk_platform USING (true) WITH CHECK (true);

CREATE FUNCTION billing.record_usage(p_flush uuid, p_tenants uuid[], p_days date[], p_counts bigint[],
                                     p_report boolean)
    RETURNS TABLE (tenant_id uuid, month_total bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO billing.usage_flushes (id) VALUES (p_flush) ON CONFLICT (id) DO NOTHING;
    IF FOUND THEN
        INSERT INTO billing.usage AS u (tenant_id, day, requests)
        SELECT t, d, c FROM unnest(p_tenants, p_days, p_counts) AS x(t, d, c)
        ON CONFLICT (tenant_id, day) DO UPDATE SET requests = u.requests + EXCLUDED.requests;
        IF p_report THEN
            INSERT INTO billing.usage_reports AS r (tenant_id, window_start, requests, identifier)
            SELECT t, date_trunc('minute', now()), sum(c),
                   'souk-' || t || '-' || extract(epoch FROM date_trunc('minute', now()))::bigint
            FROM unnest(p_tenants, p_counts) AS x(t, c)
            GROUP BY t
            ON CONFLICT (tenant_id, window_start) DO UPDATE SET requests = r.requests + EXCLUDED.requests;
        END IF;
    END IF;
    RETURN QUERY
        SELECT u.tenant_id, sum(u.requests)::bigint
        FROM billing.usage u
        WHERE u.tenant_id = ANY (p_tenants)
          AND u.day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date
        GROUP BY u.tenant_id;
    DELETE FROM billing.usage_flushes WHERE flushed_at < now() - interval '2 days';
END
$$;
ALTER FUNCTION billing.record_usage(uuid, uuid[], date[], bigint[], boolean) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION billing.record_usage(uuid, uuid[], date[], bigint[], boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing.record_usage(uuid, uuid[], date[], bigint[], boolean) TO souk_app;

-- One tenant's current plan limits and usage this month, for the gateway's quota
-- check (a platform read across tenants, answering only these numbers).
CREATE FUNCTION billing.tenant_limits(p_tenant uuid)
    RETURNS TABLE (rate_per_second integer, burst integer, included_requests bigint,
                   over_quota text, month_total bigint)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT p.rate_per_second, p.burst, p.included_requests, p.over_quota,
               coalesce((SELECT sum(u.requests) FROM billing.usage u
                         WHERE u.tenant_id = p_tenant
                           AND u.day >= date_trunc('month', now() AT TIME ZONE 'UTC')::date), 0)::bigint
        FROM billing.subscriptions s
        JOIN billing.plans p ON p.code = CASE WHEN s.status = 'canceled' THEN 'free' ELSE s.plan_code END
        WHERE s.tenant_id = p_tenant
    $$;
ALTER FUNCTION billing.tenant_limits(uuid) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION billing.tenant_limits(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing.tenant_limits(uuid) TO souk_app;
