import { useMemo, useState } from "react";
import type { DocumentNode } from "graphql";
import { gql, useMutation, useQuery, type CombinedError, type TypedDocumentNode } from "urql";
import { graphql } from "../gql";
import type { AllocationStrategy, OrderAllocationFragment } from "../gql/graphql";
import { availableStock, describe } from "../lib/errors";

/** The vendor's locations, inactive ones too, to name them anywhere in the dashboard. */
export const LocationNames = graphql(`
  query LocationNames { stockLocations(includeInactive: true) { id code name active isDefault shipsToCustomers } }
`);

const LocationsPage = graphql(`
  query LocationsPage {
    stockLocations(includeInactive: true) { id code name address priority shipsToCustomers active isDefault }
    allocationStrategy
  }
`);

const CreateLocation = graphql(`
  mutation CreateLocation($input: StockLocationInput!) { createStockLocation(input: $input) { id code name } }
`);
const ReorderLocations = graphql(`
  mutation ReorderLocations($ids: [ID!]!) { reorderStockLocations(ids: $ids) { id priority } }
`);
const DeactivateLocation = graphql(`
  mutation DeactivateLocation($id: ID!) { deactivateStockLocation(id: $id) { id active } }
`);
const SetStrategy = graphql(`
  mutation SetStrategy($strategy: AllocationStrategy!) { setAllocationStrategy(strategy: $strategy) }
`);

const StockLevels = graphql(`
  query StockLevels($sku: String!) {
    stockLevels(sku: $sku) { sku onHand reserved available lowStock location { id code name active isDefault } }
  }
`);

const TransferStock = graphql(`
  mutation TransferStock($sku: String!, $from: ID!, $to: ID!, $quantity: Int!, $reason: String!) {
    transferStock(sku: $sku, from: $from, to: $to, quantity: $quantity, reason: $reason) {
      from { sku onHand reserved available location { id name } }
      to { sku onHand reserved available location { id name } }
    }
  }
`);

const OrderAllocationFields = graphql(`
  fragment OrderAllocation on Reservation { orderId allocations { sku locationId quantity } }
`);

export const STRATEGIES: { value: AllocationStrategy; label: string; effect: string }[] = [
  { value: "PRIORITIZE_ORDER", label: "By location priority", effect: "Reservations take stock from the locations in their priority order." },
  { value: "PRIORITIZE_HIGH_STOCK", label: "Most available first", effect: "Reservations take stock from the location with the most available first." },
];

export type LocationName = { id: string; code: string; name: string; active: boolean; isDefault: boolean };

/** The vendor's locations by id, and the active ones in priority order (the default one first unless reordered). */
export function useLocationNames() {
  const [{ data, error }] = useQuery({ query: LocationNames });
  return useMemo(() => {
    const all: LocationName[] = data?.stockLocations ?? [];
    return { all, active: all.filter((l) => l.active), byId: new Map(all.map((l) => [l.id, l])), error };
  }, [data, error]);
}

/** The human sentence of a refusal; for a location in use, what it still holds. */
function refusal(error: CombinedError): string {
  const inUse = error.graphQLErrors.find((e) => e.extensions?.code === "LOCATION_IN_USE")?.extensions;
  const held = inUse && typeof inUse.onHand === "number" ? ` It holds ${inUse.onHand} on hand, ${Number(inUse.reserved ?? 0)} of them reserved.` : "";
  return describe(error) + held;
}

/** Owners and managers: the store's stock locations, their priority, new ones and the allocation strategy. */
export function LocationsView({ manage }: { manage: boolean }) {
  const [{ data, error, fetching }, refetch] = useQuery({ query: LocationsPage, requestPolicy: "network-only" });
  const [created, create] = useMutation(CreateLocation);
  const [reordering, reorder] = useMutation(ReorderLocations);
  const [deactivating, deactivate] = useMutation(DeactivateLocation);
  const [, choose] = useMutation(SetStrategy);
  const [form, setForm] = useState({ code: "", name: "", address: "", ships: true });
  const [failure, setFailure] = useState<CombinedError | undefined>();
  const [notice, setNotice] = useState("");
  const [strategy, setStrategy] = useState<AllocationStrategy | null>(null);
  const reload = () => refetch({ requestPolicy: "network-only" });
  const all = data?.stockLocations ?? [];
  const active = all.filter((l) => l.active).sort((a, b) => a.priority - b.priority);
  const done = (result: { error?: CombinedError }, message: string) => {
    setFailure(result.error);
    setNotice(result.error ? "" : message);
    return !result.error;
  };
  const move = async (index: number, by: -1 | 1) => {
    const ids = active.map((l) => l.id);
    [ids[index], ids[index + by]] = [ids[index + by], ids[index]];
    const moved = active[index];
    const result = await reorder({ ids });
    done(result, `Moved ${moved.name} ${by < 0 ? "up" : "down"} to priority ${index + by + 1}.`);
    reload();
  };
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const input = { code: form.code.trim(), name: form.name.trim(), address: form.address.trim() || undefined, shipsToCustomers: form.ships };
    const result = await create({ input });
    if (done(result, `Added ${input.name} (${input.code}), last in priority.`)) {
      setForm({ code: "", name: "", address: "", ships: true });
      reload();
    }
  };
  const busy = reordering.fetching || deactivating.fetching;
  const shownStrategy = strategy ?? data?.allocationStrategy ?? "PRIORITIZE_ORDER";
  return (
    <section aria-labelledby="locations-title">
      <h1 id="locations-title">Locations</h1>
      <p className="muted">
        Where the store keeps its stock. Orders take stock from the active locations that ship to customers;
        the default location always ships and stays active.
      </p>
      {error && <p className="error" role="alert">{describe(error)}</p>}
      {failure && <p className="error" role="alert">{refusal(failure)}</p>}
      {notice && <p role="status">{notice}</p>}
      {!manage && <p className="muted">The store's owners and managers change its locations.</p>}
      {fetching && !data && <p aria-busy="true">Loading locations…</p>}
      <table>
        <caption>Stock locations</caption>
        <thead>
          <tr>
            <th scope="col">Priority</th><th scope="col">Code</th><th scope="col">Name</th><th scope="col">Address</th>
            <th scope="col">Ships to customers</th><th scope="col">Active</th><th scope="col">Default</th>
            {manage && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {[...active, ...all.filter((l) => !l.active)].map((l) => {
            const index = active.indexOf(l);
            return (
              <tr key={l.id}>
                <td>{index >= 0 ? index + 1 : "—"}</td>
                <td>{l.code}</td>
                <th scope="row">{l.name}</th>
                <td>{l.address ?? "—"}</td>
                <td>{l.shipsToCustomers ? "yes" : "no"}</td>
                <td>{l.active ? "yes" : "no"}</td>
                <td>{l.isDefault ? "default" : ""}</td>
                {manage && (
                  <td>
                    {index >= 0 && (
                      <>
                        <button type="button" disabled={busy || index === 0} onClick={() => move(index, -1)}>Move {l.code} up</button>
                        <button type="button" disabled={busy || index === active.length - 1} onClick={() => move(index, 1)}>Move {l.code} down</button>
                      </>
                    )}
                    {l.active && !l.isDefault && (
                      <button
                        type="button"
                        disabled={busy}
                        aria-describedby="deactivate-effect"
                        onClick={async () => {
                          const result = await deactivate({ id: l.id });
                          done(result, `Deactivated ${l.name}.`);
                          reload();
                        }}
                      >
                        Deactivate {l.code}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {manage && <p id="deactivate-effect" className="muted">Deactivating takes a location out of use for good; it must hold no stock (transfer it away first).</p>}
      <div className="filters">
        <label>
          Allocation strategy
          <select
            value={shownStrategy}
            disabled={!manage || !data}
            aria-describedby="strategy-effect"
            onChange={async (e) => {
              const next = e.target.value as AllocationStrategy;
              setStrategy(next);
              const result = await choose({ strategy: next });
              if (!done(result, `Saved. ${STRATEGIES.find((s) => s.value === next)?.effect ?? ""}`)) setStrategy(null);
            }}
          >
            {STRATEGIES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        </label>
        <p id="strategy-effect" className="muted">{STRATEGIES.find((s) => s.value === shownStrategy)?.effect}</p>
      </div>
      {manage && (
        <form onSubmit={submit} className="narrow" aria-labelledby="new-location">
          <h2 id="new-location">New location</h2>
          <label>
            Code
            <input required maxLength={32} pattern="[A-Za-z0-9][A-Za-z0-9_\-]*" title="Letters, digits, - and _" value={form.code} onChange={(e) => setForm({ ...form, code: e.target.value })} />
          </label>
          <label>Name<input required maxLength={100} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} /></label>
          <label>Address<input maxLength={500} value={form.address} onChange={(e) => setForm({ ...form, address: e.target.value })} /></label>
          <label className="inline">
            <input type="checkbox" checked={form.ships} onChange={(e) => setForm({ ...form, ships: e.target.checked })} /> Ships to customers
          </label>
          <button type="submit" disabled={created.fetching}>Add location</button>
        </form>
      )}
    </section>
  );
}

/** A SKU's stock at each location. */
export function StockByLocation({ sku }: { sku: string }) {
  const [{ data, error, fetching }] = useQuery({ query: StockLevels, variables: { sku }, requestPolicy: "network-only" });
  if (error) return <p className="error" role="alert">{describe(error)}</p>;
  return (
    <table aria-busy={fetching}>
      <caption>Stock of {sku} by location</caption>
      <thead><tr><th scope="col">Location</th><th scope="col">On hand</th><th scope="col">Reserved</th><th scope="col">Available</th></tr></thead>
      <tbody>
        {data?.stockLevels.map((level) => (
          <tr key={level.location.id} className={level.lowStock ? "low" : undefined}>
            <th scope="row">{level.location.name}{level.location.active ? "" : " (inactive)"}</th>
            <td data-testid={`on-hand-${sku}-at-${level.location.code}`}>{level.onHand}</td>
            <td data-testid={`reserved-${sku}-at-${level.location.code}`}>{level.reserved}</td>
            <td data-testid={`available-${sku}-at-${level.location.code}`}>{level.available}</td>
          </tr>
        ))}
        {data?.stockLevels.length === 0 && <tr><td colSpan={4}>No stock of {sku}.</td></tr>}
      </tbody>
    </table>
  );
}

/** Moves available stock of a SKU from one active location to another. */
export function TransferForm({ skus, onMoved }: { skus: string[]; onMoved: (sku: string) => void }) {
  const { active, error } = useLocationNames();
  const [result, transfer] = useMutation(TransferStock);
  const [form, setForm] = useState({ sku: "", from: "", to: "", quantity: "", reason: "" });
  const [problem, setProblem] = useState("");
  const [moved, setMoved] = useState("");
  // Until chosen: from the first active location (the default one unless
  // reordered) to the next.
  const from = form.from || active[0]?.id || "";
  const to = form.to || active.find((l) => l.id !== from)?.id || "";
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setMoved("");
    const quantity = Number(form.quantity.trim());
    const sku = form.sku.trim();
    if (!Number.isInteger(quantity) || quantity <= 0) return setProblem("Please enter a whole number of units above zero.");
    if (from === to) return setProblem("Choose two different locations.");
    setProblem("");
    const answer = await transfer({ sku, from, to, quantity, reason: form.reason.trim() });
    const done = answer.data?.transferStock;
    if (!done) return;
    setForm({ ...form, quantity: "" });
    setMoved(`Moved ${quantity} of ${done.from.sku} from ${done.from.location.name} to ${done.to.location.name}`);
    onMoved(done.from.sku);
  };
  const left = availableStock(result.error);
  const source = active.find((l) => l.id === from);
  return (
    <form onSubmit={submit} className="narrow" aria-labelledby="transfer-title">
      <h2 id="transfer-title">Transfer stock</h2>
      {error && <p className="error" role="alert">{describe(error)}</p>}
      {active.length < 2 && !error && <p className="muted">Add a second location to move stock between locations.</p>}
      <label>
        SKU
        <input required list="transfer-skus" autoComplete="off" value={form.sku} onChange={(e) => setForm({ ...form, sku: e.target.value })} />
        <datalist id="transfer-skus">{skus.map((s) => <option key={s} value={s} />)}</datalist>
      </label>
      <label>
        From
        <select value={from} onChange={(e) => setForm({ ...form, from: e.target.value })}>
          {active.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
        </select>
      </label>
      <label>
        To
        <select value={to} onChange={(e) => setForm({ ...form, to: e.target.value })}>
          {active.map((l) => <option key={l.id} value={l.id}>{l.name}</option>)}
        </select>
      </label>
      <label>Quantity<input required inputMode="numeric" value={form.quantity} onChange={(e) => setForm({ ...form, quantity: e.target.value })} /></label>
      <label>Reason<input required maxLength={500} placeholder="restocking the shop" value={form.reason} onChange={(e) => setForm({ ...form, reason: e.target.value })} /></label>
      {problem && <p className="error" role="alert">{problem}</p>}
      {result.error && !problem && (
        <p className="error" role="alert">
          {left !== undefined ? `Only ${left} of ${form.sku.trim()} available at ${source?.name ?? "that location"}.` : describe(result.error)}
        </p>
      )}
      {moved && <p role="status">{moved}</p>}
      <button type="submit" disabled={result.fetching || active.length < 2}>Transfer</button>
    </form>
  );
}

export type OrderAllocations = Map<string, OrderAllocationFragment["allocations"]>;

/**
 * Where the lines of these orders are held: one request for the page, each
 * order's reservation under its own alias (the API has no list of reservations).
 */
export function useOrderAllocations(orderIds: string[]): { allocations: OrderAllocations; error?: CombinedError } {
  const key = orderIds.join(",");
  const query = useMemo(() => {
    const ids = key ? key.split(",") : [];
    const variables = ids.map((_, i) => `$o${i}: String!`).join(", ");
    const fields = ids.map((_, i) => `o${i}: reservation(orderId: $o${i}) { ...OrderAllocation }`).join("\n");
    // Parsed by urql's own parser (a string, not a template codegen would read).
    const source: string = ids.length > 0 ? `query OrderAllocations(${variables}) {\n${fields}\n}` : "query OrderAllocations { __typename }";
    const operation: DocumentNode = gql(source);
    // No `loc`: urql would send the parsed source, without the fragment.
    const document: DocumentNode = { kind: operation.kind, definitions: [...operation.definitions, ...(OrderAllocationFields as DocumentNode).definitions] };
    return {
      document: document as TypedDocumentNode<Record<string, OrderAllocationFragment | null>, Record<string, string>>,
      variables: Object.fromEntries(ids.map((id, i) => [`o${i}`, id])),
    };
  }, [key]);
  const [{ data, error }] = useQuery({ query: query.document, variables: query.variables, pause: !key });
  return useMemo(() => {
    const allocations: OrderAllocations = new Map();
    for (const reservation of Object.values(data ?? {})) {
      if (reservation && typeof reservation === "object") allocations.set(reservation.orderId, reservation.allocations);
    }
    return { allocations, error };
  }, [data, error]);
}

/** "<SKU>: <qty> from <location>", one per part of a line. */
export function AllocationList({ label, allocations, names }: { label: string; allocations: OrderAllocationFragment["allocations"] | undefined; names: Map<string, LocationName> }) {
  if (!allocations || allocations.length === 0) return <span className="muted">—</span>;
  return (
    <ul aria-label={label} className="allocation">
      {allocations.map((a) => (
        <li key={`${a.sku}@${a.locationId}`}>{a.sku}: {a.quantity} from {names.get(a.locationId)?.name ?? `location ${a.locationId.slice(0, 8)}`}</li>
      ))}
    </ul>
  );
}
