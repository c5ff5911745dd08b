-- The transactional outbox: events written in the same transaction as the change
-- that causes them, relayed to RabbitMQ by `souk worker`.
--
-- Events of one partition (a SKU, a reservation) are relayed in id order: a
-- worker may only claim an event when no earlier event of its partition is still
-- unsent, and claims use FOR UPDATE SKIP LOCKED, so several workers share the
-- work without sending an event twice in normal operation.
CREATE TABLE souk.outbox (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id      uuid        NOT NULL DEFAULT gen_random_uuid(),
    tenant_id     uuid        NOT NULL,
    kind          text        NOT NULL,
    partition_key text        NOT NULL,
    payload       jsonb       NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz
);
CREATE INDEX outbox_unsent ON souk.outbox (partition_key, id) WHERE sent_at IS NULL;

GRANT INSERT, SELECT ON souk.outbox TO souk_app;
ALTER TABLE souk.outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE souk.outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON souk.outbox
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());

-- The relay works across tenants through these two functions only.
GRANT SELECT, UPDATE ON souk.outbox TO souk_platform;
CREATE POLICY platform_relay ON souk.outbox FOR ALL TO souk_platform USING (true) WITH CHECK (true);

-- Claims up to max_rows unsent events, each the oldest unsent one of its
-- partition, locked until the caller's transaction ends.
CREATE FUNCTION souk.claim_events(max_rows integer)
    RETURNS TABLE (id bigint, event_id uuid, tenant_id uuid, kind text, payload jsonb, created_at timestamptz)
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT o.id, o.event_id, o.tenant_id, o.kind, o.payload, o.created_at
        FROM souk.outbox o
        WHERE o.sent_at IS NULL
          AND NOT EXISTS (
              SELECT 1 FROM souk.outbox p
              WHERE p.partition_key = o.partition_key AND p.id < o.id AND p.sent_at IS NULL)
        ORDER BY o.id
        LIMIT max_rows
        FOR UPDATE OF o SKIP LOCKED
    $$;

CREATE FUNCTION souk.mark_sent(ids bigint[])
    RETURNS void
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$ UPDATE souk.outbox SET sent_at = now() WHERE id = ANY(ids) AND sent_at IS NULL $$;

ALTER FUNCTION souk.claim_events(integer) OWNER TO souk_platform;
ALTER FUNCTION souk.mark_sent(bigint[]) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION souk.claim_events(integer), souk.mark_sent(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION souk.claim_events(integer), souk.mark_sent(bigint[]) TO souk_app;

-- Reservations now write their events: reservation.created per order, and
-- stock.low when a line takes a SKU's available stock to its threshold.
CREATE OR REPLACE FUNCTION inventory.reserve_batch(
    p_tenant uuid,
    p_orders text[],
    p_ttl_seconds bigint[],
    p_actors text[],
    p_line_orders integer[],
    p_skus text[],
    p_quantities bigint[]
)
RETURNS TABLE (idx integer, outcome text, held_until timestamptz, held_since timestamptz)
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    line record;
    v_expires timestamptz;
    v_created timestamptz;
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);

    PERFORM 1
    FROM inventory.stock_items s
    WHERE s.tenant_id = p_tenant AND s.sku = ANY (p_skus)
    ORDER BY s.sku COLLATE "C"
    FOR NO KEY UPDATE;

    FOR o IN 1 .. coalesce(array_length(p_orders, 1), 0) LOOP
        idx := o;
        held_until := NULL;
        held_since := NULL;
        BEGIN
            INSERT INTO inventory.reservations AS r (tenant_id, order_id, status, expires_at, actor)
            VALUES (p_tenant, p_orders[o], 'active',
                    now() + p_ttl_seconds[o] * interval '1 second', p_actors[o])
            ON CONFLICT DO NOTHING
            RETURNING r.expires_at, r.created_at INTO v_expires, v_created;
            IF NOT FOUND THEN
                outcome := 'exists';
            ELSE
                FOR line IN
                    SELECT l.sku, l.quantity
                    FROM unnest(p_line_orders, p_skus, p_quantities) AS l(ord, sku, quantity)
                    WHERE l.ord = o
                    ORDER BY l.sku COLLATE "C"
                LOOP
                    WITH item AS (
                        UPDATE inventory.stock_items s
                        SET reserved = s.reserved + line.quantity, updated_at = now()
                        WHERE s.tenant_id = p_tenant AND s.sku = line.sku
                          AND s.on_hand - s.reserved >= line.quantity
                        RETURNING s.tenant_id, s.sku, s.on_hand, s.reserved, s.reorder_threshold
                    ), held AS (
                        INSERT INTO inventory.reservation_lines (tenant_id, order_id, sku, quantity)
                        SELECT item.tenant_id, p_orders[o], item.sku, line.quantity FROM item
                    ), low AS (
                        -- Available stock crossed down to the reorder threshold.
                        INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
                        SELECT item.tenant_id, 'stock.low', 'sku:' || item.tenant_id || ':' || item.sku,
                               jsonb_build_object('version', 1, 'sku', item.sku, 'onHand', item.on_hand,
                                                  'reserved', item.reserved,
                                                  'available', item.on_hand - item.reserved,
                                                  'reorderThreshold', item.reorder_threshold,
                                                  'reference', p_orders[o])
                        FROM item
                        WHERE item.on_hand - item.reserved <= item.reorder_threshold
                          AND item.on_hand - item.reserved + line.quantity > item.reorder_threshold
                    )
                    INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change,
                                                  reserved_change, on_hand_after, reserved_after,
                                                  reference, actor)
                    SELECT item.tenant_id, item.sku, 'reserved', 0, line.quantity, item.on_hand,
                           item.reserved, p_orders[o], p_actors[o]
                    FROM item;
                    IF NOT FOUND THEN
                        RAISE EXCEPTION USING ERRCODE = 'SK001', MESSAGE = 'unknown or short', DETAIL = line.sku;
                    END IF;
                END LOOP;
                INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
                SELECT p_tenant, 'reservation.created', 'order:' || p_tenant || ':' || p_orders[o],
                       jsonb_build_object('version', 1, 'orderId', p_orders[o], 'expiresAt', v_expires,
                                          'lines', jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.sku))
                FROM unnest(p_line_orders, p_skus, p_quantities) AS l(ord, sku, quantity)
                WHERE l.ord = o;
                outcome := 'created';
                held_until := v_expires;
                held_since := v_created;
            END IF;
        EXCEPTION WHEN SQLSTATE 'SK001' THEN
            outcome := 'short';
        END;
        RETURN NEXT;
    END LOOP;
END
$$;

