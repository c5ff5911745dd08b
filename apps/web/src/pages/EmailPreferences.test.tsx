import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { renderWithApi, serve } from "../test/fakeApi";
import { EmailPreferences } from "./EmailPreferences";

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("email preferences", () => {
  it("shows the person's choices and changes only the one they switch", async () => {
    let chosen = { orderUpdates: true, newOrders: false };
    const calls = serve({
      NotificationPreferences: () => ({ notificationPreferences: chosen }),
      UpdateNotificationPreferences: (v) => {
        chosen = { ...chosen, ...v };
        return { updateNotificationPreferences: chosen };
      },
    });
    renderWithApi(<EmailPreferences />);
    const updates = await screen.findByRole("checkbox", { name: /paid, shipped, delivered/ });
    const alerts = screen.getByRole("checkbox", { name: /each new order/ });
    expect((updates as HTMLInputElement).checked).toBe(true);
    expect((alerts as HTMLInputElement).checked).toBe(false);
    fireEvent.click(updates);
    await waitFor(() => expect((screen.getByRole("checkbox", { name: /paid, shipped/ }) as HTMLInputElement).checked).toBe(false));
    const change = calls.find((c) => c.operationName === "UpdateNotificationPreferences");
    expect(change?.variables).toEqual({ orderUpdates: false });
    expect((screen.getByRole("checkbox", { name: /each new order/ }) as HTMLInputElement).checked).toBe(false);
  });

  it("says why when a change is refused", async () => {
    serve({
      NotificationPreferences: () => ({ notificationPreferences: { orderUpdates: true, newOrders: false } }),
      UpdateNotificationPreferences: () => { throw new Error("UNAUTHENTICATED"); },
    });
    renderWithApi(<EmailPreferences />);
    fireEvent.click(await screen.findByRole("checkbox", { name: /each new order/ }));
    expect(await screen.findByRole("alert")).toBeTruthy();
  });
});
