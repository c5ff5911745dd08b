-- What a SKU's customers can buy: its available stock less what sits at its
-- locations that do not ship to customers (a returns shelf, an inbound dock).
-- `unsellable` is kept on the SKU's row by every change at such a location (a
-- transfer, an adjustment, a location that stops or starts shipping), in the
-- same statement as the change, so the storefront's in-stock flag and a
-- product's availability read it with the totals. A location with holds cannot
-- stop shipping, so no reservation, settlement or expiry ever touches it.

ALTER TABLE inventory.stock_items ADD COLUMN unsellable bigint NOT NULL DEFAULT 0;
ALTER TABLE inventory.stock_items ADD CONSTRAINT stock_items_unsellable_within_available
    CHECK (unsellable >= 0 AND unsellable <= on_hand - reserved);

-- Sets the unsellable stock of the SKUs a location holds, from their rows (after
-- the location started or stopped shipping). The caller holds those SKUs' rows.
CREATE FUNCTION inventory.refresh_unsellable(p_tenant uuid, p_location uuid)
RETURNS void
LANGUAGE sql
SECURITY INVOKER
AS $$
    UPDATE inventory.stock_items s
    SET unsellable = coalesce((
            SELECT sum(ls.on_hand - ls.reserved)
            FROM inventory.location_stock ls
            JOIN inventory.locations l ON l.tenant_id = ls.tenant_id AND l.id = ls.location_id
            WHERE ls.tenant_id = s.tenant_id AND ls.sku = s.sku AND NOT l.ships), 0),
        updated_at = now()
    WHERE s.tenant_id = p_tenant
      AND s.sku IN (SELECT ls.sku FROM inventory.location_stock ls
                    WHERE ls.tenant_id = p_tenant AND ls.location_id = p_location);
$$;
REVOKE ALL ON FUNCTION inventory.refresh_unsellable(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION inventory.refresh_unsellable(uuid, uuid) TO souk_app;

-- The storefront's in-stock flag follows what customers can buy.
DROP TRIGGER storefront_availability_crossed_zero ON inventory.stock_items;
CREATE TRIGGER storefront_availability_crossed_zero
    AFTER UPDATE OF on_hand, reserved, unsellable ON inventory.stock_items
    FOR EACH ROW
    WHEN ((OLD.on_hand - OLD.reserved > OLD.unsellable)
          IS DISTINCT FROM (NEW.on_hand - NEW.reserved > NEW.unsellable))
    EXECUTE FUNCTION storefront.note_stock_change();
GRANT SELECT (unsellable) ON inventory.stock_items TO souk_platform_job;
