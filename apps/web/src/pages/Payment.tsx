import { useId, useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { OrderStatus } from "../gql/graphql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import type { Payment } from "../lib/payments";
import { StripePay } from "./StripePay";

export type PlacedCheckout = {
  checkoutId: string;
  orders: { id: string; status: OrderStatus; total: { amount: number; currency: string } }[];
  payment: Payment;
};

const PayTest = graphql(`
  mutation PayTestCheckout($checkoutId: ID!, $succeed: Boolean!) {
    payTestCheckout(checkoutId: $checkoutId, succeed: $succeed) { checkoutId provider status amount { amount currency } clientSecret failure }
  }
`);

const PlacedOrder = graphql(`
  query PlacedOrder($id: ID!) { order(id: $id) { id status total { amount currency } } }
`);

/** The test provider's buttons: complete or decline the payment; no money moves. */
export function TestPay({ checkoutId, onChange }: { checkoutId: string; onChange: (payment: Payment) => void }) {
  const [result, pay] = useMutation(PayTest);
  const hint = useId();
  const run = async (succeed: boolean) => {
    const answer = await pay({ checkoutId, succeed });
    if (answer.data) onChange(answer.data.payTestCheckout);
  };
  return (
    <>
      <p id={hint} className="muted">This shop takes test payments (the test provider): no money moves and no card is needed.</p>
      <div className="filters">
        <button type="button" aria-describedby={hint} disabled={result.fetching} onClick={() => run(true)}>Pay (test)</button>
        <button type="button" aria-describedby={hint} disabled={result.fetching} onClick={() => run(false)}>Decline (test)</button>
      </div>
      {result.error && <p className="error" role="alert">{describe(result.error)}</p>}
    </>
  );
}

/** How to pay an open payment, by provider. */
export function PaymentActions({ payment, onChange }: { payment: Payment; onChange: (payment: Payment) => void }) {
  if (payment.provider === "TEST") return <TestPay checkoutId={payment.checkoutId} onChange={onChange} />;
  if (payment.provider === "STRIPE") return <StripePay payment={payment} onChange={onChange} />;
  return <p>You pay {money(payment.amount.amount, payment.amount.currency)} on delivery or by bank transfer; each store marks its order paid when your payment arrives.</p>;
}

/** What became of the payment, or how to make it. */
function PaymentState({ payment, onChange }: { payment: Payment; onChange: (payment: Payment) => void }) {
  const total = money(payment.amount.amount, payment.amount.currency);
  switch (payment.status) {
    case "SUCCEEDED":
      return <p role="status" className="ok">Paid {total}{payment.provider === "TEST" ? " with the test provider (no money moved)" : ""}.</p>;
    case "FAILED":
    case "CANCELED":
      return (
        <p role="alert" className="error">
          The payment did not go through{payment.failure ? `: ${payment.failure}` : ""}. Nothing was charged; the orders were cancelled and their items went back on sale.
        </p>
      );
    default:
      if (payment.provider === "MANUAL") return <PaymentActions payment={payment} onChange={onChange} />;
      return (
        <>
          <p className="total">To pay: {total}</p>
          <PaymentActions payment={payment} onChange={onChange} />
        </>
      );
  }
}

/** One placed order; read again once the payment settled, to show it paid (or cancelled). */
function PlacedOrderLine({ order, settled }: { order: PlacedCheckout["orders"][number]; settled: boolean }) {
  const [{ data }] = useQuery({ query: PlacedOrder, variables: { id: order.id }, pause: !settled, requestPolicy: "network-only" });
  const shown = (settled && data?.order) || order;
  return <li>Order {shown.id.slice(-6)} — {money(shown.total.amount, shown.total.currency)} — {shown.status.toLowerCase()}</li>;
}

/** After "Place order": the checkout's orders and the one payment that pays them. */
export function PaymentStep({ placed }: { placed: PlacedCheckout }) {
  const [payment, setPayment] = useState(placed.payment);
  const settled = payment.status !== "OPEN";
  const done = payment.status === "SUCCEEDED" || (payment.provider === "MANUAL" && !settled);
  const count = placed.orders.length;
  return (
    <section aria-labelledby="placed">
      <h1 id="placed">{done ? "Thank you: your order is placed" : settled ? "Your payment did not go through" : "Pay for your order"}</h1>
      <p>Your checkout became {count} {count === 1 ? "order" : "orders"}, one per store:</p>
      <ul>
        {placed.orders.map((o) => <PlacedOrderLine key={o.id} order={o} settled={settled} />)}
      </ul>
      <PaymentState payment={payment} onChange={setPayment} />
      <Link to="/orders">See my orders</Link>
    </section>
  );
}
