import { describe, expect, it } from "vitest";
import { add, byVendor, setQuantity, total, type CartLine } from "./cart";

const line = (vendorId: string, sku: string, unitPrice: number, quantity = 1): CartLine => ({
  productId: `p-${sku}`,
  sku,
  title: sku,
  vendorId,
  unitPrice,
  currency: "EUR",
  quantity,
});

describe("the cart", () => {
  it("merges the same item and splits by vendor as the checkout will", () => {
    let lines = add([], line("a", "TEA", 500));
    lines = add(lines, line("b", "OIL", 1200, 2));
    lines = add(lines, line("a", "TEA", 500, 2));
    expect(lines).toHaveLength(2);
    const groups = byVendor(lines);
    expect(groups.map((g) => [g.vendorId, g.subtotal])).toEqual([["a", 1500], ["b", 2400]]);
    expect(total(lines)).toBe(3900);
  });

  it("drops a line set to zero", () => {
    const lines = setQuantity([line("a", "TEA", 500, 3)], "TEA", "p-TEA", 0);
    expect(lines).toEqual([]);
  });
});
