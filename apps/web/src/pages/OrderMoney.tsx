import { useQuery } from "urql";
import { graphql } from "../gql";
import type { PaymentMethod } from "../gql/graphql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import { CheckoutPaymentQuery } from "../lib/payments";
import { PaymentActions } from "./Payment";

const CustomerOrderPayment = graphql(`
  query CustomerOrderPayment($orderId: ID!) {
    orderPayment(orderId: $orderId) {
      orderId status paid { amount currency } refunded { amount currency } note
      refunds { id amount { amount currency } reason automatic done createdAt }
    }
  }
`);

/** What the customer paid for one order and what came back. */
export function OrderMoney({ orderId, method, pending }: { orderId: string; method: PaymentMethod; pending: boolean }) {
  const [{ data, error }] = useQuery({ query: CustomerOrderPayment, variables: { orderId }, requestPolicy: "network-only" });
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  const payment = data?.orderPayment;
  if (!payment && method === "MANUAL") return <p>{pending ? "You pay on delivery or by bank transfer." : "Paid offline (on delivery or by bank transfer)."}</p>;
  if (!payment) return null;
  const status = {
    AWAITING: "Not paid yet",
    PAID: `Paid ${money(payment.paid.amount, payment.paid.currency)}`,
    REFUNDED: `Paid ${money(payment.paid.amount, payment.paid.currency)}`,
    VOIDED: "The payment did not go through: nothing was charged",
  }[payment.status];
  return (
    <>
      <p>
        {status}
        {payment.refunded.amount > 0 && <>, refunded {money(payment.refunded.amount, payment.refunded.currency)}</>}
      </p>
      {payment.note && <p className="muted">Refunded by Souk: {payment.note}</p>}
      {payment.refunds.length > 0 && (
        <ul aria-label={`Refunds of order ${orderId.slice(-6)}`}>
          {payment.refunds.map((r) => (
            <li key={r.id}>
              Refund of {money(r.amount.amount, r.amount.currency)} on {new Date(r.createdAt).toLocaleDateString()}: {r.reason}
              {r.automatic ? " (by Souk)" : ""}{r.done ? "" : " (on its way)"}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** A checkout still waiting for its payment: pay it now. */
export function OpenPayment({ checkoutId, orders, onPaid }: { checkoutId: string; orders: string[]; onPaid: () => void }) {
  const [{ data, error }] = useQuery({ query: CheckoutPaymentQuery, variables: { checkoutId }, requestPolicy: "network-only" });
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  const payment = data?.checkoutPayment;
  if (!payment || payment.status !== "OPEN" || payment.provider === "MANUAL") return null;
  const names = orders.map((id) => id.slice(-6)).join(", ");
  return (
    <div role="group" aria-label={`Payment of orders ${names}`}>
      <p>
        Waiting for your payment of {money(payment.amount.amount, payment.amount.currency)}
        {orders.length > 1 ? ` for orders ${names} (one checkout)` : ""}.
      </p>
      <PaymentActions payment={payment} onChange={onPaid} />
    </div>
  );
}
