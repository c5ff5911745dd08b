import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import { describe } from "../lib/errors";
import { money } from "../lib/money";

const Plans = graphql(`
  query AdminPlans {
    plans(includeRetired: true) { code name price { amount currency } includedRequests overagePerThousand { amount currency } ratePerSecond burst overQuota retiredAt }
  }
`);
const CreatePlan = graphql(`mutation CreatePlan($code: String!, $input: PlanInput!) { createPlan(code: $code, input: $input) { code } }`);
const UpdatePlan = graphql(`mutation UpdatePlan($code: String!, $input: PlanInput!) { updatePlan(code: $code, input: $input) { code } }`);
const RetirePlan = graphql(`mutation RetirePlan($code: String!) { retirePlan(code: $code) { code retiredAt } }`);

/** Plans: on sale and retired; create and retire. */
export function PlansView() {
  const [{ data, error }, refetch] = useQuery({ query: Plans, requestPolicy: "network-only" });
  const [created, create] = useMutation(CreatePlan);
  const [retired, retire] = useMutation(RetirePlan);
  const [updated, update] = useMutation(UpdatePlan);
  const [editing, setEditing] = useState<string | null>(null);
  const [form, setForm] = useState({ code: "", name: "", price: "", included: "", overage: "", rate: "20", burst: "40", bill: true });
  const reload = () => refetch({ requestPolicy: "network-only" });
  const failure = error ?? created.error ?? retired.error ?? updated.error;
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const run = editing ? update : create;
    const result = await run({
      code: editing ?? form.code,
      input: {
        name: form.name,
        price: Math.round(Number.parseFloat(form.price) * 100),
        currency: "EUR",
        includedRequests: Number.parseInt(form.included, 10),
        overagePerThousand: Math.round(Number.parseFloat(form.overage || "0") * 100),
        ratePerSecond: Number.parseInt(form.rate, 10),
        burst: Number.parseInt(form.burst, 10),
        overQuota: form.bill ? "BILL" : "REJECT",
      },
    });
    if (result.data) {
      setEditing(null);
      reload();
    }
  };
  const field = (key: "code" | "name" | "price" | "included" | "overage" | "rate" | "burst", label: string) => (
    <label>{label}<input required={key !== "overage"} disabled={key === "code" && editing !== null} value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.target.value })} /></label>
  );
  return (
    <section aria-labelledby="plans-title">
      <h1 id="plans-title">Plans</h1>
      {failure && <p className="error" role="alert">{describe(failure)}</p>}
      <table>
        <caption className="sr-only">Plans</caption>
        <thead><tr><th scope="col">Plan</th><th scope="col">Price</th><th scope="col">Included</th><th scope="col">Overage / 1,000</th><th scope="col">Rate</th><th scope="col">Over quota</th><th scope="col"><span className="sr-only">Retire</span></th></tr></thead>
        <tbody>
          {data?.plans.map((p) => (
            <tr key={p.code}>
              <td>{p.name} ({p.code})</td>
              <td>{money(p.price.amount, p.price.currency)}</td>
              <td>{p.includedRequests.toLocaleString()}</td>
              <td>{money(p.overagePerThousand.amount, p.overagePerThousand.currency)}</td>
              <td>{p.ratePerSecond}/s, burst {p.burst}</td>
              <td>{p.overQuota === "BILL" ? "billed" : "refused"}</td>
              <td>
                <button
                  type="button"
                  onClick={() => {
                    setEditing(p.code);
                    setForm({
                      code: p.code, name: p.name, price: (p.price.amount / 100).toFixed(2), included: String(p.includedRequests),
                      overage: (p.overagePerThousand.amount / 100).toFixed(2), rate: String(p.ratePerSecond), burst: String(p.burst), bill: p.overQuota === "BILL",
                    });
                  }}
                >
                  Edit {p.name}
                </button>
                {p.retiredAt ? " retired" : <button type="button" onClick={async () => { await retire({ code: p.code }); reload(); }}>Retire {p.name}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} className="filters" aria-label={editing ? `Edit plan ${editing}` : "New plan"}>
        {field("code", "Code")}{field("name", "Name")}{field("price", "Price (EUR)")}{field("included", "Included requests")}
        {field("overage", "Overage per 1,000 (EUR)")}{field("rate", "Requests/s")}{field("burst", "Burst")}
        <label className="inline"><input type="checkbox" checked={form.bill} onChange={(e) => setForm({ ...form, bill: e.target.checked })} /> Bill overage</label>
        <button type="submit">{editing ? `Save ${editing}` : "Create plan"}</button>
        {editing && <button type="button" onClick={() => setEditing(null)}>Cancel</button>}
      </form>
    </section>
  );
}

const Categories = graphql(`
  query AdminCategories { categories { id name activeProducts children { id name activeProducts } } }
`);
const RenameCategory = graphql(`mutation RenameCategory($id: ID!, $name: String!) { renameCategory(id: $id, name: $name) { id name } }`);
const DeleteCategory = graphql(`mutation DeleteCategory($id: ID!) { deleteCategory(id: $id) }`);
const CreateCategory = graphql(`mutation CreateCategory($name: String!, $parent: ID) { createCategory(name: $name, parentId: $parent) { id } }`);

/** The category tree; new categories at the top or under another. */
export function CategoriesView() {
  const [{ data, error }, refetch] = useQuery({ query: Categories, requestPolicy: "network-only" });
  const [created, create] = useMutation(CreateCategory);
  const [renamed, rename] = useMutation(RenameCategory);
  const [deleted, remove] = useMutation(DeleteCategory);
  const [name, setName] = useState("");
  const [parent, setParent] = useState("");
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const reload = () => refetch({ requestPolicy: "network-only" });
  const failure = error ?? created.error ?? renamed.error ?? deleted.error;
  const row = (c: { id: string; name: string; activeProducts: number }) =>
    renaming?.id === c.id ? (
      <form className="filters" onSubmit={async (e) => { e.preventDefault(); const r = await rename(renaming); if (r.data) { setRenaming(null); reload(); } }}>
        <label><span className="sr-only">New name of {c.name}</span><input required value={renaming.name} onChange={(e) => setRenaming({ ...renaming, name: e.target.value })} /></label>
        <button type="submit">Save</button>
      </form>
    ) : (
      <>
        {c.name} ({c.activeProducts}){" "}
        <button type="button" className="link" onClick={() => setRenaming({ id: c.id, name: c.name })}>Rename {c.name}</button>{" "}
        <button type="button" className="link" onClick={async () => { await remove({ id: c.id }); reload(); }}>Delete {c.name}</button>
      </>
    );
  return (
    <section aria-labelledby="categories-title">
      <h1 id="categories-title">Categories</h1>
      {failure && <p className="error" role="alert">{describe(failure)}</p>}
      <ul>
        {data?.categories.map((c) => (
          <li key={c.id}>{row(c)}
            {c.children.length > 0 && <ul>{c.children.map((child) => <li key={child.id}>{row(child)}</li>)}</ul>}
          </li>
        ))}
      </ul>
      <form className="filters" onSubmit={async (e) => { e.preventDefault(); const r = await create({ name, parent: parent || undefined }); if (r.data) { setName(""); reload(); } }}>
        <label>Name<input required value={name} onChange={(e) => setName(e.target.value)} /></label>
        <label>Under<select value={parent} onChange={(e) => setParent(e.target.value)}><option value="">(top)</option>{data?.categories.map((c) => <option key={c.id} value={c.id}>{c.name}</option>)}</select></label>
        <button type="submit">Add category</button>
      </form>
    </section>
  );
}

const TenantBilling = graphql(`
  query TenantBilling($tenant: ID!) {
    subscription(tenant: $tenant) { status plan { name } periodEnd }
    tenantUsage(tenant: $tenant) { period requests includedRequests }
  }
`);

/** One vendor's subscription and usage this month. */
export function TenantUsage({ tenant }: { tenant: string }) {
  const [{ data, error }] = useQuery({ query: TenantBilling, variables: { tenant }, requestPolicy: "network-only" });
  if (error) return <span className="error">{describe(error)}</span>;
  if (!data) return <span aria-busy="true">…</span>;
  return (
    <span>
      {data.subscription.plan.name} ({data.subscription.status.toLowerCase()}), {data.tenantUsage.requests.toLocaleString()} of{" "}
      {data.tenantUsage.includedRequests.toLocaleString()} requests in {data.tenantUsage.period}
    </span>
  );
}
