import { CombinedError } from "urql";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { availableStock, describe as explain, MESSAGES, shortages } from "./errors";

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

  it("says what a location had available when a transfer or adjustment asked for more", () => {
    expect(availableStock(failure("INSUFFICIENT_STOCK", { sku: "TEA", requested: 5, available: 2 }))).toBe(2);
    expect(availableStock(failure("INSUFFICIENT_STOCK", { sku: "TEA", onHand: 7, reserved: 4, requested: -5 }))).toBe(3);
    expect(availableStock(failure("INSUFFICIENT_STOCK"))).toBeUndefined();
    expect(availableStock(failure("LOCATION_INACTIVE", { available: 2 }))).toBeUndefined();
  });
});

import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function rustSources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "target" || name === "node_modules") return [];
    if (statSync(path).isDirectory()) return rustSources(path);
    return name.endsWith(".rs") ? [path] : [];
  });
}

describe("the server's error codes", () => {
  it("each has a message here", () => {
    const root = join(__dirname, "../../../..");
    const pattern = /ApiError::new\(\s*"([A-Z_]{4,})"|InvalidValue::new\(\s*"([A-Z_]{4,})"|=> "([A-Z_]{4,})"|"code", "([A-Z_]{4,})"/g;
    const found = new Set<string>();
    for (const dir of ["apps", "billing", "tenants"]) {
      for (const file of rustSources(join(root, dir))) {
        for (const match of readFileSync(file, "utf8").matchAll(pattern)) {
          const code = match.slice(1).find(Boolean);
          if (code) found.add(code);
        }
      }
    }
    expect(found.size).toBeGreaterThan(30);
    const missing = [...found].filter((code) => !(code in MESSAGES));
    expect(missing).toEqual([]);
  });
});
