-- Whether the order of a share refunded in full was seen closed (refunded,
-- cancelled or expired). The payments reconciler closes the order of a share
-- refunded in full whose order is still open (a refund that raced the order's
-- shipment could leave it shipped), then marks it, so each is looked at once.
ALTER TABLE payments.order_payments
    ADD COLUMN order_closed boolean NOT NULL DEFAULT false;
CREATE INDEX order_payments_refunded_open ON payments.order_payments (updated_at)
    WHERE status = 'refunded' AND NOT order_closed;
