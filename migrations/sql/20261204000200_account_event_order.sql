-- When Stripe created the `account.updated` event whose state a connected
-- account keeps: Stripe does not deliver events in order, and an older one
-- arriving late must not switch payouts back.
ALTER TABLE payments.accounts ADD COLUMN stripe_event_at bigint;
