import { graphql } from "../gql";
import type { OrderStatus, PaymentMethod, PaymentProvider, PaymentStatus } from "../gql/graphql";

/** A checkout's payment, as `checkout`, `checkoutPayment` and `payTestCheckout` answer it. */
export type Payment = {
  checkoutId: string;
  provider: PaymentProvider;
  status: PaymentStatus;
  amount: { amount: number; currency: string };
  clientSecret?: string | null;
  failure?: string | null;
};

export const CheckoutPaymentQuery = graphql(`
  query CheckoutPayment($checkoutId: ID!) {
    checkoutPayment(checkoutId: $checkoutId) { checkoutId provider status amount { amount currency } clientSecret failure }
  }
`);

/** The statuses of an order its card payment paid (and that can still be refunded). */
export const PAID_STATUSES: OrderStatus[] = ["PAID", "PROCESSING", "SHIPPED", "DELIVERED"];

/**
 * The steps a person may take by hand. A card order's payment moves it to
 * paid, and a refund (`refundOrder`) to refunded or, once paid, cancels it:
 * the API answers `PAYMENT_MANAGED` to those; offline orders keep them all.
 */
export function manualSteps(status: OrderStatus, method: PaymentMethod, allowed: OrderStatus[]): OrderStatus[] {
  if (method === "MANUAL") return allowed;
  return allowed.filter((next) => next !== "PAID" && next !== "REFUNDED" && !(next === "CANCELLED" && status !== "PENDING"));
}

/** Whether a vendor or admin may refund the order through its card payment. */
export function refundable(status: OrderStatus, method: PaymentMethod): boolean {
  return method === "CARD" && PAID_STATUSES.includes(status);
}
