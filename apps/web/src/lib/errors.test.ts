import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { describe as explain, MESSAGES, shortages } from "./errors";

const failure = (code: string, extra: Record<string, unknown> = {}) =>
  new CombinedError({ graphQLErrors: [new GraphQLError("server text", { extensions: { code, ...extra } })] });

describe("error messages", () => {
  it("gives every code a human sentence and never the server's text", () => {
    for (const code of Object.keys(MESSAGES)) {
      expect(explain(failure(code))).toBe(MESSAGES[code]);
    }
    expect(explain(failure("SOMETHING_NEW"))).toBe(MESSAGES.INTERNAL);
    expect(explain(new CombinedError({ networkError: new Error("offline") }))).toMatch(/cannot be reached/);
  });

  it("names the short SKUs of a refused checkout", () => {
    const short = [{ sku: "TEA", requested: 2, available: 0 }];
    expect(shortages(failure("INSUFFICIENT_STOCK", { shortages: short }))).toEqual(short);
    expect(shortages(failure("FORBIDDEN"))).toEqual([]);
  });
});
