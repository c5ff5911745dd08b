-- Each inventory rule in one place.
--
-- The low-stock rule (`inventory.crossed_low`), the shape of a SKU's event payload
-- (`inventory.stock_payload`, `inventory.sku_partition`) and the way a reservation's
-- events enter the outbox (`inventory.reservation_event`) were written out wherever
-- they were used: in `reserve_batch` and `expire_overdue` here, and in the
-- inventory service's own statements (stock movements, settlements). They are now
-- defined once, and every one of those uses calls them.
--
-- Supersedes `inventory.expire_overdue` and `inventory.reserve_batch` of
-- 20261201000100_reservation_holds.sql (same signatures, same results): the live
-- definitions are the ones below.

-- A change takes a SKU's available stock from above its reorder threshold to at or
-- below it: the moment a `stock.low` event is written, once per downward crossing.
CREATE FUNCTION inventory.crossed_low(available_before bigint, available_after bigint,
                                      threshold bigint)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN available_after <= threshold AND available_before > threshold;

-- A SKU's events keep their order: one outbox partition per tenant and SKU.
CREATE FUNCTION inventory.sku_partition(p_tenant uuid, p_sku text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'sku:' || p_tenant || ':' || p_sku;

-- What every SKU event says about the SKU's stock after the change.
CREATE FUNCTION inventory.stock_payload(p_sku text, p_on_hand bigint, p_reserved bigint,
                                        p_threshold bigint)
RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN jsonb_build_object('version', 1, 'sku', p_sku, 'onHand', p_on_hand,
                          'reserved', p_reserved, 'available', p_on_hand - p_reserved,
                          'reorderThreshold', p_threshold);

-- Writes one reservation event (`reservation.created`, `.confirmed`, `.released`,
-- `.committed`, `.expired`) to the outbox: one partition per order, the lines in
-- SKU byte order, and `p_extra` merged into the payload.
CREATE FUNCTION inventory.reservation_event(p_tenant uuid, p_kind text, p_order text,
                                            p_skus text[], p_quantities bigint[],
                                            p_extra jsonb)
RETURNS void
LANGUAGE sql
SECURITY INVOKER
AS $$
    INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
    SELECT p_tenant, p_kind, 'order:' || p_tenant || ':' || p_order,
           jsonb_build_object('version', 1, 'orderId', p_order, 'lines',
               coalesce(jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity)
                                  ORDER BY l.sku COLLATE "C"), '[]'::jsonb))
           || p_extra
    FROM unnest(p_skus, p_quantities) AS l(sku, quantity);
$$;

REVOKE ALL ON FUNCTION inventory.reservation_event(uuid, text, text, text[], bigint[], jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory.crossed_low(bigint, bigint, bigint),
                          inventory.sku_partition(uuid, text),
                          inventory.stock_payload(text, bigint, bigint, bigint),
                          inventory.reservation_event(uuid, text, text, text[], bigint[], jsonb)
    TO souk_app;

CREATE OR REPLACE FUNCTION inventory.expire_overdue(p_tenant uuid, p_skus text[])
RETURNS integer
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    v_orders text[];
    line record;
BEGIN
    SELECT array_agg(r.order_id) INTO v_orders
    FROM inventory.reservations r
    WHERE r.tenant_id = p_tenant AND r.status = 'active' AND r.expires_at <= now()
      AND (p_skus IS NULL OR EXISTS (
          SELECT 1 FROM inventory.reservation_lines l
          WHERE l.tenant_id = r.tenant_id AND l.order_id = r.order_id AND l.sku = ANY (p_skus)));
    IF v_orders IS NULL THEN
        RETURN 0;
    END IF;

    PERFORM 1
    FROM inventory.stock_items s
    WHERE s.tenant_id = p_tenant
      AND (s.sku = ANY (coalesce(p_skus, '{}'))
           OR s.sku IN (SELECT l.sku FROM inventory.reservation_lines l
                        WHERE l.tenant_id = p_tenant AND l.order_id = ANY (v_orders)))
    ORDER BY s.sku COLLATE "C"
    FOR NO KEY UPDATE;

    WITH closed AS (
        UPDATE inventory.reservations r SET status = 'expired', updated_at = now()
        WHERE r.tenant_id = p_tenant AND r.order_id = ANY (v_orders)
          AND r.status = 'active' AND r.expires_at <= now()
        RETURNING r.order_id
    )
    SELECT array_agg(c.order_id) INTO v_orders FROM closed c;
    IF v_orders IS NULL THEN
        RETURN 0;
    END IF;

    FOR line IN
        SELECT l.order_id, l.sku, l.quantity
        FROM inventory.reservation_lines l
        WHERE l.tenant_id = p_tenant AND l.order_id = ANY (v_orders)
        ORDER BY l.order_id, l.sku COLLATE "C"
    LOOP
        WITH item AS (
            UPDATE inventory.stock_items s
            SET reserved = s.reserved - line.quantity, updated_at = now()
            WHERE s.tenant_id = p_tenant AND s.sku = line.sku
            RETURNING s.tenant_id, s.sku, s.on_hand, s.reserved
        )
        INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                      on_hand_after, reserved_after, reference, actor)
        SELECT item.tenant_id, item.sku, 'expired', 0, -line.quantity, item.on_hand,
               item.reserved, line.order_id, 'system:reservation-expiry'
        FROM item;
    END LOOP;

    PERFORM inventory.reservation_event(p_tenant, 'reservation.expired', g.order_id,
                                        g.skus, g.quantities, '{}')
    FROM (SELECT l.order_id, array_agg(l.sku) AS skus, array_agg(l.quantity) AS quantities
          FROM inventory.reservation_lines l
          WHERE l.tenant_id = p_tenant AND l.order_id = ANY (v_orders)
          GROUP BY l.order_id
          ORDER BY l.order_id) g;

    RETURN cardinality(v_orders);
END
$$;

CREATE OR REPLACE FUNCTION inventory.reserve_batch(
    p_tenant uuid,
    p_orders text[],
    p_ttl_seconds bigint[],
    p_actors text[],
    p_line_orders integer[],
    p_skus text[],
    p_quantities bigint[]
)
RETURNS TABLE (idx integer, outcome text, held_until timestamptz, held_since timestamptz,
               shortages jsonb)
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    line record;
    v_expires timestamptz;
    v_created timestamptz;
    v_skus text[];
    v_quantities bigint[];
BEGIN
    PERFORM set_config('app.tenant_id', p_tenant::text, true);

    PERFORM inventory.expire_overdue(p_tenant, p_skus);

    PERFORM 1
    FROM inventory.stock_items s
    WHERE s.tenant_id = p_tenant AND s.sku = ANY (p_skus)
    ORDER BY s.sku COLLATE "C"
    FOR NO KEY UPDATE;

    FOR o IN 1 .. coalesce(array_length(p_orders, 1), 0) LOOP
        idx := o;
        held_until := NULL;
        held_since := NULL;
        shortages := NULL;
        BEGIN
            INSERT INTO inventory.reservations AS r (tenant_id, order_id, status, expires_at, actor)
            VALUES (p_tenant, p_orders[o], 'active',
                    now() + p_ttl_seconds[o] * interval '1 second', p_actors[o])
            ON CONFLICT DO NOTHING
            RETURNING r.expires_at, r.created_at INTO v_expires, v_created;
            IF NOT FOUND THEN
                outcome := 'exists';
            ELSE
                v_skus := '{}';
                v_quantities := '{}';
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
                        INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
                        SELECT item.tenant_id, 'stock.low', inventory.sku_partition(item.tenant_id, item.sku),
                               inventory.stock_payload(item.sku, item.on_hand, item.reserved,
                                                       item.reorder_threshold)
                                   || jsonb_build_object('reference', p_orders[o])
                        FROM item
                        WHERE inventory.crossed_low(item.on_hand - item.reserved + line.quantity,
                                                    item.on_hand - item.reserved,
                                                    item.reorder_threshold)
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
                    v_skus := v_skus || line.sku;
                    v_quantities := v_quantities || line.quantity;
                END LOOP;
                PERFORM inventory.reservation_event(p_tenant, 'reservation.created', p_orders[o],
                                                    v_skus, v_quantities,
                                                    jsonb_build_object('expiresAt', v_expires));
                outcome := 'created';
                held_until := v_expires;
                held_since := v_created;
            END IF;
        EXCEPTION WHEN SQLSTATE 'SK001' THEN
            -- This order's lines are rolled back and every SKU of the batch is still
            -- locked: what is available now is what the order could have had.
            outcome := 'short';
            SELECT jsonb_agg(jsonb_build_object('sku', l.sku, 'requested', l.quantity,
                                                'available', s.on_hand - s.reserved)
                             ORDER BY l.sku COLLATE "C")
            INTO shortages
            FROM unnest(p_line_orders, p_skus, p_quantities) AS l(ord, sku, quantity)
            LEFT JOIN inventory.stock_items s ON s.tenant_id = p_tenant AND s.sku = l.sku
            WHERE l.ord = o AND (s.sku IS NULL OR s.on_hand - s.reserved < l.quantity);
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
