-- Two allocation rules.
--
-- A line goes whole to one location when one can fill it: the first, in the
-- vendor's strategy order, that has all of it (one parcel). Only a line that no
-- one location can fill is split, over the locations in that order, each giving
-- what is left of the line up to its available stock.
--
-- An expired hold at a location that stopped shipping (its last holds can
-- outlive the change) gives its units back to that location's unsellable stock.
--
-- Replaces `inventory.allocate_line` and `inventory.expire_overdue` of
-- 20261203000200_stock_locations.sql (same signatures and results).

CREATE OR REPLACE FUNCTION inventory.allocate_line(p_tenant uuid, p_order text, p_sku text,
                                        p_quantity bigint, p_actor text, p_strategy text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    v_parts jsonb;
BEGIN
    -- One statement: the first location in strategy order that can fill the whole
    -- line, else each location in that order giving what is left of it; the
    -- writes happen only when the parts make the whole line.
    WITH levels AS (
        SELECT v.location_id, v.is_default, v.priority, v.on_hand - v.reserved AS available
        FROM inventory.sku_levels(p_tenant, p_sku) v
        WHERE v.ships AND v.active AND v.on_hand - v.reserved > 0
    ), ranked AS (
        SELECT l.location_id, l.is_default, l.available,
               row_number() OVER w AS rank,
               coalesce(sum(l.available) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING),
                        0) AS given_before
        FROM levels l
        WINDOW w AS (ORDER BY CASE WHEN p_strategy = 'prioritize_high_stock' THEN -l.available END,
                              l.priority, l.location_id)
    ), whole AS (
        -- The first location in strategy order that has the whole line.
        SELECT r.location_id, r.is_default, p_quantity AS take, 0::numeric AS n
        FROM ranked r
        WHERE r.available >= p_quantity
        ORDER BY r.rank
        LIMIT 1
    ), parts AS (
        SELECT * FROM whole
        UNION ALL
        -- None has: each location in strategy order gives what is left, up to its
        -- available stock.
        SELECT r.location_id, r.is_default, least(r.available, p_quantity - r.given_before),
               r.given_before
        FROM ranked r
        WHERE r.given_before < p_quantity AND NOT EXISTS (SELECT 1 FROM whole)
    ), item AS (
        UPDATE inventory.stock_items s SET reserved = s.reserved + p_quantity, updated_at = now()
        WHERE s.tenant_id = p_tenant AND s.sku = p_sku
          AND (SELECT coalesce(sum(p.take), 0) FROM parts p) = p_quantity
        RETURNING s.on_hand, s.reserved, s.reorder_threshold
    ), line AS (
        INSERT INTO inventory.reservation_lines (tenant_id, order_id, sku, quantity)
        SELECT p_tenant, p_order, p_sku, p_quantity FROM item
    ), placed AS (
        UPDATE inventory.location_stock ls SET reserved = ls.reserved + p.take, updated_at = now()
        FROM parts p, item
        WHERE NOT p.is_default AND ls.tenant_id = p_tenant AND ls.sku = p_sku
          AND ls.location_id = p.location_id
    ), held AS (
        INSERT INTO inventory.allocations (tenant_id, order_id, sku, location_id, quantity)
        SELECT p_tenant, p_order, p_sku, p.location_id, p.take
        FROM parts p, item WHERE NOT p.is_default
    ), low AS (
        INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
        SELECT p_tenant, 'stock.low', inventory.sku_partition(p_tenant, p_sku),
               inventory.stock_payload(p_sku, i.on_hand, i.reserved, i.reorder_threshold)
                   || jsonb_build_object('reference', p_order)
        FROM item i
        WHERE inventory.crossed_low(i.on_hand - i.reserved + p_quantity, i.on_hand - i.reserved,
                                    i.reorder_threshold)
    ), entries AS (
        INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                      on_hand_after, reserved_after, reference, actor, location_id)
        SELECT p_tenant, p_sku, 'reserved', 0, p.take, i.on_hand,
               i.reserved - p_quantity + sum(p.take) OVER (ORDER BY p.n), p_order, p_actor,
               CASE WHEN p.is_default THEN NULL ELSE p.location_id END
        FROM parts p, item i
        ORDER BY p.n
    )
    SELECT jsonb_agg(jsonb_build_object('sku', p_sku, 'locationId', p.location_id,
                                        'quantity', p.take) ORDER BY p.n)
    INTO v_parts
    FROM parts p, item;
    IF v_parts IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'SK001', MESSAGE = 'unknown or short', DETAIL = p_sku;
    END IF;
    RETURN v_parts;
END
$$;

CREATE OR REPLACE FUNCTION inventory.expire_overdue(p_tenant uuid, p_skus text[])
RETURNS integer
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    v_orders text[];
    part record;
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

    FOR part IN
        SELECT p.order_id, p.sku, p.location_id, p.quantity, coalesce(l.ships, true) AS ships
        FROM inventory.allocation_parts p
        LEFT JOIN inventory.locations l ON l.tenant_id = p.tenant_id AND l.id = p.location_id
        WHERE p.tenant_id = p_tenant AND p.order_id = ANY (v_orders)
        ORDER BY p.order_id, p.sku COLLATE "C", p.location_id NULLS FIRST
    LOOP
        IF part.location_id IS NOT NULL THEN
            UPDATE inventory.location_stock ls
            SET reserved = ls.reserved - part.quantity, updated_at = now()
            WHERE ls.tenant_id = p_tenant AND ls.sku = part.sku
              AND ls.location_id = part.location_id;
        END IF;
        WITH item AS (
            UPDATE inventory.stock_items s
            SET reserved = s.reserved - part.quantity, updated_at = now(),
                unsellable = s.unsellable + CASE WHEN part.ships THEN 0 ELSE part.quantity END
            WHERE s.tenant_id = p_tenant AND s.sku = part.sku
            RETURNING s.tenant_id, s.sku, s.on_hand, s.reserved
        )
        INSERT INTO inventory.ledger (tenant_id, sku, kind, on_hand_change, reserved_change,
                                      on_hand_after, reserved_after, reference, actor, location_id)
        SELECT item.tenant_id, item.sku, 'expired', 0, -part.quantity, item.on_hand,
               item.reserved, part.order_id, 'system:reservation-expiry', part.location_id
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
