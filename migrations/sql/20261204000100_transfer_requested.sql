-- The amount of a vendor order's transfer, written down before the provider is
-- asked to make it. A transfer whose answer was lost (a timeout, a crash while
-- the call was out) may have been made: every retry asks again for this amount
-- under the same idempotency key, so the provider answers with the transfer it
-- made instead of refusing a changed request, and a refund waits until that
-- transfer is recorded so that it reverses its part of it.
ALTER TABLE payments.order_payments
    ADD COLUMN transfer_requested bigint CHECK (transfer_requested > 0);
