-- Customer and vendor emails about orders.
--
-- identity.notification_preferences: a person's choices; no row means the
-- defaults (order updates on, new-order alerts off).
--
-- souk.order_emails: the emails the worker owes, one row per email. The worker
-- writes a row when an order event reaches it, under a key naming the email (the
-- checkout for "order placed", the event otherwise), so an event delivered twice,
-- or to two workers, owes one email. A sender claims a due row for a while (SKIP
-- LOCKED), sends, and marks it sent or retries it later with a growing delay;
-- finished rows go after 30 days. Only the platform job role reads or writes it:
-- the rows name customers of many vendors.
CREATE TABLE identity.notification_preferences (
    user_id uuid PRIMARY KEY REFERENCES identity.users (id) ON DELETE CASCADE,
    order_updates boolean NOT NULL DEFAULT true,
    new_orders boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, UPDATE ON identity.notification_preferences TO souk_app;

CREATE TABLE souk.order_emails (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedup_key text NOT NULL UNIQUE,
    kind text NOT NULL CHECK (kind IN ('placed', 'status', 'new_order')),
    event_id uuid NOT NULL,
    tenant_id uuid NOT NULL,
    payload jsonb NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- 'sent', or 'skipped' with the reason (nobody to tell, opted out).
    outcome text,
    done_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_emails_due ON souk.order_emails (next_attempt_at)
    WHERE done_at IS NULL;
CREATE INDEX order_emails_done ON souk.order_emails (done_at)
    WHERE done_at IS NOT NULL;
ALTER TABLE souk.order_emails ENABLE ROW LEVEL SECURITY;
ALTER TABLE souk.order_emails FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE, DELETE ON souk.order_emails TO souk_platform_job;
CREATE POLICY mailer ON souk.order_emails FOR ALL TO souk_platform_job
    USING (true) WITH CHECK (true);
