import { useState } from "react";
import { Link, Route, Routes } from "react-router-dom";
import { Provider, useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { OrderStatus, VendorOrdersQuery } from "../gql/graphql";
import { client } from "../lib/client";
import { availableStock, describe } from "../lib/errors";
import { money } from "../lib/money";
import { manualSteps, refundable } from "../lib/payments";
import { useSession } from "../lib/session";
import { AllocationList, LocationsView, StockByLocation, TransferForm, useLocationNames, useOrderAllocations, type LocationName, type OrderAllocations } from "./VendorLocations";
import { AuditView, BillingView, Products, TeamView } from "./VendorMore";
import { PayoutsView } from "./VendorPayouts";
import { RefundControl } from "./VendorRefund";

const MyVendors = graphql(`
  query MyVendors { myVendors { role vendor { id name status } } }
`);

const SelectVendor = graphql(`
  mutation SelectVendor($id: ID!) { selectVendor(vendorId: $id) { accessToken role vendor { name } } }
`);

const VendorOrders = graphql(`
  query VendorOrders($status: OrderStatus, $from: DateTime, $to: DateTime) {
    orders(status: $status, from: $from, to: $to, first: 50) {
      nodes { id status paymentMethod allowedTransitions total { amount currency } createdAt lines { sku quantity } }
    }
  }
`);

const Move = graphql(`
  mutation MoveOrder($id: ID!, $status: OrderStatus!) {
    changeOrderStatus(id: $id, status: $status) { id status allowedTransitions }
  }
`);

const Stock = graphql(`
  query Stock($low: Boolean!) {
    stockItems(first: 100, lowStockOnly: $low) {
      nodes { sku onHand reserved available reorderThreshold lowStock }
    }
  }
`);

const History = graphql(`
  query History($sku: String!) {
    stockHistory(sku: $sku, first: 20) {
      nodes { id kind onHandChange reservedChange onHandAfter reservedAfter reason reference actor locationId at }
    }
  }
`);

const Adjust = graphql(`
  mutation Adjust($sku: String!, $delta: Int!, $reason: String!, $location: ID) {
    adjustStock(sku: $sku, delta: $delta, reason: $reason, location: $location) { sku onHand available }
  }
`);

/** What each step does to stock, as the dashboard explains it. */
export const STOCK_EFFECT: Partial<Record<OrderStatus, string>> = {
  SHIPPED: "takes the reserved units out of stock",
  CANCELLED: "releases the reserved units",
  REFUNDED: "releases units still reserved (restocks returned goods)",
};

const vendorClient = client("vendor");

/** The vendor dashboard: pick a store, then its orders and inventory. */
export function VendorArea() {
  const { person, vendor } = useSession();
  if (!person) return <p><Link to="/signin?next=/vendor">Sign in</Link> to manage your store.</p>;
  if (!vendor) return <StorePicker />;
  return (
    <Provider value={vendorClient}>
      <nav aria-label="Store" className="subnav">
        <strong>{vendor.name}</strong> ({vendor.role})
        <Link to="/vendor">Orders</Link>
        <Link to="/vendor/inventory">Inventory</Link>
        <Link to="/vendor/locations">Locations</Link>
        <Link to="/vendor/products">Products</Link>
        <Link to="/vendor/team">Team</Link>
        {vendor.role !== "staff" && <Link to="/vendor/payouts">Payouts</Link>}
        <Link to="/vendor/billing">Plan and usage</Link>
        <Link to="/vendor/audit">Audit log</Link>
      </nav>
      <Routes>
        <Route index element={<VendorOrdersView />} />
        <Route path="inventory" element={<Inventory />} />
        <Route path="locations" element={<LocationsView manage={vendor.role !== "staff"} />} />
        <Route path="products" element={<Products />} />
        <Route path="team" element={<TeamView />} />
        <Route path="payouts" element={<PayoutsView owner={vendor.role === "owner"} />} />
        <Route path="billing" element={<BillingView />} />
        <Route path="audit" element={<AuditView />} />
      </Routes>
    </Provider>
  );
}

function StorePicker() {
  const [{ data, fetching, error }] = useQuery({ query: MyVendors });
  const [selected, select] = useMutation(SelectVendor);
  const { enterStore } = useSession();
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  if (fetching && !data) return <p aria-busy="true">Loading your stores…</p>;
  return (
    <section aria-labelledby="stores-title">
      <h1 id="stores-title">Your stores</h1>
      {data?.myVendors.length === 0 && <p>You do not work for any store yet.</p>}
      {selected.error && <p className="error" role="alert">{describe(selected.error)}</p>}
      <ul>
        {data?.myVendors.map(({ vendor, role }) => (
          <li key={vendor.id}>
            <button
              type="button"
              onClick={async () => {
                const result = await select({ id: vendor.id });
                const access = result.data?.selectVendor;
                if (access) enterStore(access.accessToken, access.vendor.name, access.role.toLowerCase());
              }}
            >
              Manage {vendor.name}
            </button>{" "}
            as {role.toLowerCase()} ({vendor.status.toLowerCase()})
          </li>
        ))}
      </ul>
    </section>
  );
}

const STATUSES: OrderStatus[] = ["PENDING", "PAID", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELLED", "REFUNDED", "EXPIRED"];

type VendorOrder = VendorOrdersQuery["orders"]["nodes"][number];

/** One order: the steps left to people (a card payment takes some), and refunds of paid card orders. */
function OrderRow({ order: o, allocations, names, onMove, onChanged }: {
  order: VendorOrder;
  allocations: OrderAllocations;
  names: Map<string, LocationName>;
  onMove: (next: OrderStatus) => void;
  onChanged: (message: string) => void;
}) {
  const steps = manualSteps(o.status, o.paymentMethod, o.allowedTransitions);
  return (
    <tr>
      <td>{o.id.slice(-6)}</td>
      <td>{o.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ")}</td>
      <td><AllocationList label={`Allocation of order ${o.id.slice(-6)}`} allocations={allocations.get(o.id)} names={names} /></td>
      <td>{money(o.total.amount, o.total.currency)}</td>
      <td>{o.paymentMethod === "CARD" ? "card" : "offline"}</td>
      <td>{o.status.toLowerCase()}</td>
      <td>
        {steps.map((next) => (
          <button key={next} type="button" aria-describedby={STOCK_EFFECT[next] ? `effect-${o.id}-${next}` : undefined} onClick={() => onMove(next)}>
            Mark {o.id.slice(-6)} {next.toLowerCase()}
          </button>
        ))}
        {steps.filter((next) => STOCK_EFFECT[next]).map((next) => (
          <small key={next} id={`effect-${o.id}-${next}`} className="effect">{next.toLowerCase()} {STOCK_EFFECT[next]}</small>
        ))}
        {refundable(o.status, o.paymentMethod) && <RefundControl orderId={o.id} currency={o.total.currency} onDone={onChanged} />}
      </td>
    </tr>
  );
}

export function VendorOrdersView() {
  const [status, setStatus] = useState<OrderStatus | "">("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const day = (value: string) => (value ? new Date(`${value}T00:00:00Z`).toISOString() : undefined);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: VendorOrders,
    variables: { status: status || undefined, from: day(from), to: day(to) },
    requestPolicy: "network-only",
  });
  const [moved, move] = useMutation(Move);
  const [notice, setNotice] = useState("");
  const reload = () => refetch({ requestPolicy: "network-only" });
  // One request for the page's locations, one for where its orders' lines are held.
  const { byId: names } = useLocationNames();
  const { allocations, error: unplaced } = useOrderAllocations(data?.orders.nodes.map((o) => o.id) ?? []);
  return (
    <section aria-labelledby="vorders-title">
      <h1 id="vorders-title">Orders</h1>
      <div className="filters">
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value as OrderStatus | "")}>
            <option value="">All</option>
            {STATUSES.map((s) => <option key={s} value={s}>{s.toLowerCase()}</option>)}
          </select>
        </label>
        <label>Placed from<input type="date" value={from} onChange={(e) => setFrom(e.target.value)} /></label>
        <label>Placed before<input type="date" value={to} onChange={(e) => setTo(e.target.value)} /></label>
      </div>
      {(error ?? moved.error) && <p className="error" role="alert">{describe(error ?? moved.error)}</p>}
      {notice && <p role="status">{notice}</p>}
      {unplaced && <p className="muted">Where the orders' items are held could not be loaded: {describe(unplaced)}</p>}
      {fetching && !data && <p aria-busy="true">Loading orders…</p>}
      <table>
        <caption className="sr-only">Orders</caption>
        <thead><tr><th scope="col">Order</th><th scope="col">Items</th><th scope="col">Held at</th><th scope="col">Total</th><th scope="col">Payment</th><th scope="col">Status</th><th scope="col">Next steps</th></tr></thead>
        <tbody>
          {data?.orders.nodes.map((o) => (
            <OrderRow key={o.id} order={o} allocations={allocations} names={names} onChanged={(message) => { setNotice(message); reload(); }} onMove={async (next) => { await move({ id: o.id, status: next }); reload(); }} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Ledger({ sku, names }: { sku: string; names: Map<string, LocationName> }) {
  const [{ data, error }] = useQuery({ query: History, variables: { sku }, requestPolicy: "network-only" });
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  return (
    <table>
      <caption>History of {sku}, newest first</caption>
      <thead><tr><th scope="col">When</th><th scope="col">Change</th><th scope="col">Location</th><th scope="col">On hand</th><th scope="col">Reserved</th><th scope="col">Reason</th><th scope="col">By</th></tr></thead>
      <tbody>
        {data?.stockHistory.nodes.map((c) => (
          <tr key={c.id}>
            <td>{new Date(c.at).toLocaleString()}</td>
            <td>{c.kind.toLowerCase()} {c.onHandChange !== 0 ? `${c.onHandChange > 0 ? "+" : ""}${c.onHandChange} on hand` : ""} {c.reservedChange !== 0 ? `${c.reservedChange > 0 ? "+" : ""}${c.reservedChange} reserved` : ""}</td>
            <td>{(c.locationId ? names.get(c.locationId) : [...names.values()].find((l) => l.isDefault))?.name ?? "—"}</td>
            <td>{c.onHandAfter}</td>
            <td>{c.reservedAfter}</td>
            <td>{[c.reason, c.reference].filter(Boolean).join(" — ")}</td>
            <td>{c.actor}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The store's stock: totals per SKU, adjustments at a location, each SKU's stock by location, transfers and the ledger. */
export function Inventory() {
  const [low, setLow] = useState(false);
  const [{ data, error }, refetch] = useQuery({ query: Stock, variables: { low }, requestPolicy: "network-only" });
  const { active, byId: names } = useLocationNames();
  const [adjusted, adjust] = useMutation(Adjust);
  const [delta, setDelta] = useState<Record<string, string>>({});
  const [reason, setReason] = useState("stock count");
  const [location, setLocation] = useState("");
  const [shown, setShown] = useState("");
  const [levelsOf, setLevelsOf] = useState("");
  // Bumped by every change, so that the tables below load afresh.
  const [version, setVersion] = useState(0);
  const changed = () => {
    setVersion((v) => v + 1);
    refetch({ requestPolicy: "network-only" });
  };
  const skus = data?.stockItems.nodes.map((item) => item.sku) ?? [];
  const place = active.find((l) => l.id === location);
  return (
    <section aria-labelledby="inv-title">
      <h1 id="inv-title">Inventory</h1>
      <div className="filters">
        <label className="inline"><input type="checkbox" checked={low} onChange={(e) => setLow(e.target.checked)} /> Low stock only</label>
        <label>Reason for adjustments<input value={reason} onChange={(e) => setReason(e.target.value)} /></label>
        <label>
          Location for adjustments
          <select value={place ? location : ""} onChange={(e) => setLocation(e.target.value)}>
            <option value="">{active.find((l) => l.isDefault)?.name ?? "Default location"} (default)</option>
            {active.filter((l) => !l.isDefault).map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
          </select>
        </label>
      </div>
      {error && <p className="error" role="alert">{describe(error)}</p>}
      {adjusted.error && (
        <p className="error" role="alert">
          {describe(adjusted.error)}
          {availableStock(adjusted.error) !== undefined && ` At most ${availableStock(adjusted.error)} can be taken out at ${(place ?? active.find((l) => l.isDefault))?.name ?? "the default location"}.`}
        </p>
      )}
      <table>
        <caption className="sr-only">Stock levels</caption>
        <thead><tr><th scope="col">SKU</th><th scope="col">On hand</th><th scope="col">Reserved</th><th scope="col">Available</th><th scope="col">By location</th><th scope="col">Adjust</th></tr></thead>
        <tbody>
          {data?.stockItems.nodes.map((item) => (
            <tr key={item.sku} className={item.lowStock ? "low" : undefined}>
              <td><button type="button" className="link" aria-expanded={shown === item.sku} onClick={() => setShown(shown === item.sku ? "" : item.sku)}>{item.sku}</button></td>
              <td data-testid={`on-hand-${item.sku}`}>{item.onHand}</td>
              <td>{item.reserved}</td>
              <td>{item.available}</td>
              <td>
                <button type="button" aria-expanded={levelsOf === item.sku} onClick={() => setLevelsOf(levelsOf === item.sku ? "" : item.sku)}>
                  Locations of {item.sku}
                </button>
              </td>
              <td>
                <form
                  onSubmit={async (e) => {
                    e.preventDefault();
                    const value = Number.parseInt(delta[item.sku] ?? "", 10);
                    if (!Number.isFinite(value) || value === 0) return;
                    const result = await adjust({ sku: item.sku, delta: value, reason: reason.trim() || "stock count", location: place?.id });
                    if (!result.error) setDelta({ ...delta, [item.sku]: "" });
                    changed();
                  }}
                >
                  <label><span className="sr-only">Change of {item.sku}</span>
                    <input inputMode="numeric" size={5} value={delta[item.sku] ?? ""} onChange={(e) => setDelta({ ...delta, [item.sku]: e.target.value })} />
                  </label>
                  <button type="submit">Adjust {item.sku}</button>
                </form>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {levelsOf && <StockByLocation key={`${levelsOf}:${version}`} sku={levelsOf} />}
      <TransferForm skus={skus} onMoved={(sku) => { setLevelsOf(sku); changed(); }} />
      {shown && <Ledger key={`${shown}:${version}`} sku={shown} names={names} />}
    </section>
  );
}
