import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { PaymentMethod } from "../gql/graphql";
import { byVendor, total } from "../lib/cart";
import { describe, shortages } from "../lib/errors";
import { money } from "../lib/money";
import { useSession } from "../lib/session";
import { useCart } from "../App";
import { PaymentStep } from "./Payment";

const Addresses = graphql(`
  query Addresses { addresses { id label recipient line1 city postalCode country isDefault } }
`);

const Checkout = graphql(`
  mutation Checkout($input: CheckoutInput!) {
    checkout(input: $input) {
      checkoutId
      orders { id vendorId status paymentMethod total { amount currency } }
      payment { checkoutId provider status amount { amount currency } clientSecret failure }
    }
  }
`);

/** The cart, split as the checkout will split it: one order per vendor. */
export function CartView() {
  const { lines, setLine, clear } = useCart();
  const { person } = useSession();
  const groups = byVendor(lines);
  const [{ data: saved }] = useQuery({ query: Addresses, pause: !person });
  const [address, setAddress] = useState({ recipient: "", line1: "", city: "", postalCode: "", country: "" });
  const [addressId, setAddressId] = useState("");
  const [method, setMethod] = useState<PaymentMethod>("CARD");
  // One key per attempt at this cart: a retry after a network failure is the
  // same checkout; a cart changed after a refusal is a new one.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const [result, checkout] = useMutation(Checkout);
  if (result.data) return <PaymentStep placed={result.data.checkout} />;
  if (lines.length === 0) return <p>Your cart is empty. <Link to="/">Find something</Link></p>;
  const short = shortages(result.error);
  const chosen = addressId || saved?.addresses.find((a) => a.isDefault)?.id || "";
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const placed = await checkout({
      input: {
        lines: lines.map((l) => ({ productId: l.productId, sku: l.sku, quantity: l.quantity })),
        idempotencyKey: key,
        paymentMethod: method,
        ...(chosen ? { shippingAddressId: chosen } : { shippingAddress: address }),
      },
    });
    if (placed.data) clear();
    if (placed.error && placed.error.graphQLErrors.length > 0) setKey(crypto.randomUUID());
  };
  return (
    <section aria-labelledby="cart-title">
      <h1 id="cart-title">Your cart</h1>
      <p>{groups.length > 1 ? `Items from ${groups.length} stores: the checkout places one order with each.` : "All items come from one store."}</p>
      {groups.map((group, index) => (
        <table key={group.vendorId}>
          <caption>Order {index + 1} — {group.vendorName}</caption>
          <thead><tr><th scope="col">Item</th><th scope="col">Quantity</th><th scope="col">Price</th></tr></thead>
          <tbody>
            {group.lines.map((line) => {
              const missing = short.find((s) => s.sku === line.sku);
              return (
                <tr key={line.sku}>
                  <td>
                    {line.image && <img className="cart-thumb" src={line.image} alt="" width={48} height={48} />}
                    {line.title} ({line.sku})
                    {missing && <span className="error" role="alert"> Only {missing.available} left of {line.sku}.</span>}
                  </td>
                  <td>
                    <label>
                      <span className="sr-only">Quantity of {line.sku}</span>
                      <input type="number" min={0} value={line.quantity} onChange={(e) => setLine(line.sku, line.productId, Number(e.target.value))} />
                    </label>
                  </td>
                  <td>{money(line.unitPrice * line.quantity, line.currency)}</td>
                </tr>
              );
            })}
          </tbody>
          <tfoot><tr><td colSpan={2}>Subtotal</td><td>{money(group.subtotal, group.currency)}</td></tr></tfoot>
        </table>
      ))}
      <p className="total">Total {money(total(lines), lines[0]?.currency ?? "EUR")}</p>
      {!person ? (
        <p><Link to="/signin?next=/cart">Sign in</Link> to check out.</p>
      ) : (
        <form onSubmit={submit} aria-labelledby="ship-title">
          <h2 id="ship-title">Shipping address</h2>
          {saved?.addresses.length ? (
            <label>
              Saved address
              <select value={chosen} onChange={(e) => setAddressId(e.target.value)}>
                <option value="">A new address</option>
                {saved.addresses.map((a) => (
                  <option key={a.id} value={a.id}>{a.label ?? a.recipient}: {a.line1}, {a.city}</option>
                ))}
              </select>
            </label>
          ) : null}
          {!chosen && (
            <fieldset>
              <legend>New address</legend>
              {(["recipient", "line1", "city", "postalCode", "country"] as const).map((field) => (
                <label key={field}>
                  {{ recipient: "Recipient", line1: "Street and number", city: "City", postalCode: "Postal code", country: "Country (2 letters)" }[field]}
                  <input required value={address[field]} onChange={(e) => setAddress({ ...address, [field]: e.target.value })} />
                </label>
              ))}
            </fieldset>
          )}
          <PaymentChoice method={method} onChange={(next) => { setMethod(next); setKey(crypto.randomUUID()); }} />
          {result.error && <p className="error" role="alert">{describe(result.error)}</p>}
          <button type="submit" disabled={result.fetching}>{result.fetching ? "Placing your order…" : "Place order"}</button>
        </form>
      )}
    </section>
  );
}

/** Online (the default), or offline where every store of the cart allows it. */
function PaymentChoice({ method, onChange }: { method: PaymentMethod; onChange: (method: PaymentMethod) => void }) {
  const choices: [PaymentMethod, string][] = [
    ["CARD", "Pay online now"],
    ["MANUAL", "Pay on delivery or by bank transfer (stores that allow it)"],
  ];
  return (
    <fieldset>
      <legend>Payment</legend>
      {choices.map(([value, label]) => (
        <label key={value} className="inline">
          <input type="radio" name="payment-method" value={value} checked={method === value} onChange={() => onChange(value)} /> {label}
        </label>
      ))}
    </fieldset>
  );
}
