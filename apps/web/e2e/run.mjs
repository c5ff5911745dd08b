// End-to-end tests of the web apps in a real browser (Debian's chromium driven by
// playwright-core) against a running platform with the demo data.
//
//   SOUK_WEB_URL=http://127.0.0.1:8080 SOUK_DEMO_PASSWORD=… node e2e/run.mjs
//
// Screenshots of the key screens land in e2e/artifacts/.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

const base = process.env.SOUK_WEB_URL ?? "http://127.0.0.1:8080";
const password = process.env.SOUK_DEMO_PASSWORD;
assert.ok(password, "SOUK_DEMO_PASSWORD is the demo accounts' password");
const artifacts = new URL("./artifacts/", import.meta.url).pathname;
mkdirSync(artifacts, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
const consoleErrors = [];
let failures = 0;

async function session(name, run) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(`${name}: ${message.text()}`);
  });
  page.on("pageerror", (error) => consoleErrors.push(`${name}: ${error.message}`));
  try {
    await run(page);
    console.log(`ok   ${name}`);
  } catch (error) {
    failures += 1;
    console.log(`FAIL ${name}\n${error.stack ?? error}`);
    await page.screenshot({ path: `${artifacts}failed-${name.replace(/\W+/g, "-")}.png`, fullPage: true });
  } finally {
    await context.close();
  }
}

async function shot(page, name) {
  await page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true });
}

async function signIn(page, email, next = "/") {
  await page.goto(`${base}/signin?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: new RegExp(`Sign out ${email}`) }).waitFor();
}

async function register(page, email) {
  await page.goto(`${base}/signin`);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill("a long enough password 42");
  await page.getByLabel("First name").fill("Amira");
  await page.getByLabel("Last name").fill("Haddad");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("button", { name: new RegExp(`Sign out ${email}`) }).waitFor();
}

async function addToCart(page, title, sku, quantity = 1) {
  await page.goto(base);
  await page.getByLabel("Search").fill(title);
  await page.getByRole("link", { name: title }).click();
  await page.getByRole("heading", { name: title }).waitFor();
  for (let i = 0; i < quantity; i += 1) {
    await page.getByRole("button", { name: `Add ${sku} to cart` }).click();
  }
  await page.getByRole("status").waitFor();
}

async function onHand(page, sku) {
  await page.goto(`${base}/vendor/inventory`);
  const cell = page.getByTestId(`on-hand-${sku}`);
  await cell.waitFor();
  return Number(await cell.textContent());
}

async function enterStore(page, owner, store) {
  await signIn(page, owner, "/vendor");
  await page.getByRole("button", { name: `Manage ${store}` }).click();
  await page.getByRole("heading", { name: "Orders" }).waitFor();
}

const stamp = Date.now();
let hoodieOrder = "";

await session("a customer buys from two vendors in one checkout", async (page) => {
  await register(page, `buyer-${stamp}@example.com`);
  await shot(page, "storefront");
  await addToCart(page, "Grey hoodie", "HOODIE-GRY-M");
  await shot(page, "product");
  await addToCart(page, "Cedar mug", "MUG-CEDAR");
  await page.getByRole("link", { name: /Cart \(2\)/ }).click();
  await page.getByText("Items from 2 stores: the checkout places one order with each.").waitFor();
  await page.getByText("Order 1 — Atlas Apparel").waitFor();
  await page.getByText("Order 2 — Cedar Kitchen").waitFor();
  await shot(page, "cart");
  await page.getByLabel("Recipient").fill("Amira Haddad");
  await page.getByLabel("Street and number").fill("1 Souk Street");
  await page.getByLabel("City").fill("Tunis");
  await page.getByLabel("Postal code").fill("1000");
  await page.getByLabel("Country (2 letters)").fill("TN");
  await page.getByRole("button", { name: "Place order" }).click();
  await page.getByRole("heading", { name: "Thank you: your order is placed" }).waitFor();
  await page.getByText("Your checkout became 2 orders, one per store:").waitFor();
  await shot(page, "order-placed");
  await page.getByRole("link", { name: "See my orders" }).click();
  const hoodie = page.getByRole("listitem", { name: /Order / }).filter({ hasText: "HOODIE-GRY-M" });
  await hoodie.waitFor();
  hoodieOrder = ((await hoodie.getAttribute("aria-label")) ?? "").replace("Order ", "");
  assert.match(hoodieOrder, /^[0-9a-f]{6}$/);
  await shot(page, "my-orders");
});

await session("a vendor ships the order and sees stock drop", async (page) => {
  await enterStore(page, "owner@atlas-apparel.example", "Atlas Apparel");
  const before = await onHand(page, "HOODIE-GRY-M");
  await shot(page, "vendor-inventory");
  await page.getByRole("link", { name: "Orders", exact: true }).click();
  for (const step of ["paid", "processing", "shipped"]) {
    await page.getByRole("button", { name: `Mark ${hoodieOrder} ${step}` }).click();
    await page.getByRole("button", { name: `Mark ${hoodieOrder} ${step}` }).waitFor({ state: "detached" });
  }
  await shot(page, "vendor-orders");
  assert.equal(await onHand(page, "HOODIE-GRY-M"), before - 1, "shipping takes the unit out of stock");
  await page.getByRole("button", { name: "HOODIE-GRY-M", exact: true }).click();
  await page.getByRole("table", { name: /History of HOODIE-GRY-M/ }).getByRole("cell", { name: /committed/ }).first().waitFor();
  await shot(page, "vendor-ledger");
  await page.getByRole("link", { name: "Plan and usage" }).click();
  await page.getByRole("img", { name: /Requests per day/ }).waitFor();
  await page.getByRole("table", { name: /Invoice so far/ }).waitFor();
  await shot(page, "vendor-billing");
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("cell", { name: "order.change_status" }).first().waitFor();
  await shot(page, "vendor-audit-log");
});

await session("a second customer is told an item ran out", async (page) => {
  await register(page, `late-${stamp}@example.com`);
  await addToCart(page, "Clay teapot", "TEAPOT-CLAY");
  await page.goto(`${base}/cart`);
  await page.getByLabel("Quantity of TEAPOT-CLAY").fill("50");
  await page.getByLabel("Recipient").fill("Sami Ben Ali");
  await page.getByLabel("Street and number").fill("2 Medina Road");
  await page.getByLabel("City").fill("Sfax");
  await page.getByLabel("Postal code").fill("3000");
  await page.getByLabel("Country (2 letters)").fill("TN");
  await page.getByRole("button", { name: "Place order" }).click();
  await page.getByText(/Only \d+ left of TEAPOT-CLAY\./).waitFor();
  await page.getByText("Some items ran out of stock.").waitFor();
  await shot(page, "out-of-stock");
});

await session("an admin suspends a vendor and its products vanish", async (page) => {
  await page.goto(base);
  await page.getByLabel("Search").fill("atlas of markets");
  await page.getByRole("link", { name: "An atlas of markets" }).waitFor();
  await signIn(page, "admin@souk.example", "/admin");
  await page.getByRole("button", { name: "Suspend Bazaar Books" }).click();
  await page.getByRole("button", { name: "Reactivate Bazaar Books" }).waitFor();
  await shot(page, "admin-vendors");
  await page.getByRole("button", { name: "Plans" }).click();
  await page.getByRole("cell", { name: "Starter (starter)" }).waitFor();
  await shot(page, "admin-plans");
  await page.getByRole("link", { name: "Shop" }).click();
  await page.getByLabel("Search").fill("atlas of markets");
  await page.getByText("No products match.").waitFor();
  assert.equal(await page.getByRole("link", { name: "An atlas of markets" }).count(), 0);
  await shot(page, "storefront-after-suspension");
});

await session("the storefront fits a phone's width", async (page) => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(base);
  await page.getByRole("heading", { name: "Shop every store" }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px`);
  await shot(page, "storefront-phone");
});

await browser.close();
if (consoleErrors.length > 0) {
  failures += 1;
  console.log(`FAIL the browser console had errors:\n${consoleErrors.join("\n")}`);
}
if (failures > 0) {
  console.log(`${failures} failed; screenshots in ${artifacts}`);
  process.exit(1);
}
console.log(`all passed; screenshots in ${artifacts}`);
