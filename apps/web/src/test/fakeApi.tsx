import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router-dom";
import { Client, Provider, fetchExchange } from "urql";
import { vi } from "vitest";

// The API, faked at `fetch` for component tests: each operation, by name,
// answers what its handler returns as `data`, or a GraphQL error whose code
// is the message of what the handler throws (with the `extensions` of a
// `refusal`, if any).
export type Handler = (variables: Record<string, unknown>) => unknown;
export type Call = { operationName: string; variables: Record<string, unknown> };

export function serve(handlers: Record<string, Handler>): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (_url: string, init: RequestInit) => {
      const call = JSON.parse(String(init.body)) as Call;
      calls.push(call);
      const handler = handlers[call.operationName];
      let body: unknown;
      try {
        if (!handler) throw new Error("INTERNAL");
        body = { data: handler(call.variables ?? {}) };
      } catch (error) {
        const extensions = (error as { extensions?: Record<string, unknown> }).extensions;
        body = { data: null, errors: [{ message: "refused", extensions: { ...extensions, code: (error as Error).message } }] };
      }
      return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    }),
  );
  return calls;
}

/** Renders `ui` with a fresh GraphQL client (no cache) inside a router. */
export function renderWithApi(ui: ReactNode, path = "/") {
  const client = new Client({ url: "/graphql", exchanges: [fetchExchange], preferGetMethod: false });
  return render(
    <Provider value={client}>
      <MemoryRouter initialEntries={[path]}>{ui}</MemoryRouter>
    </Provider>,
  );
}

/** An error for a handler to throw: the code, with more extensions. */
export function refusal(code: string, extensions: Record<string, unknown>): Error {
  return Object.assign(new Error(code), { extensions });
}

export const eur = (amount: number) => ({ amount, currency: "EUR" });
