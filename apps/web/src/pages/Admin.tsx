import { useState } from "react";
import { Link } from "react-router-dom";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { useSession } from "../lib/session";
import { CategoriesView, PlansView, TenantUsage } from "./AdminMore";
import { ManualPaymentsToggle, RevenueView } from "./AdminPayments";

const Vendors = graphql(`
  query AdminVendors($search: String) {
    vendors(search: $search, first: 100) { nodes { id name slug status createdAt } }
  }
`);

const Suspend = graphql(`mutation Suspend($id: ID!) { suspendVendor(id: $id) { id status } }`);
const Reactivate = graphql(`mutation Reactivate($id: ID!) { reactivateVendor(id: $id) { id status } }`);
const Approve = graphql(`mutation Approve($id: ID!) { approveVendor(id: $id) { id status } }`);

const TABS = ["vendors", "plans", "categories", "revenue"] as const;

/** The admin console: vendors with their subscriptions and usage, plans, categories, revenue. */
export function AdminArea() {
  const { person } = useSession();
  const [tab, setTab] = useState<(typeof TABS)[number]>("vendors");
  if (!person) return <p><Link to="/signin?next=/admin">Sign in</Link> as a platform admin.</p>;
  if (!person.admin) return <p className="error" role="alert">Only platform admins use the console.</p>;
  return (
    <>
      <nav aria-label="Console" className="subnav">
        {TABS.map((t) => (
          <button key={t} type="button" aria-pressed={tab === t} onClick={() => setTab(t)}>{t[0].toUpperCase() + t.slice(1)}</button>
        ))}
      </nav>
      {tab === "vendors" && <VendorsView />}
      {tab === "plans" && <PlansView />}
      {tab === "categories" && <CategoriesView />}
      {tab === "revenue" && <RevenueView />}
    </>
  );
}

function VendorsView() {
  const { person } = useSession();
  const [usageOf, setUsageOf] = useState("");
  const [search, setSearch] = useState("");
  const [{ data, error }, refetch] = useQuery({ query: Vendors, variables: { search: search.trim() || undefined }, pause: !person?.admin, requestPolicy: "network-only" });
  const [suspended, suspend] = useMutation(Suspend);
  const [reactivated, reactivate] = useMutation(Reactivate);
  const [approved, approve] = useMutation(Approve);
  const failure = error ?? suspended.error ?? reactivated.error ?? approved.error;
  const act = async (run: () => Promise<unknown>) => { await run(); refetch({ requestPolicy: "network-only" }); };
  return (
    <section aria-labelledby="tenants-title">
      <h1 id="tenants-title">Vendors</h1>
      <label>Search<input value={search} onChange={(e) => setSearch(e.target.value)} /></label>
      {failure && <p className="error" role="alert">{describe(failure)}</p>}
      <table>
        <caption className="sr-only">Vendors</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Address</th><th scope="col">Status</th><th scope="col">Plan and usage</th><th scope="col">Offline payments</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {data?.vendors.nodes.map((v) => (
            <tr key={v.id}>
              <td>{v.name}</td>
              <td>{v.slug}</td>
              <td>{v.status.toLowerCase()}</td>
              <td>{usageOf === v.id ? <TenantUsage tenant={v.id} /> : <button type="button" className="link" onClick={() => setUsageOf(v.id)}>Show {v.name}'s usage</button>}</td>
              <td><ManualPaymentsToggle vendorId={v.id} name={v.name} /></td>
              <td>
                {v.status === "PENDING" && <button type="button" onClick={() => act(() => approve({ id: v.id }))}>Approve {v.name}</button>}
                {v.status !== "SUSPENDED" && <button type="button" onClick={() => act(() => suspend({ id: v.id }))}>Suspend {v.name}</button>}
                {v.status === "SUSPENDED" && <button type="button" onClick={() => act(() => reactivate({ id: v.id }))}>Reactivate {v.name}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted">A vendor allowed offline payments takes checkouts paid on delivery or by bank transfer, and marks those orders paid itself.</p>
    </section>
  );
}
