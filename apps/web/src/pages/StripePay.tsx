import { useEffect, useRef, useState } from "react";
import { useClient, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import { CheckoutPaymentQuery, type Payment } from "../lib/payments";
import { loadStripe, type Stripe, type StripeElements } from "../lib/stripe";

const Settings = graphql(`
  query PaymentSettings { paymentSettings { provider publishableKey } }
`);

const POLLS = 10;
const POLL_MS = 1500;
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Form = { stripe: Stripe; elements: StripeElements };

/** Mounts Stripe's Payment Element for the checkout's payment intent. */
function useStripeForm(publishableKey: string | undefined | null, clientSecret: string | undefined | null) {
  const target = useRef<HTMLDivElement>(null);
  const [form, setForm] = useState<Form | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!publishableKey || !clientSecret) return;
    let live = true;
    let destroy = () => {};
    loadStripe().then(
      (factory) => {
        if (!live || !target.current) return;
        const stripe = factory(publishableKey);
        const elements = stripe.elements({ clientSecret });
        const element = elements.create("payment");
        element.mount(target.current);
        destroy = () => element.destroy();
        setForm({ stripe, elements });
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
      destroy();
    };
  }, [publishableKey, clientSecret]);
  return { target, form, failed };
}

/** Pays with Stripe; the webhook settles the checkout, which this then waits for. */
export function StripePay({ payment, onChange }: { payment: Payment; onChange: (payment: Payment) => void }) {
  const client = useClient();
  const [{ data, error }] = useQuery({ query: Settings });
  const key = data?.paymentSettings.publishableKey;
  const { target, form, failed } = useStripeForm(key, payment.clientSecret);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState("");
  const settle = async () => {
    for (let i = 0; i < POLLS; i += 1) {
      const found = await client.query(CheckoutPaymentQuery, { checkoutId: payment.checkoutId }, { requestPolicy: "network-only" }).toPromise();
      const now = found.data?.checkoutPayment;
      if (now && now.status !== "OPEN") return onChange(now);
      await wait(POLL_MS);
    }
    setMessage("Your payment is being confirmed; your orders show it in a moment.");
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setBusy(true);
    setMessage("");
    const { error: refused } = await form.stripe.confirmPayment({
      elements: form.elements,
      confirmParams: { return_url: `${window.location.origin}/orders` },
      redirect: "if_required",
    });
    if (refused) setMessage(refused.message ?? "The payment did not go through; please check the card details.");
    else await settle();
    setBusy(false);
  };
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  if (data && (!key || !payment.clientSecret)) {
    return <p className="error" role="alert">Card payments are not ready right now; please try again from My orders in a moment.</p>;
  }
  return (
    <form onSubmit={submit} aria-label="Card payment" className="narrow">
      <div ref={target} aria-busy={!form} />
      {failed && <p className="error" role="alert">The card form could not be loaded; check your connection and reload the page.</p>}
      {message && <p role="alert">{message}</p>}
      <button type="submit" disabled={!form || busy}>{busy ? "Paying…" : `Pay ${money(payment.amount.amount, payment.amount.currency)}`}</button>
    </form>
  );
}
