import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import type { OrderStatus } from "../gql/graphql";
import { save } from "../lib/cart";
import type { Payment } from "../lib/payments";
import { eur, renderWithApi, serve } from "../test/fakeApi";
import { PaymentStep, type PlacedCheckout } from "./Payment";

const order = (id: string, status: OrderStatus, amount: number) => ({ id, vendorId: `v-${id}`, status, paymentMethod: "CARD", total: eur(amount) });
const payment = (status: Payment["status"], provider: Payment["provider"] = "TEST", more: Partial<Payment> = {}): Payment => ({
  checkoutId: "chk-1", provider, status, amount: eur(2200), clientSecret: null, failure: null, ...more,
});
const placed = (pay: Payment): PlacedCheckout => ({
  checkoutId: "chk-1",
  orders: [order("order-aaaaaa", "PENDING", 1000), order("order-bbbbbb", "PENDING", 1200)],
  payment: pay,
});

const renderStep = (checkout: PlacedCheckout) => renderWithApi(<PaymentStep placed={checkout} />);

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
  sessionStorage.clear();
  delete window.Stripe;
});

describe("the payment step", () => {
  it("places the order, pays with the test provider and shows the orders paid", async () => {
    sessionStorage.setItem("souk.session", JSON.stringify({ person: { token: "t", email: "amira@example.com", admin: false } }));
    save([
      { productId: "p-TEA", sku: "TEA", title: "Tea", vendorId: "v-a", vendorName: "Tea House", unitPrice: 500, currency: "EUR", quantity: 2 },
      { productId: "p-OIL", sku: "OIL", title: "Oil", vendorId: "v-b", unitPrice: 1200, currency: "EUR", quantity: 1 },
    ]);
    let paid = false;
    const calls = serve({
      Addresses: () => ({ addresses: [] }),
      Checkout: () => ({ checkout: placed(payment("OPEN")) }),
      PayTestCheckout: ({ succeed }) => {
        paid = succeed === true;
        return { payTestCheckout: payment("SUCCEEDED") };
      },
      PlacedOrder: ({ id }) => ({ order: { id, status: paid ? "PAID" : "PENDING", total: eur(id === "order-aaaaaa" ? 1000 : 1200) } }),
    });
    render(
      <MemoryRouter initialEntries={["/cart"]}>
        <App />
      </MemoryRouter>,
    );
    const fields: [string, string][] = [["Recipient", "Amira Haddad"], ["Street and number", "1 Souk Street"], ["City", "Tunis"], ["Postal code", "1000"], ["Country (2 letters)", "TN"]];
    for (const [label, value] of fields) fireEvent.change(screen.getByLabelText(label), { target: { value } });
    expect((screen.getByLabelText("Pay online now") as HTMLInputElement).checked).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Place order" }));

    await screen.findByRole("heading", { name: "Pay for your order" });
    expect(calls.find((c) => c.operationName === "Checkout")?.variables.input).toMatchObject({ paymentMethod: "CARD" });
    expect(screen.getByText("Your checkout became 2 orders, one per store:")).toBeTruthy();
    expect(screen.getByText("To pay: €22.00")).toBeTruthy();
    const pay = screen.getByRole("button", { name: "Pay (test)" });
    expect(pay.getAttribute("aria-describedby")).toBeTruthy();
    expect(screen.getByText(/test provider\): no money moves/)).toBeTruthy();
    expect(screen.getByRole("button", { name: "Decline (test)" })).toBeTruthy();

    fireEvent.click(pay);
    await screen.findByRole("heading", { name: "Thank you: your order is placed" });
    expect(calls.find((c) => c.operationName === "PayTestCheckout")?.variables).toEqual({ checkoutId: "chk-1", succeed: true });
    await screen.findByText("Order aaaaaa — €10.00 — paid");
    await screen.findByText("Order bbbbbb — €12.00 — paid");
    expect(screen.getByRole("status").textContent).toBe("Paid €22.00 with the test provider (no money moved).");
    expect(screen.getByText("Your checkout became 2 orders, one per store:")).toBeTruthy();
    expect(screen.getByRole("link", { name: "See my orders" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Pay (test)" })).toBeNull();
  });

  it("says so when the test payment is declined, and the orders are cancelled", async () => {
    serve({
      PayTestCheckout: () => ({ payTestCheckout: payment("FAILED", "TEST", { failure: "the test card was declined" }) }),
      PlacedOrder: ({ id }) => ({ order: { id, status: "CANCELLED", total: eur(1000) } }),
    });
    renderStep(placed(payment("OPEN")));
    fireEvent.click(screen.getByRole("button", { name: "Decline (test)" }));
    await screen.findByRole("heading", { name: "Your payment did not go through" });
    expect(screen.getByRole("alert").textContent).toMatch(/the test card was declined\. Nothing was charged/);
    await screen.findByText("Order aaaaaa — €10.00 — cancelled");
  });

  it("turns a refused test payment into a sentence", async () => {
    serve({
      PayTestCheckout: () => {
        throw new Error("TEST_PROVIDER_DISABLED");
      },
    });
    renderStep(placed(payment("OPEN")));
    fireEvent.click(screen.getByRole("button", { name: "Pay (test)" }));
    expect((await screen.findByRole("alert")).textContent).toBe("Test payments are switched off here.");
    expect(screen.getByRole("heading", { name: "Pay for your order" })).toBeTruthy();
  });

  it("tells an offline checkout how it is paid", () => {
    serve({});
    renderStep(placed(payment("OPEN", "MANUAL")));
    expect(screen.getByRole("heading", { name: "Thank you: your order is placed" })).toBeTruthy();
    expect(screen.getByText(/on delivery or by bank transfer/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Pay (test)" })).toBeNull();
  });

  it("mounts Stripe's Payment Element and waits for the webhook after confirming", async () => {
    const mount = vi.fn();
    const confirmPayment = vi.fn(async () => ({ paymentIntent: { status: "succeeded" } }));
    const elements = vi.fn(() => ({ create: () => ({ mount, destroy: vi.fn() }) }));
    const factory = vi.fn(() => ({ elements, confirmPayment }));
    window.Stripe = factory;
    serve({
      PaymentSettings: () => ({ paymentSettings: { provider: "STRIPE", publishableKey: "pk_test_1" } }),
      CheckoutPayment: () => ({ checkoutPayment: payment("SUCCEEDED", "STRIPE") }),
      PlacedOrder: ({ id }) => ({ order: { id, status: "PAID", total: eur(1000) } }),
    });
    renderStep(placed(payment("OPEN", "STRIPE", { clientSecret: "pi_1_secret_2" })));
    const submit = await screen.findByRole("button", { name: "Pay €22.00" });
    await waitFor(() => expect(mount).toHaveBeenCalled());
    expect(factory).toHaveBeenCalledWith("pk_test_1");
    expect(elements).toHaveBeenCalledWith({ clientSecret: "pi_1_secret_2" });
    await waitFor(() => expect((submit as HTMLButtonElement).disabled).toBe(false));
    fireEvent.click(submit);
    await screen.findByRole("heading", { name: "Thank you: your order is placed" });
    expect(confirmPayment).toHaveBeenCalledWith(expect.objectContaining({ redirect: "if_required" }));
  });
});
