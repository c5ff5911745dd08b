import { useState } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import { manualSteps } from "../lib/payments";
import { useSession } from "../lib/session";
import { EmailPreferences } from "./EmailPreferences";
import { OpenPayment, OrderMoney } from "./OrderMoney";

const Login = graphql(`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { accessToken user { email platformAdmin } }
  }
`);

const Register = graphql(`
  mutation Register($input: RegisterInput!) { register(input: $input) { id } }
`);

const MyOrders = graphql(`
  query MyOrders($after: String) {
    myOrders(first: 20, after: $after) {
      nodes {
        id checkoutId status paymentMethod allowedTransitions total { amount currency } createdAt
        lines { sku title quantity }
        history { at from to note }
      }
    }
  }
`);

const Cancel = graphql(`
  mutation CancelOrder($id: ID!) { changeOrderStatus(id: $id, status: CANCELLED) { id status } }
`);

/** Sign in, or create an account and sign in. */
export function SignIn() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const { signIn } = useSession();
  const [creating, setCreating] = useState(false);
  const [form, setForm] = useState({ email: "", password: "", firstName: "", lastName: "" });
  const [login, doLogin] = useMutation(Login);
  const [registered, doRegister] = useMutation(Register);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    if (creating) {
      const made = await doRegister({ input: { email: form.email, password: form.password, firstName: form.firstName, lastName: form.lastName } });
      if (made.error) return;
    }
    const result = await doLogin({ email: form.email, password: form.password });
    if (result.data) {
      signIn(result.data.login.accessToken, result.data.login.user.email, result.data.login.user.platformAdmin);
      navigate(params.get("next") ?? "/");
    }
  };
  const error = registered.error ?? login.error;
  return (
    <form onSubmit={submit} aria-labelledby="signin-title" className="narrow">
      <h1 id="signin-title">{creating ? "Create your account" : "Sign in"}</h1>
      <label>Email<input type="email" autoComplete="email" required value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} /></label>
      <label>Password<input type="password" autoComplete={creating ? "new-password" : "current-password"} required value={form.password} onChange={(e) => setForm({ ...form, password: e.target.value })} /></label>
      {creating && (
        <>
          <label>First name<input required value={form.firstName} onChange={(e) => setForm({ ...form, firstName: e.target.value })} /></label>
          <label>Last name<input required value={form.lastName} onChange={(e) => setForm({ ...form, lastName: e.target.value })} /></label>
        </>
      )}
      {error && <p className="error" role="alert">{describe(error)}</p>}
      <button type="submit" disabled={login.fetching || registered.fetching}>{creating ? "Create account" : "Sign in"}</button>
      <button type="button" className="link" onClick={() => setCreating(!creating)}>
        {creating ? "I have an account" : "Create an account"}
      </button>
    </form>
  );
}

/** The customer's orders with their status history and money; pay an open checkout, cancel where allowed. */
export function Orders() {
  const [{ data, fetching, error }, refetch] = useQuery({ query: MyOrders, variables: {}, requestPolicy: "network-only" });
  const [cancelled, cancel] = useMutation(Cancel);
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  if (fetching && !data) return <p aria-busy="true">Loading your orders…</p>;
  const orders = data?.myOrders.nodes ?? [];
  const reload = () => refetch({ requestPolicy: "network-only" });
  // A checkout's orders share one payment: offer it once, on its first order.
  const unpaid = new Map<string, string[]>();
  for (const o of orders) {
    if (o.status === "PENDING" && o.paymentMethod === "CARD") unpaid.set(o.checkoutId, [...(unpaid.get(o.checkoutId) ?? []), o.id]);
  }
  return (
    <section aria-labelledby="orders-title">
      <h1 id="orders-title">My orders</h1>
      {cancelled.error && <p className="error" role="alert">{describe(cancelled.error)}</p>}
      <EmailPreferences />
      {orders.length === 0 && <p>No orders yet.</p>}
      <ul className="orders">
        {orders.map((o) => (
          <li key={o.id} className="card" aria-label={`Order ${o.id.slice(-6)}`}>
            <h2>Order {o.id.slice(-6)} <span className={`status ${o.status.toLowerCase()}`}>{o.status.toLowerCase()}</span></h2>
            <p>{o.lines.map((l) => `${l.quantity} × ${l.title} (${l.sku})`).join(", ")} — {money(o.total.amount, o.total.currency)}</p>
            <OrderMoney key={o.status} orderId={o.id} method={o.paymentMethod} pending={o.status === "PENDING"} />
            {unpaid.get(o.checkoutId)?.[0] === o.id && <OpenPayment checkoutId={o.checkoutId} orders={unpaid.get(o.checkoutId) ?? []} onPaid={reload} />}
            <ol className="history">
              {o.history.map((h) => (
                <li key={h.at + h.to}>{new Date(h.at).toLocaleString()}: {h.from ? `${h.from.toLowerCase()} → ` : ""}{h.to.toLowerCase()}{h.note ? ` (${h.note})` : ""}</li>
              ))}
            </ol>
            {manualSteps(o.status, o.paymentMethod, o.allowedTransitions).includes("CANCELLED") && (
              <button type="button" onClick={async () => { await cancel({ id: o.id }); reload(); }}>
                Cancel order {o.id.slice(-6)}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
