-- Best sellers: the storefront's read model counts the units each product has
-- shipped, for the POPULAR sort.
--
-- A committed (shipped) ledger row notes its SKU in storefront.sold_skus in the
-- same transaction; the projector counts those SKUs' shipped units again from
-- the ledger (an index of committed rows only keeps that cheap), so a unit is
-- counted once however often a SKU is noted, and a rebuild needs no notes.
ALTER TABLE storefront.listings ADD COLUMN popularity bigint NOT NULL DEFAULT 0;
CREATE INDEX listings_popular ON storefront.listings (popularity DESC, product_id DESC) WHERE listed;

CREATE OR REPLACE VIEW storefront.shelf AS
    SELECT product_id, tenant_id, title, category_id, price, currency, in_stock, product,
           created_at, terms, popularity
    FROM storefront.listings
    WHERE listed;

CREATE INDEX ledger_committed ON inventory.ledger (tenant_id, sku) INCLUDE (on_hand_change)
    WHERE kind = 'committed';

CREATE TABLE storefront.sold_skus (
    tenant_id uuid        NOT NULL,
    sku       text        NOT NULL,
    noted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku)
);
ALTER TABLE storefront.sold_skus ENABLE ROW LEVEL SECURITY;
ALTER TABLE storefront.sold_skus FORCE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE, DELETE ON storefront.sold_skus TO souk_platform_job;
CREATE POLICY projector ON storefront.sold_skus FOR ALL TO souk_platform_job
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON storefront.sold_skus TO souk_platform;
CREATE POLICY note ON storefront.sold_skus FOR ALL TO souk_platform USING (true) WITH CHECK (true);

-- With its owner's rights (souk_platform), like storefront.note_stock_change.
CREATE FUNCTION storefront.note_units_sold()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        -- Noted again when noted already: see storefront.note_stock_change.
        INSERT INTO storefront.sold_skus (tenant_id, sku) VALUES (NEW.tenant_id, NEW.sku)
            ON CONFLICT (tenant_id, sku) DO UPDATE SET noted_at = EXCLUDED.noted_at;
        RETURN NULL;
    END
    $$;
ALTER FUNCTION storefront.note_units_sold() OWNER TO souk_platform;
REVOKE ALL ON FUNCTION storefront.note_units_sold() FROM PUBLIC;

CREATE TRIGGER storefront_units_shipped
    AFTER INSERT ON inventory.ledger
    FOR EACH ROW
    WHEN (NEW.kind = 'committed' AND NEW.on_hand_change < 0)
    EXECUTE FUNCTION storefront.note_units_sold();

-- The projector counts shipped units across tenants: these columns only.
GRANT USAGE ON SCHEMA inventory TO souk_platform_job;
GRANT SELECT (tenant_id, sku, kind, on_hand_change) ON inventory.ledger TO souk_platform_job;
CREATE POLICY storefront_projector ON inventory.ledger FOR SELECT TO souk_platform_job
    USING (true);
