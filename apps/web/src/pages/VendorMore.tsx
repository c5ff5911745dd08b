import { useState } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { VendorRole } from "../gql/graphql";
import { describe, MESSAGES } from "../lib/errors";
import { money } from "../lib/money";
import { uploadError, uploadFile } from "../lib/upload";

const UPLOAD_IMAGE = `mutation UploadProductImage($productId: ID!, $file: Upload!, $alt: String) {
  uploadProductImage(productId: $productId, file: $file, alt: $alt) { id }
}`;
const DeleteImage = graphql(`mutation DeleteProductImage($id: ID!) { deleteProductImage(id: $id) }`);

const VendorProducts = graphql(`
  query VendorProducts {
    vendorProducts(first: 100) {
      nodes { id title description version status price { amount currency } images { id url(width: 160) alt } variants { sku availability priceOverride: price { amount } options { name value } } }
    }
  }
`);
const CreateProduct = graphql(`
  mutation CreateProduct($input: ProductInput!) { createProduct(input: $input) { id title status } }
`);
const UpdateProduct = graphql(`
  mutation UpdateProduct($id: ID!, $version: Int!, $input: ProductInput!) { updateProduct(id: $id, version: $version, input: $input) { id version } }
`);
const Publish = graphql(`mutation Publish($id: ID!) { publishProduct(id: $id) { id status } }`);
const Archive = graphql(`mutation Archive($id: ID!) { archiveProduct(id: $id) { id status } }`);

/** A store's products: create with variants, publish, archive. */
export function Products() {
  const [{ data, error }, refetch] = useQuery({ query: VendorProducts, requestPolicy: "network-only" });
  const [created, create] = useMutation(CreateProduct);
  const [published, publish] = useMutation(Publish);
  const [archived, archive] = useMutation(Archive);
  const [updated, update] = useMutation(UpdateProduct);
  const [deletedImage, deleteImage] = useMutation(DeleteImage);
  const [uploadFailure, setUploadFailure] = useState<string | undefined>();
  const [uploading, setUploading] = useState("");
  const [editing, setEditing] = useState<{ id: string; title: string; price: string } | null>(null);
  const [form, setForm] = useState({ title: "", price: "", variants: "" });
  const failure = error ?? created.error ?? published.error ?? archived.error ?? updated.error ?? deletedImage.error;
  const addImage = async (productId: string, title: string, file: File | undefined) => {
    if (!file) return;
    setUploading(productId);
    const answer = await uploadFile(UPLOAD_IMAGE, { productId, alt: title }, file, file.name);
    setUploading("");
    setUploadFailure(uploadError(answer));
    reload();
  };
  const reload = () => refetch({ requestPolicy: "network-only" });
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const variants = form.variants
      .split(",")
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [sku, stock] = part.split(":").map((s) => s.trim());
        return { sku, initialStock: stock ? Number.parseInt(stock, 10) || 0 : 0 };
      });
    const amount = Math.round(Number.parseFloat(form.price) * 100);
    const result = await create({ input: { title: form.title, price: { amount, currency: "EUR" }, variants } });
    if (result.data) {
      setForm({ title: "", price: "", variants: "" });
      reload();
    }
  };
  return (
    <section aria-labelledby="products-title">
      <h1 id="products-title">Products</h1>
      {failure && <p className="error" role="alert">{describe(failure)}</p>}
      {uploadFailure && <p className="error" role="alert">{MESSAGES[uploadFailure] ?? MESSAGES.INTERNAL}</p>}
      <table>
        <caption className="sr-only">Products</caption>
        <thead><tr><th scope="col">Title</th><th scope="col">Images</th><th scope="col">Price</th><th scope="col">Variants</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
        <tbody>
          {data?.vendorProducts.nodes.map((p) => (
            <tr key={p.id}>
              <td>
                {editing?.id === p.id ? (
                  <form
                    className="filters"
                    onSubmit={async (e) => {
                      e.preventDefault();
                      const amount = Math.round(Number.parseFloat(editing.price) * 100);
                      const result = await update({
                        id: p.id,
                        version: p.version,
                        input: {
                          title: editing.title,
                          description: p.description,
                          price: { amount, currency: p.price.currency },
                          variants: p.variants.map((v) => ({ sku: v.sku, options: v.options.map((o) => ({ name: o.name, value: o.value })) })),
                        },
                      });
                      if (result.data) { setEditing(null); reload(); }
                    }}
                  >
                    <label>Title<input required value={editing.title} onChange={(e) => setEditing({ ...editing, title: e.target.value })} /></label>
                    <label>Price<input required inputMode="decimal" value={editing.price} onChange={(e) => setEditing({ ...editing, price: e.target.value })} /></label>
                    <button type="submit">Save</button>
                    <button type="button" onClick={() => setEditing(null)}>Cancel</button>
                  </form>
                ) : (
                  <>
                    {p.title}{" "}
                    <button type="button" className="link" onClick={() => setEditing({ id: p.id, title: p.title, price: (p.price.amount / 100).toFixed(2) })}>Edit {p.title}</button>
                  </>
                )}
              </td>
              <td>
                <div className="vendor-thumbs">
                  {p.images.map((image) => (
                    <span key={image.id}>
                      <img src={image.url} alt={image.alt || p.title} />
                      <button type="button" className="link" aria-label={`Delete image of ${p.title}`} onClick={async () => { await deleteImage({ id: image.id }); reload(); }}>×</button>
                    </span>
                  ))}
                  <label className="link">
                    {uploading === p.id ? "Uploading…" : "Add image"}
                    <input type="file" className="sr-only" accept="image/jpeg,image/png,image/webp" aria-label={`Add an image of ${p.title}`}
                      onChange={(e) => { addImage(p.id, p.title, e.target.files?.[0]); e.target.value = ""; }} />
                  </label>
                </div>
              </td>
              <td>{money(p.price.amount, p.price.currency)}</td>
              <td>{p.variants.map((v) => `${v.sku} (${v.availability})`).join(", ")}</td>
              <td>{p.status.toLowerCase()}</td>
              <td>
                {p.status === "DRAFT" && <button type="button" onClick={async () => { await publish({ id: p.id }); reload(); }}>Publish {p.title}</button>}
                {p.status === "ACTIVE" && <button type="button" onClick={async () => { await archive({ id: p.id }); reload(); }}>Archive {p.title}</button>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form onSubmit={submit} className="narrow" aria-labelledby="new-product">
        <h2 id="new-product">New product</h2>
        <label>Title<input required value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} /></label>
        <label>Price (EUR)<input required inputMode="decimal" value={form.price} onChange={(e) => setForm({ ...form, price: e.target.value })} /></label>
        <label>
          Variants as SKU:stock, comma-separated
          <input required placeholder="TEA-GREEN-100:20, TEA-GREEN-250:5" value={form.variants} onChange={(e) => setForm({ ...form, variants: e.target.value })} />
        </label>
        <button type="submit" disabled={created.fetching}>Create product</button>
      </form>
    </section>
  );
}

const Billing = graphql(`
  query Billing {
    subscription { status periodEnd cancelAtPeriodEnd plan { code name price { amount currency } includedRequests } }
    plans { code name price { amount currency } includedRequests ratePerSecond }
    usage { period requests includedRequests remaining days { day requests } }
    invoicePreview { period lines { description amount { amount currency } } total { amount currency } }
  }
`);
const ChangePlan = graphql(`mutation ChangePlan($plan: String!) { changePlan(plan: $plan) { plan { code } } }`);

/** The store's plan, its usage against the quota (a chart per day) and the invoice so far. */
export function BillingView() {
  const [{ data, error }, refetch] = useQuery({ query: Billing, requestPolicy: "network-only" });
  const [changed, change] = useMutation(ChangePlan);
  const failure = error ?? changed.error;
  if (failure) return <p className="error" role="alert">{describe(failure)}</p>;
  if (!data) return <p aria-busy="true">Loading billing…</p>;
  const { subscription, usage, invoicePreview, plans } = data;
  const peak = Math.max(1, ...usage.days.map((d) => d.requests));
  return (
    <section aria-labelledby="billing-title">
      <h1 id="billing-title">Plan and usage</h1>
      <p>
        {subscription.plan.name} plan, {money(subscription.plan.price.amount, subscription.plan.price.currency)} a month,
        {" "}{subscription.status.toLowerCase()}{subscription.cancelAtPeriodEnd ? `, ends ${new Date(subscription.periodEnd).toLocaleDateString()}` : ""}.
      </p>
      <p>
        {usage.requests.toLocaleString()} of {usage.includedRequests.toLocaleString()} requests used in {usage.period}
        {" "}({usage.remaining.toLocaleString()} left).
      </p>
      <figure>
        <figcaption>Requests per day</figcaption>
        <svg role="img" aria-label={`Requests per day in ${usage.period}`} viewBox="0 0 372 60" className="chart">
          {usage.days.map((d) => {
            const height = (d.requests / peak) * 56;
            const slot = Number(d.day.slice(8, 10)) - 1;
            return <rect key={d.day} x={slot * 12 + 2} y={58 - height} width={8} height={height}><title>{`${d.day}: ${d.requests}`}</title></rect>;
          })}
        </svg>
      </figure>
      <table>
        <caption>Invoice so far, {invoicePreview.period}</caption>
        <tbody>
          {invoicePreview.lines.map((l) => <tr key={l.description}><td>{l.description}</td><td>{money(l.amount.amount, l.amount.currency)}</td></tr>)}
        </tbody>
        <tfoot><tr><td>Total</td><td>{money(invoicePreview.total.amount, invoicePreview.total.currency)}</td></tr></tfoot>
      </table>
      <h2>Change plan</h2>
      <ul>
        {plans.map((p) => (
          <li key={p.code}>
            {p.name}: {money(p.price.amount, p.price.currency)} a month, {p.includedRequests.toLocaleString()} requests, {p.ratePerSecond}/s{" "}
            {p.code !== subscription.plan.code && (
              <button type="button" onClick={async () => { await change({ plan: p.code }); refetch({ requestPolicy: "network-only" }); }}>Move to {p.name}</button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

const Team = graphql(`
  query Team {
    vendorMembers { userId email role since }
    apiKeys { id name prefix role createdAt lastUsedAt revokedAt }
  }
`);
const AddMember = graphql(`mutation AddMember($email: String!, $role: VendorRole!) { addVendorMember(email: $email, role: $role) { userId } }`);
const ChangeRole = graphql(`mutation ChangeRole($user: ID!, $role: VendorRole!) { changeVendorMemberRole(userId: $user, role: $role) { userId role } }`);
const CreateKey = graphql(`mutation CreateKey($name: String!, $role: VendorRole!) { createApiKey(name: $name, role: $role) { secret key { id } } }`);
const RevokeKey = graphql(`mutation RevokeKey($id: ID!) { revokeApiKey(id: $id) { id revokedAt } }`);

const ROLES: VendorRole[] = ["OWNER", "MANAGER", "STAFF"];

/** The store's team (invite, roles) and API keys. */
export function TeamView() {
  const [{ data, error }, refetch] = useQuery({ query: Team, requestPolicy: "network-only" });
  const [added, add] = useMutation(AddMember);
  const [roled, setRole] = useMutation(ChangeRole);
  const [made, makeKey] = useMutation(CreateKey);
  const [revoked, revoke] = useMutation(RevokeKey);
  const [invite, setInvite] = useState({ email: "", role: "STAFF" as VendorRole });
  const [keyName, setKeyName] = useState("");
  const reload = () => refetch({ requestPolicy: "network-only" });
  const failure = error ?? added.error ?? roled.error ?? made.error ?? revoked.error;
  return (
    <section aria-labelledby="team-title">
      <h1 id="team-title">Team and API keys</h1>
      {failure && <p className="error" role="alert">{describe(failure)}</p>}
      <table>
        <caption>Members</caption>
        <thead><tr><th scope="col">Email</th><th scope="col">Role</th></tr></thead>
        <tbody>
          {data?.vendorMembers.map((m) => (
            <tr key={m.userId}>
              <td>{m.email ?? m.userId}</td>
              <td>
                <label><span className="sr-only">Role of {m.email}</span>
                  <select value={m.role} onChange={async (e) => { await setRole({ user: m.userId, role: e.target.value as VendorRole }); reload(); }}>
                    {ROLES.map((r) => <option key={r} value={r}>{r.toLowerCase()}</option>)}
                  </select>
                </label>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={async (e) => { e.preventDefault(); const r = await add(invite); if (r.data) { setInvite({ ...invite, email: "" }); reload(); } }}>
        <label>Invite by email<input type="email" required value={invite.email} onChange={(e) => setInvite({ ...invite, email: e.target.value })} /></label>
        <label>Role<select value={invite.role} onChange={(e) => setInvite({ ...invite, role: e.target.value as VendorRole })}>{ROLES.map((r) => <option key={r} value={r}>{r.toLowerCase()}</option>)}</select></label>
        <button type="submit">Add member</button>
      </form>
      <table>
        <caption>API keys</caption>
        <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Role</th><th scope="col">Last used</th><th scope="col"><span className="sr-only">Revoke</span></th></tr></thead>
        <tbody>
          {data?.apiKeys.map((k) => (
            <tr key={k.id}>
              <td>{k.name}</td><td>{k.prefix}…</td><td>{k.role.toLowerCase()}</td>
              <td>{k.lastUsedAt ? new Date(k.lastUsedAt).toLocaleString() : "never"}</td>
              <td>{k.revokedAt ? "revoked" : <button type="button" onClick={async () => { await revoke({ id: k.id }); reload(); }}>Revoke {k.name}</button>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="filters" onSubmit={async (e) => { e.preventDefault(); const r = await makeKey({ name: keyName, role: "STAFF" }); if (r.data) { setKeyName(""); reload(); } }}>
        <label>New key's name<input required value={keyName} onChange={(e) => setKeyName(e.target.value)} /></label>
        <button type="submit">Create a staff key</button>
      </form>
      {made.data && <p role="status">Copy the key now, it is shown once: <code>{made.data.createApiKey.secret}</code></p>}
    </section>
  );
}

const Audit = graphql(`
  query Audit($action: String) {
    auditLog(first: 50, action: $action) { nodes { id at actorKind actorId actorRole action targetType targetId requestId } }
  }
`);

/** Who did what in the store (owners). */
export function AuditView() {
  const [action, setAction] = useState("");
  const [{ data, error }] = useQuery({ query: Audit, variables: { action: action.trim() || undefined }, requestPolicy: "network-only" });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <label>Action<input placeholder="stock.adjust" value={action} onChange={(e) => setAction(e.target.value)} /></label>
      {error && <p className="error" role="alert">{describe(error)}</p>}
      <table>
        <caption className="sr-only">Audit entries</caption>
        <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Target</th><th scope="col">Request</th></tr></thead>
        <tbody>
          {data?.auditLog.nodes.map((e) => (
            <tr key={e.id}>
              <td>{new Date(e.at).toLocaleString()}</td>
              <td>{e.actorKind === "api_key" ? "API key" : "user"} {e.actorId.slice(-8)} ({e.actorRole})</td>
              <td>{e.action}</td>
              <td>{e.targetType} {e.targetId}</td>
              <td>{e.requestId}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
