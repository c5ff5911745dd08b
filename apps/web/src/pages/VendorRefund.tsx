import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { VendorOrderPaymentQuery } from "../gql/graphql";
import { describe, refundable } from "../lib/errors";
import { money } from "../lib/money";

const VendorOrderPayment = graphql(`
  query VendorOrderPayment($orderId: ID!) {
    orderPayment(orderId: $orderId) {
      orderId status paid { amount currency } refunded { amount currency } commission { amount currency } transferred { amount currency }
      refunds { id amount { amount currency } reason automatic goodsReturned done createdAt }
    }
  }
`);

const RefundOrder = graphql(`
  mutation RefundOrder($orderId: ID!, $amount: Int, $reason: String!, $goodsReturned: Boolean!, $idempotencyKey: String) {
    refundOrder(orderId: $orderId, amount: $amount, reason: $reason, goodsReturned: $goodsReturned, idempotencyKey: $idempotencyKey) {
      orderId status paid { amount currency } refunded { amount currency } commission { amount currency } transferred { amount currency }
      refunds { id amount { amount currency } reason automatic goodsReturned done createdAt }
    }
  }
`);

type OrderMoney = NonNullable<VendorOrderPaymentQuery["orderPayment"]>;
const shown = (m: { amount: number; currency: string } | null | undefined) => (m ? money(m.amount, m.currency) : "—");

/** A paid order's money as its vendor sees it. */
function MoneySummary({ payment }: { payment: OrderMoney }) {
  return (
    <>
      <p>
        Paid {shown(payment.paid)}, refunded {shown(payment.refunded)}, commission {shown(payment.commission)}, transferred to you {shown(payment.transferred)}.
      </p>
      {payment.refunds.length > 0 && (
        <ul aria-label={`Refunds of order ${payment.orderId.slice(-6)}`}>
          {payment.refunds.map((r) => (
            <li key={r.id}>
              Refund of {shown(r.amount)} on {new Date(r.createdAt).toLocaleString()}: {r.reason}
              {r.automatic ? " (automatic)" : ""}{r.goodsReturned ? " (goods returned)" : ""}{r.done ? "" : " (being sent)"}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** Amount (major units, empty = all that is left), reason, goods returned. */
function RefundForm({ orderId, currency, onDone }: { orderId: string; currency: string; onDone: (message: string) => void }) {
  const [{ data, error }] = useQuery({ query: VendorOrderPayment, variables: { orderId }, requestPolicy: "network-only" });
  const [result, refund] = useMutation(RefundOrder);
  const [form, setForm] = useState({ amount: "", reason: "", goods: false });
  const [invalid, setInvalid] = useState(false);
  // One key per refund: sending it again after a lost answer refunds once.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const id6 = orderId.slice(-6);
  const payment = result.data?.refundOrder ?? data?.orderPayment;
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const amount = form.amount.trim() ? Math.round(Number.parseFloat(form.amount) * 100) : undefined;
    setInvalid(amount !== undefined && !(amount > 0));
    if (amount !== undefined && !(amount > 0)) return;
    const before = payment?.refunded.amount ?? 0;
    const answer = await refund({ orderId, amount, reason: form.reason.trim(), goodsReturned: form.goods, idempotencyKey: key });
    const after = answer.data?.refundOrder;
    if (!after) return;
    setKey(crypto.randomUUID());
    setForm({ amount: "", reason: "", goods: false });
    const now = money(after.refunded.amount - before, after.refunded.currency);
    onDone(`Refunded ${now} of order ${id6}: ${shown(after.refunded)} of ${shown(after.paid)} went back to the customer.`);
  };
  const left = refundable(result.error);
  return (
    <form onSubmit={submit} aria-label={`Refund order ${id6}`} className="narrow">
      {error && <p className="error" role="alert">{describe(error)}</p>}
      {payment && <MoneySummary payment={payment} />}
      <label>
        Amount ({currency}), empty for all that is left
        <input inputMode="decimal" value={form.amount} onChange={(e) => setForm({ ...form, amount: e.target.value })} />
      </label>
      <label>Reason<input required maxLength={500} value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} /></label>
      <label className="inline">
        <input type="checkbox" checked={form.goods} onChange={(e) => setForm({ ...form, goods: e.target.checked })} /> Goods returned
      </label>
      {invalid && <p className="error" role="alert">Please enter an amount above zero, or leave it empty to refund all that is left.</p>}
      {result.error && (
        <p className="error" role="alert">
          {describe(result.error)}{left !== undefined ? ` At most ${money(left, currency)} is left.` : ""}
        </p>
      )}
      <button type="submit" disabled={result.fetching}>{result.fetching ? "Refunding…" : "Send refund"}</button>
    </form>
  );
}

/** "Refund <id6>": opens the refund form of a paid card order. */
export function RefundControl({ orderId, currency, onDone }: { orderId: string; currency: string; onDone: (message: string) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>Refund {orderId.slice(-6)}</button>
      {open && <RefundForm orderId={orderId} currency={currency} onDone={onDone} />}
    </>
  );
}
