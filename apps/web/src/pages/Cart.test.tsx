import { cleanup, render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router-dom";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "../App";
import { save, type CartLine } from "../lib/cart";

const line = (vendorId: string, sku: string, unitPrice: number, quantity: number): CartLine => ({
  productId: `p-${sku}`, sku, title: `Item ${sku}`, vendorId, unitPrice, currency: "EUR", quantity,
});

afterEach(() => {
  cleanup();
  localStorage.clear();
  sessionStorage.clear();
});

describe("the cart page", () => {
  it("shows one order per vendor with subtotals, and asks a visitor to sign in", () => {
    save([{ ...line("vendor-aaaaaaaa", "TEA", 500, 2), vendorName: "Tea House", image: "/media/t/h/w160.webp" }, line("vendor-bbbbbbbb", "OIL", 1200, 1)]);
    // Signed out: the cart renders from the browser's storage, with no request.
    render(
      <MemoryRouter initialEntries={["/cart"]}>
        <App />
      </MemoryRouter>,
    );
    expect(screen.getByText("Items from 2 stores: the checkout places one order with each.")).toBeTruthy();
    expect(screen.getByText("Order 1 — Tea House")).toBeTruthy();
    expect(screen.getByText("Order 2 — store bbbbbbbb")).toBeTruthy();
    expect(screen.getByText("Total €22.00")).toBeTruthy();
    const pictures = document.querySelectorAll("img.cart-thumb");
    expect([...pictures].map((i) => i.getAttribute("src"))).toEqual(["/media/t/h/w160.webp"]);
    expect(screen.getAllByRole("link", { name: "Sign in" })).toHaveLength(2);
    expect(screen.getByRole("link", { name: /Cart \(3\)/ })).toBeTruthy();
  });
});
