import { useState } from "react";
import { useSearchParams } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { LedgerEntryKind } from "../gql/graphql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import { BalanceTable } from "./Balances";

const Payouts = graphql(`
  query Payouts($kind: LedgerEntryKind, $after: String) {
    payouts(kind: $kind, first: 20, after: $after) {
      account { accountId payoutsEnabled chargesEnabled requirementsDue }
      balances { currency earned pending transferable transferred }
      entries {
        edges { cursor node { orderId kind amount { amount currency } providerObject at } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
`);

const ConnectPayouts = graphql(`
  mutation ConnectPayouts { connectPayouts { url account { accountId payoutsEnabled chargesEnabled requirementsDue } } }
`);

const KINDS: LedgerEntryKind[] = ["CHARGE", "COMMISSION", "TRANSFER", "REFUND", "COMMISSION_REFUND", "REVERSAL"];
const kindName = (kind: LedgerEntryKind) => kind.toLowerCase().replace("_", " ");

type Account = { accountId: string; payoutsEnabled: boolean; chargesEnabled: boolean; requirementsDue: string[] };

/** The connected account and, for owners, "Set up payouts". */
function AccountStatus({ account, owner, onChanged }: { account: Account | null | undefined; owner: boolean; onChanged: () => void }) {
  const [params] = useSearchParams();
  const [connected, connect] = useMutation(ConnectPayouts);
  // The link leads to the provider's onboarding; the test provider enables
  // payouts at once (and its link is just this page).
  const onboarding = connected.data?.connectPayouts;
  const away = onboarding && !onboarding.account.payoutsEnabled ? onboarding.url : undefined;
  const setUp = async () => {
    const result = await connect({});
    if (result.data) onChanged();
  };
  const back = params.get("onboarding");
  return (
    <section aria-labelledby="account-title">
      <h2 id="account-title">Payout account</h2>
      {back === "done" && !account?.payoutsEnabled && <p role="status">Thank you: the payment provider is checking your details, and enables payouts once it has.</p>}
      {back === "retry" && <p role="status">The setup link ran out; please set up payouts again.</p>}
      {!account ? (
        <p>Payouts are not set up yet: what you earn waits for them.</p>
      ) : (
        <p>
          Account {account.accountId}: payouts {account.payoutsEnabled ? "enabled" : "not enabled yet"}, charges {account.chargesEnabled ? "enabled" : "not enabled yet"}.
          {account.requirementsDue.length > 0 && <> Still needed: {account.requirementsDue.join(", ")}.</>}
        </p>
      )}
      {connected.error && <p className="error" role="alert">{describe(connected.error)}</p>}
      {!account?.payoutsEnabled && (owner ? (
        <button type="button" disabled={connected.fetching} onClick={setUp}>Set up payouts</button>
      ) : (
        <p className="muted">The store's owner sets up payouts.</p>
      ))}
      {away && <p><a href={away}>Continue setting up payouts with the payment provider</a> (the link works once).</p>}
    </section>
  );
}

type Entry = { cursor: string; node: { orderId: string; kind: LedgerEntryKind; amount: { amount: number; currency: string }; providerObject?: string | null; at: string } };

function LedgerTable({ entries }: { entries: Entry[] }) {
  return (
    <table>
      <caption>Payouts ledger</caption>
      <thead><tr><th scope="col">Time</th><th scope="col">Order</th><th scope="col">Kind</th><th scope="col">Amount</th><th scope="col">Provider object</th></tr></thead>
      <tbody>
        {entries.length === 0 && <tr><td colSpan={5}>No entries.</td></tr>}
        {entries.map(({ cursor, node: e }) => (
          <tr key={cursor}>
            <td>{new Date(e.at).toLocaleString()}</td>
            <td>{e.orderId.slice(-6)}</td>
            <td>{kindName(e.kind)}</td>
            <td>{money(e.amount.amount, e.amount.currency)}</td>
            <td>{e.providerObject ?? "—"}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Owners and managers: the payout account, the balance and the payments ledger. */
export function PayoutsView({ owner }: { owner: boolean }) {
  const [kind, setKind] = useState<LedgerEntryKind | "">("");
  // The cursors of the pages shown before this one: "Older entries" adds one.
  const [cursors, setCursors] = useState<string[]>([]);
  const after = cursors[cursors.length - 1];
  const [{ data, error, fetching }, refetch] = useQuery({ query: Payouts, variables: { kind: kind || undefined, after }, requestPolicy: "network-only" });
  const payouts = data?.payouts;
  const page = payouts?.entries.pageInfo;
  return (
    <section aria-labelledby="payouts-title">
      <h1 id="payouts-title">Payouts</h1>
      {error && <p className="error" role="alert">{describe(error)}</p>}
      {fetching && !data && <p aria-busy="true">Loading payouts…</p>}
      {payouts && (
        <>
          <AccountStatus account={payouts.account} owner={owner} onChanged={() => refetch({ requestPolicy: "network-only" })} />
          <BalanceTable caption="Balance" rows={payouts.balances.map((b) => ({ key: b.currency, balance: b }))} />
          <p className="muted">Paid card orders move to your account when they ship, once payouts are enabled.</p>
        </>
      )}
      <div className="filters">
        <label>
          Kind
          <select value={kind} onChange={(e) => { setKind(e.target.value as LedgerEntryKind | ""); setCursors([]); }}>
            <option value="">All</option>
            {KINDS.map((k) => <option key={k} value={k}>{kindName(k)}</option>)}
          </select>
        </label>
      </div>
      {payouts && <LedgerTable entries={payouts.entries.edges} />}
      <div className="filters">
        {cursors.length > 0 && <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>Newer entries</button>}
        {page?.hasNextPage && page.endCursor && <button type="button" onClick={() => setCursors([...cursors, page.endCursor ?? ""])}>Older entries</button>}
      </div>
    </section>
  );
}
