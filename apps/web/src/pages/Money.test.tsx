import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eur, renderWithApi, serve } from "../test/fakeApi";
import { Orders } from "./Account";
import { ManualPaymentsToggle } from "./AdminPayments";
import { PayoutsView } from "./VendorPayouts";
import { RefundControl } from "./VendorRefund";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const myOrder = (id: string, status: string, checkoutId: string) => ({
  id, checkoutId, status, paymentMethod: "CARD", allowedTransitions: status === "PENDING" ? ["PAID", "CANCELLED", "EXPIRED"] : ["PROCESSING", "CANCELLED", "REFUNDED"],
  total: eur(1000), createdAt: "2026-12-01T10:00:00Z", lines: [{ sku: `SKU-${id}`, title: "Tea", quantity: 1 }], history: [],
});
const share = (orderId: string, status: string, refunded = 0, note: string | null = null) => ({
  orderId, status, paid: eur(status === "AWAITING" ? 0 : 1000), refunded: eur(refunded), note,
  refunds: refunded ? [{ id: `r-${orderId}`, amount: eur(refunded), reason: note ?? "damaged box", automatic: Boolean(note), done: true, createdAt: "2026-12-02T10:00:00Z" }] : [],
});

describe("the customer's orders", () => {
  it("shows what was paid and refunded, and offers an open checkout's payment once", async () => {
    let paid = false;
    const calls = serve({
      MyOrders: () => ({
        myOrders: {
          nodes: [
            myOrder("order-000001", paid ? "PAID" : "PENDING", "chk-open"),
            myOrder("order-000002", paid ? "PAID" : "PENDING", "chk-open"),
            myOrder("order-000003", "PAID", "chk-old"),
          ],
        },
      }),
      CustomerOrderPayment: ({ orderId }) => ({
        orderPayment: orderId === "order-000003" ? share(orderId, "PAID", 100, "the item sold out meanwhile") : share(String(orderId), paid ? "PAID" : "AWAITING"),
      }),
      CheckoutPayment: ({ checkoutId }) => ({ checkoutPayment: { checkoutId, provider: "TEST", status: paid ? "SUCCEEDED" : "OPEN", amount: eur(2000), clientSecret: null, failure: null } }),
      PayTestCheckout: ({ checkoutId }) => {
        paid = true;
        return { payTestCheckout: { checkoutId, provider: "TEST", status: "SUCCEEDED", amount: eur(2000), clientSecret: null, failure: null } };
      },
    });
    renderWithApi(<Orders />);
    const old = await screen.findByRole("listitem", { name: "Order 000003" });
    await within(old).findByText("Paid €10.00, refunded €1.00");
    expect(within(old).getByText("Refunded by Souk: the item sold out meanwhile")).toBeTruthy();
    expect(within(old).queryByRole("button", { name: /Cancel order/ })).toBeNull();

    const group = await screen.findByRole("group", { name: "Payment of orders 000001, 000002" });
    expect(screen.getAllByRole("button", { name: "Pay (test)" })).toHaveLength(1);
    expect(within(group).getByText(/Waiting for your payment of €20\.00/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Cancel order 000001" })).toBeTruthy();
    fireEvent.click(within(group).getByRole("button", { name: "Pay (test)" }));
    await waitFor(() => expect(screen.queryByRole("group", { name: /Payment of orders/ })).toBeNull());
    await within(screen.getByRole("listitem", { name: "Order 000001" })).findByText("Paid €10.00");
    expect(calls.filter((c) => c.operationName === "PayTestCheckout").map((c) => c.variables)).toEqual([{ checkoutId: "chk-open", succeed: true }]);
  });
});

describe("a vendor's refund", () => {
  it("sends the amount in minor units with the reason, and reports the result", async () => {
    let refunded = 0;
    const answer = () => ({
      orderId: "order-abcdef", status: "PAID", paid: eur(5900), refunded: eur(refunded), commission: eur(325), transferred: eur(5575),
      refunds: refunded ? [{ id: "r1", amount: eur(refunded), reason: "damaged box", automatic: false, goodsReturned: false, done: true, createdAt: "2026-12-02T10:00:00Z" }] : [],
    });
    const calls = serve({
      VendorOrderPayment: () => ({ orderPayment: answer() }),
      RefundOrder: ({ amount }) => {
        refunded += Number(amount);
        return { refundOrder: answer() };
      },
    });
    const done = vi.fn();
    renderWithApi(<RefundControl orderId="order-abcdef" currency="EUR" onDone={done} />);
    fireEvent.click(screen.getByRole("button", { name: "Refund abcdef" }));
    const form = screen.getByRole("form", { name: "Refund order abcdef" });
    await within(form).findByText(/^Paid €59\.00, refunded €0\.00, commission €3\.25, transferred to you €55\.75/);
    fireEvent.change(within(form).getByLabelText(/^Amount/), { target: { value: "1.00" } });
    fireEvent.change(within(form).getByLabelText("Reason"), { target: { value: "damaged box" } });
    fireEvent.click(within(form).getByRole("button", { name: "Send refund" }));
    await waitFor(() => expect(done).toHaveBeenCalledWith("Refunded €1.00 of order abcdef: €1.00 of €59.00 went back to the customer."));
    expect(calls.find((c) => c.operationName === "RefundOrder")?.variables).toEqual({ orderId: "order-abcdef", amount: 100, reason: "damaged box", goodsReturned: false, idempotencyKey: expect.any(String) });
  });

  it("says how much is left when asked for too much", async () => {
    serve({
      VendorOrderPayment: () => ({ orderPayment: null }),
      RefundOrder: () => {
        throw new Error("REFUND_TOO_LARGE");
      },
    });
    renderWithApi(<RefundControl orderId="order-abcdef" currency="EUR" onDone={vi.fn()} />);
    fireEvent.click(screen.getByRole("button", { name: "Refund abcdef" }));
    fireEvent.change(screen.getByLabelText("Reason"), { target: { value: "oops" } });
    fireEvent.click(screen.getByRole("button", { name: "Send refund" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/^That is more than is left to refund on this order\./);
  });
});

describe("the payouts page", () => {
  it("sets up payouts, shows the balance and pages through the ledger by kind", async () => {
    let account: unknown = null;
    const entry = (n: number, kind: string) => ({ cursor: String(n), node: { orderId: `order-00000${n}`, kind, amount: eur(-900), providerObject: `tr_${n}`, at: "2026-12-02T10:00:00Z" } });
    const calls = serve({
      Payouts: ({ after }) => ({
        payouts: {
          account,
          balances: [{ currency: "EUR", earned: 5575, pending: 0, transferable: 5575, transferred: 0 }],
          entries: after
            ? { edges: [entry(1, "CHARGE")], pageInfo: { hasNextPage: false, endCursor: "1" } }
            : { edges: [entry(2, "TRANSFER")], pageInfo: { hasNextPage: true, endCursor: "2" } },
        },
      }),
      ConnectPayouts: () => {
        account = { accountId: "acct_1", payoutsEnabled: true, chargesEnabled: true, requirementsDue: [] };
        return { connectPayouts: { url: "http://localhost/vendor/payouts?onboarding=done", account } };
      },
    });
    renderWithApi(<PayoutsView owner />, "/vendor/payouts");
    expect(await screen.findByText("Payouts are not set up yet: what you earn waits for them.")).toBeTruthy();
    within(screen.getByRole("table", { name: "Balance" })).getByText("€55.75", { selector: "td:nth-child(2)" });
    fireEvent.click(screen.getByRole("button", { name: "Set up payouts" }));
    await screen.findByText("Account acct_1: payouts enabled, charges enabled.");
    expect(screen.queryByRole("button", { name: "Set up payouts" })).toBeNull();
    expect(screen.queryByRole("link", { name: /Continue setting up payouts/ })).toBeNull();

    const ledger = screen.getByRole("table", { name: "Payouts ledger" });
    expect(within(ledger).getByRole("cell", { name: "transfer" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Older entries" }));
    await within(ledger).findByRole("cell", { name: "charge" });
    expect(calls.filter((c) => c.operationName === "Payouts").at(-1)?.variables).toMatchObject({ after: "2" });
    fireEvent.change(screen.getByLabelText("Kind"), { target: { value: "TRANSFER" } });
    await within(ledger).findByRole("cell", { name: "transfer" });
    expect(calls.filter((c) => c.operationName === "Payouts").at(-1)?.variables).toEqual({ kind: "TRANSFER" });
  });

  it("leaves setting up payouts to the owner", async () => {
    serve({ Payouts: () => ({ payouts: { account: null, balances: [], entries: { edges: [], pageInfo: { hasNextPage: false, endCursor: null } } } }) });
    renderWithApi(<PayoutsView owner={false} />);
    expect(await screen.findByText("The store's owner sets up payouts.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Set up payouts" })).toBeNull();
  });
});

describe("offline payments", () => {
  it("is mixed until an admin sets it", async () => {
    const calls = serve({ SetManualPayments: ({ enabled }) => ({ setManualPayments: enabled }) });
    renderWithApi(<ManualPaymentsToggle vendorId="v1" name="Cedar Kitchen" />);
    const box = screen.getByRole("checkbox", { name: "Allow offline payments for Cedar Kitchen" }) as HTMLInputElement;
    expect(box.indeterminate).toBe(true);
    fireEvent.click(box);
    await waitFor(() => expect(box.checked).toBe(true));
    expect(box.indeterminate).toBe(false);
    expect(calls[0].variables).toEqual({ vendorId: "v1", enabled: true });
  });
});
