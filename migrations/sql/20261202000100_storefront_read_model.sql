-- The storefront's read model: one row per product the catalog (MongoDB) holds,
-- built for the storefront's filters, sorts, full-text search and facet counts,
-- so a storefront page is one indexed PostgreSQL query whatever the size of the
-- catalog.
--
-- Rows are written by the catalog service right after each product change (as
-- the vendor, under row-level security) and by the projector (`souk serve` runs
-- it in one replica at a time; `souk storefront rebuild` runs it from scratch)
-- as the platform role. A row keeps the product's version: an older version
-- never overwrites a newer one, and a product that leaves the storefront
-- (archived, back to draft) keeps its row, unlisted, as a tombstone.
--
-- Whether a product has stock to sell follows inventory: a stock item whose
-- availability crosses zero (sold out, restocked, a hold taken or given back
-- across the last unit) notes its SKU in storefront.stale_stock in the same
-- transaction; the projector re-reads those SKUs and flips the listings' flag.
-- Reservations that leave a SKU in stock on both sides write nothing here.

-- Trigram similarity, for search that tolerates small typos. A trusted
-- extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SCHEMA storefront;
GRANT USAGE ON SCHEMA storefront TO souk_app, souk_platform_job;

CREATE TABLE storefront.listings (
    product_id   text COLLATE "C" PRIMARY KEY CHECK (product_id ~ '^[0-9a-f]{24}$'),
    tenant_id    uuid        NOT NULL,
    listed       boolean     NOT NULL,
    version      bigint      NOT NULL,
    title        text        NOT NULL,
    description  text        NOT NULL,
    category_id  text COLLATE "C",
    price        bigint      NOT NULL,
    currency     text        NOT NULL,
    skus         text[]      NOT NULL,
    in_stock     boolean     NOT NULL DEFAULT false,
    product      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    projected_at timestamptz NOT NULL DEFAULT now(),
    terms        tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', description), 'B')
    ) STORED
);

-- Every storefront order and filter has an index over listed rows only.
CREATE INDEX listings_newest ON storefront.listings (created_at DESC, product_id DESC) WHERE listed;
CREATE INDEX listings_newest_in_stock ON storefront.listings (created_at DESC, product_id DESC)
    WHERE listed AND in_stock;
CREATE INDEX listings_price ON storefront.listings (price, product_id) WHERE listed;
CREATE INDEX listings_category ON storefront.listings (category_id, created_at DESC, product_id DESC)
    WHERE listed;
CREATE INDEX listings_vendor ON storefront.listings (tenant_id, created_at DESC, product_id DESC)
    WHERE listed;
CREATE INDEX listings_terms ON storefront.listings USING gin (terms) WHERE listed;
CREATE INDEX listings_title_trigrams ON storefront.listings USING gin (title gin_trgm_ops) WHERE listed;
-- The projector finds the listings of a stale SKU, and the ones written lately,
-- through these.
CREATE INDEX listings_skus ON storefront.listings USING gin (skus);
CREATE INDEX listings_projected ON storefront.listings (projected_at);

-- Listed rows are public data, read through storefront.shelf (below). The app
-- role sees and writes only the rows of the tenant its transaction is scoped
-- to (a vendor's own catalog writes); the projector reads and writes all.
ALTER TABLE storefront.listings ENABLE ROW LEVEL SECURITY;
ALTER TABLE storefront.listings FORCE ROW LEVEL SECURITY;
GRANT SELECT, INSERT, UPDATE ON storefront.listings TO souk_app;
CREATE POLICY tenant_isolation ON storefront.listings TO souk_app
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
GRANT SELECT, INSERT, UPDATE ON storefront.listings TO souk_platform_job;
CREATE POLICY projector ON storefront.listings FOR ALL TO souk_platform_job
    USING (true) WITH CHECK (true);

-- What the storefront reads: the listed rows of every vendor. The view runs
-- with its owner's rights (souk_platform, which logs in nowhere), so the app
-- role reads every listed row through it and nothing else of the table.
CREATE VIEW storefront.shelf AS
    SELECT product_id, tenant_id, title, category_id, price, currency, in_stock, product,
           created_at, terms
    FROM storefront.listings
    WHERE listed;
GRANT USAGE ON SCHEMA storefront TO souk_platform;
GRANT SELECT ON storefront.listings TO souk_platform;
-- USING (true), the view filtering: a policy with a condition would be
-- evaluated first, and PostgreSQL then no longer runs the search's non-leakproof
-- operators (@@, <%) through the indexes, scanning every row instead.
CREATE POLICY shelf ON storefront.listings FOR SELECT TO souk_platform USING (true);
ALTER VIEW storefront.shelf OWNER TO souk_platform;
GRANT SELECT ON storefront.shelf TO souk_app;

-- SKUs whose availability crossed zero since the projector last looked.
CREATE TABLE storefront.stale_stock (
    tenant_id uuid NOT NULL,
    sku       text NOT NULL,
    noted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, sku)
);
ALTER TABLE storefront.stale_stock ENABLE ROW LEVEL SECURITY;
ALTER TABLE storefront.stale_stock FORCE ROW LEVEL SECURITY;
-- (UPDATE for the row locks the projector takes while it drains.)
GRANT SELECT, UPDATE, DELETE ON storefront.stale_stock TO souk_platform_job;
CREATE POLICY projector ON storefront.stale_stock FOR ALL TO souk_platform_job
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON storefront.stale_stock TO souk_platform;
CREATE POLICY note ON storefront.stale_stock FOR ALL TO souk_platform USING (true) WITH CHECK (true);

-- Runs with its owner's rights (souk_platform): the app role cannot read or
-- write stale_stock itself, only note a SKU of the stock it changes. A SKU
-- already noted is noted again (DO UPDATE), so the note stays locked until the
-- change commits: the projector skips locked notes, and so never takes a note
-- and reads the stock before the change it stands for is visible.
CREATE FUNCTION storefront.note_stock_change()
    RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            INSERT INTO storefront.stale_stock (tenant_id, sku) VALUES (OLD.tenant_id, OLD.sku)
                ON CONFLICT (tenant_id, sku) DO UPDATE SET noted_at = EXCLUDED.noted_at;
        ELSE
            INSERT INTO storefront.stale_stock (tenant_id, sku) VALUES (NEW.tenant_id, NEW.sku)
                ON CONFLICT (tenant_id, sku) DO UPDATE SET noted_at = EXCLUDED.noted_at;
        END IF;
        RETURN NULL;
    END
    $$;
ALTER FUNCTION storefront.note_stock_change() OWNER TO souk_platform;
REVOKE ALL ON FUNCTION storefront.note_stock_change() FROM PUBLIC;

CREATE TRIGGER storefront_availability_crossed_zero
    AFTER UPDATE OF on_hand, reserved ON inventory.stock_items
    FOR EACH ROW
    WHEN ((OLD.on_hand > OLD.reserved) IS DISTINCT FROM (NEW.on_hand > NEW.reserved))
    EXECUTE FUNCTION storefront.note_stock_change();
CREATE TRIGGER storefront_stock_added
    AFTER INSERT ON inventory.stock_items
    FOR EACH ROW
    WHEN (NEW.on_hand > NEW.reserved)
    EXECUTE FUNCTION storefront.note_stock_change();
CREATE TRIGGER storefront_stock_removed
    AFTER DELETE ON inventory.stock_items
    FOR EACH ROW
    EXECUTE FUNCTION storefront.note_stock_change();

-- The projector reads availability across tenants: these columns only.
GRANT SELECT (tenant_id, sku, on_hand, reserved) ON inventory.stock_items TO souk_platform_job;
CREATE POLICY storefront_projector ON inventory.stock_items FOR SELECT TO souk_platform_job
    USING (true);

-- How far the projector has read the catalog's changes (by their updated_at).
CREATE TABLE storefront.checkpoints (
    name     text PRIMARY KEY,
    position timestamptz NOT NULL
);
ALTER TABLE storefront.checkpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE storefront.checkpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY projector ON storefront.checkpoints FOR ALL TO souk_platform_job
    USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE ON storefront.checkpoints TO souk_platform_job;
