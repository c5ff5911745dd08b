-- Product media: the images of a product (and optionally of one of its
-- variants), each a row naming its content-addressed files in object storage.
-- Vendors read and write their own through the tenant scope; the storefront reads
-- every published product's images through the platform role.
CREATE SCHEMA media;
GRANT USAGE ON SCHEMA media TO souk_app, souk_platform_job;

CREATE TABLE media.images (
    tenant_id   uuid        NOT NULL,
    id          uuid        NOT NULL,
    product_id  text        NOT NULL CHECK (char_length(product_id) BETWEEN 1 AND 64),
    variant_sku text        CHECK (char_length(variant_sku) BETWEEN 1 AND 64),
    -- SHA-256 of the stored original (metadata stripped), hex.
    hash        text        NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
    format      text        NOT NULL CHECK (format IN ('jpeg', 'png', 'webp')),
    width       integer     NOT NULL CHECK (width > 0),
    height      integer     NOT NULL CHECK (height > 0),
    bytes       bigint      NOT NULL CHECK (bytes > 0),
    -- The rendition widths stored beside the original (WebP).
    renditions  integer[]   NOT NULL,
    alt         text        NOT NULL DEFAULT '' CHECK (char_length(alt) <= 300),
    position    integer     NOT NULL CHECK (position >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT images_pkey PRIMARY KEY (tenant_id, id)
);
CREATE INDEX images_of_product ON media.images (tenant_id, product_id, position, id);
CREATE INDEX images_by_product ON media.images (product_id, position, id);

ALTER TABLE media.images ENABLE ROW LEVEL SECURITY;
ALTER TABLE media.images FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON media.images TO souk_app
    USING (tenant_id = souk.current_tenant()) WITH CHECK (tenant_id = souk.current_tenant());
CREATE POLICY storefront ON media.images FOR SELECT TO souk_platform_job USING (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON media.images TO souk_app;
GRANT SELECT ON media.images TO souk_platform_job;
