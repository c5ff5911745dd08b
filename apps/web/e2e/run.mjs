// End-to-end tests of the web apps in a real browser (Debian's chromium driven by
// playwright-core) against a running platform with the demo data.
//
//   SOUK_WEB_URL=http://127.0.0.1:8080 SOUK_DEMO_PASSWORD=… node e2e/run.mjs
//
// Screenshots of the key screens land in e2e/artifacts/.
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { crc32, deflateSync } from "node:zlib";
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

// SOUK_DEMO_MAIL_DIR: the demo's mail catcher's maildir, to read its emails back.
const mailDir = process.env.SOUK_DEMO_MAIL_DIR;

/** The emails to `to` in the demo's maildir, quoted-printable decoded. */
function mailsTo(to) {
  let names = [];
  try {
    names = readdirSync(`${mailDir}/new`);
  } catch {
    return [];
  }
  return names
    .map((name) => {
      const raw = readFileSync(`${mailDir}/new/${name}`, "latin1").replace(/=\r?\n/g, "");
      return Buffer.from(raw.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8");
    })
    .filter((mail) => mail.includes(`\nTo: ${to}`));
}

/** Waits up to 30 s for an email to `to` whose subject is `subject`. */
async function awaitMail(to, subject) {
  for (let i = 0; i < 60; i += 1) {
    const found = mailsTo(to).find((mail) => mail.includes(`\nSubject: ${subject}\n`));
    if (found) return found;
    await new Promise((done) => setTimeout(done, 500));
  }
  throw new Error(`no email "${subject}" to ${to}; got: ${mailsTo(to).map((m) => m.match(/Subject: .*/)?.[0]).join(", ")}`);
}

/** A `width` × `height` PNG of one colour, drawn here. */
function png(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, sum]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

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

async function signIn(page, email, next = "/", secret = password) {
  await page.goto(`${base}/signin?next=${encodeURIComponent(next)}`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(secret);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("button", { name: new RegExp(`Sign out ${email}`) }).waitFor();
}

const customerPassword = "a long enough password 42";

async function register(page, email) {
  await page.goto(`${base}/signin`);
  await page.getByRole("button", { name: "Create an account" }).click();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(customerPassword);
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

// A SKU's stock at each location, by location code, from the inventory page's table.
async function levels(page, sku) {
  await page.goto(`${base}/vendor/inventory`);
  const toggle = page.getByRole("button", { name: `Locations of ${sku}`, exact: true });
  if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
  const table = page.getByRole("table", { name: `Stock of ${sku} by location` });
  await table.getByRole("rowheader").first().waitFor();
  const read = async (what, code) => Number(await table.getByTestId(`${what}-${sku}-at-${code}`).textContent());
  const at = async (code) => ({ onHand: await read("on-hand", code), available: await read("available", code) });
  return { main: await at("main"), rabat: await at("rabat") };
}

// Moves stock with the inventory page's transfer form (locations by name).
async function transfer(page, sku, from, to, quantity) {
  const form = page.getByRole("form", { name: "Transfer stock" });
  await form.getByLabel(/^SKU/).fill(sku);
  await form.getByLabel(/^From/).selectOption({ label: from });
  await form.getByLabel(/^To/).selectOption({ label: to });
  await form.getByLabel(/^Quantity/).fill(String(quantity));
  await form.getByLabel(/^Reason/).fill("e2e: one hoodie left in Casablanca");
  await form.getByRole("button", { name: "Transfer", exact: true }).click();
  await form.getByRole("status").filter({ hasText: `Moved ${quantity} of ${sku} from ${from} to ${to}` }).waitFor();
}

// A vendor order's row in the dashboard moves on: "Mark <id> <step>" goes away once done.
async function mark(page, order, step) {
  await page.getByRole("button", { name: `Mark ${order} ${step}` }).click();
  await page.getByRole("button", { name: `Mark ${order} ${step}` }).waitFor({ state: "detached" });
}

const stamp = Date.now();
const buyer = `buyer-${stamp}@example.com`;
let hoodieOrder = "";
const HOODIE = "HOODIE-GRY-M";

// Casablanca (the default location, first in priority) and Rabat keep exactly
// one available hoodie each: no one warehouse can fill the customer's two, so
// they are held one at each.
await session("a vendor arranges stock across two warehouses", async (page) => {
  await enterStore(page, "owner@atlas-apparel.example", "Atlas Apparel");
  await page.getByRole("link", { name: "Locations", exact: true }).click();
  await page.getByRole("heading", { name: "Locations", exact: true }).waitFor();
  const table = page.getByRole("table", { name: "Stock locations" });
  const row = (name) => table.getByRole("row").filter({ has: page.getByRole("rowheader", { name, exact: true }) });
  const casablanca = row("Casablanca warehouse");
  await casablanca.waitFor();
  await row("Rabat warehouse").waitFor();
  await casablanca.getByRole("cell", { name: "main", exact: true }).waitFor();
  await casablanca.getByRole("cell", { name: "default", exact: true }).waitFor();
  await row("Rabat warehouse").getByRole("cell", { name: "rabat", exact: true }).waitFor();
  assert.equal(await row("Rabat warehouse").getByRole("button", { name: "Deactivate rabat" }).count(), 1, "Rabat can be deactivated");
  assert.equal(await casablanca.getByRole("button", { name: "Deactivate main" }).count(), 0, "the default location stays");
  // By location priority, Casablanca first (as seeded; an earlier run may have changed either).
  const strategy = page.getByLabel("Allocation strategy");
  if ((await strategy.inputValue()) !== "PRIORITIZE_ORDER") {
    await strategy.selectOption("PRIORITIZE_ORDER");
    await page.getByRole("status").filter({ hasText: /^Saved\./ }).waitFor();
  }
  const priority = async () => Number(await casablanca.getByRole("cell").first().textContent());
  for (let rank = await priority(); rank > 1; rank -= 1) {
    await casablanca.getByRole("button", { name: "Move main up" }).click();
    await casablanca.getByRole("cell").first().filter({ hasText: new RegExp(`^${rank - 1}$`) }).waitFor();
  }
  await shot(page, "vendor-locations");

  let stock = await levels(page, HOODIE);
  const total = stock.main.available + stock.rabat.available;
  if (total < 2) {
    // Earlier runs sold the demo's hoodies: restock Rabat with the adjust form.
    await page.getByLabel(/^Location for adjustments/).selectOption({ label: "Rabat warehouse" });
    await page.getByLabel(`Change of ${HOODIE}`).fill(String(2 - total));
    await page.getByRole("button", { name: `Adjust ${HOODIE}`, exact: true }).click();
    await page.getByTestId(`on-hand-${HOODIE}`).filter({ hasText: new RegExp(`^${stock.main.onHand + stock.rabat.onHand + 2 - total}$`) }).waitFor();
    stock = await levels(page, HOODIE);
  }
  if (stock.main.available > 1) {
    await transfer(page, HOODIE, "Casablanca warehouse", "Rabat warehouse", stock.main.available - 1);
  } else if (stock.main.available === 0) {
    await transfer(page, HOODIE, "Rabat warehouse", "Casablanca warehouse", 1);
  }
  stock = await levels(page, HOODIE);
  if (stock.rabat.available > 1) {
    // The rest of Rabat's hoodies are counted out, so that neither warehouse has two.
    await page.getByLabel(/^Location for adjustments/).selectOption({ label: "Rabat warehouse" });
    await page.getByLabel(`Change of ${HOODIE}`).fill(String(1 - stock.rabat.available));
    await page.getByRole("button", { name: `Adjust ${HOODIE}`, exact: true }).click();
    await page.getByTestId(`on-hand-${HOODIE}`).filter({ hasText: new RegExp(`^${stock.main.onHand + stock.rabat.onHand + 1 - stock.rabat.available}$`) }).waitFor();
  }
  const arranged = await levels(page, HOODIE);
  assert.equal(arranged.main.available, 1, "Casablanca has one hoodie available");
  assert.equal(arranged.rabat.available, 1, "Rabat has one hoodie available");
  assert.equal(arranged.main.onHand + arranged.rabat.onHand, await onHand(page, HOODIE), "the locations add up to the SKU's stock");
  await levels(page, HOODIE);
  await shot(page, "vendor-stock-by-location");
});

await session("a customer buys from two vendors in one checkout", async (page) => {
  await register(page, buyer);
  await shot(page, "storefront");
  await addToCart(page, "Grey hoodie", HOODIE, 2);
  await shot(page, "product");
  await addToCart(page, "Cedar mug", "MUG-CEDAR");
  await page.getByRole("link", { name: /Cart \(3\)/ }).click();
  assert.equal(await page.getByLabel(`Quantity of ${HOODIE}`).inputValue(), "2", "two hoodies in the cart");
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
  // The orders wait for the checkout's one payment: the demo's test provider moves no money.
  await page.getByRole("heading", { name: "Pay for your order" }).waitFor();
  await page.getByText("Your checkout became 2 orders, one per store:").waitFor();
  await page.getByText(/test provider\): no money moves/).waitFor();
  assert.equal(await page.getByRole("listitem").filter({ hasText: / — pending$/ }).count(), 2, "both orders wait for the payment");
  await shot(page, "payment-step");
  await page.getByRole("button", { name: "Pay (test)", exact: true }).click();
  await page.getByRole("heading", { name: "Thank you: your order is placed" }).waitFor();
  await page.getByText("Your checkout became 2 orders, one per store:").waitFor();
  await page.getByRole("status").filter({ hasText: /^Paid €/ }).waitFor();
  await page.getByRole("listitem").filter({ hasText: / — paid$/ }).nth(1).waitFor();
  assert.equal(await page.getByRole("listitem").filter({ hasText: / — paid$/ }).count(), 2, "the payment paid both orders");
  await shot(page, "order-placed");
  if (mailDir) {
    // The worker's emails: one for the checkout, listing both stores' orders, and one per paid order.
    const placed = await awaitMail(buyer, "Your order is placed with 2 shops");
    for (const part of ["Atlas Apparel", "Cedar Kitchen", `2 × Grey hoodie`, HOODIE, "MUG-CEDAR", "1 Souk Street"]) {
      assert.ok(placed.includes(part), `the placed email names ${part}: ${placed}`);
    }
    await awaitMail(buyer, "Your order from Atlas Apparel is paid");
    await awaitMail(buyer, "Your order from Cedar Kitchen is paid");
    assert.equal(mailsTo(buyer).filter((m) => m.includes("Subject: Your order is placed")).length, 1, "one placed email per checkout");
  }
  await page.getByRole("link", { name: "See my orders" }).click();
  const hoodie = page.getByRole("listitem", { name: /Order / }).filter({ hasText: "HOODIE-GRY-M" });
  await hoodie.waitFor();
  hoodieOrder = ((await hoodie.getAttribute("aria-label")) ?? "").replace("Order ", "");
  assert.match(hoodieOrder, /^[0-9a-f]{6}$/);
  for (const sku of ["HOODIE-GRY-M", "MUG-CEDAR"]) {
    const order = page.getByRole("listitem", { name: /Order / }).filter({ hasText: sku });
    await order.getByText(/^Paid €\d/).waitFor();
    assert.equal(await order.locator(".status").textContent(), "paid", `the ${sku} order is paid`);
  }
  await shot(page, "my-orders");
});

await session("a vendor ships the order and sees stock drop", async (page) => {
  await enterStore(page, "owner@atlas-apparel.example", "Atlas Apparel");
  const before = await onHand(page, HOODIE);
  const beforeAt = await levels(page, HOODIE);
  await shot(page, "vendor-inventory");
  await page.getByRole("link", { name: "Orders", exact: true }).click();
  // The two hoodies are held one at each warehouse.
  const held = page.getByRole("list", { name: `Allocation of order ${hoodieOrder}` });
  await held.getByText(`${HOODIE}: 1 from Casablanca warehouse`, { exact: true }).waitFor();
  await held.getByText(`${HOODIE}: 1 from Rabat warehouse`, { exact: true }).waitFor();
  assert.equal(await held.getByRole("listitem").count(), 2, "one allocation per warehouse");
  // The card payment marked it paid; a vendor no longer can (nor refund it by status).
  await page.getByRole("button", { name: `Mark ${hoodieOrder} processing` }).waitFor();
  assert.equal(await page.getByRole("button", { name: `Mark ${hoodieOrder} paid` }).count(), 0);
  assert.equal(await page.getByRole("button", { name: `Mark ${hoodieOrder} refunded` }).count(), 0);
  await mark(page, hoodieOrder, "processing");
  // Payouts first: a shipped card order's money moves to the vendor once its payouts are enabled.
  await page.getByRole("link", { name: "Payouts", exact: true }).click();
  await page.getByRole("heading", { name: "Payouts", exact: true }).waitFor();
  await page.getByRole("table", { name: "Balance" }).waitFor();
  const setUp = page.getByRole("button", { name: "Set up payouts" });
  if ((await setUp.count()) > 0) {
    await setUp.click();
    await setUp.waitFor({ state: "detached" });
  }
  await page.getByText(/payouts enabled/).waitFor();
  await page.getByRole("link", { name: "Orders", exact: true }).click();
  await mark(page, hoodieOrder, "shipped");
  await shot(page, "vendor-orders");
  assert.equal(await onHand(page, HOODIE), before - 2, "shipping takes the two units out of stock");
  const afterAt = await levels(page, HOODIE);
  assert.equal(afterAt.main.onHand, beforeAt.main.onHand - 1, "one hoodie left Casablanca");
  assert.equal(afterAt.rabat.onHand, beforeAt.rabat.onHand - 1, "one hoodie left Rabat");
  await page.getByRole("button", { name: HOODIE, exact: true }).click();
  await page.getByRole("table", { name: /History of HOODIE-GRY-M/ }).getByRole("cell", { name: /committed/ }).first().waitFor();
  await shot(page, "vendor-ledger");
  await page.getByRole("link", { name: "Payouts", exact: true }).click();
  const ledger = page.getByRole("table", { name: "Payouts ledger" });
  const transfer = ledger.getByRole("row").filter({ hasText: hoodieOrder }).getByRole("cell", { name: "transfer", exact: true });
  await transfer.first().waitFor();
  await page.getByLabel("Kind").selectOption("TRANSFER");
  // The charges leave the filtered ledger; the transfer stays.
  await ledger.getByRole("cell", { name: "charge", exact: true }).first().waitFor({ state: "detached" });
  await transfer.first().waitFor();
  await shot(page, "vendor-payouts");
  await page.getByRole("link", { name: "Orders", exact: true }).click();
  await page.getByRole("button", { name: `Refund ${hoodieOrder}`, exact: true }).click();
  const refund = page.getByRole("form", { name: `Refund order ${hoodieOrder}` });
  await refund.getByText(/^Paid €[\d.,]+, refunded €0\.00/).waitFor();
  await refund.getByLabel(/^Amount/).fill("1.00");
  await refund.getByLabel("Reason").fill("damaged box");
  await refund.getByRole("button", { name: "Send refund" }).click();
  await page.getByRole("status").filter({ hasText: `Refunded €1.00 of order ${hoodieOrder}` }).waitFor();
  await shot(page, "vendor-refund");
  await page.getByRole("link", { name: "Plan and usage" }).click();
  await page.getByRole("img", { name: /Requests per day/ }).waitFor();
  await page.getByRole("table", { name: /Invoice so far/ }).waitFor();
  await shot(page, "vendor-billing");
  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("cell", { name: "order.change_status" }).first().waitFor();
  await shot(page, "vendor-audit-log");
});

await session("the customer sees the partial refund", async (page) => {
  await signIn(page, buyer, "/orders", customerPassword);
  const hoodie = page.getByRole("listitem", { name: `Order ${hoodieOrder}` });
  await hoodie.getByText(/^Paid €[\d.,]+, refunded €1\.00$/).waitFor();
  await hoodie.getByText(/damaged box/).waitFor();
  await shot(page, "my-orders-refunded");
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

await session("a vendor adds a product image and the storefront shows it", async (page) => {
  await enterStore(page, "owner@cedar-kitchen.example", "Cedar Kitchen");
  await page.goto(`${base}/vendor/products`);
  const row = page.getByRole("row").filter({ hasText: "Cedar mug" });
  await row.getByRole("img", { name: "Cedar mug" }).first().waitFor();
  const before = await row.getByRole("img").count();
  const started = Date.now();
  await row.getByLabel("Add an image of Cedar mug").setInputFiles({ name: "mug.png", mimeType: "image/png", buffer: png(800, 600, [180, 90, 40]) });
  await row.getByRole("img").nth(before).waitFor();
  // A file that is no image is refused, and says so.
  await row.getByLabel("Add an image of Cedar mug").setInputFiles({ name: "mug.png", mimeType: "image/png", buffer: Buffer.from("#!/bin/sh\n") });
  await page.getByRole("alert").filter({ hasText: "JPEG, PNG or WebP" }).waitFor();
  await shot(page, "vendor-product-images");
  await page.goto(base);
  await page.getByLabel("Search").fill("Cedar mug");
  await page.getByRole("link", { name: "Cedar mug" }).click();
  const gallery = page.locator(".gallery img");
  await gallery.nth(before).waitFor();
  await page.waitForFunction((count) => {
    const images = [...document.querySelectorAll(".gallery img")];
    return images.length === count && images.every((i) => i.complete && i.naturalWidth > 0 && i.srcset.includes("480w"));
  }, before + 1);
  console.log(`     upload to storefront: ${Date.now() - started} ms`);
  await shot(page, "product-with-images");
  await page.goto(base);
  await page.waitForFunction(() => [...document.querySelectorAll("img.thumb")].some((i) => i.alt === "Cedar mug" && i.complete && i.naturalWidth > 0));
});

await session("an admin suspends a vendor and its products vanish", async (page) => {
  await page.goto(base);
  await page.getByLabel("Search").fill("atlas of markets");
  await page.getByRole("link", { name: "An atlas of markets" }).waitFor();
  await signIn(page, "admin@souk.example", "/admin");
  await page.getByRole("button", { name: "Suspend Bazaar Books" }).click();
  await page.getByRole("button", { name: "Reactivate Bazaar Books" }).waitFor();
  await shot(page, "admin-vendors");
  const offline = page.getByRole("checkbox", { name: "Allow offline payments for Cedar Kitchen" });
  await offline.click();
  await page.getByRole("checkbox", { name: "Allow offline payments for Cedar Kitchen", checked: true }).waitFor();
  await offline.click();
  await page.getByRole("checkbox", { name: "Allow offline payments for Cedar Kitchen", checked: false }).waitFor();
  await page.getByRole("button", { name: "Plans" }).click();
  await page.getByRole("cell", { name: "Starter (starter)" }).waitFor();
  await shot(page, "admin-plans");
  await page.getByRole("button", { name: "Revenue", exact: true }).click();
  const revenue = page.getByRole("table", { name: /^Revenue/ });
  const commission = revenue.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "Commission" }) });
  await commission.getByRole("cell", { name: /€/ }).first().waitFor();
  assert.notEqual(await commission.getByRole("cell").first().textContent(), "€0.00", "this month's orders paid a commission");
  await page.getByRole("table", { name: "Vendor balances" }).getByRole("rowheader", { name: "Atlas Apparel" }).first().waitFor();
  await shot(page, "admin-revenue");
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
