import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eur, refusal, renderWithApi, serve, type Call } from "../test/fakeApi";
import { Inventory, VendorOrdersView } from "./Vendor";
import { LocationsView } from "./VendorLocations";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

type Place = { id: string; code: string; name: string; address: string | null; priority: number; shipsToCustomers: boolean; active: boolean; isDefault: boolean };
const place = (id: string, code: string, name: string, priority: number, more: Partial<Place> = {}): Place => ({
  id, code, name, address: null, priority, shipsToCustomers: true, active: true, isDefault: false, createdAt: "2026-12-01T10:00:00Z", ...more,
} as Place);
const warehouses = () => [
  place("loc-main", "main", "Casablanca warehouse", 0, { isDefault: true, address: "1 Port Road, Casablanca" }),
  place("loc-rabat", "rabat", "Rabat warehouse", 1),
  place("loc-old", "old", "Old depot", 0, { active: false, shipsToCustomers: false }),
];
const named = (calls: Call[], name: string) => calls.filter((c) => c.operationName === name).map((c) => c.variables);
const rowOf = (table: HTMLElement, name: string) => within(table).getByRole("rowheader", { name }).closest("tr") as HTMLElement;

describe("the locations page", () => {
  it("lists every location, reorders the active ones, adds one and saves the strategy", async () => {
    let locations = warehouses();
    let strategy = "PRIORITIZE_ORDER";
    const calls = serve({
      LocationsPage: () => ({ stockLocations: locations, allocationStrategy: strategy }),
      ReorderLocations: ({ ids }) => {
        const order = ids as string[];
        locations = locations.map((l) => (l.active ? { ...l, priority: order.indexOf(l.id) } : l)).sort((a, b) => Number(b.active) - Number(a.active) || a.priority - b.priority);
        return { reorderStockLocations: locations.filter((l) => l.active).map(({ id, priority }) => ({ id, priority })) };
      },
      DeactivateLocation: () => {
        throw refusal("LOCATION_IN_USE", { onHand: 10, reserved: 2 });
      },
      CreateLocation: ({ input }) => {
        const { code, name, address, shipsToCustomers } = input as { code: string; name: string; address?: string; shipsToCustomers: boolean };
        locations = [...locations.filter((l) => l.active), place("loc-new", code, name, 2, { address: address ?? null, shipsToCustomers }), ...locations.filter((l) => !l.active)];
        return { createStockLocation: { id: "loc-new", code, name } };
      },
      SetStrategy: ({ strategy: next }) => {
        strategy = String(next);
        return { setAllocationStrategy: strategy };
      },
    });
    renderWithApi(<LocationsView manage />, "/vendor/locations");
    const table = await screen.findByRole("table", { name: "Stock locations" });
    await within(table).findByRole("rowheader", { name: "Casablanca warehouse" });
    const main = rowOf(table, "Casablanca warehouse");
    expect(within(main).getByText("default")).toBeTruthy();
    expect(within(main).getByText("1 Port Road, Casablanca")).toBeTruthy();
    expect(within(main).queryByRole("button", { name: "Deactivate main" })).toBeNull();
    expect((within(main).getByRole("button", { name: "Move main up" }) as HTMLButtonElement).disabled).toBe(true);
    const old = rowOf(table, "Old depot");
    expect(within(old).getAllByRole("cell").map((c) => c.textContent)).toEqual(["—", "old", "—", "no", "no", "", ""]);
    expect(within(old).queryAllByRole("button")).toEqual([]);
    expect((screen.getByLabelText("Allocation strategy") as HTMLSelectElement).value).toBe("PRIORITIZE_ORDER");

    fireEvent.click(screen.getByRole("button", { name: "Move rabat up" }));
    await screen.findByText("Moved Rabat warehouse up to priority 1.");
    expect(named(calls, "ReorderLocations")).toEqual([{ ids: ["loc-rabat", "loc-main"] }]);
    await waitFor(() => expect(within(table).getAllByRole("rowheader").map((h) => h.textContent)).toEqual(["Rabat warehouse", "Casablanca warehouse", "Old depot"]));
    expect((screen.getByRole("button", { name: "Move rabat up" }) as HTMLButtonElement).disabled).toBe(true);

    fireEvent.click(screen.getByRole("button", { name: "Deactivate rabat" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "This location still holds stock or reserved stock; transfer it elsewhere first. It holds 10 on hand, 2 of them reserved.",
    );
    expect(named(calls, "DeactivateLocation")).toEqual([{ id: "loc-rabat" }]);

    const form = screen.getByRole("form", { name: "New location" });
    const ships = within(form).getByLabelText("Ships to customers") as HTMLInputElement;
    expect(ships.checked).toBe(true);
    fireEvent.change(within(form).getByLabelText("Code"), { target: { value: "tanger" } });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Tangier returns" } });
    fireEvent.click(ships);
    fireEvent.click(within(form).getByRole("button", { name: "Add location" }));
    await within(table).findByRole("rowheader", { name: "Tangier returns" });
    expect(screen.queryByRole("alert")).toBeNull();
    expect(named(calls, "CreateLocation")).toEqual([{ input: { code: "tanger", name: "Tangier returns", shipsToCustomers: false } }]);
    expect((within(form).getByLabelText("Code") as HTMLInputElement).value).toBe("");
    expect(within(rowOf(table, "Tangier returns")).getAllByRole("cell")[3].textContent).toBe("no");

    fireEvent.change(screen.getByLabelText("Allocation strategy"), { target: { value: "PRIORITIZE_HIGH_STOCK" } });
    await screen.findByText(/^Saved\. Reservations take stock from the location with the most available first\./);
    expect(named(calls, "SetStrategy")).toEqual([{ strategy: "PRIORITIZE_HIGH_STOCK" }]);
    expect((screen.getByLabelText("Allocation strategy") as HTMLSelectElement).value).toBe("PRIORITIZE_HIGH_STOCK");
  });

  it("shows staff the locations without the controls", async () => {
    serve({ LocationsPage: () => ({ stockLocations: warehouses(), allocationStrategy: "PRIORITIZE_HIGH_STOCK" }) });
    renderWithApi(<LocationsView manage={false} />);
    const table = await screen.findByRole("table", { name: "Stock locations" });
    await within(table).findByRole("rowheader", { name: "Rabat warehouse" });
    expect(screen.queryAllByRole("button")).toEqual([]);
    expect(screen.queryByRole("form", { name: "New location" })).toBeNull();
    const select = screen.getByLabelText("Allocation strategy") as HTMLSelectElement;
    expect(select.disabled).toBe(true);
    expect(select.value).toBe("PRIORITIZE_HIGH_STOCK");
    expect(screen.getByText("The store's owners and managers change its locations.")).toBeTruthy();
  });
});

type Level = { onHand: number; reserved: number };

function inventoryApi(levels: Record<string, Level>, transfer?: (variables: Record<string, unknown>) => void) {
  const locations = warehouses();
  const level = (id: string) => {
    const l = locations.find((p) => p.id === id) as Place;
    const { onHand, reserved } = levels[id];
    return { sku: "HOODIE-GRY-M", onHand, reserved, available: onHand - reserved, lowStock: false, location: { id, code: l.code, name: l.name, active: l.active, isDefault: l.isDefault } };
  };
  const total = () => Object.values(levels).reduce((sum, l) => ({ onHand: sum.onHand + l.onHand, reserved: sum.reserved + l.reserved }), { onHand: 0, reserved: 0 });
  return serve({
    Stock: () => {
      const { onHand, reserved } = total();
      return { stockItems: { nodes: [{ sku: "HOODIE-GRY-M", onHand, reserved, available: onHand - reserved, reorderThreshold: 0, lowStock: false }] } };
    },
    LocationNames: () => ({ stockLocations: locations.map(({ id, code, name, active, isDefault, shipsToCustomers }) => ({ id, code, name, active, isDefault, shipsToCustomers })) }),
    StockLevels: () => ({ stockLevels: Object.keys(levels).map(level) }),
    TransferStock: (variables) => {
      transfer?.(variables);
      const { from, to, quantity } = variables as { from: string; to: string; quantity: number };
      levels[from].onHand -= quantity;
      levels[to].onHand += quantity;
      return { transferStock: { from: level(from), to: level(to) } };
    },
    Adjust: ({ delta, location }) => {
      levels[String(location ?? "loc-main")].onHand += Number(delta);
      return { adjustStock: { sku: "HOODIE-GRY-M", onHand: total().onHand, available: total().onHand - total().reserved } };
    },
  });
}

describe("the inventory's locations", () => {
  it("shows a SKU's stock by location and moves stock between two", async () => {
    const calls = inventoryApi({ "loc-main": { onHand: 3, reserved: 1 }, "loc-rabat": { onHand: 10, reserved: 0 } });
    renderWithApi(<Inventory />, "/vendor/inventory");
    fireEvent.click(await screen.findByRole("button", { name: "Locations of HOODIE-GRY-M" }));
    const levels = await screen.findByRole("table", { name: "Stock of HOODIE-GRY-M by location" });
    await within(levels).findByRole("rowheader", { name: "Casablanca warehouse" });
    expect(within(rowOf(levels, "Casablanca warehouse")).getAllByRole("cell").map((c) => c.textContent)).toEqual(["3", "1", "2"]);
    expect(within(rowOf(levels, "Rabat warehouse")).getAllByRole("cell").map((c) => c.textContent)).toEqual(["10", "0", "10"]);

    const form = screen.getByRole("form", { name: "Transfer stock" });
    const from = within(form).getByLabelText("From") as HTMLSelectElement;
    const to = within(form).getByLabelText("To") as HTMLSelectElement;
    // Active locations only, by name; from the default one to the next at first.
    expect([...from.options].map((o) => o.text)).toEqual(["Casablanca warehouse", "Rabat warehouse"]);
    expect(from.value).toBe("loc-main");
    expect(to.value).toBe("loc-rabat");
    fireEvent.change(within(form).getByLabelText("SKU"), { target: { value: "HOODIE-GRY-M" } });
    fireEvent.change(from, { target: { value: "loc-rabat" } });
    fireEvent.change(to, { target: { value: "loc-main" } });
    fireEvent.change(within(form).getByLabelText("Quantity"), { target: { value: "4" } });
    fireEvent.change(within(form).getByLabelText("Reason"), { target: { value: "restocking the shop" } });
    fireEvent.click(within(form).getByRole("button", { name: "Transfer" }));
    expect((await within(form).findByRole("status")).textContent).toBe("Moved 4 of HOODIE-GRY-M from Rabat warehouse to Casablanca warehouse");
    expect(named(calls, "TransferStock")).toEqual([{ sku: "HOODIE-GRY-M", from: "loc-rabat", to: "loc-main", quantity: 4, reason: "restocking the shop" }]);
    // The levels load afresh; the SKU's totals stay.
    const after = await screen.findByRole("table", { name: "Stock of HOODIE-GRY-M by location" });
    await waitFor(() => expect(within(rowOf(after, "Casablanca warehouse")).getAllByRole("cell").map((c) => c.textContent)).toEqual(["7", "1", "6"]));
    expect(within(rowOf(after, "Rabat warehouse")).getAllByRole("cell").map((c) => c.textContent)).toEqual(["6", "0", "6"]);
    expect(screen.getByTestId("on-hand-HOODIE-GRY-M").textContent).toBe("13");
    expect(named(calls, "Stock").length).toBeGreaterThanOrEqual(2);
    expect((within(form).getByLabelText("Quantity") as HTMLInputElement).value).toBe("");

    // An adjustment at a location other than the default one names it.
    fireEvent.change(screen.getByLabelText("Location for adjustments"), { target: { value: "loc-rabat" } });
    fireEvent.change(screen.getByLabelText("Change of HOODIE-GRY-M"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Adjust HOODIE-GRY-M" }));
    await waitFor(() => expect(screen.getByTestId("on-hand-HOODIE-GRY-M").textContent).toBe("18"));
    expect(named(calls, "Adjust")).toEqual([{ sku: "HOODIE-GRY-M", delta: 5, reason: "stock count", location: "loc-rabat" }]);
    await waitFor(() => expect(screen.getByTestId("on-hand-HOODIE-GRY-M-at-rabat").textContent).toBe("11"));
  });

  it("says how much the source has when it has too little, and checks the form first", async () => {
    const calls = inventoryApi({ "loc-main": { onHand: 2, reserved: 1 }, "loc-rabat": { onHand: 10, reserved: 0 } }, ({ quantity }) => {
      if (Number(quantity) > 1) throw refusal("INSUFFICIENT_STOCK", { sku: "HOODIE-GRY-M", requested: quantity, available: 1 });
    });
    renderWithApi(<Inventory />);
    const form = await screen.findByRole("form", { name: "Transfer stock" });
    await waitFor(() => expect((within(form).getByLabelText("To") as HTMLSelectElement).value).toBe("loc-rabat"));
    fireEvent.change(within(form).getByLabelText("SKU"), { target: { value: "HOODIE-GRY-M" } });
    fireEvent.change(within(form).getByLabelText("Reason"), { target: { value: "rebalancing" } });
    fireEvent.change(within(form).getByLabelText("Quantity"), { target: { value: "1.5" } });
    fireEvent.click(within(form).getByRole("button", { name: "Transfer" }));
    expect((await within(form).findByRole("alert")).textContent).toBe("Please enter a whole number of units above zero.");
    fireEvent.change(within(form).getByLabelText("To"), { target: { value: "loc-main" } });
    fireEvent.change(within(form).getByLabelText("Quantity"), { target: { value: "3" } });
    fireEvent.click(within(form).getByRole("button", { name: "Transfer" }));
    await within(form).findByText("Choose two different locations.");
    expect(named(calls, "TransferStock")).toEqual([]);

    fireEvent.change(within(form).getByLabelText("To"), { target: { value: "loc-rabat" } });
    fireEvent.click(within(form).getByRole("button", { name: "Transfer" }));
    expect((await within(form).findByText(/^Only /)).textContent).toBe("Only 1 of HOODIE-GRY-M available at Casablanca warehouse.");
    expect(within(form).queryByRole("status")).toBeNull();
    expect(named(calls, "TransferStock")).toHaveLength(1);
  });
});

const vendorOrder = (id: string, status: string, lines: { sku: string; quantity: number }[]) => ({
  id, status, paymentMethod: "OFFLINE", allowedTransitions: ["SHIPPED", "CANCELLED"], total: eur(11800), createdAt: "2026-12-01T10:00:00Z", lines,
});

describe("the orders' allocations", () => {
  it("shows where each line is held, split lines once per location, with one request for the page", async () => {
    const calls = serve({
      VendorOrders: () => ({
        orders: {
          nodes: [
            vendorOrder("order-aaa111", "PROCESSING", [{ sku: "HOODIE-GRY-M", quantity: 2 }, { sku: "TEE-BLK-M", quantity: 1 }]),
            vendorOrder("order-bbb222", "PROCESSING", [{ sku: "TEE-BLK-M", quantity: 1 }]),
          ],
        },
      }),
      LocationNames: () => ({ stockLocations: warehouses().map(({ id, code, name, active, isDefault, shipsToCustomers }) => ({ id, code, name, active, isDefault, shipsToCustomers })) }),
      OrderAllocations: (variables) => ({
        o0: {
          __typename: "Reservation",
          orderId: variables.o0,
          allocations: [
            { __typename: "Allocation", sku: "HOODIE-GRY-M", locationId: "loc-main", quantity: 1 },
            { __typename: "Allocation", sku: "HOODIE-GRY-M", locationId: "loc-rabat", quantity: 1 },
            { __typename: "Allocation", sku: "TEE-BLK-M", locationId: "loc-main", quantity: 1 },
          ],
        },
        o1: null,
      }),
    });
    renderWithApi(<VendorOrdersView />, "/vendor");
    const held = await screen.findByRole("list", { name: "Allocation of order aaa111" });
    await within(held).findByText("HOODIE-GRY-M: 1 from Rabat warehouse");
    expect(within(held).getAllByRole("listitem").map((li) => li.textContent)).toEqual([
      "HOODIE-GRY-M: 1 from Casablanca warehouse",
      "HOODIE-GRY-M: 1 from Rabat warehouse",
      "TEE-BLK-M: 1 from Casablanca warehouse",
    ]);
    expect(screen.getByRole("button", { name: "Mark aaa111 shipped" })).toBeTruthy();
    expect(screen.queryByRole("list", { name: "Allocation of order bbb222" })).toBeNull();
    expect(named(calls, "OrderAllocations")).toEqual([{ o0: "order-aaa111", o1: "order-bbb222" }]);
    const sent = (calls.find((c) => c.operationName === "OrderAllocations") as Call & { query: string }).query;
    expect(sent).toMatch(/o1: reservation\(orderId: \$o1\) \{\s*\.\.\.OrderAllocation/);
    expect(sent).toMatch(/fragment OrderAllocation on Reservation \{\s*orderId\s*allocations \{\s*sku\s*locationId\s*quantity/);
    expect(named(calls, "LocationNames")).toHaveLength(1);
  });
});
