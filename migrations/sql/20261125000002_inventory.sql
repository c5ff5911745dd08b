-- Inventory: stock levels, reservations and the append-only ledger.
-- available = on_hand - reserved, never negative: enforced here by CHECKs as well
-- as by the service.
CREATE SCHEMA inventory;
GRANT USAGE ON SCHEMA inventory TO souk_app, souk_platform;

CREATE TABLE inventory.stock_items (
    tenant_id         uuid        NOT NULL,
    sku               text        NOT NULL CHECK (char_length(sku) BETWEEN 1 AND 64),
    on_hand           bigint      NOT NULL CHECK (on_hand BETWEEN 0 AND 1000000000),
    reserved          bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    reorder_threshold bigint      NOT NULL DEFAULT 0 CHECK (reorder_threshold >= 0),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stock_items_pkey PRIMARY KEY (tenant_id, sku),
    CONSTRAINT stock_items_reserved_within_on_hand CHECK (reserved <= on_hand)
);

CREATE TABLE inventory.reservations (
    tenant_id  uuid        NOT NULL,
    order_id   text        NOT NULL CHECK (char_length(order_id) BETWEEN 1 AND 64),
    status     text        NOT NULL CHECK (status IN ('active', 'released', 'committed', 'expired')),
    expires_at timestamptz NOT NULL,
    actor      text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reservations_pkey PRIMARY KEY (tenant_id, order_id)
);
-- The expiry job's work list, across tenants.
CREATE INDEX reservations_due ON inventory.reservations (expires_at) WHERE status = 'active';

CREATE TABLE inventory.reservation_lines (
    tenant_id uuid   NOT NULL,
    order_id  text   NOT NULL,
    sku       text   NOT NULL,
    quantity  bigint NOT NULL CHECK (quantity > 0),
    CONSTRAINT reservation_lines_pkey PRIMARY KEY (tenant_id, order_id, sku),
    FOREIGN KEY (tenant_id, order_id) REFERENCES inventory.reservations,
    FOREIGN KEY (tenant_id, sku) REFERENCES inventory.stock_items
);

-- One row per stock change. Rows of one SKU are numbered in the order they were
-- applied (the stock row's lock is held while the row is written), so replaying
-- them in id order rebuilds the stock row.
CREATE TABLE inventory.ledger (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    tenant_id       uuid        NOT NULL,
    sku             text        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('created', 'adjusted', 'threshold_changed',
                                                         'reserved', 'released', 'committed', 'expired')),
    on_hand_change  bigint      NOT NULL,
    reserved_change bigint      NOT NULL,
    on_hand_after   bigint      NOT NULL CHECK (on_hand_after >= 0),
    reserved_after  bigint      NOT NULL CHECK (reserved_after >= 0),
    reason          text,
    reference       text,
    actor           text        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_pkey PRIMARY KEY (tenant_id, id)
);
CREATE INDEX ledger_by_sku ON inventory.ledger (tenant_id, sku, id);

-- The service may read and write stock and reservations but delete nothing, and may
-- only append to the ledger: history cannot be rewritten through the app role.
GRANT SELECT, INSERT, UPDATE ON inventory.stock_items, inventory.reservations,
    inventory.reservation_lines TO souk_app;
GRANT SELECT, INSERT ON inventory.ledger TO souk_app;

ALTER TABLE inventory.stock_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.stock_items FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.reservations ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.reservations FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.reservation_lines ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.reservation_lines FORCE ROW LEVEL SECURITY;
ALTER TABLE inventory.ledger ENABLE ROW LEVEL SECURITY;
ALTER TABLE inventory.ledger FORCE ROW LEVEL SECURITY;

CREATE POLICY tenant_isolation ON inventory.stock_items
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.reservations
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.reservation_lines
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY tenant_isolation ON inventory.ledger
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());

-- The expiry job finds due reservations of every tenant through this one function;
-- it then expires each one inside that reservation's tenant scope.
GRANT SELECT ON inventory.reservations TO souk_platform;
CREATE POLICY platform_expiry_scan ON inventory.reservations FOR SELECT TO souk_platform
    USING (true);

CREATE FUNCTION inventory.due_reservations(max_rows integer)
    RETURNS TABLE (tenant_id uuid, order_id text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
        SELECT r.tenant_id, r.order_id
        FROM inventory.reservations r
        WHERE r.status = 'active' AND r.expires_at <= now()
        ORDER BY r.expires_at
        LIMIT max_rows
    $$;
ALTER FUNCTION inventory.due_reservations(integer) OWNER TO souk_platform;
REVOKE ALL ON FUNCTION inventory.due_reservations(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory.due_reservations(integer) TO souk_app;
