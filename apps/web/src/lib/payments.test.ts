import { describe, expect, it } from "vitest";
import { manualSteps, refundable } from "./payments";

describe("the steps a card payment leaves to people", () => {
  it("keeps paid, refunded and cancelled away from card orders, not offline ones", () => {
    expect(manualSteps("PENDING", "CARD", ["PAID", "CANCELLED"])).toEqual(["CANCELLED"]);
    expect(manualSteps("PAID", "CARD", ["PROCESSING", "CANCELLED", "REFUNDED"])).toEqual(["PROCESSING"]);
    expect(manualSteps("SHIPPED", "CARD", ["DELIVERED", "REFUNDED"])).toEqual(["DELIVERED"]);
    expect(manualSteps("PENDING", "MANUAL", ["PAID", "CANCELLED"])).toEqual(["PAID", "CANCELLED"]);
  });

  it("refunds paid card orders only", () => {
    expect(refundable("SHIPPED", "CARD")).toBe(true);
    expect(refundable("PENDING", "CARD")).toBe(false);
    expect(refundable("REFUNDED", "CARD")).toBe(false);
    expect(refundable("PAID", "MANUAL")).toBe(false);
  });
});
