import { useEffect, useRef, useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";
import { BalanceTable } from "./Balances";

const Revenue = graphql(`
  query PlatformRevenue($from: DateTime!, $to: DateTime!) {
    platformRevenue(from: $from, to: $to) { from to commission { amount currency } subscriptions { amount currency } }
  }
`);

const Balances = graphql(`
  query VendorBalances {
    vendorBalances(first: 100) { vendorId balance { currency earned pending transferable transferred } }
    vendors(first: 100) { nodes { id name } }
  }
`);

const SetManual = graphql(`
  mutation SetManualPayments($vendorId: ID!, $enabled: Boolean!) { setManualPayments(vendorId: $vendorId, enabled: $enabled) }
`);

type Amount = { amount: number; currency: string };

/** `YYYY-MM-DD` of the first day of this month and of the next, in UTC. */
function thisMonth(): { from: string; to: string } {
  const now = new Date();
  const day = (month: number) => new Date(Date.UTC(now.getUTCFullYear(), month, 1)).toISOString().slice(0, 10);
  return { from: day(now.getUTCMonth()), to: day(now.getUTCMonth() + 1) };
}

const midnight = (day: string) => new Date(`${day}T00:00:00Z`).toISOString();

function RevenueTable({ commission, subscriptions, period }: { commission: Amount[]; subscriptions: Amount[]; period: string }) {
  const currencies = [...new Set([...commission, ...subscriptions].map((m) => m.currency))].sort();
  const cells = (list: Amount[]) =>
    currencies.length === 0 ? <td>none</td> : currencies.map((c) => <td key={c}>{money(list.filter((m) => m.currency === c).reduce((sum, m) => sum + m.amount, 0), c)}</td>);
  return (
    <table>
      <caption>Revenue, {period}</caption>
      <thead>
        <tr><th scope="col">Kind</th>{currencies.length === 0 ? <th scope="col">Amount</th> : currencies.map((c) => <th key={c} scope="col">{c}</th>)}</tr>
      </thead>
      <tbody>
        <tr><th scope="row">Commission</th>{cells(commission)}</tr>
        <tr><th scope="row">Subscriptions</th>{cells(subscriptions)}</tr>
      </tbody>
      <tfoot><tr><th scope="row">Total</th>{cells([...commission, ...subscriptions])}</tr></tfoot>
    </table>
  );
}

function VendorBalancesTable() {
  const [{ data, error }] = useQuery({ query: Balances, requestPolicy: "network-only" });
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  if (!data) return <p aria-busy="true">Loading balances…</p>;
  const names = new Map(data.vendors.nodes.map((v) => [v.id, v.name]));
  const rows = data.vendorBalances.map((b) => ({ key: `${b.vendorId}-${b.balance.currency}`, vendor: names.get(b.vendorId) ?? b.vendorId, balance: b.balance }));
  return <BalanceTable caption="Vendor balances" rows={rows} byVendor />;
}

/** The platform's commission and subscription revenue in a period (this month first), and what vendors hold. */
export function RevenueView() {
  const [period, setPeriod] = useState(thisMonth);
  const valid = Boolean(period.from && period.to && period.from < period.to);
  const [{ data, error }] = useQuery({
    query: Revenue,
    variables: { from: valid ? midnight(period.from) : "", to: valid ? midnight(period.to) : "" },
    pause: !valid,
    requestPolicy: "network-only",
  });
  const revenue = data?.platformRevenue;
  return (
    <section aria-labelledby="revenue-title">
      <h1 id="revenue-title">Revenue</h1>
      <div className="filters">
        <label>From<input type="date" required value={period.from} onChange={(e) => setPeriod({ ...period, from: e.target.value })} /></label>
        <label>Until (not included)<input type="date" required value={period.to} onChange={(e) => setPeriod({ ...period, to: e.target.value })} /></label>
        <button type="button" onClick={() => setPeriod(thisMonth())}>This month</button>
      </div>
      {!valid && <p className="error" role="alert">The period ends after it starts.</p>}
      {error && <p className="error" role="alert">{describe(error)}</p>}
      {valid && revenue && <RevenueTable commission={revenue.commission} subscriptions={revenue.subscriptions} period={`${period.from} to ${period.to}`} />}
      <VendorBalancesTable />
    </section>
  );
}

/**
 * "Allow offline payments for <vendor>". The API does not say whether a vendor
 * takes offline payments, so the box is mixed until changed here.
 */
export function ManualPaymentsToggle({ vendorId, name }: { vendorId: string; name: string }) {
  const [enabled, setEnabled] = useState<boolean | undefined>(undefined);
  const [result, set] = useMutation(SetManual);
  const box = useRef<HTMLInputElement>(null);
  // Every render: a click clears the mixed state before the API answers.
  useEffect(() => {
    if (box.current) box.current.indeterminate = enabled === undefined;
  });
  const change = async (want: boolean) => {
    const answer = await set({ vendorId, enabled: want });
    if (answer.data) setEnabled(answer.data.setManualPayments);
  };
  return (
    <>
      <label className="inline">
        <input ref={box} type="checkbox" checked={enabled ?? false} disabled={result.fetching} onChange={(e) => change(e.target.checked)} /> Allow offline payments for {name}
      </label>
      {result.error && <span className="error" role="alert"> {describe(result.error)}</span>}
    </>
  );
}
