-- inventory.reservation_event as PL/pgSQL: a SQL-language function that writes
-- is parsed and planned again on every call, and every reservation, release,
-- confirmation, commit and expiry calls it once per order. In PL/pgSQL its
-- INSERT keeps a prepared plan for the session: measured with one-order
-- batches, the function's own time fell from 0.26 ms to 0.11 ms a call, and a
-- batch of reservations runs its orders one after the other in one backend.
-- Same arguments, same rows written, same grants.
CREATE OR REPLACE FUNCTION inventory.reservation_event(p_tenant uuid, p_kind text, p_order text,
                                                       p_skus text[], p_quantities bigint[],
                                                       p_extra jsonb)
RETURNS void
LANGUAGE plpgsql
SECURITY INVOKER
AS $$
BEGIN
    INSERT INTO souk.outbox (tenant_id, kind, partition_key, payload)
    SELECT p_tenant, p_kind, 'order:' || p_tenant || ':' || p_order,
           jsonb_build_object('version', 1, 'orderId', p_order, 'lines',
               coalesce(jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity)
                                  ORDER BY l.sku COLLATE "C"), '[]'::jsonb))
           || p_extra
    FROM unnest(p_skus, p_quantities) AS l(sku, quantity);
END
$$;
