-- Holds that keep their promise.
--
-- A reservation is unconfirmed ('active') until its order is paid: it expires at
-- `expires_at`, judged by the database's now() at every read and settle, not only
-- when the sweep runs. Confirming it ('confirmed', on payment) removes the expiry;
-- only commit (shipment) or release ends a confirmed hold.
--
-- Supersedes `inventory.reserve_batch` of 20261125000006_outbox.sql: the new one
-- first expires overdue holds on the batch's SKUs (so their units can be taken in
-- the same statement), and reports for a short order every short line with what
-- was available at that moment (its SKUs are locked), so the caller never has to
-- measure again.

ALTER TABLE inventory.reservations DROP CONSTRAINT reservations_status_check;
ALTER TABLE inventory.reservations ADD CONSTRAINT reservations_status_check
    CHECK (status IN ('active', 'confirmed', 'released', 'committed', 'expired'));
ALTER TABLE inventory.reservations ADD COLUMN confirmed_at timestamptz;

ALTER TABLE inventory.ledger DROP CONSTRAINT ledger_kind_check;
ALTER TABLE inventory.ledger ADD CONSTRAINT ledger_kind_check
    CHECK (kind IN ('created', 'adjusted', 'threshold_changed', 'reserved', 'confirmed',
                    'released', 'committed', 'expired'));

-- A tenant's overdue, unconfirmed holds, for the expiry done inside reservations.
CREATE INDEX reservations_overdue ON inventory.reservations (tenant_id, expires_at)
    WHERE status = 'active';

-- Expires the tenant's overdue unconfirmed holds that hold any of `p_skus` (every
-- overdue hold of the tenant when `p_skus` is NULL), each with its ledger rows and
-- its `reservation.expired` event, exactly as the sweep does. Locks every stock row
-- involved (the caller's SKUs included) in the fixed SKU order first, so it cannot
-- deadlock with reservations or settlements, which lock stock rows before
-- reservation rows too. Returns how many holds it expired.
CREATE FUNCTION inventory.expire_overdue(p_tenant uuid, p_skus text[])
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

    INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
    SELECT p_tenant, 'reservation.expired', 'order:' || p_tenant || ':' || l.order_id,
           jsonb_build_object('version', 1, 'orderId', l.order_id,
                              'lines', jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity)
                                                 ORDER BY l.sku COLLATE "C"))
    FROM inventory.reservation_lines l
    WHERE l.tenant_id = p_tenant AND l.order_id = ANY (v_orders)
    GROUP BY l.order_id
    ORDER BY l.order_id;

    RETURN cardinality(v_orders);
END
$$;

DROP FUNCTION inventory.reserve_batch(uuid, text[], bigint[], text[], integer[], text[], bigint[]);

-- One outcome per order: 'created' (with its expiry and creation time), 'exists',
-- or 'short' with `shortages`, a JSON array of {sku, requested, available} for
-- every line that could not be held (`available` null: no such SKU).
CREATE FUNCTION inventory.reserve_batch(
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
