-- Low-stock emails: the worker sends one email per stock.low event, retrying a
-- failed send with growing delays, independently of the relay to RabbitMQ.
ALTER TABLE souk.outbox
    ADD COLUMN notified_at timestamptz,
    ADD COLUMN notify_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN notify_after timestamptz;
CREATE INDEX outbox_low_stock_pending ON souk.outbox (id)
    WHERE kind = 'stock.low' AND notified_at IS NULL;

-- Claims up to max_rows stock.low events due for their email, locked until the
-- caller's transaction ends.
CREATE FUNCTION souk.claim_low_stock(max_rows integer)
    RETURNS TABLE (id bigint, tenant_id uuid, payload jsonb, attempts integer)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT o.id, o.tenant_id, o.payload, o.notify_attempts
        FROM souk.outbox o
        WHERE o.kind = 'stock.low' AND o.notified_at IS NULL
          AND (o.notify_after IS NULL OR o.notify_after <= now())
        ORDER BY o.id
        LIMIT max_rows
        FOR UPDATE OF o SKIP LOCKED
    $$;

-- Records an email's outcome: sent, or failed and retried after retry_seconds.
CREATE FUNCTION souk.low_stock_notified(event bigint, sent boolean, retry_seconds integer)
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        UPDATE souk.outbox
        SET notified_at = CASE WHEN sent THEN now() END,
            notify_attempts = notify_attempts + CASE WHEN sent THEN 0 ELSE 1 END,
            notify_after = CASE WHEN sent THEN NULL ELSE now() + retry_seconds * interval '1 second' END
        WHERE id = event
    $$;

ALTER FUNCTION souk.claim_low_stock(integer) OWNER TO souk_platform;
ALTER FUNCTION souk.low_stock_notified(bigint, boolean, integer) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION souk.claim_low_stock(integer), souk.low_stock_notified(bigint, boolean, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION souk.claim_low_stock(integer), souk.low_stock_notified(bigint, boolean, integer) TO souk_app;
