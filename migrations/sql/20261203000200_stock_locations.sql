-- Stock locations: where a vendor's stock is, and where each reservation line is
-- held.
--
-- A vendor's stock of a SKU is kept per location; the SKU's row in
-- inventory.stock_items keeps the totals across its locations. Every vendor has one
-- default location (made here for every vendor there is, and on first use for a
-- new one): it always ships to customers and is never deactivated. What a SKU has
-- at the default location is not stored but derived: the SKU's totals minus what
-- its other locations hold (inventory.location_stock: one row per SKU and
-- non-default location). So the totals are the sums by construction, and a vendor
-- that keeps everything at one location keeps exactly the rows and statements it
-- had: its reservations read no location. stock_items.spread marks a SKU with a
-- row at another location; only such a SKU's reservations allocate.
--
-- Allocations likewise: inventory.allocations holds the parts of a reservation line
-- held at non-default locations; the rest of the line is held at the default
-- location. A ledger row names its location (NULL: the default location).
--
-- Locks: every change to a SKU's location rows or allocations is made holding the
-- SKU's stock_items row (FOR NO KEY UPDATE, SKUs in byte order), the lock every
-- reservation and settlement already takes first, so none of them can deadlock
-- with another or see another's half-made change.
--
-- Supersedes `inventory.reserve_batch` and `inventory.expire_overdue` of
-- 20261202000300_inventory_rules_once.sql (same signatures and results).

CREATE TABLE inventory.locations (
    tenant_id  uuid        NOT NULL,
    id         uuid        NOT NULL DEFAULT gen_random_uuid(),
    code       text        NOT NULL CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$'),
    name       text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    address    text        CHECK (char_length(address) <= 500),
    priority   integer     NOT NULL CHECK (priority >= 0),
    ships      boolean     NOT NULL DEFAULT true,
    active     boolean     NOT NULL DEFAULT true,
    is_default boolean     NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT locations_pkey PRIMARY KEY (tenant_id, id),
    -- What the stock and allocation rows' foreign keys name, so that none of
    -- them can be at the default location, whose stock is derived.
    CONSTRAINT locations_id_default_key UNIQUE (tenant_id, id, is_default),
    CONSTRAINT locations_default_ships CHECK (NOT is_default OR (ships AND active))
);
CREATE UNIQUE INDEX locations_code_key ON inventory.locations (tenant_id, lower(code));
CREATE UNIQUE INDEX locations_one_default ON inventory.locations (tenant_id) WHERE is_default;

-- How a vendor's reservations choose locations; no row: by location priority.
CREATE TABLE inventory.allocation_settings (
    tenant_id  uuid        NOT NULL PRIMARY KEY,
    strategy   text        NOT NULL CHECK (strategy IN ('prioritize_order', 'prioritize_high_stock')),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE inventory.location_stock (
    tenant_id   uuid        NOT NULL,
    sku         text        NOT NULL,
    location_id uuid        NOT NULL,
    on_hand     bigint      NOT NULL DEFAULT 0 CHECK (on_hand BETWEEN 0 AND 1000000000),
    reserved    bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    at_default  boolean     NOT NULL DEFAULT false CHECK (NOT at_default),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT location_stock_pkey PRIMARY KEY (tenant_id, sku, location_id),
    CONSTRAINT location_stock_reserved_within_on_hand CHECK (reserved <= on_hand),
    -- No foreign key to stock_items: a SKU is never deleted (the app role may
    -- not), every writer holds the SKU's row, and a key referencing it would add
    -- a check to every reservation's update of it.
    FOREIGN KEY (tenant_id, location_id, at_default)
        REFERENCES inventory.locations (tenant_id, id, is_default)
);
CREATE INDEX location_stock_by_location ON inventory.location_stock (tenant_id, location_id);

CREATE TABLE inventory.allocations (
    tenant_id   uuid   NOT NULL,
    order_id    text   NOT NULL,
    sku         text   NOT NULL,
    location_id uuid   NOT NULL,
    quantity    bigint NOT NULL CHECK (quantity > 0),
    at_default  boolean NOT NULL DEFAULT false CHECK (NOT at_default),
    CONSTRAINT allocations_pkey PRIMARY KEY (tenant_id, order_id, sku, location_id),
    FOREIGN KEY (tenant_id, order_id, sku) REFERENCES inventory.reservation_lines,
    FOREIGN KEY (tenant_id, location_id, at_default)
        REFERENCES inventory.locations (tenant_id, id, is_default)
);
CREATE INDEX allocations_by_location ON inventory.allocations (tenant_id, location_id);

-- A reorder threshold of one SKU at one location (the default one too).
CREATE TABLE inventory.location_thresholds (
    tenant_id   uuid        NOT NULL,
    sku         text        NOT NULL,
    location_id uuid        NOT NULL,
    threshold   bigint      NOT NULL CHECK (threshold BETWEEN 0 AND 1000000000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT location_thresholds_pkey PRIMARY KEY (tenant_id, sku, location_id),
    FOREIGN KEY (tenant_id, location_id) REFERENCES inventory.locations
);

ALTER TABLE inventory.stock_items ADD COLUMN spread boolean NOT NULL DEFAULT false;
-- No index of its own: a location's history reads the SKU's (ledger_by_sku), and
-- every reservation writes a ledger row, which one more index would slow down.
ALTER TABLE inventory.ledger ADD COLUMN location_id uuid;
ALTER TABLE inventory.ledger DROP CONSTRAINT ledger_kind_check;
ALTER TABLE inventory.ledger ADD CONSTRAINT ledger_kind_check
    CHECK (kind IN ('created', 'adjusted', 'threshold_changed', 'reserved', 'confirmed',
                    'released', 'committed', 'expired', 'transferred', 'reallocated'));

GRANT SELECT, INSERT, UPDATE ON inventory.locations, inventory.allocation_settings,
    inventory.location_stock TO souk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON inventory.allocations, inventory.location_thresholds
    TO souk_app;

ALTER TABLE inventory.locations ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.locations FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.allocation_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.allocation_settings FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.location_stock ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.location_stock FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.allocations ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.allocations FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.location_thresholds ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.location_thresholds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON inventory.locations
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.allocation_settings
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.location_stock
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.allocations
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.location_thresholds
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());

-- Every vendor there is gets its default location now.
INSERT INTO inventory.locations (tenant_id, code, name, priority, is_default)
SELECT t.id, 'main', 'Main location', 0, true FROM tenancy.tenants t
UNION
SELECT DISTINCT s.tenant_id, 'main', 'Main location', 0, true FROM inventory.stock_items s
ON CONFLICT DO NOTHING;

-- The tenant's default location, made on first use.
CREATE FUNCTION inventory.default_location(p_tenant uuid)
RETURNS uuid
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    v_id uuid;
BEGIN
    SELECT l.id INTO v_id FROM inventory.locations l WHERE l.tenant_id = p_tenant AND l.is_default;
    IF FOUND THEN
        RETURN v_id;
    END IF;
    INSERT INTO inventory.locations (tenant_id, code, name, priority, is_default)
    VALUES (p_tenant, 'main', 'Main location', 0, true)
    ON CONFLICT DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT l.id INTO v_id FROM inventory.locations l
        WHERE l.tenant_id = p_tenant AND l.is_default;
    END IF;
    RETURN v_id;
END
$$;

-- One SKU's stock at every location of its tenant: the stored rows, and the
-- default location's derived from the totals. A location without stock of the SKU
-- answers zeros.
CREATE FUNCTION inventory.sku_levels(p_tenant uuid, p_sku text)
RETURNS TABLE (location_id uuid, is_default boolean, ships boolean, active boolean,
               priority integer, on_hand bigint, reserved bigint)
LANGUAGE sql STABLE
SECURITY INVOKER
AS $$
    WITH stored AS (
        SELECT ls.location_id, ls.on_hand, ls.reserved
        FROM inventory.location_stock ls
        WHERE ls.tenant_id = p_tenant AND ls.sku = p_sku
    ), item AS (
        SELECT s.on_hand - coalesce((SELECT sum(st.on_hand) FROM stored st), 0) AS on_hand,
               s.reserved - coalesce((SELECT sum(st.reserved) FROM stored st), 0) AS reserved
        FROM inventory.stock_items s
        WHERE s.tenant_id = p_tenant AND s.sku = p_sku
    )
    SELECT l.id, l.is_default, l.ships, l.active, l.priority,
           CASE WHEN l.is_default THEN i.on_hand ELSE coalesce(st.on_hand, 0) END::bigint,
           CASE WHEN l.is_default THEN i.reserved ELSE coalesce(st.reserved, 0) END::bigint
    FROM inventory.locations l
    CROSS JOIN item i
    LEFT JOIN stored st ON st.location_id = l.id
    WHERE l.tenant_id = p_tenant
$$;

-- What a SKU's active shipping locations can still give.
CREATE FUNCTION inventory.shippable(p_tenant uuid, p_sku text)
RETURNS bigint
LANGUAGE sql STABLE
SECURITY INVOKER
RETURN (SELECT coalesce(sum(v.on_hand - v.reserved), 0)::bigint
        FROM inventory.sku_levels(p_tenant, p_sku) v
        WHERE v.ships AND v.active);

-- The parts of every reservation line, by location: the stored allocations, and
-- what is left of the line at the default location (location_id NULL).
CREATE VIEW inventory.allocation_parts WITH (security_invoker = true) AS
    SELECT a.tenant_id, a.order_id, a.sku, a.location_id, a.quantity
    FROM inventory.allocations a
    UNION ALL
    SELECT l.tenant_id, l.order_id, l.sku, NULL::uuid,
           (l.quantity - coalesce(sum(a.quantity), 0))::bigint
    FROM inventory.reservation_lines l
    LEFT JOIN inventory.allocations a
        ON a.tenant_id = l.tenant_id AND a.order_id = l.order_id AND a.sku = l.sku
    GROUP BY l.tenant_id, l.order_id, l.sku, l.quantity
    HAVING l.quantity - coalesce(sum(a.quantity), 0) > 0;
GRANT SELECT ON inventory.allocation_parts TO souk_app;

-- Holds `p_quantity` of a spread SKU for an order, across the tenant's active
-- shipping locations in the order `p_strategy` gives (location priority, or most
-- available first), splitting the line when no one location has it all. Writes
-- the line, its allocations, the location rows, the totals, a ledger row per
-- location and the `stock.low` event; returns the allocations (default location
-- included) as JSON. Raises SK001 when the locations together are short. The
-- caller holds the SKU's stock row.
CREATE FUNCTION inventory.allocate_line(p_tenant uuid, p_order text, p_sku text,
                                        p_quantity bigint, p_actor text, p_strategy text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
DECLARE
    v_parts jsonb;
BEGIN
    -- One statement: the locations in strategy order, each giving what is left of
    -- the line up to its available stock; the writes happen only when they give
    -- it all.
    WITH levels AS (
        SELECT v.location_id, v.is_default, v.priority, v.on_hand - v.reserved AS available
        FROM inventory.sku_levels(p_tenant, p_sku) v
        WHERE v.ships AND v.active AND v.on_hand - v.reserved > 0
    ), ranked AS (
        SELECT l.location_id, l.is_default, l.available,
               coalesce(sum(l.available) OVER w, 0) AS given_before
        FROM levels l
        WINDOW w AS (ORDER BY CASE WHEN p_strategy = 'prioritize_high_stock' THEN -l.available END,
                              l.priority, l.location_id
                     ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ), parts AS (
        SELECT r.location_id, r.is_default, least(r.available, p_quantity - r.given_before) AS take,
               r.given_before AS n
        FROM ranked r
        WHERE r.given_before < p_quantity
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
        SELECT p.order_id, p.sku, p.location_id, p.quantity
        FROM inventory.allocation_parts p
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
            SET reserved = s.reserved - part.quantity, updated_at = now()
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
    v_strategy text;
    v_parts jsonb;
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
                v_parts := NULL;
                FOR line IN
                    SELECT l.sku, l.quantity
                    FROM unnest(p_line_orders, p_skus, p_quantities) AS l(ord, sku, quantity)
                    WHERE l.ord = o
                    ORDER BY l.sku COLLATE "C"
                LOOP
                    -- A SKU kept at the default location alone: one conditional
                    -- update. One with stock elsewhere allocates.
                    WITH item AS (
                        UPDATE inventory.stock_items s
                        SET reserved = s.reserved + line.quantity, updated_at = now()
                        WHERE s.tenant_id = p_tenant AND s.sku = line.sku AND NOT s.spread
                          AND s.on_hand - s.reserved >= line.quantity
                        RETURNING s.tenant_id, s.sku, s.on_hand, s.reserved, s.reorder_threshold
                    ), held AS (
                        INSERT INTO inventory.reservation_lines (tenant_id, order_id, sku, quantity)
                        SELECT item.tenant_id, p_orders[o], item.sku, line.quantity FROM item
                    ), low AS (
                        INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
                        SELECT item.tenant_id, 'stock.low',
                               inventory.sku_partition(item.tenant_id, item.sku),
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
                        IF NOT EXISTS (SELECT 1 FROM inventory.stock_items s
                                       WHERE s.tenant_id = p_tenant AND s.sku = line.sku
                                         AND s.spread) THEN
                            RAISE EXCEPTION USING ERRCODE = 'SK001', MESSAGE = 'unknown or short',
                                                  DETAIL = line.sku;
                        END IF;
                        IF v_strategy IS NULL THEN
                            SELECT coalesce(max(a.strategy), 'prioritize_order') INTO v_strategy
                            FROM inventory.allocation_settings a WHERE a.tenant_id = p_tenant;
                        END IF;
                        v_parts := coalesce(v_parts, '[]') || inventory.allocate_line(
                            p_tenant, p_orders[o], line.sku, line.quantity, p_actors[o], v_strategy);
                    END IF;
                    v_skus := v_skus || line.sku;
                    v_quantities := v_quantities || line.quantity;
                END LOOP;
                PERFORM inventory.reservation_event(
                    p_tenant, 'reservation.created', p_orders[o], v_skus, v_quantities,
                    CASE WHEN v_parts IS NULL THEN jsonb_build_object('expiresAt', v_expires)
                         ELSE jsonb_build_object('expiresAt', v_expires, 'allocations', v_parts)
                    END);
                outcome := 'created';
                held_until := v_expires;
                held_since := v_created;
            END IF;
        EXCEPTION WHEN SQLSTATE 'SK001' THEN
            -- This order's lines are rolled back and every SKU of the batch is still
            -- locked: what is available now is what the order could have had (for a
            -- spread SKU, at the locations that ship).
            outcome := 'short';
            SELECT jsonb_agg(jsonb_build_object('sku', l.sku, 'requested', l.quantity,
                                                'available', a.available)
                             ORDER BY l.sku COLLATE "C")
            INTO shortages
            FROM unnest(p_line_orders, p_skus, p_quantities) AS l(ord, sku, quantity)
            LEFT JOIN inventory.stock_items s ON s.tenant_id = p_tenant AND s.sku = l.sku
            CROSS JOIN LATERAL (
                SELECT CASE WHEN s.sku IS NULL THEN NULL
                            WHEN s.spread THEN inventory.shippable(p_tenant, s.sku)
                            ELSE s.on_hand - s.reserved END AS available
            ) a
            WHERE l.ord = o AND (s.sku IS NULL OR a.available < l.quantity);
        END;
        RETURN NEXT;
    END LOOP;
END
$$;

REVOKE ALL ON FUNCTION inventory.default_location(uuid), inventory.sku_levels(uuid, text),
    inventory.shippable(uuid, text),
    inventory.allocate_line(uuid, text, text, bigint, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory.default_location(uuid), inventory.sku_levels(uuid, text),
    inventory.shippable(uuid, text),
    inventory.allocate_line(uuid, text, text, bigint, text, text) TO souk_app;
