-- The reservation hot path: many orders' reservations in one statement.
--
-- `inventory.reserve_batch` holds stock for a batch of orders of one tenant. It
-- scopes itself to the tenant (the same transaction-local `app.tenant_id` as every
-- other tenant transaction), locks every stock row the batch touches in SKU byte
-- order (COLLATE "C", the order every multi-row change uses, so batches and
-- releases on other connections cannot deadlock with it), then reserves each order
-- in a subtransaction of its own: the header (a second insert for the same order
-- finds the first: 'exists'), then one conditional UPDATE per line, each writing
-- its reservation line and ledger row in the same statement. A line that is
-- unknown or short rolls back that order's lines only: 'short'. Every order is all
-- lines or none.
--
-- Called on its own (autocommit), a whole batch is one round trip and one commit:
-- no client round trip happens while a hot SKU is locked, and concurrent
-- reservations share one WAL flush instead of queueing for one each.
-- SECURITY INVOKER: row-level security applies exactly as to any souk_app query.
CREATE FUNCTION inventory.reserve_batch(
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
                        RETURNING s.tenant_id, s.sku, s.on_hand, s.reserved
                    ), held AS (
                        INSERT INTO inventory.reservation_lines (tenant_id, order_id, sku, quantity)
                        SELECT item.tenant_id, p_orders[o], item.sku, line.quantity FROM item
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

REVOKE ALL ON FUNCTION inventory.reserve_batch(uuid, text[], bigint[], text[], integer[], text[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory.reserve_batch(uuid, text[], bigint[], text[], integer[], text[], bigint[]) TO souk_app;
