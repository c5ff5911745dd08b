-- Marketplace payments: one payment per checkout, each vendor order's share of
-- it, refunds, connected accounts, and the append-only payments ledger.
--
-- Amounts are integer minor units. Ledger amounts are signed from the vendor's
-- side: a charge adds the order's total, the commission subtracts the platform's
-- fee, a refund subtracts what went back to the customer, a commission refund
-- adds back the fee's share of it; transfers add to, and reversals take from,
-- what has already moved to the vendor's connected account.

CREATE SCHEMA payments;
GRANT USAGE ON SCHEMA payments TO souk_app;

-- What the platform keeps of each vendor order: basis points of its total plus a
-- fixed amount, never more than the total.
ALTER TABLE billing.plans
    ADD COLUMN commission_bps   integer NOT NULL DEFAULT 0 CHECK (commission_bps BETWEEN 0 AND 10000),
    ADD COLUMN commission_fixed bigint  NOT NULL DEFAULT 0 CHECK (commission_fixed BETWEEN 0 AND 100000000);
UPDATE billing.plans SET commission_bps = 800, commission_fixed = 30 WHERE code = 'free';
UPDATE billing.plans SET commission_bps = 500, commission_fixed = 30 WHERE code = 'starter';
UPDATE billing.plans SET commission_bps = 300, commission_fixed = 20 WHERE code = 'growth';

-- One payment per checkout: the customer's, spanning the checkout's vendors. It
-- names no vendor; each vendor's share is in `order_payments`, under RLS.
CREATE TABLE payments.checkouts (
    checkout_id   text        PRIMARY KEY CHECK (char_length(checkout_id) BETWEEN 1 AND 64),
    customer      text        NOT NULL,
    provider      text        NOT NULL CHECK (provider IN ('stripe', 'test', 'manual')),
    amount        bigint      NOT NULL CHECK (amount > 0),
    currency      text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    intent_id     text        UNIQUE,
    client_secret text,
    status        text        NOT NULL CHECK (status IN ('open', 'succeeded', 'failed', 'canceled')),
    charge_id     text,
    failure       text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX checkouts_by_customer ON payments.checkouts (customer, created_at);
CREATE INDEX checkouts_settling ON payments.checkouts (updated_at) WHERE status <> 'open';
GRANT SELECT, INSERT, UPDATE ON payments.checkouts TO souk_app;
GRANT SELECT, UPDATE ON payments.checkouts TO souk_platform;

-- Each vendor order's share of its checkout's payment.
--   awaiting: the checkout is not paid yet;
--   paid:     the order is paid, its commission fixed;
--   refunded: its money went back (a late payment for an order that could not
--             stand, or refunds summing to its total);
--   voided:   the payment failed or was cancelled: no money moved.
CREATE TABLE payments.order_payments (
    order_id            text        PRIMARY KEY,
    tenant_id           uuid        NOT NULL REFERENCES tenancy.tenants,
    checkout_id         text        NOT NULL REFERENCES payments.checkouts,
    amount              bigint      NOT NULL CHECK (amount > 0),
    currency            text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status              text        NOT NULL CHECK (status IN ('awaiting', 'paid', 'refunded', 'voided')),
    commission          bigint      NOT NULL DEFAULT 0 CHECK (commission >= 0 AND commission <= amount),
    refunded            bigint      NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= amount),
    commission_returned bigint      NOT NULL DEFAULT 0 CHECK (commission_returned >= 0 AND commission_returned <= commission),
    shipped             boolean     NOT NULL DEFAULT false,
    transfer_id         text,
    transferred         bigint      NOT NULL DEFAULT 0 CHECK (transferred >= 0),
    reversed            bigint      NOT NULL DEFAULT 0 CHECK (reversed >= 0 AND reversed <= transferred),
    note                text,
    paid_at             timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_payments_by_checkout ON payments.order_payments (checkout_id);
CREATE INDEX order_payments_by_tenant ON payments.order_payments (tenant_id, created_at);
CREATE INDEX order_payments_untransferred ON payments.order_payments (updated_at)
    WHERE status = 'paid' AND transfer_id IS NULL;

-- Refunds, requested first and done afterwards: a crash between leaves a
-- `requested` row the reconciler finishes under the same idempotency keys.
CREATE TABLE payments.refunds (
    id                  uuid        PRIMARY KEY,
    tenant_id           uuid        NOT NULL REFERENCES tenancy.tenants,
    order_id            text        NOT NULL REFERENCES payments.order_payments,
    amount              bigint      NOT NULL CHECK (amount > 0),
    commission_returned bigint      NOT NULL CHECK (commission_returned >= 0),
    reason              text        NOT NULL CHECK (char_length(reason) BETWEEN 1 AND 500),
    goods_returned      boolean     NOT NULL DEFAULT false,
    automatic           boolean     NOT NULL DEFAULT false,
    requested_by        text        NOT NULL,
    status              text        NOT NULL CHECK (status IN ('requested', 'done')),
    refund_id           text,
    reversal            bigint      NOT NULL DEFAULT 0 CHECK (reversal >= 0),
    reversal_id         text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    done_at             timestamptz
);
CREATE INDEX refunds_by_order ON payments.refunds (order_id, created_at);
CREATE INDEX refunds_requested ON payments.refunds (created_at) WHERE status = 'requested';

-- The payments ledger: append-only for the app role.
CREATE TABLE payments.ledger (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id     uuid        NOT NULL REFERENCES tenancy.tenants,
    order_id      text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('charge', 'commission', 'transfer', 'refund', 'commission_refund', 'reversal')),
    amount        bigint      NOT NULL,
    currency      text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    stripe_object text,
    -- What the entry records, once: `charge:<order>`, `refund:<refund id>`, …
    entry_key     text        NOT NULL UNIQUE,
    at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_by_tenant ON payments.ledger (tenant_id, id);
CREATE INDEX ledger_by_kind_time ON payments.ledger (kind, at);

-- Each vendor's connected account and what Stripe says it may do.
CREATE TABLE payments.accounts (
    tenant_id        uuid        PRIMARY KEY REFERENCES tenancy.tenants,
    account_id       text        NOT NULL UNIQUE,
    payouts_enabled  boolean     NOT NULL DEFAULT false,
    charges_enabled  boolean     NOT NULL DEFAULT false,
    requirements     text[]      NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

-- The vendors a platform admin lets take offline payments (cash on delivery,
-- bank transfer). A vendor sees its own row; checkout reads them all through
-- the platform role.
CREATE TABLE payments.manual_methods (
    tenant_id   uuid        PRIMARY KEY REFERENCES tenancy.tenants,
    enabled_by  text        NOT NULL,
    enabled_at  timestamptz NOT NULL DEFAULT now()
);

-- Stripe's payment and account events already applied.
CREATE TABLE payments.webhook_events (
    id          text        PRIMARY KEY,
    kind        text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);

GRANT USAGE ON SCHEMA payments TO souk_platform_job;

-- The app role works in one tenant's scope (a vendor's payouts, a refund) or on
-- a customer's own checkout; it appends to the ledger and changes none of it.
GRANT SELECT, INSERT, UPDATE ON payments.order_payments, payments.refunds, payments.accounts TO souk_app;
GRANT SELECT, INSERT ON payments.ledger TO souk_app;
GRANT SELECT ON payments.manual_methods TO souk_app;
GRANT SELECT, INSERT ON payments.webhook_events TO souk_app;

-- Platform jobs (webhooks, the reconciler) and admins work across tenants: they
-- find a checkout's orders, an account's tenant, work left half-done, revenue.
GRANT SELECT, UPDATE ON payments.checkouts TO souk_platform_job;
GRANT SELECT ON payments.order_payments, payments.refunds, payments.accounts, payments.ledger
    TO souk_platform_job;
GRANT SELECT, INSERT, DELETE ON payments.manual_methods TO souk_platform_job;

ALTER TABLE payments.order_payments ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments.order_payments FORCE ROW LEVEL SECURITY;
ALTER TABLE payments.refunds ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments.refunds FORCE ROW LEVEL SECURITY;
ALTER TABLE payments.ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments.ledger FORCE ROW LEVEL SECURITY;
ALTER TABLE payments.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments.accounts FORCE ROW LEVEL SECURITY;
ALTER TABLE payments.manual_methods ENABLE ROW LEVEL SECURITY;
ALTER TABLE payments.manual_methods FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON payments.order_payments
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON payments.refunds
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON payments.ledger
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON payments.accounts
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON payments.manual_methods FOR SELECT
    USING (tenant_id = souk.current_tenant());
CREATE POLICY platform_jobs ON payments.manual_methods TO souk_platform_job
    USING (true) WITH CHECK (true);
CREATE POLICY platform_jobs ON payments.order_payments FOR SELECT TO souk_platform_job USING (true);
CREATE POLICY platform_jobs ON payments.refunds FOR SELECT TO souk_platform_job USING (true);
CREATE POLICY platform_jobs ON payments.ledger FOR SELECT TO souk_platform_job USING (true);
CREATE POLICY platform_jobs ON payments.accounts FOR SELECT TO souk_platform_job USING (true);

-- The admin's revenue page reads every tenant's plan history.
GRANT SELECT ON billing.plan_changes TO souk_platform_job;
CREATE POLICY platform_jobs ON billing.plan_changes FOR SELECT TO souk_platform_job USING (true);
